//! The real binary: acknowledged scans survive `kill -9`, SIGTERM drains and exits 0, and a
//! batch killed mid-way resumes where its last chunk committed.

use std::process::Stdio;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{API_KEY, PHONE, TempDir, fresh_database};

struct Server {
    child: Child,
    address: String,
}

async fn start(database_url: &str) -> Server {
    // Port 0: the server takes a free port and prints it, so no other test can take it
    // between a check and the bind.
    let mut child = Command::new(env!("CARGO_BIN_EXE_scanloop"))
        .arg("serve")
        .env("SCANLOOP_DATABASE_URL", database_url)
        .env("SCANLOOP_BIND", "127.0.0.1:0")
        .env("SCANLOOP_INITIAL_API_KEY", API_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the scanloop binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(address) = line.strip_prefix("scanloop listening on ") {
            return Server {
                child,
                address: address.trim().to_owned(),
            };
        }
    }
    panic!(
        "the server exited before it listened: {:?}",
        child.wait().await
    );
}

/// POSTs a JSON body with the test key to the running binary and returns the JSON answer.
async fn post_json(
    client: &reqwest::Client,
    address: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = client
        .post(format!("{address}{path}"))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// A campaign and a packaging channel to hang batches on.
async fn campaign_and_channel(
    client: &reqwest::Client,
    address: &str,
    name: &str,
) -> (serde_json::Value, serde_json::Value) {
    let campaign = post_json(client, address, "/api/v1/campaigns", json!({"name": name})).await;
    let channel = json!({"name": format!("{name} pack"), "kind": "packaging"});
    let channel = post_json(client, address, "/api/v1/channels", channel).await;
    (campaign, channel)
}

async fn seed_tokens(client: &reqwest::Client, address: &str) -> Vec<String> {
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{address}{path}"))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
    };
    let (campaign, channel) = campaign_and_channel(client, address, "Durable").await;
    let batch: serde_json::Value = post("/api/v1/batches", json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "b", "mode": "unique", "quantity": 50}))
        .await.unwrap().json().await.unwrap();
    let csv = client
        .get(format!(
            "{address}/api/v1/batches/{}/codes.csv",
            batch["id"]
        ))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .collect()
}

/// Fires `n` concurrent scans and returns how many were answered with a redirect.
async fn scan_concurrently(
    client: &reqwest::Client,
    address: &str,
    tokens: &[String],
    n: usize,
) -> usize {
    let requests = (0..n).map(|i| {
        client
            .get(format!("{address}/s/{}", tokens[i % tokens.len()]))
            .header("user-agent", PHONE)
            .send()
    });
    join_all(requests)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(r) if r.status() == StatusCode::FOUND))
        .count()
}

async fn stored_scans(database_url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scans")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn acknowledged_scans_survive_kill_9_and_sigterm_drains_and_exits_0() {
    let dir = TempDir::new();
    let database_url = fresh_database(&dir).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut server = start(&database_url).await;
    let tokens = seed_tokens(&client, &server.address).await;
    let acknowledged = scan_concurrently(&client, &server.address, &tokens, 300).await;
    assert_eq!(acknowledged, 300);
    server.child.start_kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().await.unwrap();
    assert_eq!(
        stored_scans(&database_url).await,
        300,
        "every acknowledged scan was stored"
    );

    let mut server = start(&database_url).await;
    let address = server.address.clone();
    let load = tokio::spawn({
        let client = client.clone();
        let tokens = tokens.clone();
        async move { scan_concurrently(&client, &address, &tokens, 200).await }
    });
    tokio::task::yield_now().await;
    let pid = server.child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM exits cleanly");
    let answered = load.await.unwrap();
    assert_eq!(
        stored_scans(&database_url).await,
        300 + answered as i64,
        "scans answered during shutdown were stored"
    );
}

async fn batch_state(
    client: &reqwest::Client,
    address: &str,
    id: &serde_json::Value,
) -> serde_json::Value {
    client
        .get(format!("{address}/api/v1/batches/{id}"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_killed_mid_way_resumes_after_restart_with_every_serial_once() {
    const QUANTITY: i64 = 150_000;
    let dir = TempDir::new();
    let database_url = fresh_database(&dir).await;
    let client = reqwest::Client::new();
    let mut server = start(&database_url).await;
    let address = server.address.clone();
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{address}{path}"))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
    };
    let (campaign, channel) = campaign_and_channel(&client, &address, "Resume").await;
    let response = post(
        "/api/v1/batches",
        json!({"campaign_id": campaign["id"], "channel_id": channel["id"],
        "name": "big", "mode": "unique", "quantity": QUANTITY}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let batch: serde_json::Value = response.json().await.unwrap();

    // Kill it once some chunks, but not all, have committed.
    loop {
        let state = batch_state(&client, &address, &batch["id"]).await;
        let generated = state["codes_generated"].as_i64().unwrap();
        assert!(
            generated < QUANTITY,
            "the batch finished before the kill: raise QUANTITY"
        );
        if generated >= 5_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database_url).await.unwrap();
    let (generated, status): (i64, String) =
        sqlx::query_as("SELECT codes_generated, generation FROM batches WHERE name = 'big'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (written,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM codes WHERE serial > 0 AND batch_id = (SELECT id FROM batches WHERE name = 'big')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "generating");
    assert!(generated > 0 && generated < QUANTITY);
    assert_eq!(written, generated, "progress commits with its codes");

    let server = start(&database_url).await;
    let mut ready = false;
    for _ in 0..1200 {
        let state = batch_state(&client, &server.address, &batch["id"]).await;
        if state["status"] == "ready" {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "the batch resumed and finished after the restart");
    let (count, distinct, max): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT serial), MAX(serial) FROM codes \
         WHERE batch_id = (SELECT id FROM batches WHERE name = 'big')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((count, distinct, max), (QUANTITY, QUANTITY, QUANTITY));
    pool.close().await;
}
