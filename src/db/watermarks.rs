//! How far each background fold has read (`job_watermarks`), and the lock that lets one
//! instance fold at a time: shared by the history fold and the touches fold.

use super::{Backend, Db, DbResult, FoldStep};

impl Db {
    /// How far `job` has folded (a scan id for `code_history` and `touches`, a time for
    /// `days` and `credits`); 0 before its first step.
    pub async fn watermark(&self, job: &str) -> DbResult<i64> {
        read(self.pool(), job).await
    }
}

/// The stored watermark of `job`; 0 before its first step.
pub(super) async fn read<'c, E>(executor: E, job: &str) -> DbResult<i64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row: Option<(i64,)> = sqlx::query_as("SELECT value FROM job_watermarks WHERE job = $1")
        .bind(job.to_owned())
        .fetch_optional(executor)
        .await?;
    Ok(row.map_or(0, |(v,)| v))
}

pub(super) async fn write(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    job: &str,
    value: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO job_watermarks (job, value) VALUES ($1, $2) \
         ON CONFLICT (job) DO UPDATE SET value = excluded.value",
    )
    .bind(job.to_owned())
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes the fold's lock for the transaction: on PostgreSQL an advisory lock named by
/// `key` (false when another instance holds it); SQLite has one writer already.
pub(super) async fn lock(
    backend: Backend,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: i64,
) -> DbResult<bool> {
    if backend == Backend::Sqlite {
        return Ok(true);
    }
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(locked)
}

/// A fold's step that writes: its transaction, opened under the write turn (SQLite) and
/// the fold's lock. Keep the turn until the transaction ends.
pub(super) struct Step {
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    pub turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Opens a step of fold `job` from watermark `from` to `to`, or answers what the step
/// comes to without one: nothing folded when there is nothing to (`to <= from`), `Busy`
/// when another instance holds the fold's lock (`key`), nothing folded (more may wait) when
/// another moved the watermark on meanwhile.
pub(super) async fn begin_step(
    db: &Db,
    job: &str,
    key: i64,
    (from, to): (i64, i64),
) -> DbResult<Result<Step, FoldStep>> {
    if to <= from {
        return Ok(Err(FoldStep::Folded {
            scans: 0,
            more: false,
        }));
    }
    let turn = db.write_turn().await;
    let mut tx = db.begin_write().await?;
    if !lock(db.backend(), &mut tx, key).await? {
        return Ok(Err(FoldStep::Busy));
    }
    if read(&mut *tx, job).await? != from {
        return Ok(Err(FoldStep::Folded {
            scans: 0,
            more: true,
        }));
    }
    Ok(Ok(Step { tx, turn }))
}
