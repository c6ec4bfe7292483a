use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

#[tokio::test]
async fn campaigns_are_created_listed_and_read() {
    let app = TestApp::spawn().await;
    let created = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Summer Tea 2026", "destination_url": "https://shop.example.com/tea",
                   "starts_at": "2026-06-01", "ends_at": "2026-09-01T00:00:00Z",
                   "landing": {"title": "Hello", "cta_label": "Buy", "cta_url": "https://shop.example.com"}}),
        )
        .await;
    assert_eq!(created["slug"], "summer-tea-2026");
    assert_eq!(created["status"], "active");
    assert_eq!(created["starts_at"], "2026-06-01T00:00:00.000Z");
    assert_eq!(created["landing"]["title"], "Hello");

    let one: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{}", created["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["name"], "Summer Tea 2026");

    for i in 0..3 {
        app.create("/api/v1/campaigns", json!({"name": format!("Extra {i}")}))
            .await;
    }
    let page: serde_json::Value = app
        .get("/api/v1/campaigns?limit=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let next = page["next_after"].as_i64().expect("a further page");
    let rest: serde_json::Value = app
        .get(&format!("/api/v1/campaigns?limit=3&after={next}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_after"].is_null());
}

#[tokio::test]
async fn the_api_refuses_missing_and_wrong_keys() {
    let app = TestApp::spawn().await;
    let none = app
        .client
        .get(app.url("/api/v1/campaigns"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_error(none, StatusCode::UNAUTHORIZED, "API key").await;
    let wrong = app
        .client
        .get(app.url("/api/v1/campaigns"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_error(wrong, StatusCode::UNAUTHORIZED, "API key").await;
}

/// A valid key is remembered for a second (a busy shop is not a database read per
/// request); once revoked (`scanloop keys revoke` in another process) it is refused after it.
#[tokio::test]
async fn a_revoked_key_is_refused_within_a_second() {
    let app = TestApp::spawn().await;
    let campaigns = || {
        app.client
            .get(app.url("/api/v1/campaigns"))
            .bearer_auth(crate::helpers::API_KEY)
            .send()
    };
    assert_eq!(campaigns().await.unwrap().status(), StatusCode::OK);
    let db = app.db().await;
    sqlx::query("UPDATE api_keys SET revoked_at = 1")
        .execute(&db)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_error(
        campaigns().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "API key",
    )
    .await;
}

#[tokio::test]
async fn bad_campaign_input_gets_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"name": "x", "destination_url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "destination_url",
        ),
        (
            json!({"name": "x", "fallback_url": "not a url"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fallback_url",
        ),
        (
            json!({"name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"name": "x", "slug": "Bad Slug"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug",
        ),
        (
            json!({"name": "x", "starts_at": "yesterday"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "starts_at",
        ),
        (
            json!({"name": "x", "starts_at": "2026-02-01", "ends_at": "2026-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ends_at",
        ),
        (
            json!({"name": "x", "slug": "a".repeat(65)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "1 to 64",
        ),
        (
            json!({"name": "x", "destination_url": format!("https://e.com/{}", "a".repeat(2035))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "2048",
        ),
        (
            json!({"name": "x", "destination_url": format!("https://e.com/{}", "茶".repeat(600))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "percent-encoded",
        ),
        (json!({"name": 5}), StatusCode::BAD_REQUEST, "name"),
        (json!({}), StatusCode::BAD_REQUEST, "name"),
        (
            json!({"name": "x", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
    ];
    for (body, status, field) in cases {
        assert_error(app.post("/api/v1/campaigns", body).await, status, field).await;
    }
    let malformed = app
        .client
        .post(app.url("/api/v1/campaigns"))
        .bearer_auth(crate::helpers::API_KEY)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_error(malformed, StatusCode::BAD_REQUEST, "JSON").await;
    let huge = json!({"name": "x".repeat(100_000)});
    assert_error(
        app.post("/api/v1/campaigns", huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too large",
    )
    .await;

    let longest = json!({
        "name": "x",
        "slug": "a".repeat(64),
        "destination_url": format!("https://e.com/{}", "a".repeat(2034)),
    });
    app.create("/api/v1/campaigns", longest).await;
    app.create("/api/v1/campaigns", json!({"name": "Twice"}))
        .await;
    assert_error(
        app.post("/api/v1/campaigns", json!({"name": "Twice"}))
            .await,
        StatusCode::CONFLICT,
        "slug",
    )
    .await;
    assert_error(
        app.get("/api/v1/campaigns/999999").await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;
    assert_error(
        app.get("/api/v1/campaigns/abc").await,
        StatusCode::BAD_REQUEST,
        "path",
    )
    .await;
    assert_error(
        app.get("/api/v1/campaigns?limit=0").await,
        StatusCode::BAD_REQUEST,
        "limit",
    )
    .await;
    assert_error(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "endpoint",
    )
    .await;
}

#[tokio::test]
async fn channels_and_stores_validate_their_input() {
    let app = TestApp::spawn().await;
    let channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Metro Line 2", "kind": "poster"}),
        )
        .await;
    assert_eq!(channel["slug"], "metro-line-2");
    assert_error(
        app.post("/api/v1/channels", json!({"name": "x", "kind": "blimp"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "kind",
    )
    .await;

    let store = app
        .create("/api/v1/stores", json!({"name": "Nanjing Rd", "code": "SH-001", "city": "Shanghai", "latitude": 31.23, "longitude": 121.47}))
        .await;
    assert_eq!(store["code"], "SH-001");
    assert_error(
        app.post("/api/v1/stores", json!({"name": "x", "code": "SH-001"}))
            .await,
        StatusCode::CONFLICT,
        "code",
    )
    .await;
    assert_error(
        app.post(
            "/api/v1/stores",
            json!({"name": "x", "code": "Y", "latitude": 91.0, "longitude": 0.0}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "latitude",
    )
    .await;
    assert_error(
        app.post(
            "/api/v1/stores",
            json!({"name": "x", "code": "Z", "latitude": 1.0}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "longitude",
    )
    .await;
    let list: serde_json::Value = app.get("/api/v1/stores").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn control_characters_are_refused_in_every_text_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Base"}), "shared", 1).await;
    let nul = "tea\u{0}time";
    let cases = [
        ("/api/v1/campaigns", json!({"name": nul}), "name"),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "landing": {"title": nul}}),
            "landing.title",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "landing": {"body": nul}}),
            "landing.body",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "landing": {"body": "a\u{7}b"}}),
            "landing.body",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "landing": {"cta_label": nul}}),
            "landing.cta_label",
        ),
        (
            "/api/v1/channels",
            json!({"name": nul, "kind": "poster"}),
            "name",
        ),
        ("/api/v1/stores", json!({"name": nul, "code": "S1"}), "name"),
        ("/api/v1/stores", json!({"name": "S", "code": nul}), "code"),
        (
            "/api/v1/stores",
            json!({"name": "S", "code": "S2", "city": nul}),
            "city",
        ),
        (
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": nul, "mode": "shared"}),
            "name",
        ),
    ];
    for (path, body, field) in cases {
        let response = app.post(path, body).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, field).await;
    }
    // Line breaks and tabs are text in a landing page's body.
    let multiline = json!({"name": "Lines", "landing": {"body": "Line one\n\tLine two"}});
    let created = app.create("/api/v1/campaigns", multiline).await;
    assert_eq!(created["landing"]["body"], "Line one\n\tLine two");

    let db = app.db().await;
    for (table, expected) in [
        ("campaigns", 2),
        ("channels", 1),
        ("stores", 0),
        ("batches", 1),
    ] {
        let (count,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(count, expected, "{table}");
    }
}

#[tokio::test]
async fn channels_and_stores_are_edited_keeping_what_was_printed_or_sent() {
    let app = TestApp::spawn().await;
    let channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Posters", "kind": "poster"}),
        )
        .await;
    let path = format!("/api/v1/channels/{}", channel["id"]);
    let renamed = app
        .patch(&path, json!({"name": "Metro posters", "kind": "media"}))
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["name"], "Metro posters");
    assert_eq!(renamed["kind"], "media");
    assert_eq!(renamed["slug"], channel["slug"], "the utm_source stays");
    for (body, field) in [
        (json!({"kind": "billboard"}), "kind"),
        (json!({"name": " "}), "name"),
        (json!({}), "send at least one of name, kind and status"),
        (json!({"status": "paused"}), "status"),
    ] {
        let refused = app.patch(&path, body).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains(field), "{field}");
    }
    assert_eq!(
        app.patch(&path, json!({"slug": "x"})).await.status(),
        StatusCode::BAD_REQUEST
    );

    let store = app
        .create(
            "/api/v1/stores",
            json!({"name": "Shop", "code": "S-1", "city": "Shanghai", "latitude": 31.2, "longitude": 121.4}),
        )
        .await;
    let path = format!("/api/v1/stores/{}", store["id"]);
    let moved = app
        .patch(
            &path,
            json!({"name": "Shop 2", "city": null, "latitude": null, "longitude": null}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["code"], "S-1", "the code tills send stays");
    assert_eq!(moved["name"], "Shop 2");
    assert!(moved["city"].is_null() && moved["latitude"].is_null());
    // A body that is not an object is refused, even one serde could read field by field.
    let array = app.patch(&path, json!([null, null])).await;
    assert_eq!(array.status(), StatusCode::BAD_REQUEST);
    assert!(array.text().await.unwrap().contains("send a JSON object"));
    let half = app.patch(&path, json!({"latitude": 30.0})).await;
    assert_eq!(
        half.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "both or neither"
    );
    let now: Value = app.get(&path).await.json().await.unwrap();
    assert!(
        now["latitude"].is_null(),
        "a refused change changes nothing"
    );
    assert_eq!(
        app.patch("/api/v1/stores/999999", json!({"name": "x"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_disabled_channel_or_store_takes_no_new_batches_but_its_codes_keep_working() {
    let app = TestApp::spawn().await;
    let campaign = json!({"name": "Retire", "destination_url": "https://shop.example/p"});
    let (campaign, channel, batch) = app.seed(campaign, "unique", 3).await;
    let store = app
        .create(
            "/api/v1/stores",
            json!({"name": "Old shop", "code": "OLD-1"}),
        )
        .await;
    let channel_path = format!("/api/v1/channels/{}", channel["id"]);
    let store_path = format!("/api/v1/stores/{}", store["id"]);
    for path in [&channel_path, &store_path] {
        let retired = app.patch(path, json!({"status": "disabled"})).await;
        assert_eq!(retired.status(), StatusCode::OK, "{path}");
        let now: Value = app.get(path).await.json().await.unwrap();
        assert_eq!(now["status"], "disabled", "{path}");
    }
    let channel_now: Value = app.get(&channel_path).await.json().await.unwrap();
    assert_eq!(
        channel_now["name"], channel["name"],
        "only the status changed"
    );

    let new_batch = |channel_id: &Value, store_id: &Value| {
        json!({"campaign_id": campaign["id"], "channel_id": channel_id, "store_id": store_id,
               "name": "run 2", "mode": "shared"})
    };
    assert_error(
        app.post("/api/v1/batches", new_batch(&channel["id"], &Value::Null))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "is disabled: enable it or choose another",
    )
    .await;
    let other = app
        .create(
            "/api/v1/channels",
            json!({"name": "Shelf", "kind": "store"}),
        )
        .await;
    assert_error(
        app.post("/api/v1/batches", new_batch(&other["id"], &store["id"]))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "store \"Old shop\" is disabled",
    )
    .await;

    // What is printed stays printed: the codes still go where the campaign sends them.
    let (_, token, _) = app.codes(&batch["id"]).await.remove(0);
    let scan = app.scan(&token, "Mozilla/5.0 (iPhone)").await;
    assert_eq!(scan.status(), StatusCode::FOUND);
    assert!(
        scan.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://shop.example/p")
    );

    for path in [&channel_path, &store_path] {
        let back = app.patch(path, json!({"status": "active"})).await;
        assert_eq!(back.status(), StatusCode::OK, "{path}");
    }
    app.create("/api/v1/batches", new_batch(&channel["id"], &store["id"]))
        .await;
}
