//! Points: each campaign's rules, the ledger, and the claims of unique codes. A balance
//! moves only with a ledger entry in the same transaction, after the member's row is
//! written first (`take_row_turn`), so caps and balances are checked against what is
//! committed: never below zero, never past a cap, on any number of instances. A code's
//! claim is its primary key: of two members claiming one code at once, one wins.

use std::collections::HashSet;

use sqlx::Any;

use super::visitors::{self, Sighting};
use super::{Backend, Db, DbResult, Page, take_row_turn, values_list, webhooks};
use crate::domain::points::PointsRules;
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;

const DAY_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerEntry {
    pub id: i64,
    pub member_id: i64,
    pub points: i64,
    pub balance_after: i64,
    pub reason: String,
    pub campaign_id: Option<i64>,
    pub code_id: Option<i64>,
    pub conversion_id: Option<i64>,
    pub photo_id: Option<i64>,
    pub referred_id: Option<i64>,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const ENTRY: &str = "id, member_id, points, balance_after, reason, campaign_id, code_id, \
     conversion_id, photo_id, referred_id, note, created_by, created_at";

/// A member's claim of a unique code's first-scan points.
#[derive(Debug, Clone)]
pub struct CodeClaim<'a> {
    pub member_id: i64,
    pub code_id: i64,
    pub campaign_id: i64,
    /// The browser that claimed: it reached the intending stage.
    pub visitor_id: &'a str,
    pub rules: &'a PointsRules,
    pub ip_prefix: &'a str,
    pub now: i64,
}

/// What a claim came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// The points are theirs now.
    Won { points: i64, balance: i64 },
    /// They claimed it before.
    Theirs,
    /// Another member claimed it first, at this time.
    Taken { at: i64 },
    /// The member earned the campaign's cap in the last 24 hours: nothing was claimed.
    MemberCapped,
    /// The network claimed its cap of codes in the last 24 hours: nothing was claimed.
    NetworkCapped,
}

/// A change to a balance from the API.
#[derive(Debug, Clone)]
pub struct Adjustment<'a> {
    pub member_id: i64,
    /// Negative to spend.
    pub points: i64,
    pub note: Option<&'a str>,
    pub by: i64,
}

impl Db {
    pub async fn points_rules(&self, campaign_id: i64) -> DbResult<Option<PointsRules>> {
        let raw: Option<(String,)> =
            sqlx::query_as("SELECT rules FROM points_rules WHERE campaign_id = $1")
                .bind(campaign_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(raw.and_then(|(raw,)| {
            serde_json::from_str(&raw)
                .inspect_err(|err| {
                    tracing::error!(%err, campaign_id, "unreadable points rules are left out");
                })
                .ok()
        }))
    }

    pub async fn set_points_rules(
        &self,
        campaign_id: i64,
        rules: &PointsRules,
        by: i64,
    ) -> DbResult<()> {
        // Numbers and texts only: serialising cannot fail.
        let json = serde_json::to_string(rules).unwrap_or_default();
        sqlx::query(
            "INSERT INTO points_rules (campaign_id, rules, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id) DO UPDATE SET rules = $2, \
             updated_by = $3, updated_at = $4",
        )
        .bind(campaign_id)
        .bind(json)
        .bind(by)
        .bind(super::now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Who claimed a code's first-scan points, and when.
    pub async fn code_claim(&self, code_id: i64) -> DbResult<Option<(i64, i64)>> {
        Ok(
            sqlx::query_as("SELECT member_id, claimed_at FROM code_claims WHERE code_id = $1")
                .bind(code_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Claims a unique code's first-scan points for a member, within the campaign's caps.
    pub async fn claim_code(&self, claim: &CodeClaim<'_>) -> DbResult<Claimed> {
        if let Some(outcome) = self.settled_claim(claim).await? {
            return Ok(outcome);
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        take_row_turn(&mut tx, "members", claim.member_id).await?;
        if let Some(cap) = claim.rules.network_daily_claims {
            let (claims,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM code_claims WHERE ip_prefix = $1 AND claimed_at > $2",
            )
            .bind(claim.ip_prefix)
            .bind(claim.now - DAY_MS)
            .fetch_one(&mut *tx)
            .await?;
            if claims >= cap {
                return Ok(Claimed::NetworkCapped);
            }
        }
        let points = grantable(
            &mut tx,
            claim.member_id,
            claim.campaign_id,
            claim.rules.first_scan,
            claim.rules.daily_cap,
            claim.now,
        )
        .await?;
        if points == 0 && claim.rules.first_scan > 0 {
            return Ok(Claimed::MemberCapped);
        }
        let inserted = sqlx::query(
            "INSERT INTO code_claims (code_id, member_id, ip_prefix, claimed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(claim.code_id)
        .bind(claim.member_id)
        .bind(claim.ip_prefix)
        .bind(claim.now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Another claim committed while this one waited for its turn.
            drop(tx);
            return Ok(self.settled_claim(claim).await?.unwrap_or(Claimed::Theirs));
        }
        let balance = if points > 0 {
            let entry = NewEntry {
                member_id: claim.member_id,
                points,
                reason: "first_scan",
                campaign_id: Some(claim.campaign_id),
                code_id: Some(claim.code_id),
                now: claim.now,
                ..NewEntry::default()
            };
            write_entry(&mut tx, &entry).await?.balance_after
        } else {
            balance_of(&mut tx, claim.member_id).await?
        };
        let intent = Sighting {
            intending_at: Some(claim.now),
            ..Sighting::at(claim.campaign_id, claim.visitor_id, claim.now)
        };
        visitors::note(&mut tx, self.backend(), vec![intent]).await?;
        tx.commit().await?;
        Ok(Claimed::Won { points, balance })
    }

    /// A claim already made, by this member or another.
    async fn settled_claim(&self, claim: &CodeClaim<'_>) -> DbResult<Option<Claimed>> {
        Ok(self.code_claim(claim.code_id).await?.map(|(member, at)| {
            if member == claim.member_id {
                Claimed::Theirs
            } else {
                Claimed::Taken { at }
            }
        }))
    }

    /// Adds or spends points from the API. A spend larger than the balance changes
    /// nothing and answers `Err(balance)`.
    pub async fn adjust_points(
        &self,
        adjustment: &Adjustment<'_>,
    ) -> DbResult<Result<LedgerEntry, i64>> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        take_row_turn(&mut tx, "members", adjustment.member_id).await?;
        let balance = balance_of(&mut tx, adjustment.member_id).await?;
        if balance + adjustment.points < 0 {
            return Ok(Err(balance));
        }
        let entry = NewEntry {
            member_id: adjustment.member_id,
            points: adjustment.points,
            reason: if adjustment.points < 0 {
                "spend"
            } else {
                "adjust"
            },
            note: adjustment.note,
            created_by: Some(adjustment.by),
            now: super::now_ms(),
            ..NewEntry::default()
        };
        let entry = write_entry(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Ok(entry))
    }

    /// A page of a member's ledger, oldest first.
    pub async fn ledger(&self, member_id: i64, page: Page) -> DbResult<Vec<LedgerEntry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY} FROM points_ledger WHERE member_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(member_id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A member's latest entries, newest first.
    pub async fn latest_entries(&self, member_id: i64, limit: i64) -> DbResult<Vec<LedgerEntry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY} FROM points_ledger WHERE member_id = $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(member_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

#[derive(Default)]
struct NewEntry<'a> {
    member_id: i64,
    points: i64,
    reason: &'static str,
    campaign_id: Option<i64>,
    code_id: Option<i64>,
    conversion_id: Option<i64>,
    photo_id: Option<i64>,
    referred_id: Option<i64>,
    note: Option<&'a str>,
    created_by: Option<i64>,
    now: i64,
}

/// Of `points`, what the member may still earn from the campaign in the 24 hours to
/// `now` under `cap`.
async fn grantable(
    tx: &mut sqlx::Transaction<'_, Any>,
    member_id: i64,
    campaign_id: i64,
    points: i64,
    cap: Option<i64>,
    now: i64,
) -> DbResult<i64> {
    let Some(cap) = cap else {
        return Ok(points);
    };
    let (earned,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM points_ledger \
         WHERE member_id = $1 AND campaign_id = $2 AND created_at > $3 AND points > 0",
    )
    .bind(member_id)
    .bind(campaign_id)
    .bind(now - DAY_MS)
    .fetch_one(&mut **tx)
    .await?;
    Ok(points.min(cap - earned).max(0))
}

async fn balance_of(tx: &mut sqlx::Transaction<'_, Any>, member_id: i64) -> DbResult<i64> {
    let (balance,): (i64,) = sqlx::query_as("SELECT points_balance FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(balance)
}

/// Moves the balance and appends the entry, with a `points.changed` webhook delivery.
async fn write_entry(
    tx: &mut sqlx::Transaction<'_, Any>,
    entry: &NewEntry<'_>,
) -> DbResult<LedgerEntry> {
    let earned = entry.points.max(0);
    let (balance,): (i64,) = sqlx::query_as(
        "UPDATE members SET points_balance = points_balance + $2, \
         points_earned = points_earned + $3 WHERE id = $1 RETURNING points_balance",
    )
    .bind(entry.member_id)
    .bind(entry.points)
    .bind(earned)
    .fetch_one(&mut **tx)
    .await?;
    let written: LedgerEntry = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO points_ledger (member_id, points, balance_after, reason, campaign_id, \
         code_id, conversion_id, photo_id, referred_id, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {ENTRY}"
    )))
    .bind(entry.member_id)
    .bind(entry.points)
    .bind(balance)
    .bind(entry.reason)
    .bind(entry.campaign_id)
    .bind(entry.code_id)
    .bind(entry.conversion_id)
    .bind(entry.photo_id)
    .bind(entry.referred_id)
    .bind(entry.note)
    .bind(entry.created_by)
    .bind(entry.now)
    .fetch_one(&mut **tx)
    .await?;
    let changed = WebhookEvent::PointsChanged.as_str();
    if webhooks::wanted(tx, changed).await? {
        let payload = serde_json::json!({
            "member_id": written.member_id,
            "entry_id": written.id,
            "points": written.points,
            "balance": written.balance_after,
            "reason": written.reason,
            "campaign_id": written.campaign_id,
            "code_id": written.code_id,
            "at": to_rfc3339(written.created_at),
        });
        webhooks::enqueue(tx, changed, &payload.to_string()).await?;
    }
    Ok(written)
}

/// Points a member earns for something they did, by their campaign's rules.
#[derive(Debug, Clone, Copy)]
struct Earning {
    member_id: i64,
    campaign_id: i64,
    points: i64,
    reason: &'static str,
    cap: Option<i64>,
    conversion_id: Option<i64>,
    photo_id: Option<i64>,
    referred_id: Option<i64>,
    now: i64,
}

/// Gives an earning's points within the cap, once per thing that earned them; nothing to
/// a member who deleted their membership.
async fn earn(tx: &mut sqlx::Transaction<'_, Any>, earning: Earning) -> DbResult<()> {
    if earning.points <= 0 {
        return Ok(());
    }
    take_row_turn(tx, "members", earning.member_id).await?;
    let (deleted,): (Option<i64>,) = sqlx::query_as("SELECT deleted_at FROM members WHERE id = $1")
        .bind(earning.member_id)
        .fetch_one(&mut **tx)
        .await?;
    let (before,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM points_ledger WHERE reason = $1 AND (conversion_id = $2 \
         OR photo_id = $3 OR referred_id = $4)",
    )
    .bind(earning.reason)
    .bind(earning.conversion_id)
    .bind(earning.photo_id)
    .bind(earning.referred_id)
    .fetch_one(&mut **tx)
    .await?;
    if deleted.is_some() || before > 0 {
        return Ok(());
    }
    let points = grantable(
        tx,
        earning.member_id,
        earning.campaign_id,
        earning.points,
        earning.cap,
        earning.now,
    )
    .await?;
    if points == 0 {
        return Ok(());
    }
    let entry = NewEntry {
        member_id: earning.member_id,
        points,
        reason: earning.reason,
        campaign_id: Some(earning.campaign_id),
        conversion_id: earning.conversion_id,
        photo_id: earning.photo_id,
        referred_id: earning.referred_id,
        now: earning.now,
        ..NewEntry::default()
    };
    write_entry(tx, &entry).await?;
    Ok(())
}

async fn rules_in(
    tx: &mut sqlx::Transaction<'_, Any>,
    campaign_id: i64,
) -> DbResult<Option<PointsRules>> {
    let raw: Option<(String,)> =
        sqlx::query_as("SELECT rules FROM points_rules WHERE campaign_id = $1")
            .bind(campaign_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(raw.and_then(|(raw,)| serde_json::from_str(&raw).ok()))
}

/// The member a browser is signed in as, with who referred them.
async fn member_of(
    tx: &mut sqlx::Transaction<'_, Any>,
    visitor_id: &str,
) -> DbResult<Option<(i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.referred_by FROM member_visitors v JOIN members m ON m.id = v.member_id \
         WHERE v.visitor_id = $1 AND m.deleted_at IS NULL",
    )
    .bind(visitor_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Of `visitors`, those a member is signed in as: one read for a group of purchases, most
/// of whose buyers are no members, instead of one each inside the write transaction (none
/// for no visitors).
pub(crate) async fn members_among(
    tx: &mut sqlx::Transaction<'_, Any>,
    backend: Backend,
    visitors: &[&str],
) -> DbResult<HashSet<String>> {
    const PER_READ: usize = 500;
    let mut members = HashSet::new();
    for slice in visitors.chunks(PER_READ) {
        let sql = format!(
            "SELECT v.visitor_id FROM member_visitors v JOIN members m ON m.id = v.member_id \
             WHERE m.deleted_at IS NULL AND v.visitor_id IN (VALUES {})",
            values_list(backend, slice.len(), 1)
        );
        let mut query = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for visitor in slice {
            query = query.bind(visitor.to_string());
        }
        members.extend(query.fetch_all(&mut **tx).await?.into_iter().map(|(v,)| v));
    }
    Ok(members)
}

/// A purchase by `visitor_id` whose last scan was of `campaign_id`: points to the member
/// the browser is signed in as, and, on their first purchase, to whoever referred them.
pub(crate) async fn earn_for_purchase(
    tx: &mut sqlx::Transaction<'_, Any>,
    visitor_id: &str,
    campaign_id: i64,
    conversion_id: i64,
    amount_cents: i64,
    now: i64,
) -> DbResult<()> {
    let Some((member_id, referred_by)) = member_of(tx, visitor_id).await? else {
        return Ok(());
    };
    let Some(rules) = rules_in(tx, campaign_id).await? else {
        return Ok(());
    };
    let earning = Earning {
        member_id,
        campaign_id,
        points: rules.for_purchase(amount_cents),
        reason: "purchase",
        cap: rules.daily_cap,
        conversion_id: Some(conversion_id),
        photo_id: None,
        referred_id: None,
        now,
    };
    earn(tx, earning).await?;
    if let Some(referrer) = referred_by {
        let for_referrer = Earning {
            member_id: referrer,
            points: rules.referral_purchase,
            reason: "referral_purchase",
            conversion_id: Some(conversion_id),
            referred_id: Some(member_id),
            ..earning
        };
        earn(tx, for_referrer).await?;
    }
    Ok(())
}

/// An approved photo: points to the member its browser is signed in as.
pub(crate) async fn earn_for_photo(
    tx: &mut sqlx::Transaction<'_, Any>,
    photo_id: i64,
    now: i64,
) -> DbResult<()> {
    let photo: Option<(i64, String)> = sqlx::query_as(
        "SELECT campaign_id, visitor_id FROM photos WHERE id = $1 AND status = 'approved'",
    )
    .bind(photo_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((campaign_id, visitor_id)) = photo else {
        return Ok(());
    };
    let Some((member_id, _)) = member_of(tx, &visitor_id).await? else {
        return Ok(());
    };
    let Some(rules) = rules_in(tx, campaign_id).await? else {
        return Ok(());
    };
    let earning = Earning {
        member_id,
        campaign_id,
        points: rules.photo_approved,
        reason: "photo",
        cap: rules.daily_cap,
        conversion_id: None,
        photo_id: Some(photo_id),
        referred_id: None,
        now,
    };
    earn(tx, earning).await
}

/// A member who joined through `referrer`'s share link: points to the referrer.
pub(crate) async fn earn_for_referral(
    tx: &mut sqlx::Transaction<'_, Any>,
    referrer: i64,
    joined: i64,
    campaign_id: i64,
    now: i64,
) -> DbResult<()> {
    let Some(rules) = rules_in(tx, campaign_id).await? else {
        return Ok(());
    };
    let earning = Earning {
        member_id: referrer,
        campaign_id,
        points: rules.referral_join,
        reason: "referral_join",
        cap: rules.daily_cap,
        conversion_id: None,
        photo_id: None,
        referred_id: Some(joined),
        now,
    };
    earn(tx, earning).await
}

/// A member deleting their membership forfeits their balance: one last entry takes it to
/// zero, so the ledger still adds up.
pub(crate) async fn forfeit(
    tx: &mut sqlx::Transaction<'_, Any>,
    member_id: i64,
    now: i64,
) -> DbResult<()> {
    let balance = balance_of(tx, member_id).await?;
    if balance > 0 {
        let entry = NewEntry {
            member_id,
            points: -balance,
            reason: "deleted",
            now,
            ..NewEntry::default()
        };
        write_entry(tx, &entry).await?;
    }
    Ok(())
}
