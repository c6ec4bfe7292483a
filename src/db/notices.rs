//! Recall notices: a batch, or a serial range of it, whose scans go to a notice page while
//! the notice stands. Putting one up and lifting it are noted for every instance's code
//! cache in the same transaction (as status changes are), and rows are never deleted.

use super::{Db, DbError, DbResult, now_ms, take_row_turn};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub batch_id: i64,
    pub from_serial: i64,
    pub to_serial: i64,
    pub title_en: Option<String>,
    pub title_zh: Option<String>,
    pub text_en: Option<String>,
    pub text_zh: Option<String>,
    pub url: Option<String>,
    pub created_by: i64,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub lifted_by: Option<i64>,
    pub lifted_by_email: Option<String>,
    pub lifted_at: Option<i64>,
}

/// A notice to put up: its serials (checked against the batch by the caller) and words.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub batch_id: i64,
    pub from_serial: i64,
    pub to_serial: i64,
    pub title_en: Option<String>,
    pub title_zh: Option<String>,
    pub text_en: Option<String>,
    pub text_zh: Option<String>,
    pub url: Option<String>,
    pub created_by: i64,
}

const SELECT: &str = "SELECT n.id, n.batch_id, n.from_serial, n.to_serial, n.title_en, \
     n.title_zh, n.text_en, n.text_zh, n.url, n.created_by, c.email AS created_by_email, \
     n.created_at, n.lifted_by, l.email AS lifted_by_email, n.lifted_at \
     FROM notices n LEFT JOIN users c ON c.id = n.created_by \
     LEFT JOIN users l ON l.id = n.lifted_by";

impl Db {
    /// Puts a notice up, unless a standing notice of the batch covers one of its serials
    /// (a conflict naming it).
    pub async fn create_notice(&self, new: NewNotice) -> DbResult<Notice> {
        let mut tx = self.begin_write().await?;
        // Two notices of one batch take turns, so both cannot pass the overlap check.
        take_row_turn(&mut tx, "batches", new.batch_id).await?;
        let overlapping: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, from_serial, to_serial FROM notices WHERE batch_id = $1 \
             AND lifted_at IS NULL AND from_serial <= $3 AND to_serial >= $2 LIMIT 1",
        )
        .bind(new.batch_id)
        .bind(new.from_serial)
        .bind(new.to_serial)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, from, to)) = overlapping {
            return Err(DbError::Conflict(format!(
                "notice {id} already covers serials {from} to {to} of this batch: lift it \
                 first, or choose serials it does not cover"
            )));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO notices (batch_id, from_serial, to_serial, title_en, title_zh, \
             text_en, text_zh, url, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.batch_id)
        .bind(new.from_serial)
        .bind(new.to_serial)
        .bind(new.title_en)
        .bind(new.title_zh)
        .bind(new.text_en)
        .bind(new.text_zh)
        .bind(new.url)
        .bind(new.created_by)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.notice(id).await
    }

    /// Lifts a standing notice; a notice already lifted is a conflict.
    pub async fn lift_notice(&self, id: i64, lifted_by: i64) -> DbResult<Notice> {
        let mut tx = self.begin_write().await?;
        let lifted = sqlx::query(
            "UPDATE notices SET lifted_at = $1, lifted_by = $2 WHERE id = $3 AND lifted_at IS NULL",
        )
        .bind(now_ms())
        .bind(lifted_by)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if lifted == 0 {
            drop(tx);
            self.notice(id).await?;
            return Err(DbError::Conflict(format!("notice {id} was already lifted")));
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        self.notice(id).await
    }

    pub async fn notice(&self, id: i64) -> DbResult<Notice> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE n.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DbError::NotFound)
    }

    /// Every notice of a batch, standing or lifted, newest first.
    pub async fn batch_notices(&self, batch_id: i64) -> DbResult<Vec<Notice>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE n.batch_id = $1 ORDER BY n.id DESC"
        )))
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?)
    }
}
