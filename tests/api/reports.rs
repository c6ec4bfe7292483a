use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PHONE, TestApp, assert_error, visitor_cookie};

#[tokio::test]
async fn the_channel_report_counts_scans_visitors_bots_and_spend() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app.seed(json!({"name": "Report"}), "unique", 3).await;
    let codes = app.codes(&batch["id"]).await;
    // Two people: one scans twice (keeps the cookie), one scans once; one bot.
    let cookie = visitor_cookie(&app.scan(&codes[0].1, PHONE).await);
    app.client
        .get(app.url(&format!("/s/{}", codes[1].1)))
        .header("user-agent", PHONE)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    app.scan(&codes[2].1, PHONE).await;
    app.scan(&codes[2].1, "Slackbot-LinkExpanding 1.0").await;

    let report = app.report(&campaign["id"]).await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["channel_id"], channel["id"]);
    assert_eq!(row["scans"], 3);
    assert_eq!(row["unique_visitors"], 2);
    assert_eq!(row["new_visitors"], 2);
    assert_eq!(row["bot_scans"], 1);
    assert_eq!(row["spend_cents"], 1500);
    assert_eq!(row["conversions"], 0.0);
    assert_eq!(row["revenue_cents"], 0);
    assert_eq!(row["conversion_rate"], 0.0);
    assert_eq!(
        row["cpa_cents"],
        serde_json::Value::Null,
        "no conversions, no CPA"
    );
    assert_eq!(row["roas"], 0.0);
    assert_eq!(report["total"]["scans"], 3);
    assert_eq!(report["total"]["spend_cents"], 1500);

    let past = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&from=2020-01-01&to=2020-02-01",
            campaign["id"]
        ))
        .await;
    let past: serde_json::Value = past.json().await.unwrap();
    assert_eq!(
        past["rows"][0]["scans"], 0,
        "a range before the scans counts none"
    );
    assert_eq!(past["rows"][0]["spend_cents"], 1500);
}

#[tokio::test]
async fn unique_visitors_stay_exact_across_many_group_commits() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Crowd"}), "unique", 50).await;
    let codes = app.codes(&batch["id"]).await;
    // 300 new visitors at once land in several groups, each merging into the stored sketch.
    let scans = (0..300).map(|i| app.scan(&codes[i % codes.len()].1, PHONE));
    let answered = futures_util::future::join_all(scans).await;
    assert!(answered.iter().all(|r| r.status() == StatusCode::FOUND));

    let report = app.report(&campaign["id"]).await;
    assert_eq!(report["rows"][0]["scans"], 300);
    assert_eq!(report["rows"][0]["unique_visitors"], 300);
}

#[tokio::test]
async fn bad_report_queries_get_a_clear_error() {
    let app = TestApp::spawn().await;
    assert_error(
        app.get("/api/v1/reports/channels").await,
        StatusCode::BAD_REQUEST,
        "campaign_id",
    )
    .await;
    assert_error(
        app.get("/api/v1/reports/channels?campaign_id=77").await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;
    let (campaign, _, _) = app.seed(json!({"name": "R"}), "shared", 1).await;
    let bad = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={}&from=soon",
            campaign["id"]
        ))
        .await;
    assert_error(bad, StatusCode::BAD_REQUEST, "from").await;
    let id = &campaign["id"];
    for (query, part) in [
        ("from=2026-02-01&to=2026-01-01", "to: must be after from"),
        ("from=2026-01-01&to=2026-01-01", "to: must be after from"),
        ("to=+10000-01-01T00:00:00Z", "to:"),
        ("to=9999-12-31T23:00:01Z", "9999-12-31T23:00:00Z"),
        ("from=1969-12-31", "from:"),
        ("from=2026-13-01", "from:"),
    ] {
        let response = app
            .get(&format!(
                "/api/v1/reports/channels?campaign_id={id}&{query}"
            ))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, part).await;
    }
    // The widest range there is (two years) still echoes valid RFC 3339 times.
    let widest: serde_json::Value = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={id}&from=9997-12-31T00:00:00Z&to=9999-12-31T22:30:00Z"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(widest["from"], "9997-12-31T00:00:00.000Z");
    assert_eq!(widest["to"], "9999-12-31T22:30:00.000Z", "to the minute");
    let longer = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={id}&from=2024-01-01&to=2026-02-01"
        ))
        .await;
    assert_error(
        longer,
        StatusCode::BAD_REQUEST,
        "from: a report covers at most 731 days",
    )
    .await;
    for (query, part) in [
        ("interval=fortnight", "interval:"),
        ("tz=Mars%2FOlympus", "tz:"),
        ("model=gut_feeling", "model"),
    ] {
        let response = app
            .get(&format!("/api/v1/reports/time?campaign_id={id}&{query}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, part).await;
    }
}

#[tokio::test]
async fn the_time_report_buckets_by_hour_day_week_and_month_without_gaps() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Seasons", "slug": "seasons",
                   "landing": {"cta_url": "https://shop.example.com/"}}),
            "shared",
            1,
        )
        .await;
    let id = campaign["id"].as_i64().unwrap();
    // A campaign with nothing yet answers no buckets and zero totals.
    let empty: serde_json::Value = app
        .get(&format!("/api/v1/reports/time?campaign_id={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["total"]["scans"], 0);

    // Counted hours from the past, as the scan writer keeps them (UTC): Thursday
    // 2026-01-29 23:00, Saturday 01-31 20:00 (Sunday February 1 in Shanghai), Sunday
    // 02-01 20:00 (Monday in Shanghai) and Monday 02-02 09:00.
    let hours = [
        (1_769_727_600_000_i64, 2_i64),
        (1_769_889_600_000, 1),
        (1_769_976_000_000, 3),
        (1_770_022_800_000, 5),
    ];
    let db = app.db().await;
    let mut tx = db.begin().await.unwrap();
    count_hours(&mut tx, &batch, &hours).await;
    tx.commit().await.unwrap();
    let time = |query: &'static str| {
        let app = &app;
        async move {
            let path = format!(
                "/api/v1/reports/time?campaign_id={id}&from=2026-01-01&to=2026-03-01&{query}"
            );
            let report: serde_json::Value = app.get(&path).await.json().await.unwrap();
            let buckets: Vec<(String, i64)> = report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["label"].as_str().unwrap().to_owned(),
                        r["scans"].as_i64().unwrap(),
                    )
                })
                .collect();
            (report, buckets)
        }
    };
    let labelled = |buckets: &[(&str, i64)]| -> Vec<(String, i64)> {
        buckets.iter().map(|(l, n)| ((*l).to_owned(), *n)).collect()
    };
    let (days, by_day) = time("interval=day").await;
    assert_eq!(
        by_day,
        labelled(&[
            ("2026-01-29", 2),
            ("2026-01-30", 0),
            ("2026-01-31", 1),
            ("2026-02-01", 3),
            ("2026-02-02", 5)
        ]),
        "a day with nothing is a zero, not a gap"
    );
    assert_eq!(days["total"]["scans"], 11);
    assert_eq!(
        time("interval=week").await.1,
        labelled(&[("2026-01-26", 6), ("2026-02-02", 5)]),
        "weeks start on Monday"
    );
    assert_eq!(
        time("interval=week&tz=%2B08:00").await.1,
        labelled(&[("2026-01-26", 3), ("2026-02-02", 8)]),
        "Sunday 20:00 UTC is Monday in Shanghai"
    );
    assert_eq!(
        time("interval=month").await.1,
        labelled(&[("2026-01", 3), ("2026-02", 8)])
    );
    assert_eq!(
        time("interval=month&tz=%2B08:00").await.1,
        labelled(&[("2026-01", 2), ("2026-02", 9)]),
        "Saturday 20:00 UTC is February in Shanghai"
    );
    let (hourly, by_hour) = time("interval=hour").await;
    assert_eq!(by_hour.len(), 83, "every hour from the first to the last");
    assert_eq!(hourly["rows"][0]["label"], "2026-01-29T23:00");
    assert_eq!(hourly["rows"][0]["start"], "2026-01-29T23:00:00.000Z");
    assert_eq!(
        by_hour.iter().map(|b| b.1).sum::<i64>(),
        11,
        "the buckets add up to the total"
    );

    // A landing view and a click today land in today's bucket beside today's scan.
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let scan = app.scan(&token, PHONE).await;
    let cookie = visitor_cookie(&scan);
    for path in [
        format!("/c/seasons?code={token}"),
        format!("/c/seasons/go/buy?code={token}"),
    ] {
        app.client
            .get(app.url(&path))
            .header("user-agent", PHONE)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
    }
    let today: serde_json::Value = app
        .get(&format!(
            "/api/v1/reports/daily?campaign_id={id}&from=2026-03-01"
        ))
        .await
        .json()
        .await
        .unwrap();
    let row = &today["rows"][0];
    assert_eq!(
        (
            row["scans"].as_i64(),
            row["landing_views"].as_i64(),
            row["cta_clicks"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{today}"
    );
}

#[tokio::test]
async fn visitors_scanning_through_two_instances_are_counted_once() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (campaign, _, batch) = first.seed(json!({"name": "Both"}), "shared", 1).await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    let instances = [&first, &second];
    let visitor = |v: usize| {
        let token = token.clone();
        async move {
            let response = instances[v % 2].scan(&token, PHONE).await;
            assert_eq!(response.status(), StatusCode::FOUND);
            let cookie = visitor_cookie(&response);
            // Then back through both instances, concurrently with everyone else.
            for again in 1..4 {
                let app = instances[(v + again) % 2];
                let response = app
                    .client
                    .get(app.url(&format!("/s/{token}")))
                    .header("user-agent", PHONE)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::FOUND);
                assert!(response.headers().get("set-cookie").is_none());
            }
        }
    };
    futures_util::future::join_all((0..40).map(visitor)).await;

    for app in instances {
        let row = &app.report(&campaign["id"]).await["rows"][0];
        assert_eq!(row["scans"], 160, "{row}");
        assert_eq!(row["unique_visitors"], 40, "{row}");
        assert_eq!(row["new_visitors"], 40, "{row}");
    }
}

#[tokio::test]
async fn ranges_count_to_the_minute_at_their_edges() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app.seed(json!({"name": "Minutes"}), "shared", 1).await;
    let (id, batch_id) = (
        campaign["id"].as_i64().unwrap(),
        batch["id"].as_i64().unwrap(),
    );
    let code = app.codes(&batch["id"]).await[0].0;
    // Scans on 2026-03-02 at 09:10, 09:40 and 10:20 UTC, with the rollups the scan writer
    // would have kept beside them.
    let nine = 1_772_442_000_000_i64;
    let minute = 60_000;
    let db = app.db().await;
    let mut tx = db.begin().await.unwrap();
    for at in [nine + 10 * minute, nine + 40 * minute, nine + 80 * minute] {
        sqlx::query(
            "INSERT INTO scans (scanned_at, code_id, batch_id, campaign_id, channel_id, \
             visitor_id, is_new_visitor, device, is_bot, outcome) \
             VALUES ($1, $2, $3, $4, $5, 'v', 1, 'mobile', 0, 'destination')",
        )
        .bind(at)
        .bind(code)
        .bind(batch_id)
        .bind(id)
        .bind(channel["id"].as_i64().unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    count_hours(&mut tx, &batch, &[(nine, 2), (nine + 60 * minute, 1)]).await;
    tx.commit().await.unwrap();
    let scans = |from: &'static str, to: &'static str| {
        let app = &app;
        async move {
            let mut counts = Vec::new();
            for report in ["channels", "batches", "devices", "time?interval=hour&x=1"] {
                let (path, extra) = report.split_once('?').unwrap_or((report, ""));
                let body: serde_json::Value = app
                    .get(&format!(
                        "/api/v1/reports/{path}?campaign_id={id}&from={from}&to={to}&{extra}"
                    ))
                    .await
                    .json()
                    .await
                    .unwrap();
                let rows: i64 = body["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["scans"].as_i64().unwrap())
                    .sum();
                counts.push(rows);
            }
            counts
        }
    };
    assert_eq!(
        scans("2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z").await,
        [3, 3, 3, 3]
    );
    assert_eq!(
        scans("2026-03-02T09:30:00Z", "2026-03-02T10:30:00Z").await,
        [2, 2, 2, 2],
        "09:40 and 10:20, from the raw scans at both edges"
    );
    assert_eq!(
        scans("2026-03-02T09:30:00Z", "2026-03-02T11:00:00Z").await,
        [2, 2, 2, 2]
    );
    assert_eq!(
        scans("2026-03-02T09:05:00Z", "2026-03-02T09:15:00Z").await,
        [1, 1, 1, 1]
    );
    let echoed: serde_json::Value = app
        .get(&format!(
            "/api/v1/reports/channels?campaign_id={id}&from=2026-03-02T09:30:00Z&to=2026-03-02T10:30:00Z"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (echoed["from"].as_str(), echoed["to"].as_str()),
        (
            Some("2026-03-02T09:30:00.000Z"),
            Some("2026-03-02T10:30:00.000Z")
        )
    );

    // A landing view at 09:40, raw and in its hour's rollup: counted from the raw event at
    // an edge, from the rollup for the whole hour, and not at all after it.
    sqlx::query(
        "INSERT INTO events (occurred_at, kind, campaign_id, channel_id, batch_id, is_bot, \
         device) VALUES ($1, 'view', $2, $3, $4, 0, 'mobile')",
    )
    .bind(nine + 40 * minute)
    .bind(id)
    .bind(batch["channel_id"].as_i64().unwrap())
    .bind(batch_id)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO event_rollups (hour, campaign_id, batch_id, kind, action, country, device, \
         channel_id, store_id, events, bot_events) \
         VALUES ($1, $2, $3, 'view', '', '', 'mobile', $4, NULL, 1, 0)",
    )
    .bind(nine)
    .bind(id)
    .bind(batch_id)
    .bind(batch["channel_id"].as_i64().unwrap())
    .execute(&db)
    .await
    .unwrap();
    for (from, to, views) in [
        ("2026-03-02T09:30:00Z", "2026-03-02T10:30:00Z", 1.0),
        ("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", 1.0),
        ("2026-03-02T09:45:00Z", "2026-03-02T10:30:00Z", 0.0),
    ] {
        let funnel: serde_json::Value = app
            .get(&format!(
                "/api/v1/reports/funnel?campaign_id={id}&from={from}&to={to}"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(funnel["steps"][2]["step"], "landing_views");
        assert_eq!(funnel["steps"][2]["count"], views, "{from} to {to}");
    }

    // Retention removed the scans before 09:20, noting its cutoff first as the sweep does:
    // the 09:00 hour can no longer be split, and is read whole from its rollup.
    sqlx::query("INSERT INTO job_watermarks (job, value) VALUES ('raw_kept_from', $1)")
        .bind(nine + 20 * minute)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM scans WHERE scanned_at < $1")
        .bind(nine + 20 * minute)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        scans("2026-03-02T09:30:00Z", "2026-03-02T10:30:00Z").await,
        [3, 3, 3, 3]
    );
}

/// People's scans of `batch` in the hour starting at `hour`, counted in its rollup as the
/// scan writer counts them.
/// Counted hours as the scan writer keeps them. Callers write them in one transaction
/// with whatever goes with them: the server's day fold (which may run at any moment) then
/// sees none of them or all, never a day folded before the rest of its hours arrived.
async fn count_hours(
    tx: &mut sqlx::AnyConnection,
    batch: &serde_json::Value,
    hours: &[(i64, i64)],
) {
    for &(hour, scans) in hours {
        sqlx::query(
            "INSERT INTO scan_rollups (hour, batch_id, country, device, campaign_id, channel_id, \
             store_id, scans, bot_scans, new_visitors) \
             VALUES ($1, $2, '', 'mobile', $3, $4, NULL, $5, 0, $5)",
        )
        .bind(hour)
        .bind(batch["id"].as_i64().unwrap())
        .bind(batch["campaign_id"].as_i64().unwrap())
        .bind(batch["channel_id"].as_i64().unwrap())
        .bind(scans)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
}
