//! Recall notices: the codes a notice covers go to its page on every instance within
//! seconds, recorded with outcome `notice`; lifting it restores the campaign; bad ranges
//! and overlaps are refused; who put it up and who lifted it are kept.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error, location};

const SHOP: &str = "https://shop.example/tea";

async fn outcomes(app: &TestApp) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("SELECT outcome FROM scans ORDER BY id")
        .fetch_all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|(o,)| o)
        .collect()
}

fn recall(from: Option<i64>, to: Option<i64>) -> Value {
    json!({
        "from_serial": from, "to_serial": to,
        "title": {"en": "Recall: bottles of lot 7", "zh": "召回：批号 7 的瓶装茶"},
        "text": {"en": "Do not drink it.\n\nBring it back to the store for a refund.",
                 "zh": "请勿饮用。\n\n请带回门店退款。"},
        "url": "https://brand.example/recall"
    })
}

#[tokio::test]
async fn a_notice_sends_the_codes_it_covers_to_its_page_until_it_is_lifted() {
    let app = TestApp::spawn().await;
    let campaign = json!({"name": "Tea", "destination_url": SHOP});
    let (_, _, batch) = app.seed(campaign, "unique", 10).await;
    let codes = app.codes(&batch["id"]).await;
    let token = |serial: usize| codes[serial - 1].1.clone();
    // Cached before the notice: the notice must still win at once.
    assert_eq!(app.scan(&token(4), PHONE).await.status(), StatusCode::FOUND);

    let path = format!("/api/v1/batches/{}/notices", batch["id"]);
    let notice = app.create(&path, recall(Some(3), Some(5))).await;
    assert_eq!(notice["status"], "standing");
    assert_eq!(
        (notice["from_serial"].as_i64(), notice["to_serial"].as_i64()),
        (Some(3), Some(5))
    );
    let page = format!("/notices/{}", notice["id"]);
    for serial in [3, 4, 5] {
        let scan = app.scan(&token(serial), PHONE).await;
        assert_eq!(scan.status(), StatusCode::FOUND);
        assert_eq!(location(&scan), page, "serial {serial}");
    }
    for serial in [2, 6] {
        let scan = app.scan(&token(serial), PHONE).await;
        assert!(location(&scan).starts_with(SHOP), "serial {serial}");
    }
    assert_eq!(
        outcomes(&app).await,
        [
            "destination",
            "notice",
            "notice",
            "notice",
            "destination",
            "destination"
        ]
    );

    // The page, in the visitor's language, with the brand's link.
    let english = app.client.get(app.url(&page)).send().await.unwrap();
    assert_eq!(english.status(), StatusCode::OK);
    let html = english.text().await.unwrap();
    assert!(html.contains("Recall: bottles of lot 7") && html.contains("Bring it back"));
    assert!(html.contains(r#"href="https://brand.example/recall""#));
    let chinese = app
        .client
        .get(app.url(&page))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chinese.contains("召回：批号 7 的瓶装茶") && chinese.contains(r#"lang="zh""#));
    assert!(
        chinese.contains(r#"hreflang="en" lang="en">English</a>"#),
        "the switch names the other language: {chinese}"
    );

    // Lifted: the campaign again, and the notice kept with who lifted it.
    let lift = format!("/api/v1/notices/{}", notice["id"]);
    let lifted = app
        .send_as(Some(API_KEY), Method::DELETE, &lift, None)
        .await;
    assert_eq!(lifted.status(), StatusCode::OK);
    let lifted: Value = lifted.json().await.unwrap();
    assert_eq!(lifted["status"], "lifted");
    assert!(lifted["lifted_by"].is_i64() && lifted["lifted_at"].is_string());
    assert!(location(&app.scan(&token(4), PHONE).await).starts_with(SHOP));
    assert_error(
        app.send_as(Some(API_KEY), Method::DELETE, &lift, None)
            .await,
        StatusCode::CONFLICT,
        "already lifted",
    )
    .await;
    let listed: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["created_by"].is_i64());
    let after = app.client.get(app.url(&page)).send().await.unwrap();
    assert!(
        after
            .text()
            .await
            .unwrap()
            .contains("This notice was lifted on")
    );
}

#[tokio::test]
async fn a_notice_reaches_every_instance_within_five_seconds() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let campaign = json!({"name": "Tea", "destination_url": SHOP});
    // 40 posters of one shared code: the notice covers its one serial.
    let (_, _, batch) = first.seed(campaign, "shared", 40).await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    // The second instance holds the code in its cache.
    assert!(location(&second.scan(&token, PHONE).await).starts_with(SHOP));
    let notice = first
        .create(
            &format!("/api/v1/batches/{}/notices", batch["id"]),
            recall(None, None),
        )
        .await;
    assert_eq!(
        (notice["from_serial"].as_i64(), notice["to_serial"].as_i64()),
        (Some(1), Some(1))
    );
    let put_up = Instant::now();
    loop {
        let went = location(&second.scan(&token, PHONE).await);
        if went == format!("/notices/{}", notice["id"]) {
            break;
        }
        assert!(
            put_up.elapsed() < Duration::from_secs(5),
            "still {went} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn bad_notices_are_refused_with_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, channel, unique) = app.seed(json!({"name": "Tea"}), "unique", 10).await;
    let path = format!("/api/v1/batches/{}/notices", unique["id"]);
    app.create(&path, recall(Some(1), Some(4))).await;
    let cases = [
        (
            recall(Some(4), Some(6)),
            "notice 1 already covers serials 1 to 4",
        ),
        (recall(None, None), "already covers"),
        (recall(Some(0), Some(2)), "serials are 1 to 10"),
        (recall(Some(8), Some(11)), "serials are 1 to 10"),
        (recall(Some(7), Some(6)), "must not be below from_serial"),
        (recall(Some(7), None), "give both from_serial and to_serial"),
        (
            json!({"title": {}, "text": {"en": "x"}}),
            "give a title in English (en), Chinese (zh) or both",
        ),
        (
            json!({"title": {"en": "Recall"}, "text": {"zh": "召回"}}),
            "the same languages",
        ),
        (
            json!({"title": {"en": "Recall"}, "text": {"en": "x"}, "url": "ftp://x"}),
            "url",
        ),
    ];
    for (body, message) in cases {
        assert_error(
            app.post(&path, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )
        .await;
    }
    // Serials 5 to 10 are free.
    app.create(&path, recall(Some(5), Some(10))).await;

    let shared = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "poster", "mode": "shared"}),
        )
        .await;
    assert_error(
        app.post(
            &format!("/api/v1/batches/{}/notices", shared["id"]),
            recall(Some(1), Some(1)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a shared batch is one code",
    )
    .await;
    assert_eq!(
        app.post("/api/v1/batches/999999/notices", recall(None, None))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/notices/999999").await.status(),
        StatusCode::NOT_FOUND
    );
}
