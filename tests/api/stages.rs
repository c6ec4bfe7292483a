//! Visitors and their stages: each visitor's record across campaigns, and the stages report
//! (now, per channel, week by week) counting what people did: a scan, the landing page, a
//! click, joining, buying, buying again.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::members::Browser;
use crate::points::join;

/// The visitor's record once its scans are folded in (the fold runs every second).
async fn visitor_with_scans(app: &TestApp, id: &str, scans: i64) -> Value {
    for _ in 0..100 {
        let answer = app.get(&format!("/api/v1/visitors/{id}")).await;
        if answer.status() == StatusCode::OK {
            let visitor: Value = answer.json().await.unwrap();
            if visitor["scans"] == scans {
                return visitor;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("visitor {id} never had {scans} scans folded");
}

fn stages(counts: &Value) -> Vec<i64> {
    [
        "aware",
        "interested",
        "considering",
        "intending",
        "customer",
        "loyal",
    ]
    .iter()
    .map(|s| counts[s].as_i64().unwrap())
    .collect()
}

/// A campaign (slug `tea`, a buy link) and three people of its shared code: one who
/// scanned and left, one who read the page and joined, one who clicked buy and bought
/// twice; all folded. Answers the campaign, its channel and the three browsers.
pub async fn three_people(app: &TestApp) -> (Value, Value, [Browser; 3]) {
    let (campaign, channel, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea",
                   "landing": {"cta_url": "https://shop.example.com/tea"}}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let scan = format!("/s/{token}");
    let page = format!("/c/tea?code={token}");

    // Scanned and left.
    let mut passer = Browser::opening(app, "tea").await;
    assert_eq!(passer.get(app, &scan).await.status(), StatusCode::FOUND);
    // Scanned, read the page, joined.
    let mut joiner = Browser::opening(app, "tea").await;
    joiner.get(app, &scan).await;
    joiner.get(app, &page).await;
    join(app, &mut joiner, "", "13812345678").await;
    // Scanned, read, clicked buy, bought twice.
    let mut buyer = Browser::opening(app, "tea").await;
    buyer.get(app, &scan).await;
    buyer.get(app, &page).await;
    let click = buyer.get(app, &format!("/c/tea/go/buy?code={token}")).await;
    assert_eq!(click.status(), StatusCode::FOUND);
    for order in ["T-1", "T-2"] {
        app.create(
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": 12_900, "currency": "CNY",
                   "source": "tmall", "visitor_id": buyer.visitor()}),
        )
        .await;
    }
    for person in [&passer, &joiner, &buyer] {
        visitor_with_scans(app, &person.visitor(), 1).await;
    }
    (campaign, channel, [passer, joiner, buyer])
}

#[tokio::test]
async fn visitors_move_through_the_stages_and_the_report_counts_them_week_by_week() {
    let app = TestApp::spawn_with(|c| c.show_one_time_codes = true).await;
    let (campaign, channel, [passer, joiner, buyer]) = three_people(&app).await;

    let seen = visitor_with_scans(&app, &passer.visitor(), 1).await;
    assert_eq!(seen["stage"], "aware");
    assert_eq!(seen["member_id"], Value::Null);
    let place = &seen["campaigns"][0];
    assert_eq!(place["campaign_id"], campaign["id"]);
    assert_eq!(
        place["channel_id"], channel["id"],
        "the channel of the scan"
    );
    assert_eq!(place["reached"].as_array().unwrap().len(), 1);

    let joined = visitor_with_scans(&app, &joiner.visitor(), 1).await;
    assert_eq!(joined["stage"], "intending");
    assert!(joined["member_id"].is_i64(), "{joined}");
    let bought = visitor_with_scans(&app, &buyer.visitor(), 1).await;
    assert_eq!(bought["stage"], "loyal", "{bought}");
    assert_eq!(bought["purchases"], 2);
    assert_eq!(bought["events"], 2, "the page and the click");
    let reached: Vec<&str> = bought["campaigns"][0]["reached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        reached,
        ["aware", "interested", "considering", "customer", "loyal"],
        "intending was skipped: a purchase counts without it"
    );

    let id = campaign["id"].as_i64().unwrap();
    let report: Value = app
        .get(&format!(
            "/api/v1/reports/stages?campaign_id={id}&tz=%2B08:00"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stages(&report["stages"]), [1, 0, 0, 1, 0, 1], "{report}");
    let channels = report["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0]["channel_id"], channel["id"]);
    assert_eq!(channels[0]["name"], channel["name"]);
    assert_eq!(stages(&channels[0]["stages"]), [1, 0, 0, 1, 0, 1]);
    let weeks = report["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 8, "eight weeks by default");
    for earlier in &weeks[..7] {
        assert_eq!(stages(&earlier["stages"]), [0; 6], "nobody then: {earlier}");
        assert!(earlier["moves"].as_array().unwrap().is_empty());
    }
    let this_week = &weeks[7];
    assert_eq!(stages(&this_week["entered"]), [1, 0, 0, 1, 0, 1]);
    assert_eq!(stages(&this_week["left"]), [0; 6], "all of them are new");
    let moves: Vec<(Value, Value, i64)> = this_week["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["from"].clone(),
                m["to"].clone(),
                m["visitors"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            (Value::Null, json!("aware"), 1),
            (Value::Null, json!("intending"), 1),
            (Value::Null, json!("loyal"), 1)
        ]
    );

    let csv = app
        .get(&format!(
            "/api/v1/reports/stages?campaign_id={id}&weeks=2&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "week,stage,visitors,entered,left");
    assert_eq!(lines.len(), 1 + 2 * 6, "{csv}");
    assert!(lines[12].ends_with(",loyal,1,1,0"), "{csv}");

    // The buyer had scanned, read and clicked a week earlier: last week they were
    // considering, this week they moved on to loyal.
    let week = 7 * 24 * 3_600_000_i64;
    sqlx::query(
        "UPDATE visitors SET first_seen = first_seen - $1, \
         interested_at = interested_at - $1, considering_at = considering_at - $1 \
         WHERE visitor_id = $2",
    )
    .bind(week)
    .bind(buyer.visitor())
    .execute(&app.db().await)
    .await
    .unwrap();
    let moved: Value = app
        .get(&format!("/api/v1/reports/stages?campaign_id={id}&weeks=2"))
        .await
        .json()
        .await
        .unwrap();
    let (last, this) = (&moved["weeks"][0], &moved["weeks"][1]);
    assert_eq!(stages(&last["stages"]), [0, 0, 1, 0, 0, 0], "{moved}");
    assert_eq!(stages(&this["stages"]), [1, 0, 0, 1, 0, 1]);
    assert_eq!(stages(&this["left"]), [0, 0, 1, 0, 0, 0]);
    assert_eq!(stages(&this["entered"]), [1, 0, 0, 1, 0, 1]);
    assert!(
        this["moves"]
            .as_array()
            .unwrap()
            .contains(&json!({"from": "considering", "to": "loyal", "visitors": 1})),
        "{this}"
    );

    let other = app
        .create(
            "/api/v1/channels",
            json!({"name": "Metro", "kind": "poster"}),
        )
        .await;
    let none: Value = app
        .get(&format!(
            "/api/v1/reports/stages?campaign_id={id}&channel_id={}&weeks=1",
            other["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stages(&none["stages"]), [0; 6]);
    assert!(none["channels"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_stages_report_or_visitor_asked_for_wrongly_says_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app.seed(json!({"name": "Tea"}), "shared", 1).await;
    let id = campaign["id"].as_i64().unwrap();
    for (query, status, message) in [
        (
            "weeks=0",
            StatusCode::BAD_REQUEST,
            "weeks: 0 is not from 1 to 53",
        ),
        ("weeks=54", StatusCode::BAD_REQUEST, "from 1 to 53"),
        ("tz=Mars", StatusCode::BAD_REQUEST, "tz:"),
        ("format=xls", StatusCode::BAD_REQUEST, "json or csv"),
        ("channel_id=999", StatusCode::NOT_FOUND, "channel"),
    ] {
        let answer = app
            .get(&format!("/api/v1/reports/stages?campaign_id={id}&{query}"))
            .await;
        assert_error(answer, status, message).await;
    }
    let answer = app.get("/api/v1/reports/stages?campaign_id=999").await;
    assert_error(answer, StatusCode::NOT_FOUND, "campaign").await;
    let answer = app.get("/api/v1/reports/stages").await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    for id in ["nope", "0123456789abcdef0123456789abcdef"] {
        let answer = app.get(&format!("/api/v1/visitors/{id}")).await;
        assert_error(answer, StatusCode::NOT_FOUND, "visitor").await;
    }
}
