//! Outbound webhooks: an attributed purchase reaches the subscribed endpoint, signed with
//! the secret shown once; a failed attempt stays pending in the log until it is sent again;
//! a disabled webhook gets nothing; endpoints inside the network are refused unless the
//! operator allows them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error, visitor_cookie};

/// An endpoint on this machine that records what it is sent.
#[derive(Clone, Default)]
pub struct Receiver {
    /// (headers, body) of each request, in order.
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// The statuses to answer, in order; 200 once they run out.
    answers: Arc<Mutex<Vec<u16>>>,
    /// How long each answer takes.
    delay: Duration,
}

impl Receiver {
    /// Serves on a free port of this machine; returns the hook's URL.
    pub async fn start(&self, answers: &[u16]) -> String {
        *self.answers.lock().unwrap() = answers.iter().rev().copied().collect();
        let this = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let this = this.clone();
                async move {
                    tokio::time::sleep(this.delay).await;
                    this.got.lock().unwrap().push((headers, body));
                    let status = this.answers.lock().unwrap().pop().unwrap_or(200);
                    AxumStatus::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{address}/hook")
    }

    pub async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..100 {
            if self.got.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.got.lock().unwrap().clone()
    }
}

pub async fn deliveries(app: &TestApp, webhook: &Value) -> Vec<Value> {
    app.get(&format!("/api/v1/webhooks/{}/deliveries", webhook["id"]))
        .await
        .json()
        .await
        .unwrap()
}

/// A person scans the campaign's code and buys with their visitor id as `order`; returns
/// the conversion and the visitor id.
async fn scan_and_buy(app: &TestApp, token: &str, order: &str) -> (Value, String) {
    let scan = app.scan(token, PHONE).await;
    let visitor = visitor_cookie(&scan)
        .trim_start_matches("sl_vid=")
        .to_owned();
    let bought = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": 4_900, "currency": "CNY",
                   "source": "shop", "visitor_id": visitor}),
        )
        .await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    (bought.json().await.unwrap(), visitor)
}

#[tokio::test]
async fn an_attributed_purchase_reaches_the_endpoint_signed_and_a_failure_can_be_sent_again() {
    let receiver = Receiver::default();
    let url = receiver.start(&[500]).await;
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let (campaign, channel, batch) = app
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example/tea"}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();

    let created = app
        .create(
            "/api/v1/webhooks",
            json!({"url": url, "events": ["conversion.attributed", "conversion.attributed"]}),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(created["events"], json!(["conversion.attributed"]));
    assert_eq!(created["status"], "active");
    let listed: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once: {listed}"
    );

    // A purchase nobody's scans led to is not attributed, and tells nobody.
    let stranger = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": "X-0", "amount_cents": 100, "currency": "CNY",
                   "source": "shop", "visitor_id": "nobody-we-know"}),
        )
        .await;
    assert_eq!(stranger.status(), StatusCode::CREATED);
    let (conversion, visitor) = scan_and_buy(&app, &token, "T-1").await;

    // The first attempt is answered 500: logged, and waiting for its retry.
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(headers["x-scanloop-event"], "conversion.attributed");
    assert_eq!(headers["content-type"], "application/json");
    let now = chrono::Utc::now().timestamp();
    let signature = headers["x-scanloop-signature"].to_str().unwrap();
    scanloop::domain::signature::verify(Some(signature), body.as_bytes(), &[&secret], now)
        .expect("signed with the webhook's secret");
    assert!(
        scanloop::domain::signature::verify(Some(signature), b"{}", &[&secret], now).is_err(),
        "the signature covers the body"
    );
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["event"], "conversion.attributed");
    let sent = &payload["conversion"];
    assert_eq!(sent["id"], conversion["id"]);
    assert_eq!(
        (sent["order_id"].as_str(), sent["amount_cents"].as_i64()),
        (Some("T-1"), Some(4_900))
    );
    assert_eq!(sent["campaign_ids"], json!([campaign["id"]]));
    assert_eq!(sent["last_touch"]["channel_id"], channel["id"]);
    assert!(!body.contains(&visitor), "no visitor ids leave: {body}");

    let mut log = Vec::new();
    for _ in 0..50 {
        log = deliveries(&app, &created).await;
        if log.first().is_some_and(|d| d["attempts"] == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log.len(), 1, "{log:?}");
    let delivery = log[0].clone();
    assert_eq!(
        headers["x-scanloop-delivery"].to_str().unwrap(),
        delivery["id"].to_string()
    );
    assert_eq!(
        (delivery["state"].as_str(), delivery["last_status"].as_i64()),
        (Some("pending"), Some(500))
    );
    assert!(delivery["next_attempt_at"].is_string());
    assert_eq!(delivery["payload"], payload);

    // Sent again by hand: delivered.
    let again = app
        .post(
            &format!(
                "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                created["id"], delivery["id"]
            ),
            json!({}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(receiver.wait_for(2).await.len(), 2);
    for _ in 0..50 {
        log = deliveries(&app, &created).await;
        if log[0]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (log[0]["state"].as_str(), log[0]["last_status"].as_i64()),
        (Some("delivered"), Some(200)),
        "{log:?}"
    );
    assert_eq!(log[0]["attempts"], 1);

    // Disabled: the next purchase is not sent, and nothing can be sent again.
    let disabled = app
        .send_as(
            Some(API_KEY),
            Method::DELETE,
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    scan_and_buy(&app, &token, "T-2").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.got.lock().unwrap().len(), 2);
    assert_eq!(deliveries(&app, &created).await.len(), 1);
    assert_error(
        app.post(
            &format!(
                "/api/v1/webhooks/{}/deliveries/{}/redeliver",
                created["id"], delivery["id"]
            ),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "disabled",
    )
    .await;
}

#[tokio::test]
async fn endpoints_inside_the_network_and_unknown_events_are_refused() {
    let app = TestApp::spawn().await;
    for (body, says) in [
        (
            json!({"url": "http://hooks.brand.example/", "events": ["conversion.attributed"]}),
            "https",
        ),
        (
            json!({"url": "https://127.0.0.1:8443/", "events": ["conversion.attributed"]}),
            "not a public address",
        ),
        (
            json!({"url": "https://169.254.169.254/", "events": ["conversion.attributed"]}),
            "not a public address",
        ),
        (
            json!({"url": "https://localhost/", "events": ["conversion.attributed"]}),
            "not a public host",
        ),
        (
            json!({"url": "https://hooks.brand.example/", "events": []}),
            "at least one event",
        ),
        (
            json!({"url": "https://hooks.brand.example/", "events": ["member.left"]}),
            "conversion.attributed",
        ),
    ] {
        assert_error(
            app.post("/api/v1/webhooks", body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            says,
        )
        .await;
    }
    let fine = app
        .create(
            "/api/v1/webhooks",
            json!({"url": "https://hooks.brand.example/in", "events": ["conversion.attributed"]}),
        )
        .await;
    assert_eq!(fine["url"], "https://hooks.brand.example/in");
    assert_error(
        app.get("/api/v1/webhooks/999").await,
        StatusCode::NOT_FOUND,
        "webhook",
    )
    .await;
    assert_error(
        app.get("/api/v1/webhooks/999/deliveries").await,
        StatusCode::NOT_FOUND,
        "webhook",
    )
    .await;
    assert_error(
        app.post(
            &format!("/api/v1/webhooks/{}/deliveries/999/redeliver", fine["id"]),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "delivery",
    )
    .await;
}

#[tokio::test]
async fn two_instances_send_each_delivery_once() {
    // A slow endpoint keeps each delivery in flight while the other instance polls.
    let receiver = Receiver {
        delay: Duration::from_millis(400),
        ..Receiver::default()
    };
    let url = receiver.start(&[]).await;
    let first = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let second =
        TestApp::spawn_on_with(&first.database_url, |c| c.webhook_allow_private = true).await;
    let (_, _, batch) = first
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example/tea"}),
            "shared",
            1,
        )
        .await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    first
        .create(
            "/api/v1/webhooks",
            json!({"url": url, "events": ["conversion.attributed"]}),
        )
        .await;
    let orders = 12;
    for n in 0..orders {
        let app = if n % 2 == 0 { &first } else { &second };
        scan_and_buy(app, &token, &format!("T-{n}")).await;
    }
    let got = receiver.wait_for(orders).await;
    // Both workers poll the same outbox; a little longer shows no second sending.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let got_now = receiver.got.lock().unwrap().len();
    let mut ids: Vec<String> = got
        .iter()
        .map(|(headers, _)| headers["x-scanloop-delivery"].to_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((ids.len(), got_now), (orders, orders));
}

#[tokio::test]
async fn a_day_that_ends_is_summed_up_for_the_webhook_once() {
    const DAY: i64 = 86_400_000;
    let receiver = Receiver::default();
    let url = receiver.start(&[]).await;
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let (campaign, channel, batch) = app
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example/tea"}),
            "shared",
            1,
        )
        .await;
    app.create(
        "/api/v1/webhooks",
        json!({"url": url, "events": ["scans.daily"]}),
    )
    .await;
    // The day before yesterday (yesterday may still be in its grace period just after
    // midnight), and a day long past, which is folded without telling anyone.
    let now = chrono::Utc::now().timestamp_millis();
    let day = now - now.rem_euclid(DAY) - 2 * DAY;
    let pool = app.db().await;
    for (hour, scans) in [(day + 9 * 3_600_000, 7_i64), (day - 8 * DAY, 3)] {
        sqlx::query(
            "INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, \
             store_id, scans, bot_scans, new_visitors) VALUES ($1, $2, 'CN', 'mobile', $3, $4, \
             NULL, $5, 1, 5)",
        )
        .bind(hour)
        .bind(batch["id"].as_i64().unwrap())
        .bind(campaign["id"].as_i64().unwrap())
        .bind(channel["id"].as_i64().unwrap())
        .bind(scans)
        .execute(&pool)
        .await
        .unwrap();
    }
    let db = scanloop::db::Db::connect(&app.database_url).await.unwrap();
    scanloop::jobs::days::catch_up(&db).await;
    receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // The day before yesterday, and yesterday (empty) unless it is still in its grace
    // period; never the day long past.
    let got = receiver.got.lock().unwrap().clone();
    let mut days: Vec<Value> = got
        .iter()
        .map(|(headers, body)| {
            assert_eq!(headers["x-scanloop-event"], "scans.daily");
            serde_json::from_str(body).unwrap()
        })
        .collect();
    assert!((1..=2).contains(&days.len()), "{days:?}");
    // Sent a few at a time, so not necessarily in order.
    days.sort_by_key(|d| d["day"].as_str().unwrap().to_owned());
    let date = chrono::DateTime::from_timestamp_millis(day)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(days[0]["day"], date.as_str(), "{days:?}");
    let row = &days[0]["campaigns"][0];
    assert_eq!(row["campaign_id"], campaign["id"]);
    assert_eq!(row["name"], "Tea");
    assert_eq!(
        (
            row["scans"].as_i64(),
            row["bot_scans"].as_i64(),
            row["new_visitors"].as_i64()
        ),
        (Some(7), Some(1), Some(5))
    );
    if let Some(yesterday) = days.get(1) {
        assert_eq!(yesterday["campaigns"], json!([]), "{yesterday}");
    }
    // Folding again changes nothing and sends nothing.
    scanloop::jobs::days::catch_up(&db).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(receiver.got.lock().unwrap().len(), days.len());
}
