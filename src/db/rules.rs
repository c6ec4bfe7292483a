//! Redirect rules as saved: a JSON list per campaign and per batch, checked by the API
//! before it gets here. Saving is noted for every instance's code cache in the same
//! transaction, so codes route by the new rules everywhere within seconds.

use super::{Db, DbError, DbResult};

/// Whose rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesOwner {
    Campaign(i64),
    Batch(i64),
}

impl RulesOwner {
    fn table(self) -> (&'static str, i64) {
        match self {
            Self::Campaign(id) => ("campaigns", id),
            Self::Batch(id) => ("batches", id),
        }
    }
}

impl Db {
    /// Replaces the owner's rules (`None`: no rules).
    pub(crate) async fn set_rules(&self, owner: RulesOwner, json: Option<String>) -> DbResult<()> {
        let (table, id) = owner.table();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET rules = $1 WHERE id = $2"
        )))
        .bind(json)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        Db::note_status_change(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The owner's rules as saved.
    pub async fn rules(&self, owner: RulesOwner) -> DbResult<Option<String>> {
        let (table, id) = owner.table();
        let row: Option<(Option<String>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT rules FROM {table} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(rules,)| rules).ok_or(DbError::NotFound)
    }
}
