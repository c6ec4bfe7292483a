//! Audiences: saved filters over a campaign's visitors (`db::visitors`), counted when read
//! and listed page by page for a CSV or a webhook. A member's tier is reached by points
//! earned, so a tier is a range of `points_earned` the caller works out from the
//! campaign's rules.

use serde::{Deserialize, Serialize};

use super::visitors::level_at;
use super::{Db, DbResult, Page, now_ms};
use crate::domain::stage::Stage;

const DAY_MS: i64 = 24 * 3_600_000;

/// What an audience keeps: every part narrows it; an empty list does not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AudienceFilter {
    #[serde(default)]
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub cities: Vec<String>,
    #[serde(default)]
    pub channel_ids: Vec<i64>,
    #[serde(default)]
    pub tiers: Vec<String>,
    pub seen_within_days: Option<i64>,
    #[serde(default)]
    pub members_only: bool,
}

#[derive(Debug, Clone)]
pub struct Audience {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub filter: AudienceFilter,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct AudienceRow {
    id: i64,
    campaign_id: i64,
    name: String,
    filter: String,
    created_by: Option<i64>,
    created_at: i64,
}

impl From<AudienceRow> for Audience {
    fn from(row: AudienceRow) -> Self {
        Self {
            id: row.id,
            campaign_id: row.campaign_id,
            name: row.name,
            // Written by `create_audience` from the same type.
            filter: serde_json::from_str(&row.filter).unwrap_or_default(),
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

/// One of an audience's people.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AudienceMember {
    pub visitor_id: String,
    pub member_id: Option<i64>,
    pub level: i64,
    pub channel_id: Option<i64>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub scans: i64,
    pub purchases: i64,
    pub points_earned: Option<i64>,
    pub points_balance: Option<i64>,
}

/// The FROM and WHERE of an audience's people at `now`: the filter's checked numbers are
/// written into the SQL; cities are bound after the campaign (`$1`) from `$2` on.
fn people(filter: &AudienceFilter, tiers: &[(i64, i64)], now: i64) -> String {
    let mut sql = String::from(
        "FROM visitors v LEFT JOIN member_visitors mv ON mv.visitor_id = v.visitor_id \
         LEFT JOIN members m ON m.id = mv.member_id AND m.deleted_at IS NULL \
         WHERE v.campaign_id = $1",
    );
    let list = |items: Vec<String>| items.join(", ");
    if !filter.stages.is_empty() {
        let levels = filter
            .stages
            .iter()
            .map(|s| s.level().to_string())
            .collect();
        sql.push_str(&format!(
            " AND ({}) IN ({})",
            level_at(&now.to_string()),
            list(levels)
        ));
    }
    if !filter.cities.is_empty() {
        let params = (0..filter.cities.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        sql.push_str(&format!(" AND v.city IN ({})", list(params)));
    }
    if !filter.channel_ids.is_empty() {
        let ids = filter.channel_ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" AND v.channel_id IN ({})", list(ids)));
    }
    if let Some(days) = filter.seen_within_days {
        sql.push_str(&format!(" AND v.last_seen >= {}", now - days * DAY_MS));
    }
    if filter.members_only || !filter.tiers.is_empty() {
        sql.push_str(" AND m.id IS NOT NULL");
    }
    if !tiers.is_empty() {
        let ranges = tiers
            .iter()
            .map(|(low, high)| format!("(m.points_earned >= {low} AND m.points_earned < {high})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        sql.push_str(&format!(" AND ({ranges})"));
    }
    sql
}

impl Db {
    pub async fn create_audience(
        &self,
        campaign_id: i64,
        name: &str,
        filter: &AudienceFilter,
        created_by: i64,
    ) -> DbResult<Audience> {
        let json = serde_json::to_string(filter).expect("a filter serializes");
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO audiences (campaign_id, name, filter, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(campaign_id)
        .bind(name.to_owned())
        .bind(json)
        .bind(created_by)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        self.audience(id).await
    }

    pub async fn audience(&self, id: i64) -> DbResult<Audience> {
        let row: AudienceRow = sqlx::query_as(
            "SELECT id, campaign_id, name, filter, created_by, created_at FROM audiences \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(super::DbError::NotFound)?;
        Ok(row.into())
    }

    pub async fn audiences(&self, page: Page) -> DbResult<Vec<Audience>> {
        let rows: Vec<AudienceRow> = sqlx::query_as(
            "SELECT id, campaign_id, name, filter, created_by, created_at FROM audiences \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How many people the audience holds now; `tiers` are the `points_earned` ranges
    /// [low, high) of its tiers.
    pub async fn audience_size(&self, audience: &Audience, tiers: &[(i64, i64)]) -> DbResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) {}",
            people(&audience.filter, tiers, now_ms())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(audience.campaign_id);
        for city in &audience.filter.cities {
            query = query.bind(city.clone());
        }
        let (count,): (i64,) = query.fetch_one(self.pool()).await?;
        Ok(count)
    }

    /// Up to `limit` of the audience's people after visitor id `after`, by visitor id.
    pub async fn audience_people(
        &self,
        audience: &Audience,
        tiers: &[(i64, i64)],
        after: &str,
        limit: i64,
    ) -> DbResult<Vec<AudienceMember>> {
        let now = now_ms();
        let after_param = audience.filter.cities.len() + 2;
        let sql = format!(
            "SELECT v.visitor_id, m.id AS member_id, {level} AS level, v.channel_id, \
             v.country, v.city, v.first_seen, v.last_seen, v.scans, v.purchases, \
             m.points_earned, m.points_balance {people} AND v.visitor_id > ${after_param} \
             ORDER BY v.visitor_id LIMIT {limit}",
            level = level_at(&now.to_string()),
            people = people(&audience.filter, tiers, now),
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(audience.campaign_id);
        for city in &audience.filter.cities {
            query = query.bind(city.clone());
        }
        Ok(query.bind(after.to_owned()).fetch_all(self.pool()).await?)
    }

    /// Queues `payloads` as deliveries of `event` in one transaction; answers how many
    /// webhooks wanted them (0: nobody subscribes, nothing queued).
    pub async fn enqueue_all(&self, event: &str, payloads: &[String]) -> DbResult<i64> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        if !super::webhooks::wanted(&mut tx, event).await? {
            return Ok(0);
        }
        for payload in payloads {
            super::webhooks::enqueue(&mut tx, event, payload).await?;
        }
        tx.commit().await?;
        Ok(payloads.len() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_keeps_the_whole_campaign() {
        let sql = people(&AudienceFilter::default(), &[], 1_000);
        assert!(sql.ends_with("WHERE v.campaign_id = $1"), "{sql}");
    }

    #[test]
    fn each_part_narrows_and_cities_are_bound() {
        let filter = AudienceFilter {
            stages: vec![Stage::Customer, Stage::Loyal],
            cities: vec!["Shanghai".into(), "O'Hare".into()],
            channel_ids: vec![3],
            tiers: vec!["Gold".into()],
            seen_within_days: Some(1),
            members_only: false,
        };
        let sql = people(&filter, &[(100, 500)], DAY_MS * 10);
        assert!(sql.contains(") IN (5, 6)"), "{sql}");
        assert!(sql.contains("v.city IN ($2, $3)"), "{sql}");
        assert!(
            !sql.contains("O'Hare"),
            "cities are bound, never written in"
        );
        assert!(sql.contains("v.channel_id IN (3)"), "{sql}");
        assert!(
            sql.contains(&format!("v.last_seen >= {}", DAY_MS * 9)),
            "{sql}"
        );
        assert!(sql.contains("m.id IS NOT NULL"), "a tier is a member's");
        assert!(
            sql.contains("(m.points_earned >= 100 AND m.points_earned < 500)"),
            "{sql}"
        );
    }
}
