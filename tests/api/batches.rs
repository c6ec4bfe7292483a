use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};
use serde_json::Value;

/// Makes the database refuse to insert the code with this serial.
async fn refuse_serial(app: &TestApp, serial: i64) {
    let db = app.db().await;
    let refuse: Vec<String> = if app.database_url.starts_with("sqlite:") {
        vec![format!(
            "CREATE TRIGGER refuse_serial BEFORE INSERT ON codes WHEN NEW.serial = {serial} \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )]
    } else {
        vec![
            format!(
                "CREATE FUNCTION refuse_serial() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.serial = {serial} THEN RAISE EXCEPTION 'refused by the test'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_serial BEFORE INSERT ON codes \
             FOR EACH ROW EXECUTE FUNCTION refuse_serial()"
                .to_owned(),
        ]
    };
    for statement in refuse {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&db)
            .await
            .unwrap();
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn a_batch_that_fails_half_way_is_marked_failed_and_keeps_no_codes() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Atomic"}), "shared", 1).await;
    // The database refuses serial 1500, after the first 1000-code chunk has committed.
    refuse_serial(&app, 1500).await;

    let response = app
        .post(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "doomed",
                   "mode": "unique", "quantity": 2000}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let status: Vec<(String,)> =
        sqlx::query_as("SELECT generation FROM batches WHERE name = 'doomed'")
            .fetch_all(&app.db().await)
            .await
            .unwrap();
    assert_eq!(status, [("failed".to_owned(),)]);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM codes").await,
        1,
        "only the seeded shared code remains"
    );
}

#[tokio::test]
async fn a_unique_batch_makes_one_code_per_item_with_serials() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Bottles"}), "unique", 2500).await;
    assert_eq!(batch["quantity"], 2500);
    let codes = app.codes(&batch["id"]).await;
    assert_eq!(codes.len(), 2500);
    let serials: Vec<i64> = codes.iter().map(|c| c.0).collect();
    assert_eq!(serials, (1..=2500).collect::<Vec<_>>());
    let tokens: HashSet<&str> = codes.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(tokens.len(), 2500, "tokens are distinct");
    for (_, token, url) in &codes {
        assert_eq!(token.len(), 13);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(url, &format!("{}/S/{token}", app.address.to_uppercase()));
    }
}

#[tokio::test]
async fn a_shared_batch_makes_one_code() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Posters"}), "shared", 300).await;
    assert_eq!(app.codes(&batch["id"]).await.len(), 1);
}

#[tokio::test]
async fn bad_batch_input_gets_a_clear_error_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "C"}), "shared", 1).await;
    let base = |extra: serde_json::Value| {
        let mut body = json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "b", "mode": "unique", "quantity": 10});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let cases = [
        (
            base(json!({"quantity": 0})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            base(json!({"quantity": -5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            base(json!({"quantity": 10_000_001})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "10000000",
        ),
        (
            base(json!({"quantity": null})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity",
        ),
        (
            base(json!({"quantity": "ten"})),
            StatusCode::BAD_REQUEST,
            "quantity",
        ),
        (
            base(json!({"mode": "many"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mode",
        ),
        (
            base(json!({"campaign_id": 424242})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaign_id",
        ),
        (
            base(json!({"channel_id": 424242})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "channel_id",
        ),
        (
            base(json!({"store_id": 424242})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "store_id",
        ),
        (
            base(json!({"gtin": "4006381333932"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "check digit",
        ),
        (
            base(json!({"gtin": "40063813339"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "8, 12, 13 or 14 digits",
        ),
        (
            base(json!({"gtin": "4006381333 93"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "8, 12, 13 or 14 digits",
        ),
        (
            base(json!({"lot": "has space"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lot",
        ),
        (
            base(json!({"cost_cents": -1})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cost_cents",
        ),
    ];
    for (body, status, part) in cases {
        assert_error(app.post("/api/v1/batches", body).await, status, part).await;
    }
    let db = app.db().await;
    let (codes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM codes")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(codes, 1, "only the seeded shared batch's code exists");
    assert_error(
        app.get("/api/v1/batches/999/codes.csv").await,
        StatusCode::NOT_FOUND,
        "batch",
    )
    .await;
}

#[tokio::test]
async fn a_batch_carries_gs1_data_and_cost() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "G"}), "shared", 1).await;
    let batch = app
        .create("/api/v1/batches", json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "lot",
            "mode": "unique", "quantity": 3, "gtin": "09506000134352", "lot": "L2026-07", "cost_cents": 9900}))
        .await;
    assert_eq!(batch["gtin"], "09506000134352");
    assert_eq!(batch["lot"], "L2026-07");
    let listed: serde_json::Value = app
        .get(&format!("/api/v1/batches?campaign_id={}", campaign["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_large_batch_is_generated_in_the_background_and_counts_up_to_ready() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Big run"}), "shared", 1).await;
    let response = app
        .post(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "big",
                   "mode": "unique", "quantity": 25_000}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let batch: Value = response.json().await.unwrap();
    assert_eq!(batch["status"], "generating");
    assert_eq!(batch["codes_total"], 25_000);
    assert!(batch["codes_generated"].as_i64().unwrap() < 25_000);

    let ready = app.wait_for_batch(&batch["id"], "ready").await;
    assert_eq!(ready["codes_generated"], 25_000);
    let codes = app.codes(&batch["id"]).await;
    let serials: Vec<i64> = codes.iter().map(|c| c.0).collect();
    assert_eq!(serials, (1..=25_000).collect::<Vec<_>>());
    let tokens: HashSet<&str> = codes.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(tokens.len(), 25_000);
    let (_, token, _) = &codes[24_999];
    assert_eq!(
        app.scan(token, crate::helpers::PHONE).await.status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn a_background_batch_that_fails_is_marked_failed_and_its_codes_removed() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Doomed run"}), "shared", 1).await;
    refuse_serial(&app, 15_500).await;
    let response = app
        .post(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "doomed",
                   "mode": "unique", "quantity": 20_000}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let batch: Value = response.json().await.unwrap();
    app.wait_for_batch(&batch["id"], "failed").await;
    let id = batch["id"].as_i64().unwrap();
    let left = || async {
        count(
            &app,
            &format!("SELECT COUNT(*) FROM codes WHERE batch_id = {id}"),
        )
        .await
    };
    for _ in 0..100 {
        if left().await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left().await, 0, "a failed batch keeps no codes");
    assert_error(
        app.get(&format!("/api/v1/batches/{id}/codes.csv")).await,
        StatusCode::CONFLICT,
        "failed",
    )
    .await;
}

/// A batch that another process is generating: a row with a live lease and one code.
async fn generating_elsewhere(app: &TestApp, campaign: &Value, channel: &Value) -> (i64, String) {
    let db = app.db().await;
    let far = i64::MAX / 2;
    let (id,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO batches (campaign_id, channel_id, name, mode, quantity, cost_cents, status, \
         created_at, generation, codes_generated, lease_owner, lease_until) \
         VALUES ({}, {}, 'elsewhere', 'unique', 10000000, 0, 'active', 0, 'generating', 1, \
         'another-process', {far}) RETURNING id",
        campaign["id"], channel["id"]
    )))
    .fetch_one(&db)
    .await
    .unwrap();
    let token = format!("ZZZZZZZZZZ{:03}", id % 1000);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO codes (token, batch_id, serial) VALUES ('{token}', {id}, 1)"
    )))
    .execute(&db)
    .await
    .unwrap();
    (id, token)
}

#[tokio::test]
async fn a_generating_batch_has_no_codes_images_or_redirects_yet() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Wait"}), "shared", 1).await;
    let (id, token) = generating_elsewhere(&app, &campaign, &channel).await;
    let batch: Value = app
        .get(&format!("/api/v1/batches/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&batch["status"], &batch["codes_generated"]),
        (&json!("generating"), &json!(1))
    );
    for path in [
        format!("/api/v1/batches/{id}/codes.csv"),
        format!("/api/v1/codes/{token}/qr.png"),
        format!("/api/v1/codes/{token}/qr.svg"),
    ] {
        assert_error(
            app.get(&path).await,
            StatusCode::CONFLICT,
            "still generating",
        )
        .await;
    }
    let scan = app.scan(&token, crate::helpers::PHONE).await;
    assert_eq!(
        scan.status(),
        StatusCode::NOT_FOUND,
        "its codes do not resolve yet"
    );
}

#[tokio::test]
async fn a_large_batch_is_refused_with_429_while_too_many_codes_wait() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Queue"}), "shared", 1).await;
    // Two ten-million batches wait (each has one code of 10,000,000 written).
    generating_elsewhere(&app, &campaign, &channel).await;
    generating_elsewhere(&app, &campaign, &channel).await;
    let body = |quantity: i64| {
        json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "more",
               "mode": "unique", "quantity": quantity})
    };
    assert_error(
        app.post("/api/v1/batches", body(20_000)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "waiting to be generated",
    )
    .await;
    // Small batches do not queue: they are still made at once.
    assert_eq!(
        app.post("/api/v1/batches", body(500)).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_batch_whose_generator_died_is_taken_over_and_finished() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Orphan"}), "shared", 1).await;
    let db = app.db().await;
    // A process leased it, wrote 1 code and died: its lease ran out a minute ago.
    let (id,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO batches (campaign_id, channel_id, name, mode, quantity, cost_cents, status, \
         created_at, generation, codes_generated, lease_owner, lease_until) \
         VALUES ({}, {}, 'orphan', 'unique', 3000, 0, 'active', 0, 'generating', 1, 'dead', 1) \
         RETURNING id",
        campaign["id"], channel["id"]
    )))
    .fetch_one(&db)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO codes (token, batch_id, serial) VALUES ('YYYYYYYYYY000', {id}, 1)"
    )))
    .execute(&db)
    .await
    .unwrap();
    app.wait_for_batch(&json!(id), "ready").await;
    let codes = app.codes(&json!(id)).await;
    assert_eq!(codes.len(), 3000);
    assert_eq!(
        codes[0].1, "YYYYYYYYYY000",
        "the committed chunk is kept, not redone"
    );
    let serials: HashSet<i64> = codes.iter().map(|c| c.0).collect();
    assert_eq!(serials.len(), 3000);
}
