//! Repeat-purchase cohorts: people grouped by the week or month they first scanned the
//! campaign, and how many of each group bought in each period after.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, rfc3339};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Monday 00:00 UTC of the week `at` falls in (1970-01-01 was a Thursday).
fn monday(at: i64) -> i64 {
    let day = at.div_euclid(DAY);
    (day - (day + 3).rem_euclid(7)) * DAY
}

/// A person's scan of the campaign's code at `at`, as the scan writer stores it.
async fn scan_at(app: &TestApp, batch: &Value, visitor: &str, at: i64) {
    let db = app.db().await;
    sqlx::query(
        "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, \
         visitor_id, is_new_visitor, device, is_bot, outcome) \
         SELECT $1, c.id, b.id, b.campaign_id, b.channel_id, $2, 0, 'phone', 0, 'landing' \
         FROM codes c JOIN batches b ON b.id = c.batch_id WHERE b.id = $3",
    )
    .bind(at)
    .bind(visitor.to_owned())
    .bind(batch["id"].as_i64().unwrap())
    .execute(&db)
    .await
    .unwrap();
}

async fn buy(app: &TestApp, order: &str, visitor: &str, at: i64) {
    let answer = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": order, "amount_cents": 5_000, "currency": "CNY",
                   "visitor_id": visitor, "occurred_at": rfc3339(at)}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CREATED, "{order}");
}

#[tokio::test]
async fn cohorts_show_who_bought_again_week_by_week() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Tea"}), "shared", 1).await;
    let id = &campaign["id"];
    let empty: Value = app
        .get(&format!("/api/v1/reports/cohorts?campaign_id={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["cohorts"], json!([]), "no scans, no cohorts");
    assert_eq!(empty["interval"], "week");

    // Three people first scan on a Monday three weeks ago, a fourth a week later; the
    // first also scans again later (still of the first cohort).
    let week = monday(now()) - 3 * 7 * DAY;
    for visitor in ["a", "b", "c"] {
        scan_at(&app, &batch, visitor, week + 10 * HOUR).await;
    }
    scan_at(&app, &batch, "d", week + 7 * DAY + 10 * HOUR).await;
    scan_at(&app, &batch, "a", week + 7 * DAY + 11 * HOUR).await;
    scan_at(&app, &batch, "b", week + 14 * DAY + 11 * HOUR).await;
    // a buys in weeks 0 and 1 (twice in week 1: one buyer), b in week 2, d in its week 0.
    buy(&app, "A-1", "a", week + DAY).await;
    buy(&app, "A-2", "a", week + 7 * DAY + 12 * HOUR).await;
    buy(&app, "A-3", "a", week + 8 * DAY).await;
    buy(&app, "B-1", "b", week + 14 * DAY + 12 * HOUR).await;
    buy(&app, "D-1", "d", week + 8 * DAY).await;

    let report: Value = app
        .get(&format!("/api/v1/reports/cohorts?campaign_id={id}"))
        .await
        .json()
        .await
        .unwrap();
    let cohorts = report["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 2, "{report}");
    assert_eq!(cohorts[0]["start"], rfc3339(week));
    assert_eq!(
        cohorts[0]["visitors"], 3,
        "a, b and c; a's later scans count once"
    );
    assert_eq!(cohorts[0]["buyers"], json!([1, 1, 1, 0]), "{report}");
    assert_eq!(
        cohorts[0]["shares"],
        json!([0.333333, 0.333333, 0.333333, 0.0])
    );
    assert_eq!(cohorts[1]["visitors"], 1);
    assert_eq!(cohorts[1]["buyers"], json!([1, 0, 0]));

    // By month: everyone is in one or two months' cohorts, and the sizes add up.
    let months: Value = app
        .get(&format!(
            "/api/v1/reports/cohorts?campaign_id={id}&interval=month"
        ))
        .await
        .json()
        .await
        .unwrap();
    let sizes: i64 = months["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["visitors"].as_i64().unwrap())
        .sum();
    assert_eq!(sizes, 4);
    // Each buyer counts once per month they bought in, in their first month's cohort.
    let month = |t: i64| {
        chrono::DateTime::from_timestamp_millis(t)
            .unwrap()
            .format("%Y-%m")
            .to_string()
    };
    let bought = [
        ("a", week + 10 * HOUR, week + DAY),
        ("a", week + 10 * HOUR, week + 7 * DAY + 12 * HOUR),
        ("a", week + 10 * HOUR, week + 8 * DAY),
        ("b", week + 10 * HOUR, week + 14 * DAY + 12 * HOUR),
        ("d", week + 7 * DAY + 10 * HOUR, week + 8 * DAY),
    ];
    let expected: std::collections::BTreeSet<_> = bought
        .iter()
        .map(|&(who, first, at)| (who, month(first), month(at)))
        .collect();
    let counted: i64 = months["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["buyers"].as_array().unwrap().clone())
        .map(|b| b.as_i64().unwrap())
        .sum();
    assert_eq!(counted, expected.len() as i64, "{months}");

    // By day in +08:00: a, b and c first scanned on Monday 18:00 there, the day that began
    // at 16:00 UTC the day before; a bought on days 1, 7 and 8, b on day 14.
    let days: Value = app
        .get(&format!(
            "/api/v1/reports/cohorts?campaign_id={id}&interval=day&tz=%2B08:00"
        ))
        .await
        .json()
        .await
        .unwrap();
    let first = days["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["start"] == rfc3339(week - 8 * HOUR))
        .unwrap_or_else(|| panic!("no cohort of that day in {days}"));
    let buyers: Vec<i64> = first["buyers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect();
    let on = |days: &[usize]| {
        (0..buyers.len())
            .map(|d| i64::from(days.contains(&d)))
            .collect::<Vec<_>>()
    };
    assert_eq!(buyers, on(&[1, 7, 8, 14]), "{days}");

    let csv = app
        .get(&format!(
            "/api/v1/reports/cohorts?campaign_id={id}&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("cohort,visitors,period,buyers,share"));
    assert_eq!(lines.count(), 4 + 3, "a line per cohort and period");

    assert_error(
        app.get(&format!(
            "/api/v1/reports/cohorts?campaign_id={id}&interval=hour"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "interval: cohorts are by day, week or month",
    )
    .await;
}
