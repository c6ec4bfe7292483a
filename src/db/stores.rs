//! Stores: retail locations that batches and scans can be tied to.

use super::{Db, DbError, DbResult, Page, Scope, conflict_as, now_ms};
use crate::domain::Status;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Store {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// A disabled store is not offered for new batches; its printed codes still resolve
    /// and its till purchases are still taken.
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewStore {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

pub(super) const COLUMNS: &str = "id, code, name, city, latitude, longitude, status, created_at";

impl Db {
    pub async fn create_store(&self, new: NewStore) -> DbResult<Store> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO stores (code, name, city, latitude, longitude, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.code)
        .bind(new.name)
        .bind(new.city)
        .bind(new.latitude)
        .bind(new.longitude)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a store with this code"))?;
        self.store(id).await
    }

    /// Replaces a store's name, city, position and status; its code (what tills send)
    /// stays.
    pub async fn update_store(&self, id: i64, change: NewStore, status: Status) -> DbResult<Store> {
        let changed = sqlx::query(
            "UPDATE stores SET name = $1, city = $2, latitude = $3, longitude = $4, status = $5 \
             WHERE id = $6",
        )
        .bind(change.name)
        .bind(change.city)
        .bind(change.latitude)
        .bind(change.longitude)
        .bind(status.as_str())
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(DbError::NotFound);
        }
        self.store(id).await
    }

    pub async fn store(&self, id: i64) -> DbResult<Store> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stores WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Store `id` if it is in `scope`.
    pub async fn store_in(&self, scope: &Scope, id: i64) -> DbResult<Store> {
        if !scope.admits(Some(id)) {
            return Err(DbError::NotFound);
        }
        self.store(id).await
    }

    pub async fn stores(&self, page: Page, scope: &Scope) -> DbResult<Vec<Store>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stores WHERE id > $1 AND {} ORDER BY id LIMIT $2",
            scope.sql("id")
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }
}
