//! `scanloop demo`: a month of a brand's life, alive in every report, written once.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{TempDir, free_port, fresh_database};

/// Starts `scanloop demo`; answers the process, its address and the API key it printed.
async fn demo(database_url: &str, dir: &TempDir) -> (Child, String, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scanloop"))
        .arg("demo")
        .env("SCANLOOP_DATABASE_URL", database_url)
        .env("SCANLOOP_BIND", format!("127.0.0.1:{port}"))
        .env("SCANLOOP_DATA_DIR", dir.0.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the scanloop binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut key = None;
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(k) = line.strip_prefix("API key (shown once): ") {
                key = Some(k.trim().to_owned());
            }
            if line.starts_with("Scan me") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(300), read)
        .await
        .expect("the demo seeds within 5 minutes");
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, address, key.expect("the demo prints an API key"))
}

async fn get(address: &str, key: &str, path: &str) -> Value {
    let answer = reqwest::Client::new()
        .get(format!("{address}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap()
}

#[tokio::test]
async fn the_demo_seeds_a_month_that_every_report_shows_once() {
    let dir = TempDir::new();
    let database_url = fresh_database(&dir).await;
    let (mut child, address, key) = demo(&database_url, &dir).await;
    let channels = get(&address, &key, "/api/v1/reports/channels?campaign_id=1").await;
    let total = &channels["total"];
    let scans = total["scans"].as_i64().unwrap();
    assert!(scans > 8_000, "a month of scans: {total}");
    assert!(total["conversions"].as_f64().unwrap() > 200.0, "{total}");
    assert!(
        total["refunded_cents"].as_i64().unwrap() > 0,
        "a few refunds: {total}"
    );
    assert!(total["spend_cents"].as_i64().unwrap() > 0, "{total}");
    assert_eq!(
        channels["rows"].as_array().unwrap().len(),
        4,
        "four channels"
    );

    let days = get(&address, &key, "/api/v1/reports/daily?campaign_id=1").await;
    let days_with_scans = days["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["scans"].as_i64().unwrap_or(0) > 0)
        .count();
    assert!(
        days_with_scans >= 29,
        "scans on every day of the month: {days_with_scans}"
    );
    let cities = get(
        &address,
        &key,
        "/api/v1/reports/regions?campaign_id=1&level=city",
    )
    .await;
    assert!(cities["rows"].as_array().unwrap().len() >= 6, "{cities}");
    let copied = get(
        &address,
        &key,
        "/api/v1/reports/suspicious-codes?campaign_id=1",
    )
    .await;
    assert!(
        !copied["codes"].as_array().unwrap().is_empty(),
        "a copied bottle: {copied}"
    );
    let photos = get(&address, &key, "/api/v1/photos?status=approved").await;
    assert_eq!(photos["items"].as_array().unwrap().len(), 6);
    let stores = get(&address, &key, "/api/v1/stores").await;
    assert_eq!(stores["items"].as_array().unwrap().len(), 6);
    child.kill().await.unwrap();

    // A second run signs people in again and writes no second month.
    let (mut child, address, key) = demo(&database_url, &dir).await;
    let again = get(&address, &key, "/api/v1/reports/channels?campaign_id=1").await;
    assert_eq!(again["total"]["scans"].as_i64().unwrap(), scans);
    child.kill().await.unwrap();
}
