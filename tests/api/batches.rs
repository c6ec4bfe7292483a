use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

#[tokio::test]
async fn a_batch_that_fails_half_way_leaves_no_codes_behind() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Atomic"}), "shared", 1).await;
    // The database refuses serial 1500, after the first 1000-code statement has succeeded.
    let db = app.db().await;
    let refuse: &[&str] = if app.database_url.starts_with("sqlite:") {
        &[
            "CREATE TRIGGER refuse_serial BEFORE INSERT ON codes WHEN NEW.serial = 1500 \
           BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION refuse_serial() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.serial = 1500 THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER refuse_serial BEFORE INSERT ON codes \
             FOR EACH ROW EXECUTE FUNCTION refuse_serial()",
        ]
    };
    for statement in refuse {
        sqlx::query(*statement).execute(&db).await.unwrap();
    }

    let response = app
        .post(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "doomed",
                   "mode": "unique", "quantity": 2000}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (batches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM batches WHERE name = 'doomed'")
        .fetch_one(&db)
        .await
        .unwrap();
    let (codes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM codes")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        (batches, codes),
        (0, 1),
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
