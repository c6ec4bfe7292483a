//! Outbound webhooks: the worker that sends the outbox's due deliveries to the brand's
//! endpoints, signed like inbound webhooks (`X-Scanloop-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256 of "<t>.<body>">`), a few at a time, each attempt bounded by a timeout and
//! recorded. It runs beside the scan path and never on it: a slow or failing endpoint only
//! delays its own deliveries.

pub mod guard;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Notify;

use crate::db::{Attempt, Db, Delivery, now_ms};
use crate::domain::signature;

/// How long an endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries in flight at once.
const IN_FLIGHT: usize = 4;
/// Due deliveries read per round.
const BATCH: i64 = 50;
/// How often the outbox is read when nothing wakes the worker.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Redirects followed (each one checked like the first URL).
const MAX_REDIRECTS: usize = 3;
/// The most of an endpoint's answer kept in the log.
const ERROR_CHARS: usize = 300;
/// Finished deliveries are kept this long, then deleted.
const KEEP_LOG: Duration = Duration::from_secs(30 * 86_400);
/// How often old deliveries are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

pub struct Deliverer {
    db: Db,
    client: reqwest::Client,
    allow_private: bool,
    wake: Notify,
}

impl Deliverer {
    pub fn new(db: Db, allow_private: bool) -> anyhow::Result<Arc<Self>> {
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if let Err(why) = guard::check_url(attempt.url().as_str(), allow_private) {
                attempt.error(format!("redirected to a URL that {why}"))
            } else {
                attempt.follow()
            }
        });
        let mut client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(redirects)
            .user_agent(concat!("scanloop-webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Arc::new(Self {
            db,
            client: client.build()?,
            allow_private,
            wake: Notify::new(),
        }))
    }

    /// Sends what is due now instead of at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until the process ends.
    pub async fn run(self: Arc<Self>) {
        let mut pruned = Instant::now();
        self.prune().await;
        loop {
            if pruned.elapsed() >= PRUNE_EVERY {
                pruned = Instant::now();
                self.prune().await;
            }
            let sent = match self.db.due_deliveries(now_ms(), BATCH).await {
                Ok(due) => {
                    let count = due.len();
                    futures_util::stream::iter(due)
                        .for_each_concurrent(IN_FLIGHT, |due| {
                            let this = self.clone();
                            async move { this.attempt(due.delivery, &due.url, &due.secret).await }
                        })
                        .await;
                    count
                }
                Err(err) => {
                    tracing::warn!(%err, "cannot read the webhook outbox");
                    0
                }
            };
            if sent < BATCH as usize {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(POLL_EVERY) => {}
                }
            }
        }
    }

    async fn prune(&self) {
        let before = now_ms() - KEEP_LOG.as_millis() as i64;
        match self.db.prune_deliveries(before).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "old webhook deliveries deleted"),
            Err(err) => tracing::warn!(%err, "cannot delete old webhook deliveries"),
        }
    }

    async fn attempt(&self, delivery: Delivery, url: &str, secret: &str) {
        match self.db.take_delivery(&delivery, now_ms()).await {
            Ok(true) => {}
            // Another worker took it, or it changed since it was read.
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(%err, delivery = delivery.id, "cannot take a webhook delivery");
                return;
            }
        }
        let started = Instant::now();
        let attempt = self.send(&delivery, url, secret).await;
        let ms = started.elapsed().as_millis();
        match &attempt {
            Attempt::Delivered { status } => {
                tracing::info!(
                    delivery = delivery.id,
                    webhook = delivery.webhook_id,
                    status,
                    ms,
                    "webhook delivered"
                );
            }
            Attempt::Failed { status, error } => {
                tracing::warn!(
                    delivery = delivery.id,
                    webhook = delivery.webhook_id,
                    ?status,
                    error,
                    ms,
                    "webhook delivery failed"
                );
            }
        }
        if let Err(err) = self.db.finish_attempt(&delivery, attempt).await {
            // The lease runs out and the delivery is tried again: at least once, never lost.
            tracing::warn!(%err, delivery = delivery.id, "cannot record a webhook attempt");
        }
    }

    async fn send(&self, delivery: &Delivery, url: &str, secret: &str) -> Attempt {
        let url = match guard::check_url(url, self.allow_private) {
            Ok(url) => url,
            Err(why) => {
                return Attempt::Failed {
                    status: None,
                    error: format!("the URL {why}"),
                };
            }
        };
        let t = now_ms() / 1000;
        let body = delivery.payload.clone().into_bytes();
        let signature = format!("t={t},v1={}", signature::sign(secret, t, &body));
        let answer = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-scanloop-event", &delivery.event)
            .header("x-scanloop-delivery", delivery.id.to_string())
            .header("x-scanloop-signature", signature)
            .body(body)
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => Attempt::Delivered {
                status: i64::from(response.status().as_u16()),
            },
            Ok(response) => {
                let status = i64::from(response.status().as_u16());
                let text = response.text().await.unwrap_or_default();
                Attempt::Failed {
                    status: Some(status),
                    error: format!(
                        "answered {status}: {}",
                        text.chars().take(ERROR_CHARS).collect::<String>()
                    ),
                }
            }
            Err(err) => Attempt::Failed {
                status: None,
                error: describe(&err),
            },
        }
    }
}

/// A transport error with its causes, which say what actually went wrong (a refused
/// address, a timeout, a certificate).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(ERROR_CHARS).collect()
}

/// Resolves names as the system does, then keeps only their public addresses, so a name
/// that points inside the network is refused at the moment of connecting.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public = guard::public_only(&host, found)?;
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}
