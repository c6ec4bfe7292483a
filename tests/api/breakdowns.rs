//! The devices and regions reports: scans, people, landing events and credited conversions
//! by device class and by country, region or city, adding up to the campaign's total.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::geo::spawn_with_cities;
use crate::helpers::{PHONE, TestApp, assert_error, visitor_cookie};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const LONDON: &str = "81.2.69.142";
const CHANGCHUN: &str = "175.16.199.20";

async fn from(
    app: &TestApp,
    path: &str,
    agent: &str,
    ip: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(path))
        .header("user-agent", agent)
        .header("x-forwarded-for", ip);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

fn row<'a>(report: &'a Value, field: &str, value: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("no {field} {value} in {report}"))
}

#[tokio::test]
async fn devices_and_places_break_down_scans_events_and_conversions() {
    let (app, _cities) = spawn_with_cities().await;
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea",
                   "landing": {"cta_url": "https://shop.example.com/tea"}}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let scan = format!("/s/{token}");
    // Two people in London, one in Changchun on a phone and one on a desktop, one from an
    // address the database does not know, and a bot in London.
    let buyer = visitor_cookie(&from(&app, &scan, PHONE, LONDON, None).await);
    from(&app, &scan, PHONE, LONDON, None).await;
    from(&app, &scan, PHONE, CHANGCHUN, None).await;
    let desk = visitor_cookie(&from(&app, &scan, DESKTOP, CHANGCHUN, None).await);
    from(&app, &scan, PHONE, "8.8.8.8", None).await;
    from(
        &app,
        &scan,
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        LONDON,
        None,
    )
    .await;
    // The London buyer reads the page and clicks buy; both buy.
    from(
        &app,
        &format!("/c/tea?code={token}"),
        PHONE,
        LONDON,
        Some(&buyer),
    )
    .await;
    let click = from(
        &app,
        &format!("/c/tea/go/buy?code={token}"),
        PHONE,
        LONDON,
        Some(&buyer),
    )
    .await;
    let shop = click.headers()["location"].to_str().unwrap().to_owned();
    let click_id = shop.split("sl_click=").nth(1).unwrap().to_owned();
    for body in [
        json!({"order_id": "L-1", "amount_cents": 10_000, "currency": "CNY", "click_id": click_id}),
        json!({"order_id": "C-1", "amount_cents": 6_000, "currency": "CNY",
               "visitor_id": desk.trim_start_matches("sl_vid=")}),
    ] {
        let answer = app.post("/api/v1/conversions", body).await;
        assert_eq!(answer.status(), StatusCode::CREATED);
    }
    let id = &campaign["id"];
    let report = |path: String| {
        let app = &app;
        async move {
            let answer = app.get(&path).await;
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
            answer.json::<Value>().await.unwrap()
        }
    };

    let devices = report(format!("/api/v1/reports/devices?campaign_id={id}")).await;
    let mobile = row(&devices, "device", "mobile");
    assert_eq!(mobile["scans"], 4);
    assert_eq!(mobile["landing_views"], 1);
    assert_eq!(mobile["cta_clicks"], 1);
    assert_eq!(mobile["conversions"], 1.0);
    assert_eq!(mobile["revenue_cents"], 10_000);
    let desktop = row(&devices, "device", "desktop");
    assert_eq!(
        (desktop["scans"].as_i64(), desktop["conversions"].as_f64()),
        (Some(1), Some(1.0))
    );
    assert_eq!(row(&devices, "device", "bot")["bot_scans"], 1);
    // Every scan came without a cookie: each is a person of its own.
    let people = |report: &Value, field: &str, value: &str| {
        row(report, field, value)["unique_visitors"].as_i64()
    };
    assert_eq!(people(&devices, "device", "mobile"), Some(4));
    assert_eq!(people(&devices, "device", "desktop"), Some(1));
    assert_eq!(people(&devices, "device", "bot"), Some(0));
    assert_eq!(devices["total"]["unique_visitors"], 5);
    let sum = |report: &Value, field: &str| -> i64 {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[field].as_i64().unwrap())
            .sum()
    };
    assert_eq!(
        sum(&devices, "scans"),
        devices["total"]["scans"].as_i64().unwrap()
    );
    assert_eq!(sum(&devices, "scans"), 5);
    assert_eq!(
        sum(&devices, "revenue_cents"),
        devices["total"]["revenue_cents"].as_i64().unwrap()
    );

    let countries = report(format!("/api/v1/reports/regions?campaign_id={id}")).await;
    let gb = row(&countries, "country", "GB");
    assert_eq!(
        (gb["scans"].as_i64(), gb["bot_scans"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(gb["landing_views"], 1);
    assert_eq!(gb["revenue_cents"], 10_000);
    let cn = row(&countries, "country", "CN");
    assert_eq!(
        (cn["scans"].as_i64(), cn["revenue_cents"].as_i64()),
        (Some(2), Some(6_000))
    );
    assert_eq!(
        row(&countries, "country", "")["scans"],
        1,
        "the unknown address"
    );
    assert!(gb.get("city").is_none());
    assert_eq!(people(&countries, "country", "GB"), Some(2));
    assert_eq!(people(&countries, "country", "CN"), Some(2));
    assert_eq!(people(&countries, "country", ""), Some(1));
    assert_eq!(sum(&countries, "scans"), 5);
    assert_eq!(sum(&countries, "revenue_cents"), 16_000);

    let cities = report(format!(
        "/api/v1/reports/regions?campaign_id={id}&level=city"
    ))
    .await;
    let changchun = row(&cities, "city", "Changchun");
    assert_eq!(
        (changchun["country"].as_str(), changchun["region"].as_str()),
        (Some("CN"), Some("JL"))
    );
    assert_eq!(changchun["scans"], 2);
    assert_eq!(changchun["conversions"], 1.0);
    assert_eq!(
        changchun["landing_views"],
        Value::Null,
        "events are not kept per city"
    );
    assert_eq!(sum(&cities, "scans"), 5);
    assert_eq!(people(&cities, "city", "Changchun"), Some(2));
    assert_eq!(people(&cities, "city", "London"), Some(2));

    // People are sketched per campaign by device, and by place: a country narrows the
    // places' people, a channel neither.
    let channel = batch["channel_id"].clone();
    let of_cn = report(format!(
        "/api/v1/reports/regions?campaign_id={id}&country=CN"
    ))
    .await;
    assert_eq!(people(&of_cn, "country", "CN"), Some(2));
    let devices_of_cn = report(format!(
        "/api/v1/reports/devices?campaign_id={id}&country=CN"
    ))
    .await;
    assert_eq!(people(&devices_of_cn, "device", "mobile"), None);
    assert_eq!(row(&devices_of_cn, "device", "mobile")["scans"], 1);
    for path in ["devices", "regions"] {
        let of_channel = report(format!(
            "/api/v1/reports/{path}?campaign_id={id}&channel_id={channel}"
        ))
        .await;
        assert!(
            of_channel["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["unique_visitors"].is_null()),
            "{of_channel}"
        );
    }

    let csv = app
        .get(&format!(
            "/api/v1/reports/regions?campaign_id={id}&level=region&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("country,region,scans,unique_visitors,bot_scans,"),
        "{csv}"
    );
    assert_error(
        app.get(&format!(
            "/api/v1/reports/regions?campaign_id={id}&level=planet"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "level:",
    )
    .await;
}
