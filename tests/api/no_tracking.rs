//! A campaign that does not track (an EU wine e-label): its scans leave nothing but a count
//! per code and hour: no cookie, no scan row, no place, device or visitor, nothing folded
//! from them; its landing page records nothing and offers only the brand's information
//! links; a report reads the counts.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PHONE, TestApp, assert_error};

const ELABEL: &str = "https://wine.example/elabel?lot=7";

/// Rows in every table a scan or a visit can leave a trace in.
const TRACES: [&str; 13] = [
    "scans",
    "scan_rollups",
    "visitor_sketches",
    "code_stats",
    "code_cities",
    "city_visitors",
    "touches",
    "campaign_visitors",
    "visitor_cohorts",
    "place_rollups",
    "events",
    "event_rollups",
    "photos",
];

async fn traces(app: &TestApp) -> Vec<(&'static str, i64)> {
    let db = app.db().await;
    let mut counts = Vec::new();
    for table in TRACES {
        let (rows,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&db)
                .await
                .unwrap();
        counts.push((table, rows));
    }
    counts
}

async fn counted(app: &TestApp) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT code_id, scans FROM counted_scans ORDER BY code_id")
        .fetch_all(&app.db().await)
        .await
        .unwrap()
}

fn wine() -> Value {
    json!({
        "name": "Riesling 2025", "tracking": "none", "destination_url": ELABEL,
        "landing": {
            "title": "Riesling 2025",
            "info_links": [
                {"label": "Ingredients", "url": "https://wine.example/ingredients"},
                {"label": "Recycling", "url": "https://wine.example/recycling"}
            ],
            "cta_url": "https://shop.example/wine",
            "join_url": "https://wine.example/club"
        }
    })
}

#[tokio::test]
async fn a_scan_of_a_no_tracking_campaign_stores_nothing_but_its_count() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(wine(), "unique", 3).await;
    assert_eq!(campaign["tracking"], "none");
    assert_eq!(campaign["landing"]["info_links"][1]["label"], "Recycling");
    let codes = app.codes(&batch["id"]).await;
    let before = traces(&app).await;

    // Scans, with and without a visitor cookie: the destination exactly as written, no
    // cookie set. A HEAD request is answered and not counted.
    for (token, cookie) in [
        (&codes[0].1, None),
        (&codes[0].1, Some("sl_vid=v1")),
        (&codes[1].1, None),
    ] {
        let mut request = app
            .client
            .get(app.url(&format!("/s/{token}")))
            .header("user-agent", PHONE)
            .header("x-forwarded-for", "203.0.113.9");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let scan = request.send().await.unwrap();
        assert_eq!(scan.status(), StatusCode::FOUND);
        assert_eq!(scan.headers()["location"], ELABEL);
        assert!(scan.headers().get("set-cookie").is_none());
    }
    let head = app
        .client
        .head(app.url(&format!("/s/{}", codes[2].1)))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);

    // The landing page: no cookie (not even the language's), no events, only the
    // information links; the calls to action and the photo page do not exist.
    let slug = campaign["slug"].as_str().unwrap();
    for path in [format!("/c/{slug}"), format!("/c/{slug}?lang=zh")] {
        let page = app
            .client
            .get(app.url(&path))
            .header("user-agent", PHONE)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.headers().get("set-cookie").is_none(), "{path}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains(r#"href="https://wine.example/ingredients""#),
            "{html}"
        );
        assert!(html.contains("Recycling"));
        assert!(!html.contains("/go/"), "{html}");
        assert!(!html.contains("/photos"), "{html}");
    }
    for path in [format!("/c/{slug}/go/buy"), format!("/c/{slug}/photos")] {
        let refused = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(refused.headers().get("set-cookie").is_none(), "{path}");
    }

    // The folds have had their turn: nothing anywhere but the counts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(traces(&app).await, before);
    let counts = counted(&app).await;
    assert_eq!(counts.iter().map(|c| c.1).collect::<Vec<_>>(), [2, 1]);

    let report: Value = app
        .get(&format!(
            "/api/v1/reports/counted-scans?campaign_id={}",
            campaign["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["tracking"], "none");
    assert_eq!(report["scans"], 3);
    assert_eq!(
        report["batches"],
        json!([{"batch_id": batch["id"], "scans": 3}])
    );
    assert_eq!(report["hours"].as_array().unwrap().len(), 1);
    let csv = app
        .get(&format!(
            "/api/v1/reports/counted-scans?campaign_id={}&format=csv",
            campaign["id"]
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("hour,scans\n"), "{csv}");

    // The console counts them among the campaign's scans and says it does not track.
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let (status, page) = app
        .page(&format!("/console/campaigns/{}", campaign["id"]), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("None: count scans only"), "{page}");
    assert!(page.contains(r#"<div class="value">3</div>"#), "{page}");

    // Tracking turned on: printed codes are tracked (and tagged) from the next scan.
    let path = format!("/api/v1/campaigns/{}", campaign["id"]);
    let changed = app.patch(&path, json!({"tracking": "full"})).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let scan = app.scan(&codes[0].1, PHONE).await;
    assert!(
        scan.headers()["location"]
            .to_str()
            .unwrap()
            .contains("utm_medium=qr")
    );
    assert!(scan.headers().get("set-cookie").is_some());
    let after: Vec<i64> = traces(&app).await.iter().map(|t| t.1).collect();
    assert_eq!(after[0], before[0].1 + 1, "the scan is a row now");
    assert_eq!(counted(&app).await, counts, "the counts stay");
}

#[tokio::test]
async fn bad_tracking_and_information_links_are_refused() {
    let app = TestApp::spawn().await;
    let refused = app
        .post("/api/v1/campaigns", json!({"name": "A", "tracking": "off"}))
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "\"full\" or \"none\"",
    )
    .await;
    let too_many: Vec<Value> = (0..7)
        .map(|i| json!({"label": format!("Link {i}"), "url": "https://wine.example/"}))
        .collect();
    let refused = app
        .post(
            "/api/v1/campaigns",
            json!({"name": "B", "landing": {"info_links": too_many}}),
        )
        .await;
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "at most 6").await;
    let refused = app
        .post(
            "/api/v1/campaigns",
            json!({"name": "C", "landing": {"info_links": [{"label": "Ingredients", "url": "ftp://x"}]}}),
        )
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "landing.info_links[0].url",
    )
    .await;
    let campaigns: Value = app.get("/api/v1/campaigns").await.json().await.unwrap();
    assert_eq!(campaigns["items"], json!([]), "nothing was stored");

    let campaign = app.create("/api/v1/campaigns", json!({"name": "D"})).await;
    assert_eq!(campaign["tracking"], "full");
    let refused = app
        .send_as(
            Some(crate::helpers::API_KEY),
            Method::PATCH,
            &format!("/api/v1/campaigns/{}", campaign["id"]),
            Some(json!({"tracking": "partial"})),
        )
        .await;
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "tracking").await;
    let refused = app
        .get("/api/v1/reports/counted-scans?campaign_id=999")
        .await;
    assert_error(refused, StatusCode::NOT_FOUND, "campaign").await;
}
