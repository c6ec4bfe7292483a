//! Suspicious codes: unique codes scanned from too many cities, too often in an hour, or
//! after the item was bought, read from the per-code history the fold keeps.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::history::code_when;
use crate::webhooks::Receiver;

const HOUR: i64 = 3_600_000;

/// A person's scan of `code` at `at` from `city`, as the scan writer stores it.
async fn scan(app: &TestApp, code: &(i64, String), at: i64, city: &str) {
    let db = app.db().await;
    sqlx::query(
        "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, visitor_id, \
         is_new_visitor, device, is_bot, outcome, country, city) \
         SELECT $1, c.id, c.batch_id, b.campaign_id, b.channel_id, 'someone', 0, 'phone', 0, \
         'destination', 'CN', $2 FROM codes c JOIN batches b ON b.id = c.batch_id WHERE c.id = $3",
    )
    .bind(at)
    .bind(city.to_owned())
    .bind(code.0)
    .execute(&db)
    .await
    .unwrap();
}

async fn report(app: &TestApp, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/reports/suspicious-codes?{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn flagged(report: &Value) -> Vec<(String, Vec<String>)> {
    report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let reasons = c["reasons"].as_array().unwrap();
            (
                c["token"].as_str().unwrap().to_owned(),
                reasons
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn codes_that_travel_crowd_an_hour_or_come_back_after_a_purchase_are_flagged() {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let receiver = Receiver::default();
    let url = receiver.start(&[]).await;
    app.create(
        "/api/v1/webhooks",
        json!({"url": url, "events": ["code.suspicious"]}),
    )
    .await;
    let (campaign, channel, batch) = app
        .seed(json!({"name": "Bottles", "slug": "bottles"}), "unique", 4)
        .await;
    let poster = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"],
                   "name": "poster", "mode": "shared"}),
        )
        .await;
    let codes: Vec<(i64, String)> = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|(serial, token, _)| (serial, token))
        .collect();
    let db = app.db().await;
    let id_of = |token: String| {
        let db = db.clone();
        async move {
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM codes WHERE token = $1")
                .bind(token.clone())
                .fetch_one(&db)
                .await
                .unwrap();
            (id, token)
        }
    };
    let mut ids = Vec::new();
    for (_, token) in &codes {
        ids.push(id_of(token.clone()).await);
    }
    let poster_code = id_of(app.codes(&poster["id"]).await[0].1.clone()).await;
    let now = chrono::Utc::now().timestamp_millis();
    let hour = now - 5 * HOUR - (now - 5 * HOUR).rem_euclid(HOUR);

    // One bottle seen in four cities; a poster is seen everywhere and is not a copy.
    for (n, city) in ["Shanghai", "Beijing", "Chengdu", "Wuhan"]
        .iter()
        .enumerate()
    {
        scan(&app, &ids[0], now - 2 * HOUR + n as i64 * 60_000, city).await;
        scan(&app, &poster_code, now - 2 * HOUR, city).await;
    }
    scan(&app, &poster_code, now - 2 * HOUR, "Xi'an").await;
    // 21 scans of one bottle in one hour, 20 of another.
    for n in 0..21 {
        scan(&app, &ids[1], hour + n * 60_000, "Shanghai").await;
        if n < 20 {
            scan(&app, &ids[2], hour + n * 60_000, "Shanghai").await;
        }
    }
    // A bottle bought, then scanned again.
    scan(&app, &ids[3], now - 3 * HOUR, "Shanghai").await;
    let bought = chrono::DateTime::from_timestamp_millis(now - 2 * HOUR)
        .unwrap()
        .to_rfc3339();
    let purchase = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": "S-1", "amount_cents": 900, "currency": "CNY",
                   "occurred_at": bought, "token": ids[3].1}),
        )
        .await;
    assert_eq!(purchase.status(), StatusCode::CREATED);
    scan(&app, &ids[3], now - HOUR, "Shanghai").await;
    code_when(&app, &ids[3].1, |c| c["scans"] == 2).await;
    code_when(&app, &ids[1].1, |c| c["scans"] == 21).await;

    // Busiest hours are counted by the touches fold, a moment after the history.
    let campaign_id = campaign["id"].clone();
    let mut found = Value::Null;
    for _ in 0..100 {
        found = report(&app, &format!("campaign_id={campaign_id}")).await;
        if found["codes"].as_array().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        flagged(&found),
        [
            (ids[0].1.clone(), vec!["cities".to_owned()]),
            (ids[1].1.clone(), vec!["per_hour".to_owned()]),
            (ids[3].1.clone(), vec!["after_purchase".to_owned()]),
        ],
        "{found}"
    );
    let first = &found["codes"][0];
    assert_eq!(first["cities"], 4);
    assert_eq!(
        first["places"],
        json!(["CN/Beijing", "CN/Chengdu", "CN/Shanghai", "CN/Wuhan"])
    );
    assert_eq!(found["codes"][1]["peak_hour_scans"], 21);
    assert_eq!(found["codes"][2]["bought_at"].as_str().unwrap().len(), 24);

    // Thresholds are "more than".
    let looser = report(
        &app,
        &format!("campaign_id={campaign_id}&cities=4&per_hour=21"),
    )
    .await;
    assert_eq!(
        flagged(&looser),
        [(ids[3].1.clone(), vec!["after_purchase".to_owned()])]
    );
    let stricter = report(
        &app,
        &format!("campaign_id={campaign_id}&per_hour=19&limit=2"),
    )
    .await;
    assert_eq!(
        flagged(&stricter),
        [
            (ids[0].1.clone(), vec!["cities".to_owned()]),
            (ids[1].1.clone(), vec!["per_hour".to_owned()]),
        ]
    );

    let csv = app
        .get(&format!(
            "/api/v1/reports/suspicious-codes?campaign_id={campaign_id}&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("token,code_id,batch_id,serial,reasons,scans,cities,places"));
    assert!(
        lines[1].contains(",cities,4,4,CN/Beijing;CN/Chengdu;CN/Shanghai;CN/Wuhan,"),
        "{csv}"
    );

    // The brand's systems heard of each at the default thresholds, once per reason.
    let told = |got: Vec<(axum::http::HeaderMap, String)>| {
        let mut told: Vec<(String, String, Value)> = got
            .into_iter()
            .map(|(headers, body)| {
                assert_eq!(headers["x-scanloop-event"], "code.suspicious");
                let body: Value = serde_json::from_str(&body).unwrap();
                (
                    body["token"].as_str().unwrap().to_owned(),
                    body["reason"].as_str().unwrap().to_owned(),
                    body,
                )
            })
            .collect();
        told.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        told
    };
    let heard = told(receiver.wait_for(3).await);
    let mut expected = vec![
        (ids[0].1.clone(), "cities".to_owned()),
        (ids[1].1.clone(), "per_hour".to_owned()),
        (ids[3].1.clone(), "after_purchase".to_owned()),
    ];
    expected.sort();
    let reasons: Vec<(String, String)> = heard
        .iter()
        .map(|(t, r, _)| (t.clone(), r.clone()))
        .collect();
    assert_eq!(reasons, expected);
    let travelled = &heard.iter().find(|h| h.1 == "cities").unwrap().2;
    assert_eq!(travelled["campaign_id"], campaign_id);
    assert_eq!(travelled["cities"], 4);
    assert_eq!(travelled["places"][3], "CN/Wuhan");
    let resold = &heard.iter().find(|h| h.1 == "after_purchase").unwrap().2;
    assert!(resold["bought_at"].is_string(), "{resold}");

    // A fifth city is no news; a bottle newly past a threshold is.
    scan(&app, &ids[0], now - HOUR, "Xi'an").await;
    for (n, city) in ["Shanghai", "Beijing", "Chengdu", "Wuhan"]
        .iter()
        .enumerate()
    {
        scan(&app, &ids[2], now - HOUR + n as i64 * 60_000, city).await;
    }
    let heard = told(receiver.wait_for(4).await);
    assert_eq!(heard.len(), 4, "{heard:?}");
    assert!(heard.iter().any(|h| h.0 == ids[2].1 && h.1 == "cities"));
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(receiver.wait_for(4).await.len(), 4, "nothing twice");
}

#[tokio::test]
async fn bad_suspicious_code_queries_are_refused_with_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app
        .seed(json!({"name": "Quiet", "slug": "quiet"}), "unique", 2)
        .await;
    let id = &campaign["id"];
    for (query, parameter) in [
        (format!("campaign_id={id}&cities=0"), "cities"),
        (format!("campaign_id={id}&per_hour=2000000"), "per_hour"),
        (format!("campaign_id={id}&limit=5000"), "limit"),
        (format!("campaign_id={id}&per_hour=many"), "per_hour"),
        (format!("campaign_id={id}&format=pdf"), "format"),
        ("cities=3".to_owned(), "campaign_id"),
    ] {
        let response = app
            .get(&format!("/api/v1/reports/suspicious-codes?{query}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, parameter).await;
    }
    let none = app
        .get("/api/v1/reports/suspicious-codes?campaign_id=999999")
        .await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    // Nothing scanned: nothing flagged.
    assert_eq!(
        report(&app, &format!("campaign_id={id}")).await["codes"],
        json!([])
    );
}
