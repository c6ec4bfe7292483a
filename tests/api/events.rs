//! Events: the landing view and each call-to-action click are stored against the visitor
//! of the scan and the code it scanned (so against its channel, batch and store), and the
//! buy-online click hands the shop a click id that is stored before the redirect.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{PHONE, TestApp, location, metrics};

fn cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sl_vid="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Stored events as (kind, action, channel, batch, code, visitor, bot, click id), oldest
/// first, once there are `expected` of them (views are stored just after the page).
async fn events(
    app: &TestApp,
    expected: usize,
) -> Vec<(
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<String>,
)> {
    let db = app.db().await;
    for _ in 0..100 {
        let rows = sqlx::query(
            "SELECT kind, action, channel_id, batch_id, code_id, visitor_id, is_bot, click_id \
             FROM events ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        if rows.len() >= expected {
            return rows
                .iter()
                .map(|r| {
                    (
                        r.get(0),
                        r.get(1),
                        r.get(2),
                        r.get(3),
                        r.get(4),
                        r.get(5),
                        r.get(6),
                        r.get(7),
                    )
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {expected} events were stored");
}

async fn seed(app: &TestApp) -> (Value, Value, String) {
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea", "landing": {
                "cta_url": "https://shop.example.com/tea?ref=qr#buy",
                "join_url": "https://club.example.com/"}}),
            "unique",
            3,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    (campaign, batch, token)
}

#[tokio::test]
async fn a_scan_then_a_view_then_a_buy_click_are_one_visitors_path_with_a_click_id() {
    let app = TestApp::spawn().await;
    let (_, batch, token) = seed(&app).await;
    let scan = app.scan(&token, PHONE).await;
    let visitor = cookie(&scan).expect("a new visitor gets a cookie");
    let landing = location(&scan);
    assert_eq!(landing, format!("/c/tea?code={token}"));

    let with_cookie = |path: &str| {
        app.client
            .get(app.url(path))
            .header("user-agent", PHONE)
            .header("cookie", format!("sl_vid={visitor}"))
    };
    let page = with_cookie(&landing).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "private, no-cache");
    assert!(
        cookie(&page).is_none(),
        "a known visitor keeps their cookie"
    );
    let html = page.text().await.unwrap();
    let buy = format!("/c/tea/go/buy?code={token}");
    assert!(html.contains(&format!(r#"href="{buy}""#)), "{html}");
    assert!(html.contains(&format!(r#"href="/c/tea/go/join?code={token}""#)));
    assert!(
        html.contains(&format!(r#"href="?code={token}&#38;lang=zh""#)),
        "{html}"
    );
    assert!(!html.contains("/go/stores"), "no store finder, no button");

    let click = with_cookie(&buy).send().await.unwrap();
    assert_eq!(click.status(), StatusCode::FOUND);
    let shop = location(&click);
    let click_id = shop
        .strip_prefix("https://shop.example.com/tea?ref=qr&sl_click=")
        .and_then(|rest| rest.strip_suffix("#buy"))
        .unwrap_or_else(|| panic!("{shop}"))
        .to_owned();
    assert_eq!(click_id.len(), 32);

    let stored = events(&app, 2).await;
    let code_id: i64 = {
        let db = app.db().await;
        sqlx::query_scalar("SELECT id FROM codes WHERE token = $1")
            .bind(&token)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let batch_id = batch["id"].as_i64();
    let channel_id = batch["channel_id"].as_i64();
    assert_eq!(
        stored,
        [
            (
                "view".into(),
                None,
                channel_id,
                batch_id,
                Some(code_id),
                Some(visitor.clone()),
                0,
                None
            ),
            (
                "click".into(),
                Some("buy".into()),
                channel_id,
                batch_id,
                Some(code_id),
                Some(visitor.clone()),
                0,
                Some(click_id)
            ),
        ]
    );
    let text = metrics(&app).await;
    assert!(
        text.contains(r#"scanloop_events_total{kind="click",action="buy"} 1"#),
        "{text}"
    );

    let db = app.db().await;
    let (views, clicks): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(CASE WHEN kind = 'view' THEN events ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN kind = 'click' THEN events ELSE 0 END) AS BIGINT) \
         FROM event_rollups WHERE batch_id = $1",
    )
    .bind(batch_id.unwrap())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((views, clicks), (1, 1));
}

#[tokio::test]
async fn a_visit_without_a_cookie_or_a_code_is_recorded_and_given_a_cookie() {
    let app = TestApp::spawn().await;
    let (_, _, token) = seed(&app).await;
    let other = app
        .seed(json!({"name": "Other", "slug": "other"}), "shared", 1)
        .await
        .2;
    let other_token = app.codes(&other["id"]).await[0].1.clone();
    let page = app
        .client
        .get(app.url(&format!("/c/tea?code={other_token}")))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    let visitor = cookie(&page).expect("the cookie is set on the spot");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"href="/c/tea/go/buy""#),
        "another campaign's code is not passed on"
    );

    let join = app
        .client
        .get(app.url("/c/tea/go/join"))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(join.status(), StatusCode::FOUND);
    assert_eq!(
        location(&join),
        "https://club.example.com/",
        "only the buy link gets a click id"
    );
    let second_visitor = cookie(&join).expect("a click without a cookie gets one");

    let bot = app
        .client
        .head(app.url(&format!("/c/tea?code={}", token.to_lowercase())))
        .send()
        .await
        .unwrap();
    assert_eq!(bot.status(), StatusCode::OK);
    assert!(cookie(&bot).is_none(), "bots get no cookie");

    let stored = events(&app, 3).await;
    assert_eq!(stored[0].2, None, "no channel without this campaign's code");
    assert_eq!(stored[0].5, Some(visitor));
    assert_eq!(
        (
            stored[1].1.as_deref(),
            stored[1].5.clone(),
            stored[1].7.clone()
        ),
        (Some("join"), Some(second_visitor), None)
    );
    assert_eq!(
        (stored[2].4.is_some(), stored[2].5.clone(), stored[2].6),
        (true, None, 1),
        "the bot's view, with its code"
    );
}

#[tokio::test]
async fn unknown_or_missing_calls_to_action_are_friendly_not_found_pages() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    for path in ["/c/tea/go/stores", "/c/tea/go/nothing", "/c/nope/go/buy"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(r#"<html lang="zh">"#)
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let db = app.db().await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, 0, "a failed click records nothing");
}
