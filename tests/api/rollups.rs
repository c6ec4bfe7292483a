//! The rollups reports read equal recounts from the raw scans after random traffic, and
//! `scanloop rollups rebuild` restores them when they are damaged.

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::geo::spawn_with_cities;
use crate::helpers::{PHONE, TestApp};

const AGENTS: [&str; 3] = [
    PHONE,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
     Chrome/120.0.0.0 Safari/537.36",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
];
const ADDRESSES: [&str; 4] = ["81.2.69.142", "175.16.199.20", "89.160.20.128", "8.8.8.8"];

/// Each rollup against the same count made from the raw scans: rows that differ.
const MISMATCHES: &str = "SELECT \
    (SELECT COUNT(*) FROM (SELECT scanned_at - scanned_at % 3600000 AS hour, batch_id, \
         COALESCE(country, '') AS country, device, SUM(1 - is_bot) AS scans, \
         SUM(is_bot) AS bots, SUM(CASE WHEN is_bot = 0 THEN is_new_visitor ELSE 0 END) AS new \
         FROM scans GROUP BY 1, 2, 3, 4) raw \
     LEFT JOIN scan_rollups r ON r.hour = raw.hour AND r.batch_id = raw.batch_id \
         AND r.country = raw.country AND r.device = raw.device \
     WHERE r.scans IS NULL OR r.scans <> raw.scans OR r.bot_scans <> raw.bots \
         OR r.new_visitors <> raw.new), \
    (SELECT COUNT(*) FROM (SELECT campaign_id, scanned_at - scanned_at % 3600000 AS hour, \
         COALESCE(country, '') AS country, COALESCE(region, '') AS region, \
         COALESCE(city, '') AS city, SUM(1 - is_bot) AS scans, SUM(is_bot) AS bots \
         FROM scans GROUP BY 1, 2, 3, 4, 5) raw \
     LEFT JOIN place_rollups p ON p.campaign_id = raw.campaign_id AND p.hour = raw.hour \
         AND p.country = raw.country AND p.region = raw.region AND p.city = raw.city \
     WHERE p.scans IS NULL OR p.scans <> raw.scans OR p.bot_scans <> raw.bots), \
    (SELECT COUNT(*) FROM scan_rollups) - (SELECT COUNT(*) FROM (SELECT DISTINCT \
         scanned_at - scanned_at % 3600000, batch_id, COALESCE(country, ''), device \
         FROM scans) d)";

async fn mismatches(app: &TestApp) -> (i64, i64, i64) {
    let db = app.db().await;
    sqlx::query_as(MISMATCHES).fetch_one(&db).await.unwrap()
}

/// The channel report's rows (scans, unique visitors, bots per channel), the cities and
/// the device classes.
async fn reports(app: &TestApp, campaign: &Value) -> (Value, Value, Value) {
    let id = &campaign["id"];
    let channels: Value = app.report(id).await;
    let slices = |path: String| async move {
        let report: Value = app.get(&path).await.json().await.unwrap();
        report["rows"].clone()
    };
    let cities = slices(format!(
        "/api/v1/reports/regions?campaign_id={id}&level=city"
    ))
    .await;
    let devices = slices(format!("/api/v1/reports/devices?campaign_id={id}")).await;
    (channels["rows"].clone(), cities, devices)
}

/// Each device class's and city's people in the reports against distinct visitors
/// recounted from the raw scans (exact: far under the sketches' 1,024).
async fn assert_people_recounted(app: &TestApp, (_, cities, devices): &(Value, Value, Value)) {
    let db = app.db().await;
    let by_device: Vec<(String, i64)> = sqlx::query_as(
        "SELECT device, COUNT(DISTINCT visitor_id) FROM scans WHERE is_bot = 0 \
         GROUP BY device",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    for (device, people) in by_device {
        let row = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["device"] == device);
        assert_eq!(
            row.unwrap()["unique_visitors"],
            people,
            "{device}: {devices}"
        );
    }
    let by_city: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT COALESCE(country, ''), COALESCE(city, ''), COUNT(DISTINCT visitor_id) \
         FROM scans WHERE is_bot = 0 GROUP BY COALESCE(country, ''), COALESCE(city, '')",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(by_city.len() >= 3, "{by_city:?}");
    for (country, city, people) in by_city {
        let row = cities
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["country"] == country && r["city"] == city);
        assert_eq!(row.unwrap()["unique_visitors"], people, "{city}: {cities}");
    }
}

#[tokio::test]
async fn rollups_equal_recounts_from_raw_scans_and_rebuild_when_damaged() {
    let (app, _cities) = spawn_with_cities().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Random"}), "unique", 20).await;
    let poster = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": batch["channel_id"],
                   "name": "poster", "mode": "shared"}),
        )
        .await;
    let mut tokens: Vec<String> = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    tokens.push(app.codes(&poster["id"]).await[0].1.clone());

    // Random traffic: codes, devices, places, and people coming back with their cookie.
    let mut cookies: Vec<String> = Vec::new();
    for _ in 0..300 {
        let (token, agent, address, again) = {
            let mut rng = rand::rng();
            (
                tokens[rng.random_range(0..tokens.len())].clone(),
                AGENTS[rng.random_range(0..AGENTS.len())],
                ADDRESSES[rng.random_range(0..ADDRESSES.len())],
                (!cookies.is_empty() && rng.random_bool(0.4))
                    .then(|| cookies[rng.random_range(0..cookies.len())].clone()),
            )
        };
        let mut request = app
            .client
            .get(app.url(&format!("/s/{token}")))
            .header("user-agent", agent)
            .header("x-forwarded-for", address);
        if let Some(cookie) = &again {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND);
        if let Some(set) = answer.headers().get("set-cookie") {
            let cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            cookies.push(cookie);
        }
    }
    // Places are folded a moment after the scans.
    let mut counted = mismatches(&app).await;
    for _ in 0..100 {
        if counted == (0, 0, 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        counted = mismatches(&app).await;
    }
    assert_eq!(
        counted,
        (0, 0, 0),
        "rollups equal recounts from the raw scans"
    );
    let before = reports(&app, &campaign).await;
    assert_people_recounted(&app, &before).await;

    // Damage them: lose rows, miscount others, drop visitor sketches.
    let db = app.db().await;
    for damage in [
        "DELETE FROM scan_rollups WHERE batch_id = (SELECT MIN(batch_id) FROM scan_rollups)",
        "UPDATE scan_rollups SET scans = scans + 7",
        "UPDATE place_rollups SET scans = 0",
        "DELETE FROM visitor_sketches",
        "DELETE FROM slice_sketches WHERE family = 'place'",
    ] {
        sqlx::query(damage).execute(&db).await.unwrap();
    }
    assert_ne!(mismatches(&app).await, (0, 0, 0));
    assert_ne!(reports(&app, &campaign).await, before);

    // Rebuilt by the command while the server runs.
    let output = app.command(&["rollups", "rebuild"], "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("from 300 raw scans"), "{stdout}");
    assert_eq!(mismatches(&app).await, (0, 0, 0));
    assert_eq!(
        reports(&app, &campaign).await,
        before,
        "the reports read what they read before the damage, unique visitors included"
    );
}

/// Every report over `query` (a campaign and a range).
async fn every_report(app: &TestApp, query: &str) -> Vec<Value> {
    let reports = [
        "channels",
        "batches",
        "stores",
        "devices",
        "regions",
        "regions?level=city",
        "time?interval=hour",
        "time?interval=day&tz=%2B08:00",
        "funnel",
    ];
    app.reports(&reports, query).await
}

#[tokio::test]
async fn reports_read_folded_days_as_they_read_the_hours() {
    let (app, _cities) = spawn_with_cities().await;
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Days", "slug": "days",
                   "landing": {"cta_url": "https://shop.example.com/"}}),
            "unique",
            12,
        )
        .await;
    let tokens: Vec<String> = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    // People scan, some open the landing page, some of those click through.
    for _ in 0..120 {
        let (token, agent, address, view, click) = {
            let mut rng = rand::rng();
            (
                tokens[rng.random_range(0..tokens.len())].clone(),
                AGENTS[rng.random_range(0..AGENTS.len())],
                ADDRESSES[rng.random_range(0..ADDRESSES.len())],
                rng.random_bool(0.6),
                rng.random_bool(0.5),
            )
        };
        let scan = app
            .client
            .get(app.url(&format!("/s/{token}")))
            .header("user-agent", agent)
            .header("x-forwarded-for", address)
            .send()
            .await
            .unwrap();
        let landing = scan.headers()["location"].to_str().unwrap().to_owned();
        let cookie = scan
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned();
        let visit = |path: String| {
            app.client
                .get(app.url(&path))
                .header("user-agent", agent)
                .header("x-forwarded-for", address)
                .header("cookie", &cookie)
                .send()
        };
        if view && landing.starts_with('/') {
            assert_eq!(visit(landing).await.unwrap().status(), StatusCode::OK);
            if click {
                let buy = visit(format!("/c/days/go/buy?code={token}")).await.unwrap();
                assert_eq!(buy.status(), StatusCode::FOUND);
            }
        }
    }
    for _ in 0..100 {
        if mismatches(&app).await == (0, 0, 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Spread the scans over today and the three days before (recounted by a rebuild) and
    // move the events, raw and rolled up, two days back.
    let db = app.db().await;
    let day = 86_400_000_i64;
    sqlx::query("UPDATE scans SET scanned_at = scanned_at - (id % 4) * $1")
        .bind(day)
        .execute(&db)
        .await
        .unwrap();
    for shift in [
        "UPDATE events SET occurred_at = occurred_at - $1",
        "UPDATE event_rollups SET hour = hour - $1",
    ] {
        sqlx::query(shift).bind(2 * day).execute(&db).await.unwrap();
    }
    let rebuild = app.command(&["rollups", "rebuild"], "").await;
    assert!(rebuild.status.success());
    assert_eq!(mismatches(&app).await, (0, 0, 0));

    let now = chrono::Utc::now();
    let id = &campaign["id"];
    let minutes = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let ranges = [
        format!(
            "campaign_id={id}&from={}",
            minutes(now - chrono::Duration::days(6))
        ),
        format!(
            "campaign_id={id}&from={}&to={}",
            minutes(now - chrono::Duration::minutes(5 * 24 * 60 - 37)),
            minutes(now - chrono::Duration::minutes(24 * 60 + 13))
        ),
    ];
    let mut hourly = Vec::new();
    for range in &ranges {
        hourly.push(every_report(&app, range).await);
    }
    // The hourly series over the whole range adds up to the raw scans and events.
    let (scans, bots, new, views, clicks): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT CAST(SUM(1 - is_bot) AS BIGINT) FROM scans), \
         (SELECT CAST(SUM(is_bot) AS BIGINT) FROM scans), \
         (SELECT CAST(SUM(CASE WHEN is_bot = 0 THEN is_new_visitor ELSE 0 END) AS BIGINT) \
             FROM scans), \
         (SELECT COUNT(*) FROM events WHERE is_bot = 0 AND kind = 'view'), \
         (SELECT COUNT(*) FROM events WHERE is_bot = 0 AND kind = 'click')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(views > 0 && clicks > 0, "{views} views, {clicks} clicks");
    let series = hourly[0][6]["rows"].as_array().unwrap();
    let sum = |field: &str| -> i64 { series.iter().map(|r| r[field].as_i64().unwrap()).sum() };
    assert_eq!(
        [
            sum("scans"),
            sum("bot_scans"),
            sum("new_visitors"),
            sum("landing_views"),
            sum("cta_clicks")
        ],
        [scans, bots, new, views, clicks]
    );

    let scanloop_db = scanloop::db::Db::connect(&app.database_url).await.unwrap();
    let folded = scanloop::jobs::days::catch_up(&scanloop_db).await;
    // Three days, or two in the grace minutes after midnight.
    assert!(folded >= 2, "the days with scans are folded, not {folded}");
    let (batches, sketches): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM day_batches), (SELECT COUNT(*) FROM day_sketches)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(batches > 0 && sketches > 0, "{batches} {sketches}");
    for (range, before) in ranges.iter().zip(&hourly) {
        assert_eq!(
            &every_report(&app, range).await,
            before,
            "the same reports from the day tier over {range}"
        );
    }

    // A rebuild makes the days be folded again; reports read the hours meanwhile.
    let rebuild = app.command(&["rollups", "rebuild"], "").await;
    assert!(rebuild.status.success());
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM day_batches")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0, "the rebuilt days are emptied from the tier");
    assert_eq!(every_report(&app, &ranges[0]).await, hourly[0]);
    assert!(scanloop::jobs::days::catch_up(&scanloop_db).await >= 2);
    assert_eq!(every_report(&app, &ranges[1]).await, hourly[1]);
}
