//! Per-code scan history, folded off the redirect's path: scans, bots, first scan, cities.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::geo::spawn_with_cities;
use crate::helpers::{PHONE, TestApp};

const BOT: &str = "facebookexternalhit/1.1";

async fn scan_from(app: &TestApp, token: &str, agent: &str, ip: &str) {
    let response = app
        .client
        .get(app.url(&format!("/s/{token}")))
        .header("user-agent", agent)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}

/// Polls the code until `done` holds (10 s at most) and returns it.
pub async fn code_when(app: &TestApp, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut code = Value::Null;
    for _ in 0..100 {
        code = app
            .get(&format!("/api/v1/codes/{token}"))
            .await
            .json()
            .await
            .unwrap();
        if done(&code) {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the code's history never reached the expected state: {code}");
}

#[tokio::test]
async fn a_code_shows_when_and_where_it_was_first_scanned_and_from_how_many_cities() {
    let (app, _cities) = spawn_with_cities().await;
    let (_, _, batch) = app.seed(json!({"name": "Bottles"}), "unique", 3).await;
    let codes = app.codes(&batch["id"]).await;
    let (token, untouched) = (&codes[0].1, &codes[1].1);

    scan_from(&app, token, BOT, "81.2.69.142").await;
    scan_from(&app, token, PHONE, "175.16.199.7").await;
    scan_from(&app, token, PHONE, "175.16.199.8").await;
    scan_from(&app, token, PHONE, "81.2.69.142").await;
    scan_from(&app, token, PHONE, "89.160.20.128").await;

    let code = code_when(&app, token, |c| c["scans"] == 4).await;
    assert_eq!(code["bot_scans"], 1, "{code}");
    assert_eq!(
        code["first_scan_city"], "Changchun",
        "the bot scanned first, but bots do not count"
    );
    assert_eq!(code["first_scan_country"], "CN");
    assert_eq!(
        code["cities"], 2,
        "Changchun and London; Sweden has no city"
    );
    let first = code["first_scan_at"].as_str().unwrap();
    let last = code["last_scan_at"].as_str().unwrap();
    assert!(first < last, "{first} < {last}");

    let never = code_when(&app, untouched, |_| true).await;
    assert_eq!(
        (&never["scans"], &never["first_scan_at"], &never["cities"]),
        (&json!(0), &Value::Null, &json!(0))
    );

    app.patch(
        &format!("/api/v1/codes/{untouched}"),
        json!({"status": "disabled"}),
    )
    .await;
    let csv = app
        .get(&format!("/api/v1/batches/{}/codes.csv", batch["id"]))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("serial,token,url,status,scans,first_scan_at")
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        (row[1], row[3], row[4], row[5]),
        (token.as_str(), "active", "4", first)
    );
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!((row[3], row[4], row[5]), ("disabled", "0", ""));
}

#[tokio::test]
async fn two_instances_fold_every_scan_exactly_once() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (_, _, batch) = first.seed(json!({"name": "Twice"}), "shared", 1).await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    let scans = (0..30).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.scan(&token, PHONE)
    });
    for response in futures_util::future::join_all(scans).await {
        assert_eq!(response.status(), StatusCode::FOUND);
    }
    code_when(&first, &token, |c| c["scans"] == 30).await;
    // Both folders have had several turns since; neither counted a scan again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let code = code_when(&second, &token, |_| true).await;
    assert_eq!(code["scans"], 30, "{code}");
}

#[tokio::test]
async fn codes_csv_shows_each_codes_scans_and_first_scan() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Listing"}), "unique", 3).await;
    let codes = app.codes(&batch["id"]).await;
    let token = &codes[1].1;
    app.scan(token, PHONE).await;
    app.scan(token, PHONE).await;
    let code = code_when(&app, token, |c| c["scans"] == 2).await;
    let csv = app
        .get(&format!("/api/v1/batches/{}/codes.csv", batch["id"]))
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[2],
        format!(
            "2,{token},{},active,2,{}",
            codes[1].2,
            code["first_scan_at"].as_str().unwrap()
        )
    );
    assert!(
        rows[1].ends_with(",active,0,"),
        "never scanned: {}",
        rows[1]
    );
}
