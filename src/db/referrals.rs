//! Referrals: visits through members' share links, and what they led to, per campaign.
//! A new member whose browser came through a link is credited to its member when they
//! join (`members::use_one_time_code`), and earns them points then and at their first
//! purchase (`points`).

use super::{Db, DbResult, now_ms};

/// A campaign's referrals between two times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralCounts {
    /// Members whose link was opened at least once.
    pub sharers: i64,
    /// Browsers that came through a link.
    pub visits: i64,
    /// Members who joined through a link.
    pub joins: i64,
    /// Of them, those who bought since.
    pub buyers: i64,
    /// Members who joined from the campaign's pages, through a link or not.
    pub members: i64,
}

impl Db {
    /// The member whose share link this is, while they are a member.
    pub async fn member_by_referral_code(
        &self,
        code: &str,
    ) -> DbResult<Option<(i64, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT id, campaign_id FROM members WHERE referral_code = $1 AND deleted_at IS NULL",
        )
        .bind(code)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Notes a browser that came through `member_id`'s link, unless it came through one
    /// before or is the member's own.
    pub async fn note_referral_visit(
        &self,
        visitor_id: &str,
        member_id: i64,
        campaign_id: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO referral_visits (visitor_id, member_id, campaign_id, visited_at) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM member_visitors \
             WHERE visitor_id = $1 AND member_id = $2) ON CONFLICT DO NOTHING",
        )
        .bind(visitor_id)
        .bind(member_id)
        .bind(campaign_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A campaign's referrals from visits and joins in `[from, to)`.
    pub async fn referral_counts(
        &self,
        campaign_id: i64,
        from: i64,
        to: i64,
    ) -> DbResult<ReferralCounts> {
        let (sharers, visits): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(DISTINCT member_id), COUNT(*) FROM referral_visits \
             WHERE campaign_id = $1 AND visited_at >= $2 AND visited_at < $3",
        )
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        let (members, joins): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN referred_by IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM members WHERE campaign_id = $1 AND joined_at >= $2 AND joined_at < $3",
        )
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        let (buyers,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM members m WHERE m.campaign_id = $1 AND m.joined_at >= $2 \
             AND m.joined_at < $3 AND m.referred_by IS NOT NULL AND EXISTS (SELECT 1 \
             FROM member_visitors v JOIN conversions c ON c.visitor_id = v.visitor_id \
             WHERE v.member_id = m.id AND c.occurred_at >= m.joined_at)",
        )
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok(ReferralCounts {
            sharers,
            visits,
            joins,
            buyers,
            members,
        })
    }
}
