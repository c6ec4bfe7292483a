//! The accept loop. `axum::serve` has no header timeout and no connection cap, so a client
//! that sends half a request line held a connection for minutes, and enough of them would
//! exhaust the process's files. Here every connection has:
//! - a header read timeout (hyper's), so a request must arrive whole and in time;
//! - an idle timeout: a keep-alive connection with no request in flight is closed;
//! - a place under a cap on open connections; past it the server stops accepting until
//!   one closes (new clients wait in the kernel's backlog).
//!
//! Graceful shutdown: stop accepting, let each connection finish its request in flight,
//! then return once every connection has closed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = open.clone().acquire_owned() => place,
            () = &mut shutdown => break,
        };
        let Ok(place) = place else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, router, limits, stopping).await;
            drop(place);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a place until it closes: all places back means all closed.
    let _ = open.acquire_many(limits.max_connections as u32).await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::default());
    activity.touch();
    let service = {
        let started = activity.clone();
        let finished = activity.clone();
        router
            .map_request(move |mut request: Request<hyper::body::Incoming>| {
                started.begin();
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_response(move |response| {
                finished.end();
                response
            })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        let idle_for = activity.idle_for();
        let check_in = limits
            .idle_timeout
            .saturating_sub(idle_for)
            .max(Duration::from_millis(100));
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopping.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep(check_in), if !closing => {
                if activity.in_flight() == 0 && activity.idle_for() >= limits.idle_timeout {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Requests in flight on one connection and when the last one began or ended.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    last_ms: AtomicI64,
}

impl Activity {
    fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.touch();
    }

    fn end(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.touch();
    }

    fn touch(&self) {
        self.last_ms.store(crate::db::now_ms(), Ordering::Release);
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Since the connection opened or a request last began or ended.
    fn idle_for(&self) -> Duration {
        let last = self.last_ms.load(Ordering::Acquire);
        Duration::from_millis((crate::db::now_ms() - last).max(0) as u64)
    }
}
