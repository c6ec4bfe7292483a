//! Visitors as each campaign knows them (`visitors`): first and last seen, scans, events,
//! purchases, and when each stage of the funnel was first reached. Scans are folded in
//! behind a watermark of their own that follows the per-code history's (so the id-gap
//! rule there holds here too), on a budget like the touches; events, purchases, joins and
//! claims are noted in the transactions that write them. Every write is the same upsert,
//! which keeps the earliest time of each stage and adds the counts, so the order in which
//! they arrive does not matter.

use std::collections::BTreeMap;

use super::code_history::fold_watermark;
use super::{Backend, Db, DbResult, FoldStep, values_list, watermarks};
use crate::domain::stage::Stage;

const JOB: &str = "visitors";
/// Names this fold's advisory lock (PostgreSQL).
const ADVISORY_LOCK: i64 = 0x5c4e_1003;

/// Something a visitor did in a campaign, as the upsert adds it.
#[derive(Debug, Clone, Default)]
pub struct Sighting {
    pub campaign_id: i64,
    pub visitor_id: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub channel_id: Option<i64>,
    pub store_id: Option<i64>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub scans: i64,
    pub events: i64,
    pub purchases: i64,
    pub interested_at: Option<i64>,
    pub considering_at: Option<i64>,
    pub intending_at: Option<i64>,
    pub customer_at: Option<i64>,
}

impl Sighting {
    /// A sighting at `at` and nothing else: the caller sets what was done.
    pub fn at(campaign_id: i64, visitor_id: &str, at: i64) -> Self {
        Self {
            campaign_id,
            visitor_id: visitor_id.to_owned(),
            first_seen: at,
            last_seen: at,
            ..Self::default()
        }
    }

    /// Adds `other` (the same campaign and visitor) to this one.
    fn merge(&mut self, other: Self) {
        let earliest = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if other.first_seen < self.first_seen && other.channel_id.is_some()
            || self.channel_id.is_none()
        {
            self.channel_id = other.channel_id.or(self.channel_id);
            self.store_id = if other.channel_id.is_some() {
                other.store_id
            } else {
                self.store_id
            };
        }
        if other.last_seen >= self.last_seen && other.city.is_some() || self.city.is_none() {
            self.country = other.country.or(self.country.take());
            self.city = other.city.or(self.city.take());
        }
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.scans += other.scans;
        self.events += other.events;
        self.purchases += other.purchases;
        self.interested_at = earliest(self.interested_at, other.interested_at);
        self.considering_at = earliest(self.considering_at, other.considering_at);
        self.intending_at = earliest(self.intending_at, other.intending_at);
        self.customer_at = earliest(self.customer_at, other.customer_at);
    }
}

/// `a` or `b`, whichever is earlier, ignoring a missing one.
fn least(backend: Backend, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => format!("COALESCE(MIN({a}, {b}), {a}, {b})"),
        Backend::Postgres => format!("LEAST({a}, {b})"),
    }
}

fn greatest(backend: Backend, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => format!("MAX({a}, {b})"),
        Backend::Postgres => format!("GREATEST({a}, {b})"),
    }
}

/// What the upsert does with a visitor already known: the earliest of each time, the
/// sums of the counts, the channel of the earliest sighting that has one, the latest
/// place. A purchase that makes two is when they became loyal.
fn on_conflict(backend: Backend) -> String {
    let stage = |column: &str| {
        format!(
            "{column} = {}",
            least(
                backend,
                &format!("visitors.{column}"),
                &format!("excluded.{column}")
            )
        )
    };
    let came_earlier = "excluded.channel_id IS NOT NULL AND (visitors.channel_id IS NULL \
                        OR excluded.first_seen < visitors.first_seen)";
    let seen_later = "excluded.city IS NOT NULL AND (visitors.city IS NULL \
                      OR excluded.last_seen >= visitors.last_seen)";
    format!(
        "ON CONFLICT (campaign_id, visitor_id) DO UPDATE SET \
         first_seen = {first}, last_seen = {last}, \
         channel_id = CASE WHEN {came_earlier} THEN excluded.channel_id ELSE visitors.channel_id END, \
         store_id = CASE WHEN {came_earlier} THEN excluded.store_id ELSE visitors.store_id END, \
         country = CASE WHEN {seen_later} THEN excluded.country ELSE visitors.country END, \
         city = CASE WHEN {seen_later} THEN excluded.city ELSE visitors.city END, \
         scans = visitors.scans + excluded.scans, \
         events = visitors.events + excluded.events, \
         purchases = visitors.purchases + excluded.purchases, \
         {interested}, {considering}, {intending}, {customer}, \
         loyal_at = CASE WHEN visitors.loyal_at IS NULL AND excluded.purchases > 0 \
             AND visitors.purchases + excluded.purchases >= 2 \
             THEN excluded.last_seen ELSE visitors.loyal_at END",
        first = least(backend, "visitors.first_seen", "excluded.first_seen"),
        last = greatest(backend, "visitors.last_seen", "excluded.last_seen"),
        interested = stage("interested_at"),
        considering = stage("considering_at"),
        intending = stage("intending_at"),
        customer = stage("customer_at"),
    )
}

const COLUMNS: &str = "campaign_id, visitor_id, first_seen, last_seen, channel_id, store_id, \
    country, city, scans, events, purchases, interested_at, considering_at, intending_at, \
    customer_at, loyal_at";

/// Adds `sightings` to the visitors in the caller's transaction, one row per campaign and
/// visitor, in key order (so two PostgreSQL instances cannot deadlock on them).
pub(super) async fn note(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    sightings: Vec<Sighting>,
) -> DbResult<()> {
    let mut merged: BTreeMap<(i64, String), Sighting> = BTreeMap::new();
    for sighting in sightings {
        let key = (sighting.campaign_id, sighting.visitor_id.clone());
        match merged.get_mut(&key) {
            Some(known) => known.merge(sighting),
            None => {
                merged.insert(key, sighting);
            }
        }
    }
    let rows: Vec<Sighting> = merged.into_values().collect();
    // 16 parameters a row: well under SQLite's limit at 1,000 rows.
    for chunk in rows.chunks(1_000) {
        let sql = format!(
            "INSERT INTO visitors ({COLUMNS}) VALUES {} {}",
            values_list(backend, chunk.len(), 16),
            on_conflict(backend)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            // A first purchase cannot make them loyal; two at once can.
            let loyal_at = (s.purchases >= 2).then_some(s.last_seen);
            query = query
                .bind(s.campaign_id)
                .bind(s.visitor_id.clone())
                .bind(s.first_seen)
                .bind(s.last_seen)
                .bind(s.channel_id)
                .bind(s.store_id)
                .bind(s.country.clone())
                .bind(s.city.clone())
                .bind(s.scans)
                .bind(s.events)
                .bind(s.purchases)
                .bind(s.interested_at)
                .bind(s.considering_at)
                .bind(s.intending_at)
                .bind(s.customer_at)
                .bind(loyal_at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A visitor in one campaign, as the API shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitorCampaign {
    pub campaign_id: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub channel_id: Option<i64>,
    pub store_id: Option<i64>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub scans: i64,
    pub events: i64,
    pub purchases: i64,
    pub interested_at: Option<i64>,
    pub considering_at: Option<i64>,
    pub intending_at: Option<i64>,
    pub customer_at: Option<i64>,
    pub loyal_at: Option<i64>,
}

impl VisitorCampaign {
    /// When each stage was first reached (aware: first seen), for the stages reached.
    pub fn reached(&self) -> Vec<(Stage, i64)> {
        [
            (Stage::Aware, Some(self.first_seen)),
            (Stage::Interested, self.interested_at),
            (Stage::Considering, self.considering_at),
            (Stage::Intending, self.intending_at),
            (Stage::Customer, self.customer_at),
            (Stage::Loyal, self.loyal_at),
        ]
        .into_iter()
        .filter_map(|(stage, at)| Some((stage, at?)))
        .collect()
    }

    /// The highest stage reached.
    pub fn stage(&self) -> Stage {
        self.reached()
            .into_iter()
            .map(|(stage, _)| stage)
            .max()
            .unwrap_or(Stage::Aware)
    }
}

/// SQL for a visitor's level (0 to 6) at the time in `at` (a parameter or column): the
/// highest stage reached by then, 0 when not seen yet. A stage counts when one below it
/// was skipped (a till purchase with no click): the highest says where they are.
pub(super) fn level_at(at: &str) -> String {
    let mut sql = String::from("CASE");
    for stage in Stage::ALL.into_iter().rev() {
        let column = match stage {
            Stage::Aware => "first_seen",
            Stage::Interested => "interested_at",
            Stage::Considering => "considering_at",
            Stage::Intending => "intending_at",
            Stage::Customer => "customer_at",
            Stage::Loyal => "loyal_at",
        };
        sql.push_str(&format!(" WHEN {column} <= {at} THEN {}", stage.level()));
    }
    sql.push_str(" ELSE 0 END");
    sql
}

impl Db {
    /// Folds up to `limit` people's scans that the per-code history has passed into the
    /// visitors.
    pub async fn fold_visitors(&self, limit: i64) -> DbResult<FoldStep> {
        let from = watermarks::read(self.pool(), JOB).await?;
        let history = fold_watermark(self.pool()).await?;
        let to = history.min(from + limit);
        let watermarks::Step {
            mut tx,
            turn: _turn,
        } = match watermarks::begin_step(self, JOB, ADVISORY_LOCK, (from, to)).await? {
            Ok(step) => step,
            Err(answer) => return Ok(answer),
        };
        // Each visitor's first scan in the range names their channel and store, the last
        // one their place.
        let sql = format!(
            "INSERT INTO visitors ({COLUMNS}) \
             SELECT g.campaign_id, g.visitor_id, g.first_at, g.last_at, f.channel_id, \
             f.store_id, l.country, l.city, g.scans, 0, 0, NULL, NULL, NULL, NULL, NULL \
             FROM (SELECT campaign_id, visitor_id, COUNT(*) AS scans, \
                   MIN(scanned_at) AS first_at, MAX(scanned_at) AS last_at, \
                   MIN(id) AS first_id, MAX(id) AS last_id FROM scans \
                   WHERE id > $1 AND id <= $2 AND is_bot = 0 AND visitor_id IS NOT NULL \
                   GROUP BY campaign_id, visitor_id) g \
             JOIN scans f ON f.id = g.first_id JOIN scans l ON l.id = g.last_id WHERE true \
             ORDER BY g.campaign_id, g.visitor_id {}",
            on_conflict(self.backend())
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        watermarks::write(&mut tx, JOB, to).await?;
        tx.commit().await?;
        Ok(FoldStep::Folded {
            scans: to - from,
            more: to < history,
        })
    }

    /// A visitor's campaigns, earliest first; empty for a visitor never seen.
    pub async fn visitor_campaigns(&self, visitor_id: &str) -> DbResult<Vec<VisitorCampaign>> {
        Ok(sqlx::query_as(
            "SELECT campaign_id, first_seen, last_seen, channel_id, store_id, country, city, \
             scans, events, purchases, interested_at, considering_at, intending_at, \
             customer_at, loyal_at FROM visitors WHERE visitor_id = $1 \
             ORDER BY first_seen, campaign_id",
        )
        .bind(visitor_id.to_owned())
        .fetch_all(self.pool())
        .await?)
    }

    /// The member a visitor's browser is linked to.
    pub async fn member_of_visitor(&self, visitor_id: &str) -> DbResult<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT member_id FROM member_visitors WHERE visitor_id = $1")
                .bind(visitor_id.to_owned())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Visitors of a campaign (of one channel) at each level at `at`, and how many moved
    /// from each level at `since` to a higher one by `at`: (level at `since`, level at
    /// `at`, visitors), levels 0 (not seen yet) to 6.
    pub async fn stage_moves(
        &self,
        campaign_id: i64,
        channel_id: Option<i64>,
        since: i64,
        at: i64,
    ) -> DbResult<Vec<(i64, i64, i64)>> {
        let of_channel = if channel_id.is_some() {
            "AND channel_id = $4"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {before} AS before_level, {after} AS after_level, COUNT(*) FROM visitors \
             WHERE campaign_id = $1 AND first_seen <= $3 {of_channel} \
             GROUP BY 1, 2 ORDER BY 1, 2",
            before = level_at("$2"),
            after = level_at("$3"),
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(campaign_id)
            .bind(since)
            .bind(at);
        if let Some(channel_id) = channel_id {
            query = query.bind(channel_id);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// A campaign's visitors at each level now, per channel they came from (0: none).
    pub async fn stages_by_channel(&self, campaign_id: i64) -> DbResult<Vec<(i64, i64, i64)>> {
        let level = level_at("9223372036854775807");
        let sql = format!(
            "SELECT COALESCE(channel_id, 0), {level}, COUNT(*) FROM visitors \
             WHERE campaign_id = $1 GROUP BY 1, 2 ORDER BY 1, 2"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(campaign_id)
            .fetch_all(self.pool())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_sql_tests_the_highest_stage_first() {
        let sql = level_at("$2");
        assert!(sql.starts_with("CASE WHEN loyal_at <= $2 THEN 6"), "{sql}");
        assert!(
            sql.ends_with("WHEN first_seen <= $2 THEN 1 ELSE 0 END"),
            "{sql}"
        );
    }

    #[test]
    fn merged_sightings_keep_the_first_channel_the_last_place_and_the_earliest_stages() {
        let mut a = Sighting {
            channel_id: Some(2),
            city: Some("Shanghai".into()),
            scans: 1,
            ..Sighting::at(1, "v", 100)
        };
        a.merge(Sighting {
            channel_id: Some(3),
            city: Some("Hangzhou".into()),
            events: 2,
            interested_at: Some(300),
            ..Sighting::at(1, "v", 50)
        });
        a.merge(Sighting {
            city: Some("Suzhou".into()),
            interested_at: Some(200),
            ..Sighting::at(1, "v", 400)
        });
        assert_eq!(a.channel_id, Some(3), "the earliest sighting's channel");
        assert_eq!(a.city.as_deref(), Some("Suzhou"), "the latest place");
        assert_eq!((a.first_seen, a.last_seen), (50, 400));
        assert_eq!((a.scans, a.events), (1, 2));
        assert_eq!(a.interested_at, Some(200));
    }
}
