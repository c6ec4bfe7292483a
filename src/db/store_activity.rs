//! What a store's dashboard reads across campaigns: scans made in stores per hour, every
//! store's scans (for a rank that names no other store), purchases at store tills, and the
//! campaigns a store has batches in.

use std::collections::BTreeMap;

use super::{Conversion, Db, DbResult, Scope, conversions};

/// Purchases at one store's till in a range, in one currency, net of refunds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TillSales {
    pub store_code: String,
    pub currency: String,
    pub purchases: i64,
    pub revenue_cents: i64,
}

impl Db {
    /// Human scans made in each store, per hour in `[from, to)`, from the hourly rollups
    /// (every store when `scope` is all of them).
    pub async fn store_scans_by_hour(
        &self,
        scope: &Scope,
        from: i64,
        to: i64,
    ) -> DbResult<BTreeMap<(i64, i64), i64>> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT store_id, hour, CAST(SUM(scans) AS BIGINT) FROM scan_rollups \
             WHERE store_id IS NOT NULL AND {} AND hour >= $1 AND hour < $2 \
             GROUP BY store_id, hour",
            scope.sql("store_id")
        )))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(store, hour, scans)| ((store, hour), scans))
            .collect())
    }

    /// Purchases recorded at the tills of the stores in `scope` (keyed by their
    /// `store_code`) in `[from, to)`, per store and currency.
    pub async fn till_sales(&self, scope: &Scope, from: i64, to: i64) -> DbResult<Vec<TillSales>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT key_value AS store_code, currency, COUNT(*) AS purchases, \
             CAST(SUM(amount_cents - refunded_cents) AS BIGINT) AS revenue_cents \
             FROM conversions WHERE key_kind = 'store_code' AND {} \
             AND occurred_at >= $1 AND occurred_at < $2 GROUP BY key_value, currency \
             ORDER BY key_value, currency",
            conversions::at_stores(scope)
        )))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }

    /// Purchases at the tills of the stores in `scope` per `bucket_ms` from `from` (bucket
    /// 0 starts there) up to `to`.
    pub async fn till_purchases_by_bucket(
        &self,
        scope: &Scope,
        from: i64,
        to: i64,
        bucket_ms: i64,
    ) -> DbResult<BTreeMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT CAST((occurred_at - $1) / {bucket_ms} AS BIGINT) AS bucket, COUNT(*) \
             FROM conversions WHERE key_kind = 'store_code' AND {} \
             AND occurred_at >= $1 AND occurred_at < $2 GROUP BY bucket",
            conversions::at_stores(scope)
        )))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// The latest `limit` purchases `scope` reaches, newest first.
    pub async fn latest_conversions(&self, scope: &Scope, limit: i64) -> DbResult<Vec<Conversion>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM conversions WHERE {} ORDER BY id DESC LIMIT $1",
            conversions::COLUMNS,
            conversions::at_stores(scope)
        )))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The campaigns with a batch bound to a store in `scope`, by id.
    pub async fn campaigns_in_stores(&self, scope: &Scope) -> DbResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT campaign_id FROM batches WHERE store_id IS NOT NULL AND {} \
             ORDER BY campaign_id",
            scope.sql("store_id")
        )))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
