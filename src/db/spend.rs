//! Spend entries: money spent on a campaign's channel over a period, beside print costs.

use std::collections::BTreeMap;

use super::{Db, DbError, DbResult, ReportRange, now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Spend {
    pub id: i64,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub note: Option<String>,
    pub created_at: i64,
}

/// A validated entry: `[starts_at, ends_at)`, ends after it starts.
#[derive(Debug, Clone)]
pub struct NewSpend {
    pub campaign_id: i64,
    pub channel_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub note: Option<String>,
}

const COLUMNS: &str =
    "id, campaign_id, channel_id, starts_at, ends_at, amount_cents, currency, note, created_at";

impl Db {
    pub async fn create_spend(&self, new: NewSpend) -> DbResult<Spend> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO spend (campaign_id, channel_id, starts_at, ends_at, amount_cents, \
             currency, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.campaign_id)
        .bind(new.channel_id)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(new.amount_cents)
        .bind(new.currency)
        .bind(new.note)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        self.spend_entry(id).await
    }

    pub async fn spend_entry(&self, id: i64) -> DbResult<Spend> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM spend WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// A campaign's entries, oldest period first.
    pub async fn spend_entries(&self, campaign_id: i64) -> DbResult<Vec<Spend>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM spend WHERE campaign_id = $1 ORDER BY starts_at, id"
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn delete_spend(&self, id: i64) -> DbResult<()> {
        let deleted = sqlx::query("DELETE FROM spend WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Each channel's spend inside `range`: every entry's share of its period that falls
    /// inside, spread evenly over the period.
    pub async fn spend_in_range(
        &self,
        campaign_id: i64,
        range: ReportRange,
    ) -> DbResult<BTreeMap<i64, i64>> {
        let entries: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT channel_id, starts_at, ends_at, amount_cents FROM spend \
             WHERE campaign_id = $1 AND starts_at < $3 AND ends_at > $2",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?;
        let mut by_channel = BTreeMap::new();
        for (channel_id, starts_at, ends_at, amount) in entries {
            *by_channel.entry(channel_id).or_insert(0) +=
                share_inside(amount, starts_at, ends_at, range);
        }
        Ok(by_channel)
    }
}

/// The part of `amount` spent over `[starts_at, ends_at)` that falls inside `range`, to
/// the nearest cent.
fn share_inside(amount: i64, starts_at: i64, ends_at: i64, range: ReportRange) -> i64 {
    let overlap = (ends_at.min(range.to) - starts_at.max(range.from)).max(0);
    let period = ends_at - starts_at;
    if period <= 0 {
        return 0;
    }
    ((amount as i128 * overlap as i128 * 2 + period as i128) / (period as i128 * 2)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_range_that_cuts_a_period_takes_its_days_share() {
        let range = |from, to| ReportRange { from, to };
        // 3,000.00 over ten days: 300.00 a day.
        assert_eq!(
            share_inside(300_000, 0, 10 * DAY, range(0, 10 * DAY)),
            300_000
        );
        assert_eq!(
            share_inside(300_000, 0, 10 * DAY, range(4 * DAY, 20 * DAY)),
            180_000
        );
        assert_eq!(
            share_inside(300_000, 0, 10 * DAY, range(2 * DAY, 3 * DAY)),
            30_000
        );
        assert_eq!(
            share_inside(300_000, 0, 10 * DAY, range(10 * DAY, 11 * DAY)),
            0
        );
        // Thirds round to the nearest cent.
        assert_eq!(share_inside(100, 0, 3 * DAY, range(0, DAY)), 33);
        assert_eq!(share_inside(200, 0, 3 * DAY, range(0, DAY)), 67);
    }
}
