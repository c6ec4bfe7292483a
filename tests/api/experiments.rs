//! A/B landing experiments: each person keeps one variant on their scans, the landing page
//! and its clicks; purchases count for their buyer's variant; the report judges the
//! variants with the sequential test; stopping sends everyone to a winner (or back to the
//! campaign), by hand, at the end date, or by itself; bad experiments are refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error, location, rfc3339, visitor_cookie};

const SHOP: &str = "https://shop.example/tea";
const SHOP_A: &str = "https://shop.example/tea-a";
const SHOP_B: &str = "https://shop.example/tea-b";
const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

struct Person {
    cookie: String,
    /// Where their first scan went.
    went: String,
}

/// A phone's scan, which must be redirected.
async fn scan_with(app: &TestApp, token: &str, cookie: Option<&str>) -> reqwest::Response {
    let answer = app.scan_as(token, cookie).await;
    assert_eq!(answer.status(), StatusCode::FOUND);
    answer
}

async fn people(app: &TestApp, token: &str, count: usize) -> Vec<Person> {
    let mut people = Vec::with_capacity(count);
    for _ in 0..count {
        let answer = scan_with(app, token, None).await;
        people.push(Person {
            went: location(&answer),
            cookie: visitor_cookie(&answer),
        });
    }
    people
}

async fn page_as(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("user-agent", PHONE)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn buy(app: &TestApp, order: &str, person: &Person, cents: i64) {
    let visitor = person.cookie.strip_prefix("sl_vid=").unwrap();
    let response = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": cents, "currency": "CNY",
                   "source": "shop", "visitor_id": visitor}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The "Tea" campaign (slug `tea`, destination `SHOP`) with one shared code, and the
/// experiment `body` started on it: (campaign, token, experiment).
async fn tea_with(app: &TestApp, body: Value) -> (Value, String, Value) {
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea", "destination_url": SHOP}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let path = format!("/api/v1/campaigns/{}/experiments", campaign["id"]);
    let experiment = app.create(&path, body).await;
    (campaign, token, experiment)
}

#[tokio::test]
async fn people_keep_their_variant_and_the_report_judges_the_variants_on_purchases() {
    let app = TestApp::spawn().await;
    let (campaign, token, experiment) = tea_with(
        &app,
        json!({"name": "Shop or story", "min_sample": 20, "variants": [
                {"name": "Shop", "weight": 50, "destination_url": SHOP_A},
                {"name": "Story", "weight": 50,
                 "landing": {"title": "Brewed slowly", "cta_url": SHOP_B}}]}),
    )
    .await;
    assert_eq!(experiment["status"], "running");
    let variants = experiment["variants"].as_array().unwrap();
    assert_eq!(variants[0]["control"], true);
    let (a, b) = (variants[0]["id"].clone(), variants[1]["id"].clone());

    // 80 new people: each goes to the shop (A, tagged as the campaign's destination is) or
    // to the landing page (B), and keeps it on a second scan.
    let people = people(&app, &token, 80).await;
    let is_b = |p: &Person| p.went.starts_with("/c/tea?code=");
    for p in &people {
        assert!(
            is_b(p) || p.went.starts_with(&format!("{SHOP_A}?utm_source=")),
            "{}",
            p.went
        );
    }
    for p in people.iter().take(10) {
        assert_eq!(
            location(&scan_with(&app, &token, Some(&p.cookie)).await),
            p.went
        );
    }
    let (group_b, group_a): (Vec<&Person>, Vec<&Person>) = people.iter().partition(|p| is_b(p));
    assert!(
        group_a.len() >= 20 && group_b.len() >= 20,
        "{} {}",
        group_a.len(),
        group_b.len()
    );

    // B's page says B's words, and its buy button leads to B's shop with a click id.
    for p in &group_b {
        let page = page_as(&app, &p.went, &p.cookie)
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Brewed slowly"), "{page}");
        let click = page_as(&app, &format!("/c/tea/go/buy?code={token}"), &p.cookie).await;
        assert!(location(&click).starts_with(&format!("{SHOP_B}?sl_click=")));
    }
    // A bot sees the control and counts for no variant.
    assert!(location(&app.scan(&token, BOT).await).starts_with(SHOP_A));

    // Every B person buys, nobody from A; one B purchase is half refunded.
    for (i, p) in group_b.iter().enumerate() {
        buy(&app, &format!("B-{i}"), p, 1_000).await;
    }
    let first: Value = app
        .get("/api/v1/conversions?limit=1")
        .await
        .json()
        .await
        .unwrap();
    let refund_of = first["items"][0]["id"].clone();
    let refunded = app
        .post(
            &format!("/api/v1/conversions/{refund_of}/refunds"),
            json!({"amount_cents": 500}),
        )
        .await;
    assert_eq!(refunded.status(), StatusCode::CREATED);

    let id = &experiment["id"];
    let (status, report) =
        json_of(app.get(&format!("/api/v1/experiments/{id}/report")).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (ra, rb) = (&report["variants"][0], &report["variants"][1]);
    assert_eq!((&ra["id"], &rb["id"]), (&a, &b));
    let (na, nb) = (group_a.len() as i64, group_b.len() as i64);
    assert_eq!(ra["unique_scanners"], na, "{report}");
    assert_eq!(rb["unique_scanners"], nb, "{report}");
    let rescans_a = people.iter().take(10).filter(|p| !is_b(p)).count() as i64;
    assert_eq!(ra["scans"], na + rescans_a, "{report}");
    assert_eq!(
        (ra["landing_views"].as_i64(), ra["cta_clicks"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (rb["landing_views"].as_i64(), rb["cta_clicks"].as_i64()),
        (Some(nb), Some(nb))
    );
    assert_eq!(
        (ra["buyers"].as_i64(), rb["buyers"].as_i64()),
        (Some(0), Some(nb))
    );
    assert_eq!(rb["conversions"], nb);
    assert_eq!(rb["revenue_cents"], nb * 1_000 - 500);
    assert_eq!(rb["conversion_rate"], 1.0);
    assert!(rb["conversion_rate_low"].as_f64().unwrap() > 0.8);
    assert!(rb["chance_to_beat_control"].as_f64().unwrap() > 0.99);
    assert!(rb["p_value"].as_f64().unwrap() < 0.05);
    assert!(ra["chance_to_beat_control"].is_null());
    assert_eq!(report["verdict"]["state"], "winner", "{report}");
    assert_eq!(report["verdict"]["winner_variant_id"], b);
    assert!(report["test"].as_str().unwrap().contains("mSPRT"));

    // The variants report (the campaign's latest experiment by default) credits each
    // purchase to the variant its buyer's scans were shown, net of the refund.
    let reported = format!("/api/v1/reports/variants?campaign_id={}", campaign["id"]);
    let (status, variants_report) = json_of(app.get(&reported).await).await;
    assert_eq!(status, StatusCode::OK, "{variants_report}");
    let (va, vb) = (&variants_report["rows"][0], &variants_report["rows"][1]);
    assert_eq!((&va["variant_id"], &vb["variant_id"]), (&a, &b));
    assert_eq!(
        (&va["control"], &va["variant"]),
        (&json!(true), &json!("Shop"))
    );
    assert_eq!(
        (
            va["unique_visitors"].as_i64(),
            vb["unique_visitors"].as_i64()
        ),
        (Some(na), Some(nb))
    );
    assert_eq!(va["scans"], na + rescans_a, "{variants_report}");
    assert_eq!(
        (&va["landing_views"], &va["conversions"]),
        (&json!(0), &json!(0.0))
    );
    assert_eq!(
        (&vb["landing_views"], &vb["cta_clicks"], &vb["conversions"]),
        (&json!(nb), &json!(nb), &json!(nb as f64))
    );
    assert_eq!(
        (vb["revenue_cents"].as_i64(), vb["refunded_cents"].as_i64()),
        (Some(nb * 1_000 - 500), Some(500))
    );
    assert_eq!(vb["conversion_rate"], 1.0);
    assert_eq!(variants_report["total"]["conversions"], nb as f64);
    let csv = app
        .get(&format!(
            "{reported}&experiment_id={id}&format=csv&model=linear"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("experiment_id,variant_id,variant,control,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert_error(
        app.get(&format!("{reported}&experiment_id=999")).await,
        StatusCode::NOT_FOUND,
        "experiment",
    )
    .await;
    // A campaign without experiments answers no rows; another campaign's experiment is
    // refused naming the parameter.
    let plain = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Plain", "slug": "plain"}),
        )
        .await;
    let plain_report = format!("/api/v1/reports/variants?campaign_id={}", plain["id"]);
    let (status, empty) = json_of(app.get(&plain_report).await).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["rows"], json!([]));
    assert_error(
        app.get(&format!("{plain_report}&experiment_id={id}")).await,
        StatusCode::BAD_REQUEST,
        "experiment_id: experiment",
    )
    .await;

    // What was stored: people's scans and events carry their variant, the bot's none.
    let pool = app.db().await;
    let (tagged, bots_tagged): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(CASE WHEN is_bot = 0 AND variant_id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN is_bot = 1 AND variant_id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) FROM scans",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((tagged, bots_tagged), (90, 0));
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE variant_id = $1")
        .bind(b.as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 2 * nb);

    // The winner found is in the log (once, however often the report is read), and still
    // running: the experiment was not set to stop itself.
    app.get(&format!("/api/v1/experiments/{id}/report")).await;
    let read: Value = app
        .get(&format!("/api/v1/experiments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = read["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["started", "winner_found"]);
    assert_eq!(read["status"], "running");

    // Stopped with B as the winner: everyone, new or not, gets B, counted for no variant.
    let stopped = app
        .post(
            &format!("/api/v1/experiments/{id}/stop"),
            json!({"winner_variant_id": b}),
        )
        .await;
    let (status, stopped) = json_of(stopped).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(
        (stopped["status"].as_str(), stopped["stop_reason"].as_str()),
        (Some("stopped"), Some("manual"))
    );
    assert_eq!(stopped["winner_variant_id"], b);
    let last = stopped["log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "stopped");
    assert_eq!(last["figures"]["variants"][1]["buyers"], nb);
    for p in group_a.iter().take(3) {
        assert!(is_b(&Person {
            went: location(&scan_with(&app, &token, Some(&p.cookie)).await),
            cookie: String::new()
        }));
    }
    let newcomer = scan_with(&app, &token, None).await;
    assert!(location(&newcomer).starts_with("/c/tea?code="));
    let untagged: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM scans WHERE variant_id IS NULL AND is_bot = 0")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(untagged, 4);
    // The report keeps its figures from the run; stopping twice is refused.
    let after: Value = app
        .get(&format!("/api/v1/experiments/{id}/report"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["variants"][1]["unique_scanners"], nb);
    assert_eq!(after["status"], "stopped");
    assert_error(
        app.post(&format!("/api/v1/experiments/{id}/stop"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "already stopped",
    )
    .await;

    // A new experiment takes the campaign back from the old winner.
    let next = app
        .create(
            &format!("/api/v1/campaigns/{}/experiments", campaign["id"]),
            json!({"name": "Round two", "variants": [
                {"name": "A", "weight": 90, "destination_url": SHOP_A},
                {"name": "B", "weight": 10, "destination_url": SHOP_B}]}),
        )
        .await;
    assert_eq!(next["min_sample"], 1000);
    let listed: Value = app
        .get(&format!("/api/v1/campaigns/{}/experiments", campaign["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["id"], next["id"]);
    let again = people_on_shops(&app, &token, 20).await;
    assert!(
        again
            .iter()
            .all(|went| went.starts_with(SHOP_A) || went.starts_with(SHOP_B)),
        "{again:?}"
    );
}

async fn people_on_shops(app: &TestApp, token: &str, count: usize) -> Vec<String> {
    people(app, token, count)
        .await
        .into_iter()
        .map(|p| p.went)
        .collect()
}

#[tokio::test]
async fn an_experiment_set_to_stop_itself_sends_everyone_to_the_winner() {
    let app = TestApp::spawn().await;
    let (_, token, experiment) = tea_with(
        &app,
        json!({"name": "Auto", "min_sample": 20, "auto_stop": true, "variants": [
                {"name": "A", "weight": 50, "destination_url": SHOP_A},
                {"name": "B", "weight": 50, "destination_url": SHOP_B}]}),
    )
    .await;
    let b = experiment["variants"][1]["id"].clone();
    let people = people(&app, &token, 80).await;
    let mut orders = 0;
    for p in people.iter().filter(|p| p.went.starts_with(SHOP_B)) {
        orders += 1;
        buy(&app, &format!("O-{orders}"), p, 2_000).await;
    }
    assert!(orders >= 20, "{orders}");
    let id = &experiment["id"];
    let read: Value = app
        .get(&format!("/api/v1/experiments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "stopped", "{read}");
    assert_eq!(read["stop_reason"], "auto_stop");
    assert_eq!(read["winner_variant_id"], b);
    let log: Vec<&str> = read["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(log, ["started", "winner_found", "stopped"]);
    assert_eq!(read["log"][2]["figures"]["verdict"]["winner_variant_id"], b);
    for p in people.iter().filter(|p| p.went.starts_with(SHOP_A)).take(3) {
        assert!(location(&scan_with(&app, &token, Some(&p.cookie)).await).starts_with(SHOP_B));
    }
}

#[tokio::test]
async fn an_experiment_stops_at_its_end_date_and_the_campaign_comes_back() {
    let app = TestApp::spawn().await;
    let ends = chrono::Utc::now().timestamp_millis() + 1_500;
    let (_, token, experiment) = tea_with(
        &app,
        json!({"name": "Short", "ends_at": rfc3339(ends), "variants": [
            {"name": "A", "weight": 50, "destination_url": SHOP_A},
            {"name": "B", "weight": 50, "destination_url": SHOP_B}]}),
    )
    .await;
    let during = location(&scan_with(&app, &token, None).await);
    assert!(
        during.starts_with(SHOP_A) || during.starts_with(SHOP_B),
        "{during}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_000)).await;
    let id = &experiment["id"];
    let read: Value = app
        .get(&format!("/api/v1/experiments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (read["status"].as_str(), read["stop_reason"].as_str()),
        (Some("stopped"), Some("ended")),
        "{read}"
    );
    assert!(read["winner_variant_id"].is_null());
    assert!(
        location(&scan_with(&app, &token, None).await).starts_with(&format!("{SHOP}?utm_source="))
    );
}

#[tokio::test]
async fn bad_experiments_are_refused_with_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "shared", 1)
        .await;
    let path = format!("/api/v1/campaigns/{}/experiments", campaign["id"]);
    let a = json!({"name": "A", "weight": 50, "destination_url": SHOP_A});
    let b = json!({"name": "B", "weight": 50, "landing": {"title": "B"}});
    let cases = [
        (json!({"name": "x", "variants": [a]}), "variants", "2 to 4"),
        (
            json!({"name": "x", "variants": [a, {"name": "B", "weight": 40, "destination_url": SHOP_B}]}),
            "variants",
            "add up to 90",
        ),
        (
            json!({"name": "x", "variants": [a, {"name": "B", "weight": 50}]}),
            "variants[1]",
            "no content",
        ),
        (
            json!({"name": "x", "variants": [a, {"name": "B", "weight": 50, "landing": {}}]}),
            "variants[1]",
            "no content",
        ),
        (
            json!({"name": "x", "variants": [{"name": "A", "weight": 97, "destination_url": SHOP_A}, {"name": "B", "weight": 3, "destination_url": SHOP_B}]}),
            "variants[0].weight",
            "from 5 to 95",
        ),
        (
            json!({"name": "x", "variants": [a, {"name": "A", "weight": 50, "destination_url": SHOP_B}]}),
            "variants[1].name",
            "already named",
        ),
        (
            json!({"name": "x", "variants": [a, {"name": "B", "weight": 50, "destination_url": "ftp://x"}]}),
            "variants[1].destination_url",
            "http",
        ),
        (
            json!({"name": "x", "variants": [a, {"name": "B", "weight": 50, "landing": {"brand_color": "red"}}]}),
            "variants[1].landing.brand_color",
            "six hex digits",
        ),
        (
            json!({"name": "x", "min_sample": 5, "variants": [a, b]}),
            "min_sample",
            "from 20",
        ),
        (
            json!({"name": "x", "ends_at": "2020-01-01T00:00:00Z", "variants": [a, b]}),
            "ends_at",
            "future",
        ),
        (json!({"name": " ", "variants": [a, b]}), "name", ""),
    ];
    for (body, field, message) in cases {
        let answer = app.post(&path, body.clone()).await;
        let status = answer.status();
        let error: Value = answer.json().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        let text = error["error"]["message"].as_str().unwrap();
        assert!(
            text.contains(field) && text.contains(message),
            "{body}: {text}"
        );
    }
    let unknown = app
        .post(&path, json!({"name": "x", "variants": [a, b], "colour": 1}))
        .await;
    assert!(unknown.status().is_client_error());
    assert_error(
        app.post(
            "/api/v1/campaigns/999/experiments",
            json!({"name": "x", "variants": [a, b]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;

    let started = app
        .create(&path, json!({"name": "x", "variants": [a, b]}))
        .await;
    assert_error(
        app.post(&path, json!({"name": "y", "variants": [a, b]}))
            .await,
        StatusCode::CONFLICT,
        "already running",
    )
    .await;
    let id = &started["id"];
    assert_error(
        app.patch(
            &format!("/api/v1/experiments/{id}"),
            json!({"variants": [a, b]}),
        )
        .await,
        StatusCode::CONFLICT,
        "start a new experiment",
    )
    .await;
    let changed = app
        .patch(
            &format!("/api/v1/experiments/{id}"),
            json!({"min_sample": 50, "auto_stop": true, "name": "z"}),
        )
        .await;
    let (status, changed) = json_of(changed).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (
            changed["min_sample"].as_i64(),
            changed["auto_stop"].as_bool(),
            changed["name"].as_str()
        ),
        (Some(50), Some(true), Some("z"))
    );
    let later = rfc3339(chrono::Utc::now().timestamp_millis() + 86_400_000);
    let dated: Value = app
        .patch(
            &format!("/api/v1/experiments/{id}"),
            json!({"ends_at": later}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        dated["ends_at"].as_str().map(|s| &s[..13]),
        Some(&later[..13])
    );
    let undated: Value = app
        .patch(
            &format!("/api/v1/experiments/{id}"),
            json!({"ends_at": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(undated["ends_at"].is_null(), "{undated}");
    assert_eq!(undated["min_sample"], 50, "other settings stay");
    assert_error(
        app.patch(
            &format!("/api/v1/experiments/{id}"),
            json!({"min_sample": 1}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "min_sample",
    )
    .await;
    assert_error(
        app.post(
            &format!("/api/v1/experiments/{id}/stop"),
            json!({"winner_variant_id": 12345}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not one of this experiment's",
    )
    .await;
    assert_error(
        app.get("/api/v1/experiments/999").await,
        StatusCode::NOT_FOUND,
        "experiment",
    )
    .await;
    assert_error(
        app.get("/api/v1/experiments/999/report").await,
        StatusCode::NOT_FOUND,
        "experiment",
    )
    .await;
    // An empty stop body is fine; the experiment is then stopped for good.
    let stop = app
        .send_as(
            Some(API_KEY),
            Method::POST,
            &format!("/api/v1/experiments/{id}/stop"),
            None,
        )
        .await;
    assert_eq!(stop.status(), StatusCode::OK);
    assert_error(
        app.patch(&format!("/api/v1/experiments/{id}"), json!({"name": "w"}))
            .await,
        StatusCode::CONFLICT,
        "has stopped",
    )
    .await;

    // A campaign that does not track runs no experiments.
    let quiet = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Wine", "tracking": "none", "destination_url": SHOP}),
        )
        .await;
    assert_error(
        app.post(
            &format!("/api/v1/campaigns/{}/experiments", quiet["id"]),
            json!({"name": "x", "variants": [a, b]}),
        )
        .await,
        StatusCode::CONFLICT,
        "does not track",
    )
    .await;
}

#[tokio::test]
async fn a_redirect_rule_sends_scans_to_a_variant_that_does_not_count_them() {
    let app = TestApp::spawn().await;
    let (campaign, token, experiment) = tea_with(
        &app,
        json!({"name": "TV", "variants": [
                {"name": "A", "weight": 90, "destination_url": SHOP_A},
                {"name": "Story", "weight": 10, "landing": {"title": "Brewed slowly"}}]}),
    )
    .await;
    let b = experiment["variants"][1]["id"].as_i64().unwrap();
    let rules = format!("/api/v1/campaigns/{}/rules", campaign["id"]);
    let tv = json!({"rules": [{"if": {"query": {"name": "src", "value": "tv"}}, "then": {"variant_id": b}}]});
    let saved = app
        .send_as(Some(API_KEY), Method::PUT, &rules, Some(tv))
        .await;
    assert_eq!(saved.status(), StatusCode::OK);

    let scan = app
        .client
        .get(app.url(&format!("/s/{token}?src=tv")))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    let went = location(&scan);
    assert_eq!(went, format!("/c/tea?code={token}&v={b}"));
    let cookie = visitor_cookie(&scan);
    let page = page_as(&app, &went, &cookie).await.text().await.unwrap();
    assert!(page.contains("Brewed slowly"), "{page}");
    assert!(
        page.contains(&format!("/c/tea/go/buy?code={token}&#38;v={b}")),
        "{page}"
    );
    let pool = app.db().await;
    let (outcome, variant): (String, Option<i64>) =
        sqlx::query_as("SELECT outcome, variant_id FROM scans ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((outcome.as_str(), variant), ("rule", None));
    let counted: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE variant_id IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(counted, 0);

    // Only variants of the experiment running on the campaign may be named; once it stops
    // the rule sends nowhere and the campaign's own way comes back.
    let wrong = json!({"rules": [{"then": {"variant_id": 99_999}}]});
    assert_error(
        app.send_as(Some(API_KEY), Method::PUT, &rules, Some(wrong))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rules[0].then.variant_id",
    )
    .await;
    let stop = app
        .post(
            &format!("/api/v1/experiments/{}/stop", experiment["id"]),
            json!({}),
        )
        .await;
    assert_eq!(stop.status(), StatusCode::OK);
    let after = app
        .client
        .get(app.url(&format!("/s/{token}?src=tv")))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    assert!(
        location(&after).starts_with(&format!("{SHOP}?utm_source=")),
        "{}",
        location(&after)
    );
}

#[tokio::test]
async fn the_console_shows_an_experiments_report_and_an_admin_stops_it() {
    let app = TestApp::spawn().await;
    let (campaign, token, experiment) = tea_with(
        &app,
        json!({"name": "Shop or story", "min_sample": 20, "variants": [
                {"name": "Shop", "weight": 50, "destination_url": SHOP_A},
                {"name": "Story", "weight": 50, "destination_url": SHOP_B}]}),
    )
    .await;
    people(&app, &token, 6).await;
    let id = &experiment["id"];
    let b = experiment["variants"][1]["id"].as_i64().unwrap();

    app.user("ana@brand.example", "analyst", &[]).await;
    let analyst = app.sign_in("ana@brand.example", "/console").await;
    let (status, page) = app
        .page(&format!("/console/campaigns/{}", campaign["id"]), &analyst)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!(
            r#"<a href="/console/experiments/{id}">Shop or story</a>"#
        )),
        "{page}"
    );
    let (status, page) = app
        .page(&format!("/console/experiments/{id}"), &analyst)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "Collecting: the test may declare a winner once every variant has 20 visitors."
        ),
        "{page}"
    );
    assert!(
        page.contains("Story") && page.contains("Beats control"),
        "{page}"
    );
    assert!(
        !page.contains("Stop experiment"),
        "an analyst reads, and stops nothing"
    );
    // The campaign's report page compares the variants, with a CSV of them.
    let report_page = format!("/reports/campaigns/{}", campaign["id"]);
    let (status, page) = app.page(&report_page, &analyst).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Experiment: Shop or story")
            && page.contains("Shop <span class=\"muted\">(control)</span>"),
        "{page}"
    );
    let (status, csv) = app
        .page(&format!("{report_page}/variants.csv"), &analyst)
        .await;
    assert_eq!(status, StatusCode::OK);
    let people_shown: i64 = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(7).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(people_shown, 6, "{csv}");

    app.user("ada@brand.example", "admin", &[]).await;
    let admin = app.sign_in("ada@brand.example", "/console").await;
    let (_, page) = app
        .page(&format!("/console/experiments/{id}"), &admin)
        .await;
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let stopped = app
        .client
        .post(app.url(&format!("/console/experiments/{id}/stop")))
        .header("cookie", &admin)
        .form(&[("csrf", csrf.as_str()), ("winner", &b.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .page(&format!("/console/experiments/{id}?saved=stopped"), &admin)
        .await;
    assert!(
        page.contains("Experiment stopped.") && page.contains("Everyone now gets Story."),
        "{page}"
    );
    let read: Value = app
        .get(&format!("/api/v1/experiments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (read["status"].as_str(), read["winner_variant_id"].as_i64()),
        (Some("stopped"), Some(b))
    );
    assert!(read["log"][1]["user_id"].as_i64().is_some());
}
