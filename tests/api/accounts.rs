//! Users, roles and keys: who may do what, held to every route the OpenAPI document lists.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, assert_error};

const GOOD_PASSWORD: &str = "violet tractor mango harbour";

/// Makes a user with `role` (and `stores`) and a key for them; returns (user, key).
async fn user_with_key(app: &TestApp, email: &str, role: &str, stores: &[i64]) -> (Value, String) {
    let created = app
        .create(
            "/api/v1/users",
            json!({"email": email, "password": GOOD_PASSWORD, "role": role, "store_ids": stores}),
        )
        .await;
    let user = created["user"].clone();
    assert!(created["set_password"].is_null(), "{created}");
    let key = app
        .create(
            "/api/v1/keys",
            json!({"name": format!("{role} key"), "user_id": user["id"]}),
        )
        .await;
    (user, key["key"].as_str().unwrap().to_owned())
}

/// Every operation of the OpenAPI document, its path parameters filled with ids no record
/// has (so an admin's call changes nothing).
async fn operations(app: &TestApp) -> Vec<(Method, String)> {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let filled: String = path
            .split('/')
            .map(|part| match part {
                "{token}" => "ZZZZZZZZZZ",
                p if p.starts_with('{') => "999999",
                p => p,
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase().parse().unwrap(), filled.clone()));
        }
    }
    assert!(operations.len() > 60, "{} operations", operations.len());
    operations
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_access_rules_say() {
    let app = TestApp::spawn().await;
    let store = app
        .create("/api/v1/stores", json!({"name": "A", "code": "A-1"}))
        .await;
    let (_, analyst) = user_with_key(&app, "ana@brand.example", "analyst", &[]).await;
    let store_id = store["id"].as_i64().unwrap();
    let (_, retailer) = user_with_key(&app, "rui@shop.example", "retailer", &[store_id]).await;
    let operations = operations(&app).await;
    let mut checked = 0;
    for (method, path) in &operations {
        let own_keys = path.starts_with("/api/v1/keys");
        // What a retailer may read, each limited to their stores.
        let store_read = *method == Method::GET
            && [
                "/api/v1/stores",
                "/api/v1/stores/999999",
                "/api/v1/batches",
                "/api/v1/batches/999999",
                "/api/v1/batches/999999/codes.csv",
                "/api/v1/batches/999999/export.zip",
                "/api/v1/batches/999999/sheet.pdf",
                "/api/v1/codes/ZZZZZZZZZZ",
                "/api/v1/codes/ZZZZZZZZZZ/qr.svg",
                "/api/v1/codes/ZZZZZZZZZZ/qr.png",
                "/api/v1/conversions",
                "/api/v1/conversions/999999",
                "/api/v1/reports/channels",
                "/api/v1/reports/batches",
                "/api/v1/reports/stores",
                "/api/v1/reports/devices",
                "/api/v1/reports/regions",
                "/api/v1/reports/time",
                "/api/v1/reports/daily",
                "/api/v1/reports/funnel",
                "/api/v1/scans/live",
            ]
            .contains(&path.as_str());
        // What a retailer may record, at their stores.
        let store_record = *method == Method::POST
            && ["/api/v1/conversions", "/api/v1/conversions/import"].contains(&path.as_str());
        let reads = *method == Method::GET;
        let body = (!reads).then(|| json!({}));
        let answer = async |key: Option<&str>| {
            app.send_as(key, method.clone(), path, body.clone())
                .await
                .status()
        };

        let anonymous = answer(None).await;
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );

        let status = answer(Some(&retailer)).await;
        if own_keys || store_read || store_record {
            assert_ne!(status, StatusCode::FORBIDDEN, "retailer {method} {path}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "retailer {method} {path}");
        }

        let status = answer(Some(&analyst)).await;
        if own_keys || (reads && !path.starts_with("/api/v1/users")) {
            assert!(
                status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                "analyst {method} {path}: {status}"
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "analyst {method} {path}");
        }

        let status = answer(Some(API_KEY)).await;
        assert!(
            status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
            "admin {method} {path}: {status}"
        );
        checked += 1;
    }
    assert_eq!(checked, operations.len());

    // The refusals say why.
    let refused = app
        .send_as(
            Some(&analyst),
            Method::POST,
            "/api/v1/campaigns",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_error(
        refused,
        StatusCode::FORBIDDEN,
        "analysts read and change nothing",
    )
    .await;
    let refused = app
        .send_as(Some(&retailer), Method::GET, "/api/v1/campaigns", None)
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "retailer").await;
}

#[tokio::test]
async fn users_are_made_with_roles_and_stores_and_bad_ones_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let store = app
        .create("/api/v1/stores", json!({"name": "A", "code": "A-1"}))
        .await;
    let created = app
        .create(
            "/api/v1/users",
            json!({"email": "  Rui@Shop.Example ", "role": "retailer", "store_ids": [store["id"], store["id"]]}),
        )
        .await;
    let user = &created["user"];
    assert_eq!(user["email"], "rui@shop.example");
    assert_eq!(user["role"], "retailer");
    assert_eq!(user["store_ids"], json!([store["id"]]));
    assert_eq!(user["has_password"], false);
    let link = created["set_password"]["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&app.url("/password/")), "{link}");

    let cases = [
        (
            json!({"email": "rui@shop.example", "password": GOOD_PASSWORD, "role": "analyst"}),
            StatusCode::CONFLICT,
            "already exists",
        ),
        (
            json!({"email": "new@brand.example", "password": "password123", "role": "analyst"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password: is too easy to guess",
        ),
        (
            json!({"email": "new@brand.example", "password": "short", "role": "analyst"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at least 10",
        ),
        (
            json!({"email": "not-an-email", "role": "analyst"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email: must be an email address",
        ),
        (
            json!({"email": "new@brand.example", "role": "owner"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "role: must be",
        ),
        (
            json!({"email": "new@brand.example", "role": "retailer"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a retailer needs at least one store",
        ),
        (
            json!({"email": "new@brand.example", "role": "retailer", "store_ids": [999]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no store has id 999",
        ),
        (
            json!({"email": "new@brand.example", "role": "admin", "store_ids": [store["id"]]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "only retailers have stores",
        ),
    ];
    for (body, status, message) in cases {
        assert_error(app.post("/api/v1/users", body).await, status, message).await;
    }

    // The one-time link sets a password once.
    let client = reqwest::Client::new();
    let page = client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.text().await.unwrap().contains("rui@shop.example"));
    let submit = |password: &str, again: &str| {
        client
            .post(&link)
            .form(&[("password", password), ("again", again)])
            .send()
    };
    let differ = submit(GOOD_PASSWORD, "something else entirely")
        .await
        .unwrap();
    assert_eq!(differ.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        differ
            .text()
            .await
            .unwrap()
            .contains("The two passwords differ")
    );
    let weak = submit("qwertyuiop", "qwertyuiop").await.unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("too easy to guess"));
    let set = submit(GOOD_PASSWORD, GOOD_PASSWORD).await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert!(set.text().await.unwrap().contains("Your password is set"));
    let again = submit(GOOD_PASSWORD, GOOD_PASSWORD).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let id = user["id"].as_i64().unwrap();
    let read = app.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(read.json::<Value>().await.unwrap()["has_password"], true);

    // A new link replaces the one before; a changed role drops the stores.
    let first: Value = app
        .create(&format!("/api/v1/users/{id}/password-link"), json!({}))
        .await;
    let second: Value = app
        .create(&format!("/api/v1/users/{id}/password-link"), json!({}))
        .await;
    let gone = client
        .get(first["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let open = client
        .get(second["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let changed: Value = app
        .patch(&format!("/api/v1/users/{id}"), json!({"role": "analyst"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["role"], "analyst");
    assert_eq!(changed["store_ids"], json!([]));
    let listed: Value = app.get("/api/v1/users").await.json().await.unwrap();
    let emails: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["admin@localhost", "rui@shop.example"]);
}

#[tokio::test]
async fn keys_act_for_their_user_and_stop_when_the_user_is_disabled() {
    let app = TestApp::spawn().await;
    let (analyst, key) = user_with_key(&app, "ana@brand.example", "analyst", &[]).await;
    let as_analyst = async |method: Method, path: &str, body: Option<Value>| {
        app.send_as(Some(&key), method, path, body).await
    };
    assert_eq!(
        as_analyst(Method::GET, "/api/v1/campaigns", None)
            .await
            .status(),
        StatusCode::OK
    );

    // An analyst's own keys: made, listed (only theirs), revoked; others' are not found.
    let own: Value = as_analyst(Method::POST, "/api/v1/keys", Some(json!({"name": "sheet"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["user_id"], analyst["id"]);
    let listed: Value = as_analyst(Method::GET, "/api/v1/keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let everyone: Value = app.get("/api/v1/keys").await.json().await.unwrap();
    assert_eq!(everyone["items"].as_array().unwrap().len(), 3);
    let admins_key = everyone["items"][0]["id"].as_i64().unwrap();
    let refused = as_analyst(Method::DELETE, &format!("/api/v1/keys/{admins_key}"), None).await;
    assert_error(refused, StatusCode::NOT_FOUND, "key").await;
    let refused = as_analyst(
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "x", "user_id": 1})),
    )
    .await;
    assert_error(
        refused,
        StatusCode::FORBIDDEN,
        "only admins make keys for other users",
    )
    .await;
    let own_id = own["id"].as_i64().unwrap();
    let revoked = as_analyst(Method::DELETE, &format!("/api/v1/keys/{own_id}"), None).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let with_revoked = app
        .send_as(own["key"].as_str(), Method::GET, "/api/v1/campaigns", None)
        .await;
    assert_eq!(with_revoked.status(), StatusCode::UNAUTHORIZED);

    // The key's last use is noted.
    let mut used = Value::Null;
    for _ in 0..50 {
        let listed: Value = as_analyst(Method::GET, "/api/v1/keys", None)
            .await
            .json()
            .await
            .unwrap();
        used = listed["items"][0]["last_used_at"].clone();
        if used.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(used.is_string(), "{used}");

    // Disabled: the key stops at once; enabled again, it works again.
    let id = analyst["id"].as_i64().unwrap();
    let path = format!("/api/v1/users/{id}");
    assert_eq!(
        app.patch(&path, json!({"disabled": true})).await.status(),
        StatusCode::OK
    );
    let stopped = as_analyst(Method::GET, "/api/v1/campaigns", None).await;
    assert_eq!(stopped.status(), StatusCode::UNAUTHORIZED);
    app.patch(&path, json!({"disabled": false})).await;
    assert_eq!(
        as_analyst(Method::GET, "/api/v1/campaigns", None)
            .await
            .status(),
        StatusCode::OK
    );

    // The last admin stays.
    let refused = app
        .patch("/api/v1/users/1", json!({"disabled": true}))
        .await;
    assert_error(refused, StatusCode::CONFLICT, "no enabled admin").await;
    let refused = app
        .patch("/api/v1/users/1", json!({"role": "analyst"}))
        .await;
    assert_error(refused, StatusCode::CONFLICT, "no enabled admin").await;
}

#[tokio::test]
async fn the_command_line_makes_users_links_and_keys() {
    let app = TestApp::spawn().await;
    let scanloop = async |args: &[&str], stdin: &str| {
        let output = app.command(args, stdin).await;
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = scanloop(
        &[
            "users",
            "create",
            "--email",
            "Mia@Brand.Example",
            "--role",
            "analyst",
        ],
        &format!("{GOOD_PASSWORD}\n"),
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("mia@brand.example (analyst)"), "{out}");
    let (ok, _, err) = scanloop(
        &[
            "users",
            "create",
            "--email",
            "weak@brand.example",
            "--role",
            "analyst",
        ],
        "password123\n",
    )
    .await;
    assert!(!ok && err.contains("too easy to guess"), "{err}");
    let (ok, _, err) = scanloop(
        &[
            "users",
            "create",
            "--email",
            "mia@brand.example",
            "--role",
            "analyst",
        ],
        &format!("{GOOD_PASSWORD}\n"),
    )
    .await;
    assert!(!ok && err.contains("already exists"), "{err}");

    let (ok, out, err) = scanloop(
        &[
            "users",
            "reset-password",
            "--email",
            "mia@brand.example",
            "--public-url",
            &app.url(""),
        ],
        "",
    )
    .await;
    assert!(ok, "{err}");
    let link = out.trim();
    let page = reqwest::get(link).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{link}");
    let (ok, _, err) = scanloop(
        &["users", "reset-password", "--email", "nobody@x.example"],
        "",
    )
    .await;
    assert!(
        !ok && err.contains("no user signs in as nobody@x.example"),
        "{err}"
    );

    let (ok, out, err) = scanloop(
        &[
            "keys",
            "create",
            "--name",
            "cron",
            "--user",
            "mia@brand.example",
        ],
        "",
    )
    .await;
    assert!(ok, "{err}");
    let key = out.trim();
    let read = app
        .send_as(Some(key), Method::GET, "/api/v1/campaigns", None)
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    let write = app
        .send_as(
            Some(key),
            Method::POST,
            "/api/v1/campaigns",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(write.status(), StatusCode::FORBIDDEN);

    let (ok, out, _) = scanloop(&["users", "list"], "").await;
    assert!(ok);
    assert!(
        out.contains("mia@brand.example") && out.contains("analyst"),
        "{out}"
    );
}

#[tokio::test]
async fn a_retailer_sees_its_own_stores_batches_and_codes_and_no_one_else_s() {
    let app = TestApp::spawn().await;
    let mine = app
        .create("/api/v1/stores", json!({"name": "Mine", "code": "M-1"}))
        .await;
    let theirs = app
        .create("/api/v1/stores", json!({"name": "Theirs", "code": "T-1"}))
        .await;
    let (campaign, channel, poster) = app.seed(json!({"name": "Tea"}), "shared", 1).await;
    let mut shelves = Vec::new();
    for store in [&mine, &theirs] {
        let batch = json!({"campaign_id": campaign["id"], "channel_id": channel["id"],
                           "store_id": store["id"], "name": "shelf", "mode": "shared"});
        shelves.push(app.create("/api/v1/batches", batch).await);
    }
    let (_, key) = user_with_key(
        &app,
        "rui@shop.example",
        "retailer",
        &[mine["id"].as_i64().unwrap()],
    )
    .await;
    let (_, analyst) = user_with_key(&app, "ana@brand.example", "analyst", &[]).await;
    let read = async |key: &str, path: String| {
        let answer = app.send_as(Some(key), Method::GET, &path, None).await;
        let status = answer.status();
        (status, answer.json::<Value>().await.unwrap())
    };
    let ids = |listing: &Value| -> Vec<i64> {
        listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };

    let (status, stores) = read(&key, "/api/v1/stores".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&stores), [mine["id"].as_i64().unwrap()]);
    let (status, _) = read(&key, format!("/api/v1/stores/{}", mine["id"])).await;
    assert_eq!(status, StatusCode::OK);
    // Another store, its batch and the brand's poster batch do not exist for them.
    for path in [
        format!("/api/v1/stores/{}", theirs["id"]),
        format!("/api/v1/batches/{}", shelves[1]["id"]),
        format!("/api/v1/batches/{}", poster["id"]),
    ] {
        let (status, body) = read(&key, path.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (_, batches) = read(
        &key,
        format!("/api/v1/batches?campaign_id={}", campaign["id"]),
    )
    .await;
    assert_eq!(ids(&batches), [shelves[0]["id"].as_i64().unwrap()]);
    // An analyst sees all of it.
    let (_, stores) = read(&analyst, "/api/v1/stores".into()).await;
    assert_eq!(ids(&stores).len(), 2);
    let (_, batches) = read(&analyst, "/api/v1/batches".into()).await;
    assert_eq!(ids(&batches).len(), 3);
    // Their batch's codes and exports are theirs; the other store's are not found.
    let shelf_codes = app.codes(&shelves[0]["id"]).await;
    let other_codes = app.codes(&shelves[1]["id"]).await;
    for (batch, token, status) in [
        (&shelves[0], &shelf_codes[0].1, StatusCode::OK),
        (&shelves[1], &other_codes[0].1, StatusCode::NOT_FOUND),
    ] {
        let id = &batch["id"];
        for path in [
            format!("/api/v1/batches/{id}/codes.csv"),
            format!("/api/v1/batches/{id}/export.zip"),
            format!("/api/v1/batches/{id}/sheet.pdf"),
            format!("/api/v1/codes/{token}"),
            format!("/api/v1/codes/{token}/qr.svg"),
            format!("/api/v1/codes/{token}/qr.png"),
        ] {
            let answer = app.send_as(Some(&key), Method::GET, &path, None).await;
            assert_eq!(answer.status(), status, "{path}");
        }
    }
    // A retailer still changes nothing.
    let refused = app
        .send_as(
            Some(&key),
            Method::PATCH,
            &format!("/api/v1/batches/{}", shelves[0]["id"]),
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "retailer").await;
}
