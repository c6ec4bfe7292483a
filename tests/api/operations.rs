//! For operators: `/metrics` counts what happened (and keeps its token), `/healthz` tells
//! when the scan writer is stuck, not only when the database is down.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{PHONE, TestApp, assert_error, metrics, sample};

#[tokio::test]
async fn metrics_count_requests_scans_groups_and_cache_lookups() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app
        .seed(
            json!({"name": "Counted", "destination_url": "https://shop.example.com"}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let scans = (0..200).map(|_| app.scan(&token, PHONE));
    assert!(
        join_all(scans)
            .await
            .iter()
            .all(|r| r.status() == StatusCode::FOUND)
    );
    app.scan(&token, "curl/8.5.0").await;
    app.scan("ABCDEFGHJKMNP", PHONE).await;

    let text = metrics(&app).await;
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text");
    let people = r#"scanloop_scans_total{outcome="destination",bot="false"}"#;
    assert_eq!(sample(&text, people), 200.0);
    assert_eq!(
        sample(
            &text,
            r#"scanloop_scans_total{outcome="destination",bot="true"}"#
        ),
        1.0
    );
    let redirects = r#"scanloop_http_requests_total{route="/s/{token}",status="302"}"#;
    assert_eq!(sample(&text, redirects), 201.0);
    let missing = r#"scanloop_http_requests_total{route="/s/{token}",status="404"}"#;
    assert_eq!(sample(&text, missing), 1.0);
    assert!(
        sample(
            &text,
            r#"scanloop_http_request_duration_seconds_count{route="/s/{token}"}"#
        ) >= 202.0
    );

    // 201 scans were committed in fewer transactions: concurrent scans share one.
    let groups = sample(&text, "scanloop_scan_writer_group_size_count");
    let grouped = sample(&text, "scanloop_scan_writer_group_size_sum");
    assert_eq!(grouped, 201.0);
    assert!(groups < 201.0, "{groups} groups for 201 scans");

    let lookups = |text: &str| {
        let hits = sample(text, r#"scanloop_code_cache_lookups_total{result="hit"}"#);
        let misses = sample(text, r#"scanloop_code_cache_lookups_total{result="miss"}"#);
        (hits, misses)
    };
    let (hits, misses) = lookups(&text);
    assert_eq!(hits + misses, 202.0, "every lookup is counted once");
    assert!(
        sample(&text, "scanloop_code_cache_entries") >= 2.0,
        "the code and the unknown token"
    );
    // Once loaded (and after the follower has seen the batch become ready, which drops
    // the cache once), a scan of the code is served from memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.scan(&token, PHONE).await;
    let before = lookups(&metrics(&app).await);
    app.scan(&token, PHONE).await;
    let after = lookups(&metrics(&app).await);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (1.0, 0.0),
        "a hit"
    );
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let secret = "metrics-token-0123456789";
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(secret.into())).await;
    let url = app.url("/metrics");
    let missing = app.client.get(&url).send().await.unwrap();
    assert_error(missing, StatusCode::UNAUTHORIZED, "Bearer").await;
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("metrics-token-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = app
        .client
        .get(&url)
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("scanloop_http_requests_total")
    );
}

#[tokio::test]
async fn healthz_fails_while_the_writer_cannot_commit_and_recovers() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Stuck"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    // Another connection holds the scans table, so the writer's commit waits.
    let mut blocker = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let lock = if app.database_url.starts_with("sqlite:") {
        "BEGIN EXCLUSIVE"
    } else {
        "BEGIN; LOCK TABLE scans IN ACCESS EXCLUSIVE MODE"
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(lock))
        .execute(&mut blocker)
        .await
        .unwrap();
    let waiting_scan = tokio::spawn({
        let client = app.client.clone();
        let url = app.url(&format!("/s/{token}"));
        async move {
            client
                .get(url)
                .header("user-agent", PHONE)
                .send()
                .await
                .unwrap()
                .status()
        }
    });

    let started = Instant::now();
    let reason = loop {
        let response = app.get("/healthz").await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            break response.text().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(9),
            "healthz stayed 200"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(reason.contains("has not stored queued scans"), "{reason}");

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    assert_eq!(
        waiting_scan.await.unwrap(),
        StatusCode::FOUND,
        "the held scan is stored"
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_flood_of_unknown_tokens_stays_bounded_and_keeps_real_codes() {
    use scanloop::db::Db;
    use scanloop::metrics::Metrics;
    use scanloop::scans::CodeCache;
    use std::sync::Arc;

    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Real"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let metrics = Arc::new(Metrics::default());
    let cache = CodeCache::new(
        Db::connect(&app.database_url).await.unwrap(),
        metrics.clone(),
    );
    assert!(cache.get(&token).await.unwrap().is_some());
    for i in 0..21_000 {
        assert!(cache.get(&format!("ZZZ{i:010}")).await.unwrap().is_none());
        if i % 5_000 == 0 {
            // The real code keeps being scanned while the flood goes on.
            assert!(cache.get(&token).await.unwrap().is_some());
        }
    }
    let text = metrics.render();
    let entries = sample(&text, "scanloop_code_cache_entries");
    assert!(
        entries <= 20_001.0,
        "{entries} entries after 21,000 unknown tokens"
    );
    let misses = sample(&text, r#"scanloop_code_cache_lookups_total{result="miss"}"#);
    assert_eq!(
        misses, 21_001.0,
        "the real code was loaded once and never dropped"
    );
}
