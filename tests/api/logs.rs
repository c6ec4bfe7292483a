//! The binary's log lines: one JSON object per line with `SCANLOOP_LOG_FORMAT=json`, and no
//! colour escapes when standard output is a pipe.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::helpers::{API_KEY, TempDir, free_port, fresh_database};

/// Runs the server with `format`, makes a few requests (one a failure), checks that no
/// background job ended, stops it with SIGTERM, and returns everything it wrote to
/// standard output.
async fn server_output(format: &str) -> String {
    let dir = TempDir::new();
    let database_url = fresh_database(&dir).await;
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scanloop"))
        .arg("serve")
        .env("SCANLOOP_DATABASE_URL", &database_url)
        .env("SCANLOOP_BIND", format!("127.0.0.1:{port}"))
        .env("SCANLOOP_INITIAL_API_KEY", API_KEY)
        .env("SCANLOOP_LOG_FORMAT", format)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the scanloop binary starts");
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers /healthz");
    let created: Value = client
        .post(format!("{address}/api/v1/campaigns"))
        .bearer_auth(API_KEY)
        .json(&json!({"name": "Logged"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .patch(format!("{address}/api/v1/campaigns/{}", created["id"]))
        .bearer_auth(API_KEY)
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    // Long enough for a background job that ends at once to be restarted (after 1 s).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = child.id().unwrap().to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(stopped.success());
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .await
        .unwrap();
    assert!(child.wait().await.unwrap().success());
    assert!(
        !output.contains("background job ended") && !output.contains("panicked"),
        "every background job keeps running: {output}"
    );
    output
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let output = server_output("json").await;
    let lines: Vec<&str> = output.lines().collect();
    assert!(lines.len() >= 2, "{output}");
    for line in &lines {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}"));
        assert!(entry["level"].is_string(), "{line}");
        assert!(entry["timestamp"].is_string(), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("status changed") && l.contains("\"key\"")),
        "a status change names the key that made it: {output}"
    );
}

#[tokio::test]
async fn text_logs_to_a_pipe_have_no_colour_codes() {
    let output = server_output("text").await;
    assert!(output.contains("scanloop listening"), "{output}");
    assert!(!output.contains('\u{1b}'), "{output:?}");
}
