//! Load-benchmark baseline: the least a redirect server can do. Answers `GET /s/{token}`
//! with a 302 looked up in an in-memory HashMap, records nothing.
//!
//! Usage: scanloop-bench-baseline TOKENS_FILE ADDRESS

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

type Targets = Arc<HashMap<String, String>>;

async fn redirect(State(targets): State<Targets>, Path(token): Path<String>) -> Response {
    match targets.get(&token.to_ascii_uppercase()) {
        Some(target) => (StatusCode::FOUND, [(header::LOCATION, target.clone())]).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(tokens), Some(address)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: scanloop-bench-baseline TOKENS_FILE ADDRESS");
    };
    let targets: HashMap<String, String> = std::fs::read_to_string(tokens)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(|t| {
            (
                t.to_owned(),
                format!("https://shop.example.com/p?utm_source=x&t={t}"),
            )
        })
        .collect();
    let app = Router::new()
        .route("/s/{token}", get(redirect))
        .with_state(Arc::new(targets));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
