//! The funnel: scans, unique scanners, landing views, clicks, conversions and repeat
//! purchasers for a campaign and its channels, and progress against the team's targets.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error};

/// The `sl_vid` cookie a scan set.
fn visitor_of(scan: &reqwest::Response) -> String {
    scan.headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok()?.strip_prefix("sl_vid="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap()
}

async fn put_targets(app: &TestApp, campaign: &Value, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/campaigns/{}/targets", campaign["id"])))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A page of the campaign seen (or a link followed) by the visitor who scanned `token`.
async fn visit(app: &TestApp, path: &str, visitor: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("user-agent", PHONE)
        .header("cookie", format!("sl_vid={visitor}"))
        .send()
        .await
        .unwrap()
}

/// The campaign's funnel report as JSON.
async fn funnel_of(app: &TestApp, campaign: &Value) -> Value {
    app.get(&format!(
        "/api/v1/reports/funnel?campaign_id={}",
        campaign["id"]
    ))
    .await
    .json()
    .await
    .unwrap()
}

fn step<'a>(steps: &'a Value, name: &str) -> &'a Value {
    steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {steps}"))
}

fn counts(steps: &Value) -> Vec<f64> {
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_f64().unwrap())
        .collect()
}

/// A campaign with a poster channel of three unique codes and a TV channel with one
/// shared code whose print cost 500 cents.
struct Tea {
    campaign: Value,
    poster: Value,
    tokens: Vec<String>,
    tv: Value,
    tv_token: String,
}

async fn tea_on_posters_and_tv(app: &TestApp) -> Tea {
    let (campaign, poster, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea",
                   "landing": {"cta_url": "https://shop.example.com/tea"}}),
            "unique",
            3,
        )
        .await;
    let tv = app
        .create("/api/v1/channels", json!({"name": "TV", "kind": "media"}))
        .await;
    let tv_batch = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": tv["id"], "name": "tv",
                   "mode": "shared", "cost_cents": 500}),
        )
        .await;
    let tokens = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    let tv_token = app.codes(&tv_batch["id"]).await[0].1.clone();
    Tea {
        campaign,
        poster,
        tokens,
        tv,
        tv_token,
    }
}

#[tokio::test]
async fn the_funnel_follows_people_from_scan_to_repeat_purchase() {
    let app = TestApp::spawn().await;
    let Tea {
        campaign,
        poster,
        tokens,
        tv,
        tv_token,
    } = tea_on_posters_and_tv(&app).await;

    // Two people scan the poster's codes and open the page; one clicks buy and buys twice.
    // A third scans the TV code and goes no further; so does the second.
    let buyer = visitor_of(&app.scan(&tokens[0], PHONE).await);
    let looker = visitor_of(&app.scan(&tokens[1], PHONE).await);
    app.scan(&tv_token, PHONE).await;
    // The looker saw the TV spot too: one person, two channels.
    visit(&app, &format!("/s/{tv_token}"), &looker).await;
    visit(&app, &format!("/c/tea?code={}", tokens[0]), &buyer).await;
    visit(&app, &format!("/c/tea?code={}", tokens[1]), &looker).await;
    let click = visit(&app, &format!("/c/tea/go/buy?code={}", tokens[0]), &buyer).await;
    let shop = click.headers()["location"].to_str().unwrap().to_owned();
    let click_id = shop.split("sl_click=").nth(1).unwrap().to_owned();
    for (order, amount, key) in [
        ("F-1", 12_900, json!({"click_id": click_id})),
        ("F-2", 7_100, json!({"visitor_id": buyer})),
    ] {
        let mut body = json!({"order_id": order, "amount_cents": amount, "currency": "CNY"});
        body.as_object_mut()
            .unwrap()
            .extend(key.as_object().unwrap().clone());
        let response = app.post("/api/v1/conversions", body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    let targets = json!({"unique_scanners": 10, "cta_clicks_rate": 0.6, "conversions": 2,
                         "cpa_cents": 800, "roas": 5.0, "revenue_cents": 100_000});
    let response = put_targets(&app, &campaign, targets.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stored: Value = app
        .get(&format!("/api/v1/campaigns/{}/targets", campaign["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored, targets);

    let funnel = funnel_of(&app, &campaign).await;
    let steps = &funnel["steps"];
    assert_eq!(counts(steps), [4.0, 3.0, 2.0, 1.0, 2.0, 1.0], "{funnel}");
    assert_eq!(step(steps, "unique_scanners")["rate"], 0.75);
    assert_eq!(step(steps, "landing_views")["rate"], 0.666667);
    assert_eq!(step(steps, "cta_clicks")["rate"], 0.5);
    assert_eq!(step(steps, "repeat_purchasers")["rate"], 0.5);
    assert!(step(steps, "scans")["rate"].is_null());
    // No end date: the whole target is due now.
    assert!(funnel["run_elapsed"].is_null());
    let unique = step(steps, "unique_scanners");
    assert_eq!(
        (unique["target"].clone(), unique["due"].clone()),
        (json!(10), json!(10.0))
    );
    assert_eq!(unique["behind"], true);
    assert_eq!(step(steps, "cta_clicks")["target_rate"], 0.6);
    assert_eq!(step(steps, "cta_clicks")["behind"], true);
    assert_eq!(step(steps, "conversions")["behind"], false);
    assert!(step(steps, "scans")["behind"].is_null());
    let money = &funnel["money"];
    assert_eq!(money["revenue_cents"], 20_000);
    assert_eq!(money["spend_cents"], 2_000);
    assert_eq!(money["cpa_cents"], 1_000);
    assert_eq!(money["roas"], 10.0);
    assert_eq!(money["behind"], json!(["cpa_cents", "revenue_cents"]));

    let channel = |id: &Value| {
        funnel["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel_id"] == *id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        counts(&channel(&poster["id"])["steps"]),
        [2.0, 2.0, 2.0, 1.0, 2.0, 1.0]
    );
    assert_eq!(
        counts(&channel(&tv["id"])["steps"]),
        [2.0, 2.0, 0.0, 0.0, 0.0, 0.0]
    );
    assert!(step(&channel(&tv["id"])["steps"], "cta_clicks")["rate"].is_null());

    // The same as CSV for a spreadsheet: the campaign's steps, then each channel's.
    let csv = app
        .get(&format!(
            "/api/v1/reports/funnel?campaign_id={}&format=csv",
            campaign["id"]
        ))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = csv.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.contains("funnel-"), "{disposition}");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "channel_id,channel,step,count,rate,target,due,target_rate,behind"
    );
    assert_eq!(lines.len(), 1 + 6 * 3, "{csv}");
    assert_eq!(lines[2], ",campaign,unique_scanners,3.0,0.75,10,10.0,,true");
    assert!(lines[7 + 4].ends_with(",conversions,2.0,2.0,,,,"), "{csv}");
    let channels_csv = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&format=csv",
            campaign["id"]
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        channels_csv.starts_with("channel_id,channel,channel_slug,kind,scans,unique_visitors,"),
        "{channels_csv}"
    );
    assert_eq!(channels_csv.lines().count(), 3);
    let channels: Value = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}",
            campaign["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    // Four channel visitors, three people.
    assert_eq!(channels["total"]["unique_visitors"], 3, "{channels}");

    // Half-way through a run, half of a count target is due.
    let db = app.db().await;
    let now = chrono::Utc::now().timestamp_millis();
    sqlx::query("UPDATE campaigns SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now - 10 * 86_400_000)
        .bind(now + 10 * 86_400_000)
        .bind(campaign["id"].as_i64().unwrap())
        .execute(&db)
        .await
        .unwrap();
    let funnel = funnel_of(&app, &campaign).await;
    let elapsed = funnel["run_elapsed"].as_f64().unwrap();
    assert!((0.49..=0.51).contains(&elapsed), "{elapsed}");
    let due = step(&funnel["steps"], "unique_scanners")["due"]
        .as_f64()
        .unwrap();
    assert!((4.9..=5.1).contains(&due), "{due}");

    // `{}` plans nothing.
    let response = put_targets(&app, &campaign, json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let funnel = funnel_of(&app, &campaign).await;
    assert!(step(&funnel["steps"], "unique_scanners")["behind"].is_null());
    assert_eq!(funnel["money"]["behind"], json!([]));
}

/// Buys through `key` (a `visitor_id` or a `token`) in the campaign's currency.
async fn buy(app: &TestApp, order: &str, key: (&str, &str)) {
    let mut body = json!({"order_id": order, "amount_cents": 1_000, "currency": "CNY"});
    body[key.0] = json!(key.1);
    let response = app.post("/api/v1/conversions", body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_repeat_purchaser_counts_once_for_the_campaign_and_once_in_each_channel_on_their_paths() {
    let app = TestApp::spawn().await;
    let Tea {
        campaign,
        poster,
        tokens,
        tv,
        tv_token,
    } = tea_on_posters_and_tv(&app).await;

    // One person scans a poster code and the TV code and buys twice; another scans a
    // poster code and buys once; a third bottle is bought twice by its code alone.
    let regular = visitor_of(&app.scan(&tokens[0], PHONE).await);
    visit(&app, &format!("/s/{tv_token}"), &regular).await;
    let once = visitor_of(&app.scan(&tokens[1], PHONE).await);
    app.scan(&tokens[2], PHONE).await;
    buy(&app, "R-1", ("visitor_id", &regular)).await;
    buy(&app, "R-2", ("visitor_id", &regular)).await;
    buy(&app, "O-1", ("visitor_id", &once)).await;
    buy(&app, "B-1", ("token", &tokens[2])).await;
    buy(&app, "B-2", ("token", &tokens[2])).await;

    let funnel = funnel_of(&app, &campaign).await;
    assert_eq!(
        step(&funnel["steps"], "repeat_purchasers")["count"],
        2.0,
        "{funnel}"
    );
    let repeat_in = |channel: &Value| {
        let funnels = funnel["channels"].as_array().unwrap();
        let of = funnels
            .iter()
            .find(|c| c["channel_id"] == *channel)
            .unwrap();
        step(&of["steps"], "repeat_purchasers")["count"].clone()
    };
    assert_eq!(repeat_in(&poster["id"]), 2.0, "{funnel}");
    assert_eq!(repeat_in(&tv["id"]), 1.0, "{funnel}");

    // Narrowed to the TV channel, only the person whose paths cross it is left.
    let tv_funnel: Value = app
        .get(&format!(
            "/api/v1/reports/funnel?campaign_id={}&channel_id={}",
            campaign["id"], tv["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        step(&tv_funnel["steps"], "repeat_purchasers")["count"],
        1.0,
        "{tv_funnel}"
    );
}

#[tokio::test]
async fn bad_targets_and_funnels_are_refused_with_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app
        .seed(json!({"name": "Quiet", "slug": "quiet"}), "shared", 1)
        .await;
    for (body, field) in [
        (json!({"unique_scanners": 0}), "unique_scanners"),
        (json!({"conversions": 2_000_000_000_000i64}), "conversions"),
        (json!({"cta_clicks_rate": 0}), "cta_clicks_rate"),
        (json!({"landing_views_rate": 101}), "landing_views_rate"),
        (json!({"roas": -1}), "roas"),
        (json!({"cpa_cents": -5}), "cpa_cents"),
    ] {
        let response = put_targets(&app, &campaign, body.clone()).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    let unknown = put_targets(&app, &campaign, json!({"likes": 5})).await;
    assert_error(unknown, StatusCode::BAD_REQUEST, "likes").await;
    let missing = put_targets(&app, &json!({"id": 999_999}), json!({"scans": 5})).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let refused = app
        .get(&format!(
            "/api/v1/reports/funnel?campaign_id={}&model=best",
            campaign["id"]
        ))
        .await;
    assert_error(refused, StatusCode::BAD_REQUEST, "model").await;
    let refused = app
        .get(&format!(
            "/api/v1/reports/funnel?campaign_id={}&from=2026-02-01&to=2026-01-01",
            campaign["id"]
        ))
        .await;
    assert_error(refused, StatusCode::BAD_REQUEST, "to").await;
    for report in ["funnel", "channels", "batches", "stores", "daily"] {
        let refused = app
            .get(&format!(
                "/api/v1/reports/{report}?campaign_id={}&format=xlsx",
                campaign["id"]
            ))
            .await;
        assert_error(refused, StatusCode::BAD_REQUEST, "format").await;
    }
    let none = app.get("/api/v1/reports/funnel?campaign_id=999999").await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);

    // A campaign with no data answers zeros, not an error.
    let quiet = funnel_of(&app, &campaign).await;
    assert_eq!(counts(&quiet["steps"]), [0.0; 6]);
    assert!(quiet["steps"][1]["rate"].is_null());
    assert_eq!(quiet["money"]["cpa_cents"], Value::Null);

    // After a zero the rate is unknown: a rate target is neither missed nor met.
    let response = put_targets(&app, &campaign, json!({"scans": 5, "cta_clicks_rate": 0.3})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let quiet = funnel_of(&app, &campaign).await;
    assert_eq!(step(&quiet["steps"], "scans")["behind"], true);
    assert!(step(&quiet["steps"], "cta_clicks")["behind"].is_null());
}
