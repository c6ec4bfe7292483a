//! The credit tier: reports credit folded days from it exactly as they credit the touch
//! paths, and a late conversion, a refund or new attribution settings show at once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, rfc3339};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Every report that credits conversions, over `range`.
async fn credited_reports(app: &TestApp, campaign: i64, range: &str) -> Vec<Value> {
    let reports = [
        "channels?model=last_touch",
        "channels?model=first_touch",
        "channels?model=linear",
        "channels?model=time_decay",
        "channels?model=position_based",
        "batches?model=linear",
        "stores?model=linear",
        "devices?model=position_based",
        "regions?level=city&model=linear",
        "variants?model=time_decay",
        "time?interval=day&tz=%2B08:00&model=time_decay",
        "funnel",
    ];
    app.reports(&reports, &format!("campaign_id={campaign}&{range}"))
        .await
}

/// A scan by `visitor` of `batch`'s one code at `at`, as the scan writer stores it, shown
/// one of the variants of its campaign's experiment (if any) by the hour's parity.
async fn scan_at(app: &TestApp, batch: &Value, visitor: &str, at: i64) {
    let db = app.db().await;
    sqlx::query(
        "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, store_id, \
         visitor_id, is_new_visitor, device, country, region, city, is_bot, outcome, \
         variant_id) \
         SELECT $1, c.id, b.id, b.campaign_id, b.channel_id, b.store_id, $2, 0, $3, 'CN', \
         $4, $5, 0, 'landing', (SELECT v.id FROM experiment_variants v \
             JOIN experiments e ON e.id = v.experiment_id WHERE e.campaign_id = b.campaign_id \
             ORDER BY v.position LIMIT 1 OFFSET $7) \
         FROM codes c JOIN batches b ON b.id = c.batch_id WHERE b.id = $6",
    )
    .bind(at)
    .bind(visitor.to_owned())
    .bind(if at % 2 == 0 { "mobile" } else { "tablet" })
    .bind(if at % 3 == 0 { "SH" } else { "GD" })
    .bind(if at % 3 == 0 { "Shanghai" } else { "Shenzhen" })
    .bind(batch["id"].as_i64().unwrap())
    .bind(at / HOUR % 2)
    .execute(&db)
    .await
    .unwrap();
}

async fn buy(app: &TestApp, order: &str, cents: i64, at: i64, visitor: &str) -> Value {
    let response = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": cents, "currency": "CNY",
                   "occurred_at": rfc3339(at), "source": "shop", "visitor_id": visitor}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn stale_days(app: &TestApp) -> i64 {
    let db = app.db().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM stale_credit_days")
        .fetch_one(&db)
        .await
        .unwrap()
}

#[tokio::test]
async fn reports_credit_folded_days_as_they_credit_the_paths() {
    let app = TestApp::spawn().await;
    let campaign = app
        .create("/api/v1/campaigns", json!({"name": "Tier", "slug": "tier"}))
        .await;
    let other = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Other", "slug": "other"}),
        )
        .await;
    let store = app
        .create(
            "/api/v1/stores",
            json!({"code": "S1", "name": "Store one", "city": "Shanghai"}),
        )
        .await;
    let mut batches = Vec::new();
    for (owner, name) in [
        (&campaign, "metro"),
        (&campaign, "shelf"),
        (&campaign, "tv"),
        (&other, "web"),
    ] {
        let channel = app
            .create("/api/v1/channels", json!({"name": name, "kind": "other"}))
            .await;
        let mut batch = json!({"campaign_id": owner["id"], "channel_id": channel["id"],
                               "name": name, "mode": "shared"});
        if name == "shelf" {
            batch["store_id"] = store["id"].clone();
        }
        batches.push(app.create("/api/v1/batches", batch).await);
    }
    // An experiment on the campaign: its scans are shown one of two variants.
    app.create(
        &format!("/api/v1/campaigns/{}/experiments", campaign["id"]),
        json!({"name": "Two shops", "variants": [
            {"name": "A", "weight": 50, "destination_url": "https://shop.example/a"},
            {"name": "B", "weight": 50, "destination_url": "https://shop.example/b"}]}),
    )
    .await;
    // Ten people scan over the last week, some twice, one the other campaign too; each
    // buys on a later day, some twice.
    let now = chrono::Utc::now().timestamp_millis();
    // Nothing happens yesterday: in the first minutes after midnight (UTC) yesterday is
    // not folded yet (`GRACE_MS`), and the test would fold a day less.
    let start = now - now.rem_euclid(DAY) - 7 * DAY;
    for person in 0..10_i64 {
        let visitor = format!("p{person}");
        let first = start + person * 9 * HOUR + 7 * 60_000;
        scan_at(&app, &batches[(person % 3) as usize], &visitor, first).await;
        if person % 2 == 0 {
            scan_at(
                &app,
                &batches[((person + 1) % 3) as usize],
                &visitor,
                first + 5 * HOUR,
            )
            .await;
        }
        if person == 3 {
            scan_at(&app, &batches[3], &visitor, first + 6 * HOUR).await;
        }
        buy(
            &app,
            &format!("A-{person}"),
            1_000 + person * 37,
            first + 30 * HOUR,
            &visitor,
        )
        .await;
        if person % 3 == 0 {
            buy(
                &app,
                &format!("B-{person}"),
                2_001,
                first + 50 * HOUR,
                &visitor,
            )
            .await;
        }
    }
    let id = campaign["id"].as_i64().unwrap();
    let minute = |t: i64| rfc3339(t - t.rem_euclid(60_000));
    let ranges = [
        format!("from={}", minute(start - DAY)),
        format!(
            "from={}&to={}",
            minute(start + 2 * DAY + 13 * 60_000),
            minute(now - DAY - 7 * 60_000)
        ),
    ];
    let mut from_paths = Vec::new();
    for range in &ranges {
        from_paths.push(credited_reports(&app, id, range).await);
    }

    // Both variants were credited with some of the purchases.
    let variants = &from_paths[0][9]["rows"];
    assert!(
        (0..2).all(|i| variants[i]["conversions"].as_f64().unwrap() > 0.5),
        "{variants}"
    );

    let db = scanloop::db::Db::connect(&app.database_url).await.unwrap();
    let folded = scanloop::jobs::days::catch_up(&db).await;
    assert!(
        folded >= 5,
        "the days with conversions are folded, not {folded}"
    );
    let pool = app.db().await;
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM day_credits")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(rows > 0);
    assert_eq!(stale_days(&app).await, 0);
    for (range, before) in ranges.iter().zip(&from_paths) {
        assert_eq!(
            &credited_reports(&app, id, range).await,
            before,
            "the same credit from the tier over {range}"
        );
    }

    // A refund and a late purchase on a folded day show at once, and again once folded.
    let conversion: i64 = sqlx::query_scalar("SELECT id FROM conversions WHERE order_id = 'A-4'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let refund = app
        .post(
            &format!("/api/v1/conversions/{conversion}/refunds"),
            json!({"amount_cents": 300}),
        )
        .await;
    assert_eq!(refund.status(), StatusCode::CREATED);
    buy(
        &app,
        "LATE-1",
        5_000,
        start + 4 * 9 * HOUR + 31 * HOUR,
        "p4",
    )
    .await;
    assert!(stale_days(&app).await > 0);
    let total = |reports: &[Value]| reports[0]["total"].clone();
    let changed = credited_reports(&app, id, &ranges[0]).await;
    assert_eq!(
        total(&changed)["refunded_cents"].as_i64().unwrap(),
        total(&from_paths[0])["refunded_cents"].as_i64().unwrap() + 300
    );
    assert_eq!(
        total(&changed)["conversions"].as_f64().unwrap(),
        total(&from_paths[0])["conversions"].as_f64().unwrap() + 1.0
    );
    scanloop::jobs::days::catch_up(&db).await;
    assert_eq!(stale_days(&app).await, 0);
    assert_eq!(credited_reports(&app, id, &ranges[0]).await, changed);

    // New attribution settings: the campaign's days are credited under them at once.
    let response = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{id}/attribution")))
        .bearer_auth(API_KEY)
        .json(&json!({"window": "1d", "half_life": "6h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let narrower = credited_reports(&app, id, &ranges[0]).await;
    assert_ne!(narrower, changed, "a one-day window credits less");
    let explicit = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={id}&{}&model=last_touch&window=1d",
            ranges[0]
        ))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(narrower[0], explicit);
    scanloop::jobs::days::catch_up(&db).await;
    assert_eq!(stale_days(&app).await, 0);
    let (windows,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM day_credits WHERE campaign_id = $1 AND window_ms <> 86400000",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        windows, 0,
        "every folded day is credited under the new window"
    );
    assert_eq!(credited_reports(&app, id, &ranges[0]).await, narrower);

    // Back to a week: days the one-day window credited nothing on are credited again.
    let response = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{id}/attribution")))
        .bearer_auth(API_KEY)
        .json(&json!({"window": "7d", "half_life": "1d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(credited_reports(&app, id, &ranges[0]).await, changed);
    scanloop::jobs::days::catch_up(&db).await;
    assert_eq!(stale_days(&app).await, 0);
    assert_eq!(credited_reports(&app, id, &ranges[0]).await, changed);
}
