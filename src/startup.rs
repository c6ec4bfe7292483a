//! Building and running the server: open the database, start the scan writer and the
//! background jobs, serve until told to stop, then drain the writer.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::conversions::ConversionRecorder;
use crate::db::{Backend, Db};
use crate::events::EventWriter;
use crate::geo::Geo;
use crate::heavy::HeavyWork;
use crate::http::{self, AppState, Shared};
use crate::jobs::{BatchGenerator, code_history, days, retention, supervise};
use crate::live::LiveFeed;
use crate::media::MediaStore;
use crate::metrics::Metrics;
use crate::scans::{CodeCache, DeviceParser, ScanWriter};

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    writer_task: JoinHandle<()>,
    event_task: JoinHandle<()>,
    conversion_task: JoinHandle<()>,
    /// Supervised background jobs, stopped once the writer has drained.
    jobs: Vec<JoinHandle<()>>,
}

impl App {
    /// Binds `config.bind` and prepares everything; nothing is served until `run_until_stopped`.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        Self::build_with_listener(config, listener).await
    }

    pub async fn build_with_listener(
        config: &Config,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let settings = config.settings(listener.local_addr()?)?;
        let db = Db::connect(&config.database_url).await?;
        if let Some(key) = &config.initial_api_key {
            if key.trim().len() < 16 {
                anyhow::bail!("SCANLOOP_INITIAL_API_KEY must be at least 16 characters");
            }
            let admin = db.first_admin().await.map_err(|_| {
                anyhow::anyhow!("SCANLOOP_INITIAL_API_KEY needs an enabled admin user to belong to")
            })?;
            db.ensure_api_key(admin, "initial", key.trim()).await?;
        }
        let geo = match &config.geoip_db {
            Some(path) => Geo::open(path)?,
            None => {
                tracing::warn!("no SCANLOOP_GEOIP_DB set: scan locations will be unknown");
                Geo::disabled()
            }
        };
        let metrics = Arc::new(Metrics::default());
        let codes = Arc::new(CodeCache::new(db.clone(), metrics.clone()));
        let (writer, writer_task) = ScanWriter::start(db.clone(), metrics.clone());
        let (events, event_task) = EventWriter::start(db.clone(), metrics.clone());
        let batches = BatchGenerator::new(db.clone(), codes.clone(), metrics.clone());
        let (fold, fold_reporter) = code_history::progress();
        let fold_reporter = Arc::new(fold_reporter);
        if db.backend() == Backend::Sqlite {
            // One process owns a SQLite database: a lease left behind is a dead process's.
            db.release_all_leases().await?;
        }
        let live = Arc::new(LiveFeed::default());
        let mut jobs = vec![
            supervise("code cache follower", {
                let codes = codes.clone();
                move || codes.clone().follow_status_changes()
            }),
            supervise("batch generation", {
                let batches = batches.clone();
                move || batches.clone().run()
            }),
            supervise("code history", {
                let db = db.clone();
                move || code_history::run(db.clone(), fold_reporter.clone())
            }),
            supervise("day tier", {
                let db = db.clone();
                move || days::run(db.clone())
            }),
            supervise("live feed", {
                let (live, db) = (live.clone(), db.clone());
                move || live.clone().run(db.clone())
            }),
            supervise("experiments", {
                let (db, codes) = (db.clone(), codes.clone());
                move || crate::experiments::run(db.clone(), codes.clone())
            }),
        ];
        if db.backend() == Backend::Sqlite {
            // PostgreSQL checkpoints itself; a job that returned at once there was
            // restarted, and logged as an error, every second.
            jobs.push(supervise("checkpoints", {
                let db = db.clone();
                move || db.clone().keep_checkpointing()
            }));
        }
        if let Some(days) = config.retention_days {
            tracing::info!(days, "raw scans are kept for {days} days");
            jobs.push(supervise("retention", {
                let db = db.clone();
                move || retention::run(db.clone(), days)
            }));
        }
        let media = MediaStore::open(&config.data_dir).with_context(|| {
            format!(
                "SCANLOOP_DATA_DIR {}: cannot create or read its media folder",
                config.data_dir.display()
            )
        })?;
        let (conversions, conversion_task) =
            ConversionRecorder::start(db.clone(), codes.clone(), fold);
        if config.webhook_allow_private {
            tracing::warn!(
                "SCANLOOP_WEBHOOK_ALLOW_PRIVATE is on: webhooks may use http and reach this \
                 machine and its network; for development and tests only"
            );
        }
        if config.show_one_time_codes {
            tracing::warn!(
                "SCANLOOP_SHOW_ONE_TIME_CODES is on: the join page shows the code it sends, so \
                 anyone can join with any phone number or email; for development only"
            );
        }
        let webhooks = crate::webhooks::Deliverer::new(db.clone(), config.webhook_allow_private)?;
        jobs.push(supervise("webhooks", {
            let webhooks = webhooks.clone();
            move || webhooks.clone().run()
        }));
        let state = AppState::new(Shared {
            conversions,
            db,
            media,
            codes,
            writer,
            events,
            batches,
            geo: Arc::new(geo),
            devices: Arc::new(DeviceParser::default()),
            settings: Arc::new(settings),
            metrics,
            heavy: Arc::new(HeavyWork::for_this_machine()),
            photo_limits: Default::default(),
            code_limits: crate::http::one_time_code_limit(),
            known_keys: Default::default(),
            sign_in_limits: Default::default(),
            live,
            webhooks,
        });
        Ok(Self {
            listener,
            router: http::router(state.clone()),
            state,
            writer_task,
            event_task,
            conversion_task,
            jobs,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes open requests and
    /// commits every queued scan before returning.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            state,
            writer_task,
            event_task,
            conversion_task,
            jobs,
        } = self;
        let db = state.db.clone();
        let limits = state.settings.connection_limits;
        let live = state.live.clone();
        drop(state);
        // A writer that ends while serving (it panicked) leaves every scan (or click, or
        // purchase) unanswerable: stop serving and exit with the error, so a supervisor
        // starts a fresh process.
        let (writer_end, writer_watch) = watch(writer_task);
        let (events_end, events_watch) = watch(event_task);
        let (conversions_end, conversions_watch) = watch(conversion_task);
        let stop = async move {
            tokio::select! {
                () = shutdown => {}
                _ = writer_end => tracing::error!("the scan writer stopped; shutting down"),
                _ = events_end => tracing::error!("the event writer stopped; shutting down"),
                _ = conversions_end => {
                    tracing::error!("the conversion writer stopped; shutting down");
                }
            }
            // Live feeds never end by themselves: end them, so their connections close.
            live.close();
        };
        crate::server::serve(listener, router, limits, stop).await;
        // The router held the last writer handles; with them gone the writers drain and end.
        writer_watch
            .await?
            .map_err(|err| anyhow::anyhow!("the scan writer failed: {err}"))?;
        events_watch
            .await?
            .map_err(|err| anyhow::anyhow!("the event writer failed: {err}"))?;
        conversions_watch
            .await?
            .map_err(|err| anyhow::anyhow!("the conversion writer failed: {err}"))?;
        for job in jobs {
            job.abort();
        }
        db.close().await;
        Ok(())
    }
}

/// A task's end, told on a channel as soon as it happens, and its result.
fn watch(
    task: JoinHandle<()>,
) -> (
    tokio::sync::oneshot::Receiver<()>,
    JoinHandle<Result<(), tokio::task::JoinError>>,
) {
    let (ended, end) = tokio::sync::oneshot::channel();
    let watcher = tokio::spawn(async move {
        let result = task.await;
        let _ = ended.send(());
        result
    });
    (end, watcher)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests and storing queued scans");
}
