//! Conversions: a purchase is matched to the scans before it by its key, stored with that
//! touch path, and credited on read under the model and window a report asks for.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PHONE, TestApp, assert_error, rfc3339};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The (status, body) of a POST.
async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post(path, body).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The channel report under `query` (model, window, ...).
async fn report(app: &TestApp, campaign: &Value, query: &str) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}{query}",
            campaign["id"]
        ))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The report's row for a channel.
fn row<'a>(report: &'a Value, channel: &Value) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel_id"] == channel["id"])
        .unwrap_or_else(|| panic!("no row for channel {} in {report}", channel["id"]))
}

#[tokio::test]
async fn a_buy_click_then_a_purchase_is_credited_to_the_scanned_channel() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea",
                   "landing": {"cta_url": "https://shop.example.com/tea"}}),
            "unique",
            2,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let scan = app.scan(&token, PHONE).await;
    let visitor = scan
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok()?.strip_prefix("sl_vid="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap();
    let click = app
        .client
        .get(app.url(&format!("/c/tea/go/buy?code={token}")))
        .header("user-agent", PHONE)
        .header("cookie", format!("sl_vid={visitor}"))
        .send()
        .await
        .unwrap();
    let shop = click.headers()["location"].to_str().unwrap().to_owned();
    let click_id = shop.split("sl_click=").nth(1).unwrap().to_owned();

    let order = json!({"order_id": "TM-1001", "amount_cents": 12_900, "currency": "cny",
                       "source": "tmall", "items": 2, "click_id": click_id});
    let (status, conversion) = post(&app, "/api/v1/conversions", order.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{conversion}");
    assert_eq!(conversion["currency"], "CNY");
    assert_eq!(conversion["key"], "click_id");
    assert_eq!(conversion["key_found"], true);
    assert_eq!(conversion["attributed"], true);
    assert_eq!(conversion["campaign_id"], campaign["id"]);
    assert_eq!(conversion["visitor_id"], visitor.as_str());
    let touches = conversion["touches"].as_array().unwrap();
    assert_eq!(touches.len(), 1, "{conversion}");
    assert_eq!(touches[0]["channel_id"], channel["id"]);
    assert_eq!(touches[0]["batch_id"], batch["id"]);
    assert!(touches[0]["scan_id"].is_i64());

    // The same order again changes nothing; with another amount it is refused.
    let (status, again) = post(&app, "/api/v1/conversions", order.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], conversion["id"]);
    let mut changed = order.clone();
    changed["amount_cents"] = json!(13_900);
    let response = app.post("/api/v1/conversions", changed).await;
    assert_error(response, StatusCode::CONFLICT, "cannot change").await;

    let credited = report(&app, &campaign, "").await;
    assert_eq!(credited["currency"], "CNY");
    assert_eq!(
        credited["attribution"],
        json!({"model": "last_touch", "window": "7d", "half_life": "1d"})
    );
    let row = row(&credited, &channel);
    assert_eq!(row["scans"], 1);
    assert_eq!(row["conversions"], 1.0);
    assert_eq!(row["revenue_cents"], 12_900);
    assert_eq!(row["spend_cents"], 1_500);
    assert_eq!(row["cpa_cents"], 1_500);
    assert_eq!(row["roas"], 8.6);
    assert_eq!(row["conversion_rate"], 1.0);
    assert_eq!(credited["total"]["conversions"], 1.0);
    assert_eq!(credited["total"]["unattributed"], 0);

    // A partial refund, then one more than is left, then the rest.
    let refunds = format!("/api/v1/conversions/{}/refunds", conversion["id"]);
    let (status, refund) = post(
        &app,
        &refunds,
        json!({"amount_cents": 2_900, "refund_id": "R1", "reason": "one cup broken"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    let (status, _) = post(
        &app,
        &refunds,
        json!({"amount_cents": 2_900, "refund_id": "R1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a retried refund changes nothing");
    let response = app.post(&refunds, json!({"amount_cents": 10_001})).await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only 10000 cents are left",
    )
    .await;
    let after = report(&app, &campaign, "").await;
    assert_eq!(after["rows"][0]["revenue_cents"], 10_000);
    assert_eq!(after["rows"][0]["refunded_cents"], 2_900);
    let (status, _) = post(&app, &refunds, json!({"amount_cents": 10_000})).await;
    assert_eq!(status, StatusCode::CREATED);
    let after = report(&app, &campaign, "").await;
    assert_eq!(after["rows"][0]["revenue_cents"], 0);
    assert_eq!(after["rows"][0]["refunded_cents"], 12_900);
    let stored: Value = app
        .get(&format!("/api/v1/conversions/{}", conversion["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["refunded_cents"], 12_900);
    assert_eq!(stored["refunds"].as_array().unwrap().len(), 2);
}

/// A campaign with four channels, one shared code each, and one visitor's scans of them
/// written with chosen times (the scan writer stamps the present; these are the past).
struct Scenario {
    app: TestApp,
    campaign: Value,
    channels: Vec<Value>,
}

impl Scenario {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let campaign = app
            .create(
                "/api/v1/campaigns",
                json!({"name": "Windows", "slug": "windows"}),
            )
            .await;
        let mut channels = Vec::new();
        for name in ["metro", "bottle", "store", "tv"] {
            let channel = app
                .create("/api/v1/channels", json!({"name": name, "kind": "other"}))
                .await;
            app.create(
                "/api/v1/batches",
                json!({"campaign_id": campaign["id"], "channel_id": channel["id"],
                       "name": name, "mode": "shared"}),
            )
            .await;
            channels.push(channel);
        }
        Self {
            app,
            campaign,
            channels,
        }
    }

    /// The token of the first channel's code.
    async fn first_token(&self) -> String {
        let db = self.app.db().await;
        sqlx::query_scalar("SELECT token FROM codes ORDER BY id LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap()
    }

    /// A person's scan of channel `channel`'s code at `at`.
    async fn scan_at(&self, channel: usize, visitor: &str, at: i64) {
        let db = self.app.db().await;
        let (code_id, batch_id): (i64, i64) = sqlx::query_as(
            "SELECT c.id, b.id FROM codes c JOIN batches b ON b.id = c.batch_id \
             WHERE b.channel_id = $1",
        )
        .bind(self.channels[channel]["id"].as_i64().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, \
             visitor_id, is_new_visitor, device, is_bot, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 'phone', 0, 'landing')",
        )
        .bind(at)
        .bind(code_id)
        .bind(batch_id)
        .bind(self.campaign["id"].as_i64().unwrap())
        .bind(self.channels[channel]["id"].as_i64().unwrap())
        .bind(visitor.to_owned())
        .execute(&db)
        .await
        .unwrap();
    }

    /// Each channel's credited conversions under `query`.
    async fn credit(&self, query: &str) -> Vec<f64> {
        let report = report(&self.app, &self.campaign, query).await;
        self.channels
            .iter()
            .map(|c| row(&report, c)["conversions"].as_f64().unwrap())
            .collect()
    }

    async fn revenue(&self, query: &str) -> Vec<i64> {
        let report = report(&self.app, &self.campaign, query).await;
        self.channels
            .iter()
            .map(|c| row(&report, c)["revenue_cents"].as_i64().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn every_model_and_window_edge_credits_as_computed_by_hand() {
    let s = Scenario::new().await;
    let bought = now() - HOUR;
    // metro: one second outside a 7-day window, and eight days before: never counted.
    s.scan_at(0, "v1", bought - 7 * DAY - 1_000).await;
    s.scan_at(0, "v1", bought - 8 * DAY).await;
    // bottle: exactly 7 days before (inside); store: 2 days before; tv: 1 hour before.
    s.scan_at(1, "v1", bought - 7 * DAY).await;
    s.scan_at(2, "v1", bought - 2 * DAY).await;
    s.scan_at(3, "v1", bought - HOUR).await;
    // After the purchase: never counted, whatever the window.
    s.scan_at(0, "v1", bought + 1_000).await;
    // Someone else's scan: not on this path.
    s.scan_at(0, "v2", bought - HOUR).await;

    let (status, conversion) = post(
        &s.app,
        "/api/v1/conversions",
        json!({"order_id": "A-1", "amount_cents": 10_000, "currency": "CNY",
               "occurred_at": rfc3339(bought), "visitor_id": "v1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{conversion}");
    assert_eq!(
        conversion["campaign_id"],
        Value::Null,
        "a visitor names no campaign"
    );
    let times: Vec<String> = conversion["touches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["touched_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        times,
        [8 * DAY, 7 * DAY + 1_000, 7 * DAY, 2 * DAY, HOUR].map(|ago| rfc3339(bought - ago)),
        "the path keeps 90 days before the purchase and nothing after"
    );

    assert_eq!(
        s.credit("").await,
        [0.0, 0.0, 0.0, 1.0],
        "last touch, 7 days"
    );
    assert_eq!(s.credit("&model=first_touch").await, [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(
        s.credit("&model=linear").await,
        [0.0, 0.333333, 0.333333, 0.333333]
    );
    assert_eq!(s.revenue("&model=linear").await, [0, 3_334, 3_333, 3_333]);
    assert_eq!(
        s.credit("&model=position_based").await,
        [0.0, 0.4, 0.2, 0.4]
    );
    assert_eq!(
        s.revenue("&model=position_based").await,
        [0, 4_000, 2_000, 4_000]
    );
    // Half-life 24 h: weights 2^-7, 2^-2, 2^(-1/24) over their sum 1.229344...
    assert_eq!(
        s.credit("&model=time_decay").await,
        [0.0, 0.006355, 0.20336, 0.790285]
    );
    // A 2-day window starts exactly at the store scan; 9 days reaches the metro scans.
    assert_eq!(
        s.credit("&model=linear&window=2d").await,
        [0.0, 0.0, 0.5, 0.5]
    );
    assert_eq!(
        s.credit("&model=first_touch&window=9d").await,
        [1.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(
        s.credit("&model=first_touch&window=604801s").await,
        [1.0, 0.0, 0.0, 0.0],
        "a window one second longer than 7 days reaches the metro scan"
    );
    // The campaign's own default applies when the report names none.
    let response = s
        .app
        .client
        .put(s.app.url(&format!(
            "/api/v1/campaigns/{}/attribution",
            s.campaign["id"]
        )))
        .bearer_auth(crate::helpers::API_KEY)
        .json(&json!({"model": "time_decay", "half_life": "2d", "window": "3d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        updated["attribution"],
        json!({"model": "time_decay", "window": "3d", "half_life": "2d"})
    );
    // Weights 2^-1 and 2^(-1/48) over their sum.
    assert_eq!(s.credit("").await, [0.0, 0.0, 0.33655, 0.66345]);
}

#[tokio::test]
async fn keys_that_match_nothing_are_kept_as_unattributed() {
    let s = Scenario::new().await;
    let token = s.first_token().await;
    for (order, key) in [
        (
            "U-1",
            json!({"click_id": "0123456789abcdef0123456789abcdef"}),
        ),
        ("U-2", json!({"visitor_id": "nobody"})),
        ("U-3", json!({"token": "ZZZZZZZZZZZZ"})),
        ("U-4", json!({"store_code": "NO-SUCH-STORE"})),
    ] {
        let mut body = json!({"order_id": order, "amount_cents": 500, "currency": "CNY"});
        body.as_object_mut()
            .unwrap()
            .extend(key.as_object().unwrap().clone());
        let (status, conversion) = post(&s.app, "/api/v1/conversions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{conversion}");
        assert_eq!(conversion["key_found"], false);
        assert_eq!(conversion["attributed"], false);
        assert!(
            conversion["note"]
                .as_str()
                .unwrap()
                .contains("reported as unattributed"),
            "{conversion}"
        );
    }
    // A known code never scanned: the campaign's, but unattributed.
    let (status, conversion) = post(
        &s.app,
        "/api/v1/conversions",
        json!({"order_id": "U-5", "amount_cents": 700, "currency": "CNY",
               "token": token.to_lowercase()}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(conversion["key_found"], true);
    assert_eq!(conversion["key_value"], token.as_str());
    assert_eq!(conversion["campaign_id"], s.campaign["id"]);
    let report = report(&s.app, &s.campaign, "").await;
    assert_eq!(report["total"]["unattributed"], 1);
    assert_eq!(report["total"]["unattributed_revenue_cents"], 700);
    assert_eq!(report["total"]["conversions"], 0.0);
    let unattributed: Value = s
        .app
        .get("/api/v1/conversions?attributed=false")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unattributed["items"].as_array().unwrap().len(), 5);
}

fn refused(status: StatusCode, body: &Value, expected: StatusCode, message_part: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(message_part), "{message:?}");
}

/// Purchases reported at the same moment are recorded a group per transaction: each gets
/// its own answer, an order reported twice at once is recorded once, and one refused in a
/// group leaves the others stored.
#[tokio::test]
async fn purchases_reported_at_once_each_get_their_own_answer() {
    let s = Scenario::new().await;
    let token = s.first_token().await;
    // Visitors who each scanned one channel: their paths are read in one statement with
    // the tokens' and must not be mixed up.
    for n in 0..8 {
        s.scan_at(n % 4, &format!("person-{n}"), now() - HOUR).await;
    }
    let mut bodies = Vec::new();
    for n in 0..8 {
        bodies.push(json!({"order_id": format!("V-{n}"), "amount_cents": 300,
                           "currency": "CNY", "visitor_id": format!("person-{n}")}));
    }
    for n in 0..30 {
        bodies.push(
            json!({"order_id": format!("G-{n}"), "amount_cents": 100 + n,
                           "currency": "CNY", "token": token}),
        );
        bodies.push(
            json!({"order_id": "TWICE", "amount_cents": 500, "currency": "CNY",
                           "token": token}),
        );
    }
    bodies.push(
        json!({"order_id": "TWICE", "amount_cents": 900, "currency": "CNY",
                       "token": token}),
    );
    bodies.push(
        json!({"order_id": "DOLLARS", "amount_cents": 900, "currency": "USD",
                       "token": token}),
    );
    let answers = futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| post(&s.app, "/api/v1/conversions", body.clone())),
    )
    .await;
    let mut ids = std::collections::HashSet::new();
    let twice: Vec<&(StatusCode, Value)> = answers
        .iter()
        .zip(&bodies)
        .filter(|(_, body)| body["order_id"] == "TWICE")
        .map(|(answer, _)| answer)
        .collect();
    let first = twice
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .collect::<Vec<_>>();
    assert_eq!(first.len(), 1, "{twice:?}");
    let (_, winner) = first[0];
    for (status, conversion) in &twice {
        if conversion["amount_cents"] == winner["amount_cents"] {
            assert!(*status == StatusCode::CREATED || *status == StatusCode::OK);
            assert_eq!(conversion["id"], winner["id"]);
        } else {
            refused(*status, conversion, StatusCode::CONFLICT, "refund");
        }
    }
    for ((status, conversion), body) in answers.iter().zip(&bodies) {
        match body["order_id"].as_str().unwrap() {
            "TWICE" => {}
            "DOLLARS" => refused(*status, conversion, StatusCode::UNPROCESSABLE_ENTITY, "CNY"),
            order if order.starts_with("V-") => {
                assert_eq!(*status, StatusCode::CREATED, "{conversion}");
                let n: usize = order[2..].parse().unwrap();
                let touches = conversion["touches"].as_array().unwrap();
                assert_eq!(touches.len(), 1, "{conversion}");
                assert_eq!(touches[0]["channel_id"], s.channels[n % 4]["id"]);
                assert!(ids.insert(conversion["id"].as_i64().unwrap()));
            }
            order => {
                assert_eq!(*status, StatusCode::CREATED, "{conversion}");
                assert_eq!(conversion["order_id"], order);
                assert_eq!(conversion["amount_cents"], body["amount_cents"]);
                assert!(ids.insert(conversion["id"].as_i64().unwrap()));
            }
        }
    }
    let db = s.app.db().await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversions")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 39);
}

#[tokio::test]
async fn bad_conversions_and_refunds_are_refused_with_what_to_fix() {
    let s = Scenario::new().await;
    let base =
        json!({"order_id": "B-1", "amount_cents": 100, "currency": "CNY", "visitor_id": "v"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("amount_cents", json!(-1)), "amount_cents"),
        (
            with("amount_cents", json!(1_000_000_000_001_i64)),
            "amount_cents",
        ),
        (with("currency", json!("yuan")), "three-letter"),
        (with("currency", json!("USD")), "reports in CNY"),
        (
            with("occurred_at", json!(rfc3339(now() + HOUR))),
            "in the future",
        ),
        (
            with("occurred_at", json!(rfc3339(now() - 91 * DAY))),
            "90d ago",
        ),
        (with("source", json!("my shop")), "source"),
        (with("items", json!(0)), "items"),
        (with("order_id", json!("  ")), "order_id"),
        (with("token", json!("ABC")), "only one attribution key"),
        (
            json!({"order_id": "B-2", "amount_cents": 1, "currency": "CNY"}),
            "give one attribution key",
        ),
    ];
    // USD is refused only where a CNY campaign would be credited: give the visitor a scan.
    s.scan_at(0, "v", now() - HOUR).await;
    for (body, message) in cases {
        let response = s.app.post("/api/v1/conversions", body.clone()).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let (status, body) = post(&s.app, "/api/v1/conversions", base).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "nothing was half-stored: {body}"
    );
    let refunds = format!("/api/v1/conversions/{}/refunds", body["id"]);
    for (refund, message) in [
        (json!({"amount_cents": 0}), "from 1"),
        (json!({"amount_cents": 101}), "only 100 cents"),
    ] {
        let response = s.app.post(&refunds, refund).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let (status, _) = post(
        &s.app,
        &refunds,
        json!({"amount_cents": 60, "refund_id": "X"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let response = s
        .app
        .post(&refunds, json!({"amount_cents": 40, "refund_id": "X"}))
        .await;
    assert_error(response, StatusCode::CONFLICT, "different amount").await;
    let response = s
        .app
        .post(
            "/api/v1/conversions/999999/refunds",
            json!({"amount_cents": 1}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "conversion").await;
    let response = s
        .app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&model=best",
            s.campaign["id"]
        ))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "last_touch").await;
    let response = s
        .app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&window=91d",
            s.campaign["id"]
        ))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "window").await;
}

/// `t=...,v1=...` for `body` signed with each of `secrets` at `t`.
fn signature(secrets: &[&str], t: i64, body: &str) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&scanloop::domain::signature::sign(
            secret,
            t,
            body.as_bytes(),
        ));
    }
    header
}

#[tokio::test]
async fn shop_webhooks_are_stored_only_when_their_signature_verifies() {
    let app = TestApp::spawn().await;
    let (status, source) = post(&app, "/api/v1/sources", json!({"name": "Shopify"})).await;
    assert_eq!(status, StatusCode::CREATED, "{source}");
    assert_eq!(source["name"], "shopify");
    let secret = source["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed: Value = app.get("/api/v1/sources").await.json().await.unwrap();
    assert!(
        listed["items"][0].get("secret").is_none(),
        "never listed: {listed}"
    );
    let hook = app.url("/hooks/conversions/shopify");
    let send = |body: String, header: Option<String>| {
        let mut request = app
            .client
            .post(&hook)
            .header("content-type", "application/json");
        if let Some(header) = header {
            request = request.header("x-scanloop-signature", header);
        }
        async move { request.body(body).send().await.unwrap() }
    };
    let body = json!({"order_id": "SH-1", "amount_cents": 4_200, "currency": "CNY",
                      "visitor_id": "someone"})
    .to_string();
    let t = now() / 1000;

    for (header, message) in [
        (None, "send the X-Scanloop-Signature header"),
        (
            Some(signature(&["whsec_wrong"], t, &body)),
            "no v1 signature matches",
        ),
        (
            Some(signature(&[&secret], t - 301, &body)),
            "tolerance 300 s",
        ),
        (Some("t=1,v1=xyz".to_owned()), "must be t="),
    ] {
        let response = send(body.clone(), header).await;
        assert_error(response, StatusCode::UNAUTHORIZED, message).await;
    }
    let tampered = body.replace("4200", "1");
    let response = send(tampered, Some(signature(&[&secret], t, &body))).await;
    assert_error(
        response,
        StatusCode::UNAUTHORIZED,
        "no v1 signature matches",
    )
    .await;
    let all: Value = app.get("/api/v1/conversions").await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 0, "nothing stored");

    let response = send(body.clone(), Some(signature(&[&secret], t, &body))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["source"], "shopify");
    // The same request replayed within the tolerance records nothing new.
    let response = send(body.clone(), Some(signature(&[&secret], t, &body))).await;
    assert_eq!(response.status(), StatusCode::OK);

    // A rotation: the shop signs with both while it switches; the old one alone still
    // works for a day.
    let (status, rotated) = post(
        &app,
        &format!("/api/v1/sources/{}/rotate", source["id"]),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let second = body.replace("SH-1", "SH-2");
    let response = send(
        second.clone(),
        Some(signature(&[&secret, &new_secret], t, &second)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let third = body.replace("SH-1", "SH-3");
    let response = send(third.clone(), Some(signature(&[&secret], t, &third))).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let other = body.replace("\"currency\"", "\"source\":\"jd\",\"currency\"");
    let response = send(other.clone(), Some(signature(&[&new_secret], t, &other))).await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "signed for \"shopify\"",
    )
    .await;
    let response = app
        .client
        .post(app.url("/hooks/conversions/nobody"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "source").await;
}

/// POSTs a CSV to the import and returns (status, body).
async fn import(app: &TestApp, csv: String) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/conversions/import"))
        .bearer_auth(crate::helpers::API_KEY)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

#[tokio::test]
async fn a_till_import_says_what_became_of_every_row() {
    let s = Scenario::new().await;
    let store = s
        .app
        .create(
            "/api/v1/stores",
            json!({"name": "Jing'an", "code": "SH-001"}),
        )
        .await;
    let bought = now() - HOUR;
    let csv = format!(
        "\u{feff}order_id,Amount_Cents,currency,occurred_at,source,store_code,items\n\
         P-1,1990,CNY,{t},pos,SH-001,1\n\
         P-2,2990,CNY,{t},pos,SH-001,\n\
         P-1,1990,CNY,{t},pos,SH-001,1\n\
         P-3,12.5,CNY,{t},pos,SH-001,1\n\
         P-4,-5,CNY,{t},pos,SH-001,1\n\
         \"P-5, with a comma\",100,CNY,,pos,SH-001,2\n\
         P-6,100,CNY,{t},pos\n\
         P-7,100,USD,{t},pos,SH-001,1\n\
         P-1,2000,CNY,{t},pos,SH-001,1\n",
        t = rfc3339(bought)
    );
    let (status, answer) = import(&s.app, csv).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let rows = answer["rows"].as_array().unwrap();
    let results: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        results,
        [
            (2, "accepted"),
            (3, "accepted"),
            (4, "duplicate"),
            (5, "rejected"),
            (6, "rejected"),
            (7, "accepted"),
            (8, "rejected"),
            (9, "accepted"),
            (10, "rejected"),
        ],
        "{answer}"
    );
    assert_eq!(rows[2]["conversion_id"], rows[0]["conversion_id"]);
    assert!(
        rows[3]["error"]
            .as_str()
            .unwrap()
            .contains("not a whole number")
    );
    assert!(rows[4]["error"].as_str().unwrap().contains("amount_cents"));
    assert!(
        rows[6]["error"]
            .as_str()
            .unwrap()
            .contains("give one attribution key")
    );
    assert!(rows[8]["error"].as_str().unwrap().contains("cannot change"));
    // A store with no scans: USD names no CNY campaign, so it is kept, unattributed.
    assert_eq!(rows[7]["attributed"], false);
    assert_eq!(
        (
            answer["accepted"].as_i64(),
            answer["duplicates"].as_i64(),
            answer["rejected"].as_i64()
        ),
        (Some(4), Some(1), Some(4))
    );
    assert!(answer.get("aborted").is_none());
    let p5: Value = s
        .app
        .get(&format!("/api/v1/conversions/{}", rows[5]["conversion_id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p5["order_id"], "P-5, with a comma");
    assert_eq!(p5["key"], "store_code");
    assert_eq!(p5["key_value"], store["code"]);
    assert_eq!(p5["items"], 2);

    for (csv, message) in [
        (
            "order_id,currency\nP,CNY\n",
            "missing the column amount_cents",
        ),
        (
            "amount,currency\n1,CNY\n",
            "missing the columns order_id, amount_cents",
        ),
        (
            "order_id,amount_cents,currency,colour\n",
            "unknown column colour",
        ),
        ("order_id,amount_cents,currency,currency\n", "appears twice"),
        ("", "missing the columns order_id, amount_cents, currency"),
    ] {
        let response = s
            .app
            .client
            .post(s.app.url("/api/v1/conversions/import"))
            .bearer_auth(crate::helpers::API_KEY)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
}

#[tokio::test]
async fn an_import_larger_than_any_request_body_limit_is_streamed() {
    let app = TestApp::spawn().await;
    let mut csv = String::from("order_id,amount_cents,currency,visitor_id\n");
    for i in 0..3_000 {
        csv.push_str(&format!("BULK-{i:06},{},CNY,visitor-{}\n", 100 + i, i % 50));
    }
    assert!(csv.len() > 64 * 1024);
    let (status, answer) = import(&app, csv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["accepted"], 3_000, "{}", answer["aborted"]);
    assert_eq!(answer["rows"][2_999]["line"], 3_001);
}

#[tokio::test]
async fn spend_cut_by_a_report_range_counts_its_days_share() {
    let s = Scenario::new().await;
    let metro = &s.channels[0];
    let (status, entry) = post(
        &s.app,
        "/api/v1/spend",
        json!({"campaign_id": s.campaign["id"], "channel_id": metro["id"], "from": "2026-11-01",
               "to": "2026-11-10", "amount_cents": 300_000, "currency": "CNY",
               "note": "metro line 2, ten days"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(
        entry["to"], "2026-11-11T00:00:00.000Z",
        "a date counts the whole day"
    );
    let spend = |query: &'static str| {
        let s = &s;
        async move {
            let report = report(&s.app, &s.campaign, query).await;
            row(&report, &s.channels[0])["spend_cents"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(spend("").await, 300_000, "the whole period");
    assert_eq!(
        spend("&from=2026-11-05&to=2026-11-08").await,
        90_000,
        "3 of 10 days"
    );
    assert_eq!(
        spend("&from=2026-11-10T12:00:00Z&to=2026-12-01").await,
        15_000,
        "half of the last day"
    );
    assert_eq!(spend("&from=2026-12-01&to=2026-12-02").await, 0);

    let bad = [
        (
            json!({"from": "2026-11-10", "to": "2026-11-01"}),
            "after from",
        ),
        (json!({"amount_cents": 0}), "amount_cents"),
        (json!({"currency": "USD"}), "reports in CNY"),
        (json!({"campaign_id": 999_999}), "campaign_id"),
    ];
    for (change, message) in bad {
        let mut body = json!({"campaign_id": s.campaign["id"], "channel_id": metro["id"],
            "from": "2026-11-01", "to": "2026-11-10", "amount_cents": 1, "currency": "CNY"});
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let response = s.app.post("/api/v1/spend", body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let listed: Value = s
        .app
        .get(&format!("/api/v1/spend?campaign_id={}", s.campaign["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let response = s
        .app
        .client
        .delete(s.app.url(&format!("/api/v1/spend/{}", entry["id"])))
        .bearer_auth(crate::helpers::API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(spend("").await, 0);
}

#[tokio::test]
async fn a_till_purchase_is_credited_to_the_store_and_its_batch() {
    let app = TestApp::spawn().await;
    let (campaign, channel, poster) = app
        .seed(json!({"name": "Shelf", "slug": "shelf"}), "shared", 1)
        .await;
    let store = app
        .create(
            "/api/v1/stores",
            json!({"name": "Jing'an", "code": "SH-001", "city": "Shanghai"}),
        )
        .await;
    let shelf = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "store_id": store["id"],
                   "name": "shelf talkers", "mode": "shared", "cost_cents": 8_000}),
        )
        .await;
    let shelf_token = app.codes(&shelf["id"]).await[0].1.clone();
    let poster_token = app.codes(&poster["id"]).await[0].1.clone();
    for token in [&poster_token, &shelf_token, &shelf_token] {
        assert_eq!(app.scan(token, PHONE).await.status(), StatusCode::FOUND);
    }
    let (status, conversion) = post(
        &app,
        "/api/v1/conversions",
        json!({"order_id": "POS-9", "amount_cents": 4_000, "currency": "CNY", "source": "pos",
               "store_code": "SH-001"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{conversion}");
    assert_eq!(
        conversion["touches"].as_array().unwrap().len(),
        2,
        "the store's two scans"
    );

    let stores = report_of(&app, "stores", &campaign, "&model=linear").await;
    let rows = stores["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{stores}");
    assert_eq!(rows[0]["code"], "SH-001");
    assert_eq!(rows[0]["scans"], 2);
    assert_eq!(rows[0]["conversions"], 1.0);
    assert_eq!(rows[0]["revenue_cents"], 4_000);
    assert_eq!(rows[0]["spend_cents"], 8_000);
    assert_eq!(rows[0]["roas"], 0.5);
    assert_eq!(rows[0]["conversions_per_scan"], 0.5);

    let batches = report_of(&app, "batches", &campaign, "").await;
    let by_id = |id: &Value| {
        batches["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == *id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&poster["id"])["scans"], 1);
    assert_eq!(by_id(&poster["id"])["conversions"], 0.0, "not a store scan");
    assert_eq!(by_id(&shelf["id"])["conversions"], 1.0);
    assert_eq!(by_id(&shelf["id"])["cpa_cents"], 8_000);
    assert_eq!(batches["total"]["spend_cents"], 9_500);
    assert_eq!(batches["total"]["revenue_cents"], 4_000);
    // Each scan came without a cookie: a person each.
    assert_eq!(by_id(&poster["id"])["unique_visitors"], 1);
    assert_eq!(by_id(&shelf["id"])["unique_visitors"], 2);
    assert_eq!(batches["total"]["unique_visitors"], 3);
    assert_eq!(rows[0]["unique_visitors"], 2);

    // One more person scans the poster and then the shelf: one of each batch's people,
    // and one of the campaign's. Their people are folded a moment after the scans.
    let first = app.scan(&poster_token, PHONE).await;
    let cookie = crate::helpers::visitor_cookie(&first);
    let again = app
        .client
        .get(app.url(&format!("/s/{shelf_token}")))
        .header("user-agent", PHONE)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FOUND);
    let mut batches = Value::Null;
    for _ in 0..100 {
        batches = report_of(&app, "batches", &campaign, "").await;
        if batches["total"]["unique_visitors"] == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let people: Vec<&Value> = batches["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["unique_visitors"])
        .collect();
    assert_eq!(people, [&json!(2), &json!(3)], "{batches}");
    assert_eq!(batches["total"]["unique_visitors"], 4, "{batches}");
    let stores = report_of(&app, "stores", &campaign, "").await;
    assert_eq!(stores["rows"][0]["unique_visitors"], 3);
    let of_country = report_of(&app, "batches", &campaign, "&country=CN").await;
    assert!(of_country["rows"][0]["unique_visitors"].is_null());
    assert!(of_country["total"].get("unique_visitors").is_none());
}

async fn report_of(app: &TestApp, kind: &str, campaign: &Value, query: &str) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/reports/{kind}?campaign_id={}{query}",
            campaign["id"]
        ))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn days_are_the_report_zones_days() {
    let s = Scenario::new().await;
    let today = now() - now().rem_euclid(DAY);
    // Yesterday 15:59:59 UTC is 23:59:59 in Shanghai; a second later it is today there.
    let late = today - DAY + 16 * HOUR - 1_000;
    let midnight_shanghai = late + 1_000;
    s.scan_at(3, "v1", late - HOUR).await;
    for (order, at, amount) in [("D-1", late, 1_000), ("D-2", midnight_shanghai, 2_000)] {
        let (status, body) = post(
            &s.app,
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": amount, "currency": "CNY",
                   "occurred_at": rfc3339(at), "visitor_id": "v1"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let date = |ms: i64| rfc3339(ms)[..10].to_owned();
    let days = |report: &Value| -> Vec<(String, i64)> {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["label"].as_str().unwrap().to_owned(),
                    r["revenue_cents"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let utc = report_of(&s.app, "daily", &s.campaign, "").await;
    assert_eq!(utc["tz"], "+00:00");
    assert_eq!(
        days(&utc),
        [(date(late), 3_000)],
        "both are yesterday in UTC"
    );
    let shanghai = report_of(&s.app, "daily", &s.campaign, "&tz=%2B08:00").await;
    assert_eq!(shanghai["tz"], "+08:00");
    assert_eq!(
        days(&shanghai),
        [(date(late), 1_000), (date(today), 2_000)],
        "in Shanghai the second is today"
    );
    // A plain date starts at the zone's midnight: today in Shanghai began at 16:00 UTC.
    let query = format!("&tz=%2B08:00&from={}", date(today));
    let from_today = report_of(&s.app, "daily", &s.campaign, &query).await;
    assert_eq!(days(&from_today), [(date(today), 2_000)]);
    assert_eq!(from_today["total"]["revenue_cents"], 2_000);
    let response = s
        .app
        .get(&format!(
            "/api/v1/reports/daily?campaign_id={}&tz=%2B05:30",
            s.campaign["id"]
        ))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "whole hours").await;
}

#[tokio::test]
async fn a_path_across_two_campaigns_shares_its_credit_between_them() {
    let s = Scenario::new().await;
    let (other, other_channel, other_batch) = s
        .app
        .seed(json!({"name": "Other", "slug": "other"}), "shared", 1)
        .await;
    let bought = now() - HOUR;
    s.scan_at(0, "v1", bought - 3 * HOUR).await;
    {
        let db = s.app.db().await;
        let code: i64 = sqlx::query_scalar("SELECT id FROM codes WHERE batch_id = $1")
            .bind(other_batch["id"].as_i64().unwrap())
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, \
             visitor_id, is_new_visitor, device, is_bot, outcome) \
             VALUES ($1, $2, $3, $4, $5, 'v1', 0, 'phone', 0, 'landing')",
        )
        .bind(bought - 2 * HOUR)
        .bind(code)
        .bind(other_batch["id"].as_i64().unwrap())
        .bind(other["id"].as_i64().unwrap())
        .bind(other_channel["id"].as_i64().unwrap())
        .execute(&db)
        .await
        .unwrap();
    }
    let (status, body) = post(
        &s.app,
        "/api/v1/conversions",
        json!({"order_id": "X-1", "amount_cents": 1_001, "currency": "CNY",
               "occurred_at": rfc3339(bought), "visitor_id": "v1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ours = report(&s.app, &s.campaign, "&model=linear").await;
    let theirs = report(&s.app, &other, "&model=linear").await;
    assert_eq!(ours["total"]["conversions"], 0.5);
    assert_eq!(theirs["total"]["conversions"], 0.5);
    assert_eq!(
        ours["total"]["revenue_cents"].as_i64().unwrap()
            + theirs["total"]["revenue_cents"].as_i64().unwrap(),
        1_001,
        "the cent left over goes to one of them, not both"
    );
    let last = report(&s.app, &s.campaign, "").await;
    assert_eq!(
        last["total"]["conversions"], 0.0,
        "the other campaign's scan was the last"
    );
    let last = report(&s.app, &other, "").await;
    assert_eq!(last["total"]["conversions"], 1.0);
}

#[tokio::test]
async fn purchases_at_a_busy_store_keep_their_whole_paths() {
    // 60 till purchases at a store with 150 scans: each path keeps its latest 100 touches,
    // and the writer's groups insert thousands of touches at once.
    let s = Scenario::new().await;
    let store = s
        .app
        .create(
            "/api/v1/stores",
            json!({"name": "Busy corner", "code": "BUSY"}),
        )
        .await;
    let db = s.app.db().await;
    let batch: i64 = sqlx::query_scalar("SELECT id FROM batches WHERE channel_id = $1")
        .bind(s.channels[2]["id"].as_i64().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE batches SET store_id = $1 WHERE id = $2")
        .bind(store["id"].as_i64().unwrap())
        .bind(batch)
        .execute(&db)
        .await
        .unwrap();
    for i in 0..150_i64 {
        sqlx::query(
            "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, \
             store_id, visitor_id, is_new_visitor, device, is_bot, outcome) \
             SELECT $1, c.id, b.id, b.campaign_id, b.channel_id, b.store_id, $2, 0, 'phone', \
             0, 'landing' FROM codes c JOIN batches b ON b.id = c.batch_id WHERE b.id = $3",
        )
        .bind(now() - 2 * HOUR + i * 1_000)
        .bind(format!("v{i}"))
        .bind(batch)
        .execute(&db)
        .await
        .unwrap();
    }
    // The scans are folded into touches before the purchases come.
    for _ in 0..100 {
        let folded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM touches")
            .fetch_one(&db)
            .await
            .unwrap();
        if folded == 150 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut csv = String::from("order_id,amount_cents,currency,source,store_code\n");
    for i in 0..60 {
        csv.push_str(&format!("TILL-{i},1000,CNY,pos,BUSY\n"));
    }
    let (status, answer) = import(&s.app, csv).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 60, "{answer}");
    let touches: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversion_touches")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(touches, 60 * scanloop::db::MAX_TOUCHES);
}
