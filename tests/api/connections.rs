//! Connection hygiene: a request must arrive whole and in time, an idle keep-alive
//! connection is closed, and open connections are capped.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; returns what it sent and how long it took.
async fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received));
    read.await.expect("the server closes the connection").ok();
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn half_a_request_line_is_cut_off_after_the_header_timeout() {
    let app = TestApp::spawn_with(|c| c.header_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream.write_all(b"GET /s/ABCDEFG").await.unwrap();
    let (_, waited) = until_closed(&mut stream).await;
    assert!(waited < Duration::from_secs(10), "closed after {waited:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = TestApp::spawn_with(|c| c.idle_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, waited) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited >= Duration::from_millis(900),
        "kept alive for a while: {waited:?}"
    );
    // A connection that never sends anything goes the same way.
    let mut silent = connect(&app).await;
    let (nothing, _) = until_closed(&mut silent).await;
    assert_eq!(nothing, "");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = TestApp::spawn_with(|c| c.max_connections = 2).await;
    let first = connect(&app).await;
    let _second = connect(&app).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh = reqwest::Client::new();
    let waiting = fresh
        .get(app.url("/healthz"))
        .timeout(Duration::from_millis(700))
        .send()
        .await;
    assert!(
        waiting.is_err(),
        "a third connection is not served while two are open"
    );
    drop(first);
    let served = fresh.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_api_request_whose_body_never_finishes_gets_408() {
    let app = TestApp::spawn_with(|c| c.api_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        crate::helpers::API_KEY
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer));
    let n = read.await.expect("an answer within the limit").unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
}
