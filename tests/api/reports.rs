use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PHONE, TestApp, assert_error};

#[tokio::test]
async fn the_channel_report_counts_scans_visitors_bots_and_spend() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app.seed(json!({"name": "Report"}), "unique", 3).await;
    let codes = app.codes(&batch["id"]).await;
    // Two people: one scans twice (keeps the cookie), one scans once; one bot.
    let first = app.scan(&codes[0].1, PHONE).await;
    let cookie = first.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    app.client
        .get(app.url(&format!("/s/{}", codes[1].1)))
        .header("user-agent", PHONE)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    app.scan(&codes[2].1, PHONE).await;
    app.scan(&codes[2].1, "Slackbot-LinkExpanding 1.0").await;

    let report = app.report(&campaign["id"]).await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["channel_id"], channel["id"]);
    assert_eq!(row["scans"], 3);
    assert_eq!(row["unique_visitors"], 2);
    assert_eq!(row["new_visitors"], 2);
    assert_eq!(row["bot_scans"], 1);
    assert_eq!(row["spend_cents"], 1500);
    assert_eq!(row["conversions"], 0.0);
    assert_eq!(row["revenue_cents"], 0);
    assert_eq!(row["conversion_rate"], 0.0);
    assert_eq!(
        row["cpa_cents"],
        serde_json::Value::Null,
        "no conversions, no CPA"
    );
    assert_eq!(row["roas"], 0.0);
    assert_eq!(report["total"]["scans"], 3);
    assert_eq!(report["total"]["spend_cents"], 1500);

    let past = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&from=2020-01-01&to=2020-02-01",
            campaign["id"]
        ))
        .await;
    let past: serde_json::Value = past.json().await.unwrap();
    assert_eq!(
        past["rows"][0]["scans"], 0,
        "a range before the scans counts none"
    );
    assert_eq!(past["rows"][0]["spend_cents"], 1500);
}

#[tokio::test]
async fn unique_visitors_stay_exact_across_many_group_commits() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Crowd"}), "unique", 50).await;
    let codes = app.codes(&batch["id"]).await;
    // 300 new visitors at once land in several groups, each merging into the stored sketch.
    let scans = (0..300).map(|i| app.scan(&codes[i % codes.len()].1, PHONE));
    let answered = futures_util::future::join_all(scans).await;
    assert!(answered.iter().all(|r| r.status() == StatusCode::FOUND));

    let report = app.report(&campaign["id"]).await;
    assert_eq!(report["rows"][0]["scans"], 300);
    assert_eq!(report["rows"][0]["unique_visitors"], 300);
}

#[tokio::test]
async fn bad_report_queries_get_a_clear_error() {
    let app = TestApp::spawn().await;
    assert_error(
        app.get("/api/v1/reports/channels").await,
        StatusCode::BAD_REQUEST,
        "campaign_id",
    )
    .await;
    assert_error(
        app.get("/api/v1/reports/channels?campaign_id=77").await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;
    let (campaign, _, _) = app.seed(json!({"name": "R"}), "shared", 1).await;
    let bad = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&from=soon",
            campaign["id"]
        ))
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "from").await;
    let id = &campaign["id"];
    for (query, part) in [
        ("from=2026-02-01&to=2026-01-01", "to: must be after from"),
        ("from=2026-01-01&to=2026-01-01", "to: must be after from"),
        ("to=+10000-01-01T00:00:00Z", "to:"),
        ("to=9999-12-31T23:00:01Z", "9999-12-31T23:00:00Z"),
        ("from=1969-12-31", "from:"),
        ("from=2026-13-01", "from:"),
    ] {
        let response = app
            .get(&format!(
                "/api/v1/reports/channels?campaign_id={id}&{query}"
            ))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, part).await;
    }
    // The widest range there is still echoes valid RFC 3339 times.
    let widest: serde_json::Value = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={id}&from=1970-01-01&to=9999-12-31T22:30:00Z"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(widest["from"], "1970-01-01T00:00:00.000Z");
    assert_eq!(widest["to"], "9999-12-31T23:00:00.000Z");
}

/// The `sl_vid` cookie a redirect set, as a `Cookie` header value.
fn visitor_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn visitors_scanning_through_two_instances_are_counted_once() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (campaign, _, batch) = first.seed(json!({"name": "Both"}), "shared", 1).await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    let instances = [&first, &second];
    let visitor = |v: usize| {
        let token = token.clone();
        async move {
            let response = instances[v % 2].scan(&token, PHONE).await;
            assert_eq!(response.status(), StatusCode::FOUND);
            let cookie = visitor_cookie(&response);
            // Then back through both instances, concurrently with everyone else.
            for again in 1..4 {
                let app = instances[(v + again) % 2];
                let response = app
                    .client
                    .get(app.url(&format!("/s/{token}")))
                    .header("user-agent", PHONE)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::FOUND);
                assert!(response.headers().get("set-cookie").is_none());
            }
        }
    };
    futures_util::future::join_all((0..40).map(visitor)).await;

    for app in instances {
        let row = &app.report(&campaign["id"]).await["rows"][0];
        assert_eq!(row["scans"], 160, "{row}");
        assert_eq!(row["unique_visitors"], 40, "{row}");
        assert_eq!(row["new_visitors"], 40, "{row}");
    }
}
