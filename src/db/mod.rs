//! The database: one pool over SQLite or PostgreSQL, with SQL that both accept
//! (`$n` parameters, epoch-millisecond times, integer flags), so one `Db` serves both.

mod audiences;
mod batches;
mod campaigns;
mod channels;
mod checkpoint;
mod code_history;
mod codes;
mod cohorts;
mod console;
mod conversions;
mod counted_scans;
mod credits;
mod days;
mod edges;
mod events;
mod experiments;
mod feedback;
mod keys;
mod live;
mod logos;
mod members;
mod notices;
mod offers;
mod packed;
mod photos;
mod points;
mod products;
mod referrals;
mod report_filter;
mod reports;
mod retention;
mod rollups;
mod rules;
mod scans;
mod scope;
mod sessions;
mod slice_sketches;
mod sources;
mod spend;
mod status;
mod store_activity;
mod stores;
mod suspicious;
mod targets;
mod touches;
mod users;
mod visitors;
mod watermarks;
mod webhooks;

pub use audiences::{Audience, AudienceFilter, AudienceMember};
pub use batches::{Batch, ChunkDone, NewBatch};
pub use campaigns::{
    Campaign, CampaignSettings, Hero, InfoLink, InfoLinks, LandingContent, NewCampaign,
};
pub use channels::{Channel, NewChannel};
pub use code_history::FoldStep;
pub use codes::{CodeHistory, CodeRecord, PackedListing, ResolvedCode};
pub use console::{Overview, Search};
pub use conversions::{
    Click, Conversion, ConversionKey, KeyMatch, MAX_TOUCHES, NewConversion, NewRefund, Recorded,
    Refund, RefundError, Touch, TouchesOf,
};
pub use counted_scans::CountedScans;
pub use credits::CreditStep;
pub use days::DayStep;
pub use events::EventRow;
pub use experiments::{
    Experiment, ExperimentChange, LogEntry, NewExperiment, NewVariant, StopReason, Variant,
    VariantCounts, VariantSlice, read_routing,
};
pub use feedback::{Feedback, FeedbackRow, LOW_RATING, NewFeedback, Rateable, Remedy};
pub use keys::{ApiKey, KeyListing, generate_key, hash_key};
pub use live::LiveScan;
pub use logos::{LogoInfo, LogoOwner};
pub use members::{CodeRequest, Member, NewSession, NotSent, Refused, SignedIn};
pub use notices::{NewNotice, Notice};
pub use offers::{Claim, NewOffer, Offer};
pub use photos::{NewPhoto, Photo, PhotoStatus};
pub use points::{Adjustment, Claimed, CodeClaim, LedgerEntry};
pub use products::{NewProduct, Product, ProductChange, ProductLink};
pub use referrals::ReferralCounts;
pub use report_filter::ReportFilter;
pub use reports::{
    CampaignCredit, ChannelReport, ChannelReportRow, Credit, Detail, GroupReport, GroupReportRow,
    HourCounts, Place, ReportRange, SliceCounts,
};
pub use rollups::Rebuilt;
pub use rules::RulesOwner;
pub use scans::{ScanRow, WriterConnection};
pub use scope::Scope;
pub use sessions::SessionUser;
pub use sources::{ROTATION_GRACE_MS, Source};
pub use spend::{NewSpend, Spend};
pub use status::StatusTarget;
pub use store_activity::TillSales;
pub use stores::{NewStore, Store};
pub use suspicious::{DEFAULT_CITIES, DEFAULT_PER_HOUR, Suspicion, SuspiciousCode};
pub use users::{NewUser, SignIn, User, UserChange};
pub use visitors::{Sighting, VisitorCampaign};
pub use webhooks::{Attempt, Delivery, Due, Webhook};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::redact_url;

/// Which engine the pool talks to; the few statements that differ branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub type DbResult<T> = Result<T, DbError>;

/// A flag column: both engines store flags as integers, 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(value: i64) -> Self {
        Self(value != 0)
    }
}

/// Writes row `id` of `table` (`campaigns`, `batches`) unchanged, first thing in `tx`: two
/// transactions that check what hangs off the same row then take turns (the row lock on
/// PostgreSQL, the write lock on SQLite), so both cannot pass a check. Not found if the row
/// is not there.
pub(crate) async fn take_row_turn(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &'static str,
    id: i64,
) -> DbResult<()> {
    let touched = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET id = id WHERE id = $1"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if touched == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Maps the engine's unique-constraint violation to `Conflict` once, for every caller.
pub(crate) fn conflict_as(what: &'static str) -> impl Fn(sqlx::Error) -> DbError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            DbError::Conflict(format!("{what} already exists"))
        }
        _ => DbError::Db(err),
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

impl Db {
    /// Opens the database (creating a SQLite file if missing) and applies the embedded
    /// migrations for its engine.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("SCANLOOP_DATABASE_URL must start with sqlite: or postgres:");
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the scan writer; synchronous=NORMAL
                        // keeps every commit safe from a killed process (not from power loss);
                        // checkpoints run in the background (see checkpoint.rs).
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA wal_autocheckpoint = 0",
                            // Reports read millions of rollup rows: 64 MiB of page cache
                            // per connection instead of SQLite's 2 MiB.
                            "PRAGMA cache_size = -65536",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&pool)
            .await
            .context("applying the database migrations failed")?;
        Ok(Self {
            pool,
            backend,
            write_gate: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that writes. On SQLite it takes the write lock at its start: a
    /// deferred transaction that reads before it writes fails at its first write, at once
    /// and without the busy timeout (SQLITE_BUSY_SNAPSHOT), whenever another connection
    /// committed in between, as the scan writer does many times a second.
    pub(crate) async fn begin_write(&self) -> DbResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// On SQLite, one writer of this process at a time, in arrival order: the scan writer,
    /// batch generation and the history fold take turns here instead of in SQLite's busy
    /// handler, which sleeps in growing steps and let a long batch starve the scans.
    /// PostgreSQL has row locks and needs no turn.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_gate.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }
}

/// `(..), (..)`: `rows` tuples of `width` parameters for a multi-row INSERT. SQLite gets
/// anonymous `?` parameters: sqlx looks up each named one by walking SQLite's list of
/// names, which made a 20,000-parameter statement spend most of its time binding.
pub fn values_list(backend: Backend, rows: usize, width: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(rows * (width * 6 + 3));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for col in 0..width {
            if col > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", row * width + col + 1);
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Now as UTC epoch milliseconds, the unit of every stored time.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Shared by the list endpoints: at most `limit` rows with ids after `after`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: i64,
    pub limit: i64,
}
