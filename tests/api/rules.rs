//! Redirect rules: the first rule whose conditions all hold sends the scan; no match keeps
//! the campaign's way; a batch's rules come first; every instance follows new rules within
//! seconds; rules that could never match or name what does not exist are refused.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error};

const SHOP: &str = "https://shop.example/tea";
const WECHAT: &str = "https://brand.example/wechat";
const ENGLISH: &str = "https://brand.example/en";
const DESKTOP_PAGE: &str = "https://brand.example/desktop";
const AGAIN: &str = "https://brand.example/welcome-back";
const BATCH: &str = "https://brand.example/this-run";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

async fn scan(app: &TestApp, token: &str, query: &str, agent: &str, language: &str) -> String {
    let answer = app
        .client
        .get(app.url(&format!("/s/{token}{query}")))
        .header("user-agent", agent)
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    answer.headers()["location"].to_str().unwrap().to_owned()
}

async fn put(app: &TestApp, path: &str, rules: Value) -> reqwest::Response {
    app.send_as(
        Some(API_KEY),
        Method::PUT,
        path,
        Some(json!({ "rules": rules })),
    )
    .await
}

#[tokio::test]
async fn the_first_matching_rule_sends_the_scan_and_no_match_keeps_the_campaigns_way() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "unique", 3)
        .await;
    let codes = app.codes(&batch["id"]).await;
    let token = |serial: usize| codes[serial - 1].1.clone();
    let rules = json!([
        {"name": "From WeChat", "if": {"query": {"name": "src", "value": "wechat"}}, "then": {"url": WECHAT}},
        {"if": {"language": ["en"]}, "then": {"url": ENGLISH}},
        {"if": {"device": ["desktop"]}, "then": {"url": DESKTOP_PAGE}},
        {"if": {"scan": "repeat"}, "then": {"url": AGAIN}}
    ]);
    let path = format!("/api/v1/campaigns/{}/rules", campaign["id"]);
    let saved = put(&app, &path, rules.clone()).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let read: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(read["rules"], rules);

    // Item 1's first scan matches nothing; its second is a repeat.
    assert!(
        scan(&app, &token(1), "", PHONE, "zh-CN")
            .await
            .starts_with(SHOP)
    );
    assert_eq!(scan(&app, &token(1), "", PHONE, "zh-CN").await, AGAIN);
    // Earlier rules win over later ones that match too.
    assert_eq!(
        scan(&app, &token(2), "?src=wechat", PHONE, "en-GB").await,
        WECHAT
    );
    assert_eq!(
        scan(&app, &token(2), "", PHONE, "en-GB,zh;q=0.5").await,
        ENGLISH
    );
    assert_eq!(scan(&app, &token(3), "", DESKTOP, "zh").await, DESKTOP_PAGE);
    let outcomes: Vec<(String,)> = sqlx::query_as("SELECT outcome FROM scans ORDER BY id")
        .fetch_all(&app.db().await)
        .await
        .unwrap();
    let outcomes: Vec<&str> = outcomes.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(outcomes, ["destination", "rule", "rule", "rule", "rule"]);

    // A rule may send scans to a recall notice's page.
    let notice = app
        .create(
            &format!("/api/v1/batches/{}/notices", batch["id"]),
            json!({"from_serial": 3, "to_serial": 3, "title": {"en": "Recall"}, "text": {"en": "Bring it back."}}),
        )
        .await;
    let with_notice = json!([{"if": {"query": {"name": "src", "value": "recall"}}, "then": {"notice_id": notice["id"]}}]);
    assert_eq!(put(&app, &path, with_notice).await.status(), StatusCode::OK);
    let page = format!("/notices/{}", notice["id"]);
    assert_eq!(
        scan(&app, &token(1), "?src=recall", PHONE, "zh").await,
        page
    );

    // A batch's rules come before its campaign's; an empty list removes them.
    let batch_path = format!("/api/v1/batches/{}/rules", batch["id"]);
    let everything = json!([{"then": {"url": BATCH}}]);
    assert_eq!(
        put(&app, &batch_path, everything).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        scan(&app, &token(1), "?src=recall", PHONE, "zh").await,
        BATCH
    );
    assert_eq!(
        put(&app, &batch_path, json!([])).await.status(),
        StatusCode::OK
    );
    assert_eq!(put(&app, &path, json!([])).await.status(), StatusCode::OK);
    assert!(
        scan(&app, &token(1), "", PHONE, "zh")
            .await
            .starts_with(SHOP)
    );
    let read: Value = app.get(&batch_path).await.json().await.unwrap();
    assert_eq!(read, json!({"rules": []}));
}

#[tokio::test]
async fn another_instance_follows_new_rules_within_five_seconds() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (campaign, _, batch) = first
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "shared", 1)
        .await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    // The second instance holds the code in memory before the rules change.
    assert!(
        scan(&second, &token, "", PHONE, "zh")
            .await
            .starts_with(SHOP)
    );
    let path = format!("/api/v1/campaigns/{}/rules", campaign["id"]);
    let rules = json!([{"if": {"device": ["mobile"]}, "then": {"url": WECHAT}}]);
    assert_eq!(put(&first, &path, rules).await.status(), StatusCode::OK);
    let started = Instant::now();
    while scan(&second, &token, "", PHONE, "zh").await != WECHAT {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still the old way"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn rules_that_could_never_match_or_name_what_is_not_there_are_refused() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Tea"}), "unique", 2).await;
    let (other, _, other_batch) = app.seed(json!({"name": "Other"}), "unique", 2).await;
    let path = format!("/api/v1/campaigns/{}/rules", campaign["id"]);
    let kept = json!([{"if": {"device": ["tablet"]}, "then": {"url": SHOP}}]);
    assert_eq!(
        put(&app, &path, kept.clone()).await.status(),
        StatusCode::OK
    );
    let foreign_notice = app
        .create(
            &format!("/api/v1/batches/{}/notices", other_batch["id"]),
            json!({"title": {"en": "Recall"}, "text": {"en": "Bring it back."}}),
        )
        .await;
    let too_many: Vec<Value> = (0..51).map(|_| json!({"then": {"url": SHOP}})).collect();
    let refusals = [
        (
            json!([{"if": {"device": []}, "then": {"url": SHOP}}]),
            "rules[0].if.device",
        ),
        (
            json!([{"then": {"url": SHOP}}, {"if": {"time": {"from": "10:00", "to": "10:00"}}, "then": {"url": SHOP}}]),
            "rules[1].if.time",
        ),
        (
            json!([{"if": {"days": ["someday"]}, "then": {"url": SHOP}}]),
            "mon to sun",
        ),
        (
            json!([{"if": {"channel_id": [999]}, "then": {"url": SHOP}}]),
            "there is no channel 999",
        ),
        (
            json!([{"if": {"store_id": [999]}, "then": {"url": SHOP}}]),
            "there is no store 999",
        ),
        (
            json!([{"then": {"notice_id": foreign_notice["id"]}}]),
            "not a notice of this campaign",
        ),
        (
            json!([{"then": {}}]),
            "give one of url, notice_id or variant_id",
        ),
        (json!(too_many), "at most 50 rules"),
    ];
    for (rules, message) in refusals {
        let refused = put(&app, &path, rules).await;
        assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let unknown = put(
        &app,
        &path,
        json!([{"if": {"planet": ["mars"]}, "then": {"url": SHOP}}]),
    )
    .await;
    assert_error(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field `planet`",
    )
    .await;
    let read: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(read["rules"], kept, "a refused list changes nothing");

    let quiet = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Wine", "tracking": "none"}),
        )
        .await;
    let refused = put(
        &app,
        &format!("/api/v1/campaigns/{}/rules", quiet["id"]),
        json!([{"then": {"url": SHOP}}]),
    )
    .await;
    assert_error(refused, StatusCode::CONFLICT, "does not track").await;

    let missing = put(&app, "/api/v1/campaigns/999/rules", json!([])).await;
    assert_error(missing, StatusCode::NOT_FOUND, "campaign").await;
    let missing = app.get("/api/v1/batches/999/rules").await;
    assert_error(missing, StatusCode::NOT_FOUND, "batch").await;
    let _ = (other, batch);
}
