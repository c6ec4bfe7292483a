//! How far each background fold has read (`job_watermarks`), and the lock that lets one
//! instance fold at a time: shared by the history fold and the touches fold.

use super::{Backend, Db, DbResult};

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
