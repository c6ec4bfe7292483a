//! Retention deletes raw scans past their time, after the per-code history has counted
//! them, and landing events past theirs, and keeps reports and history whole; a
//! retention of 0 or less is refused.

use std::process::Command;

use reqwest::StatusCode;
use scanloop::db::{Db, now_ms};
use scanloop::jobs::retention::{Swept, sweep};
use serde_json::json;

use crate::helpers::{PHONE, TestApp};
use crate::history::code_when;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[tokio::test]
async fn old_scans_and_events_go_and_reports_and_history_stay() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Kept"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    for _ in 0..4 {
        assert_eq!(app.scan(&token, PHONE).await.status(), StatusCode::FOUND);
    }
    code_when(&app, &token, |c| c["scans"] == 4).await;
    let pool = app.db().await;
    // The touches (for conversions) and the visitors fold a moment after the history: wait
    // for both, so that ageing the scans below does not age the visitors folded from them.
    let mut folded = (0, 0);
    for _ in 0..100 {
        folded = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM touches), \
                    (SELECT COUNT(*) FROM visitors WHERE scans > 0)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if folded == (4, 4) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(folded, (4, 4), "touches and visitors of the four scans");
    // Three of the four scans were made 40 days ago, and so were their touches.
    sqlx::query(
        "UPDATE scans SET scanned_at = scanned_at - $1 \
         WHERE id IN (SELECT id FROM scans ORDER BY id LIMIT 3)",
    )
    .bind(40 * DAY_MS)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE touches SET touched_at = touched_at - $1 \
         WHERE scan_id IN (SELECT scan_id FROM touches ORDER BY scan_id LIMIT 3)",
    )
    .bind(40 * DAY_MS)
    .execute(&pool)
    .await
    .unwrap();

    // Two landing views, one of them 40 days old.
    let slug = campaign["slug"].as_str().unwrap();
    for _ in 0..2 {
        let view = app
            .client
            .get(app.url(&format!("/c/{slug}")))
            .header("user-agent", PHONE)
            .send()
            .await
            .unwrap();
        assert_eq!(view.status(), StatusCode::OK);
    }
    let mut stored = 0;
    for _ in 0..100 {
        (stored,) = sqlx::query_as("SELECT COUNT(*) FROM events")
            .fetch_one(&pool)
            .await
            .unwrap();
        if stored == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stored, 2);
    sqlx::query(
        "UPDATE events SET occurred_at = occurred_at - $1 \
         WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 1)",
    )
    .bind(40 * DAY_MS)
    .execute(&pool)
    .await
    .unwrap();

    // Six people (each scan and view came without a cookie), two last seen 40 days ago.
    let mut folded = 0;
    for _ in 0..100 {
        (folded,) = sqlx::query_as("SELECT COUNT(*) FROM visitors WHERE scans > 0 OR events > 0")
            .fetch_one(&pool)
            .await
            .unwrap();
        if folded == 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(folded, 6);
    sqlx::query(
        "UPDATE visitors SET first_seen = first_seen - $1, last_seen = last_seen - $1 \
         WHERE visitor_id IN (SELECT visitor_id FROM visitors ORDER BY visitor_id LIMIT 2)",
    )
    .bind(40 * DAY_MS)
    .execute(&pool)
    .await
    .unwrap();

    let db = Db::connect(&app.database_url).await.unwrap();
    let swept = |scans, events, touches, visitors| Swept {
        scans,
        events,
        touches,
        visitors,
    };
    assert_eq!(
        sweep(&db, 50, now_ms()).await.unwrap(),
        swept(0, 0, 0, 0),
        "none is 50 days old"
    );
    assert_eq!(sweep(&db, 30, now_ms()).await.unwrap(), swept(3, 1, 3, 2));
    assert_eq!(
        sweep(&db, 30, now_ms()).await.unwrap(),
        swept(0, 0, 0, 0),
        "nothing twice"
    );
    let (views,): (i64,) = sqlx::query_as("SELECT CAST(SUM(events) AS BIGINT) FROM event_rollups")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(views, 2, "the hourly counts of events stay");

    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scans")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
    // The sweep noted where raw rows become complete: reports split no hour before it.
    let (kept_from,): (i64,) =
        sqlx::query_as("SELECT value FROM job_watermarks WHERE job = 'raw_kept_from'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        (now_ms() - 30 * DAY_MS - kept_from).abs() < 60_000,
        "{kept_from}"
    );
    let report = app.report(&campaign["id"]).await;
    assert_eq!(report["rows"][0]["scans"], 4, "reports read the rollups");
    assert_eq!(report["rows"][0]["unique_visitors"], 4);
    let code = code_when(&app, &token, |_| true).await;
    assert_eq!(code["scans"], 4, "history keeps every scan: {code}");
}

#[test]
fn a_retention_of_zero_negative_or_not_a_number_is_refused() {
    for bad in ["0", "-3", "ten", "36501"] {
        let output = Command::new(env!("CARGO_BIN_EXE_scanloop"))
            .args(["serve", "--database-url", "sqlite::memory:"])
            .env("SCANLOOP_RETENTION_DAYS", bad)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("number of days from 1 to 36500"),
            "{bad}: {stderr}"
        );
    }
}
