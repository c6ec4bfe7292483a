//! The credit tier: each campaign's conversions credited per UTC day of purchase under
//! every model, with the campaign's own window and half-life, folded once the day is over
//! (and folded again when a late conversion, a refund or new attribution settings make a
//! day stale). A report over a long range reads summed rows per day instead of crediting
//! every touch path in the process; the days at its edges, stale days, and rules other than
//! the campaign's are credited from the paths as before (`reports::credit_paths`).
//!
//! A stale day is marked in the transaction that makes it stale, and its mark is taken
//! away in the transaction that folds it again (which reads under the write turn), so a
//! report never reads a day's old credit once a change to it is committed.

use std::collections::BTreeMap;

use super::days::{DAY_MS, GRACE_MS, day_of};
use super::reports::{CampaignCredit, Credit, Detail, Place, ReportRange};
use super::{Db, DbResult, ReportFilter, values_list, watermarks};
use crate::domain::attribution::{Model, Rules};

const JOB: &str = "credits";
const ADVISORY_LOCK: i64 = 0x5c4e_1004;
const MS_PER_HOUR: i64 = 3_600_000;
/// Rows per insert statement (10 values each).
const ROWS_PER_INSERT: usize = 100;

/// What one step of the fold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditStep {
    /// A stale day of a campaign folded again, or the next day folded for every campaign.
    Folded,
    Waiting,
}

impl Db {
    /// A campaign's conversions made in `range` credited under `rules`: the whole folded
    /// days that are not stale from the tier when `rules` has the campaign's window and
    /// half-life, the rest from the stored touch paths.
    pub async fn campaign_credit(
        &self,
        campaign_id: i64,
        range: ReportRange,
        rules: Rules,
        detail: Detail,
        filter: &ReportFilter,
    ) -> DbResult<CampaignCredit> {
        // The tier's sums are per channel, batch, store and place, never of two at once:
        // a filtered report credits from the paths.
        if !filter.is_whole() {
            return self
                .credit_paths(campaign_id, range, rules, detail, filter)
                .await;
        }
        let own = self.campaign(campaign_id).await?.rules();
        let folded_to = watermarks::read(self.pool(), JOB).await?;
        let first_day = day_of(range.from + DAY_MS - 1);
        let end_day = day_of(range.to).min(folded_to);
        if first_day >= end_day || rules.window != own.window || rules.half_life != own.half_life {
            return self
                .credit_paths(campaign_id, range, rules, detail, filter)
                .await;
        }
        // The tier's rows and the stale days in one statement: one snapshot of both.
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT family, item, CAST(SUM(conversions) AS BIGINT), \
             CAST(SUM(revenue_cents) AS BIGINT), CAST(SUM(refunded_cents) AS BIGINT) \
             FROM day_credits d WHERE campaign_id = $1 AND model = $2 AND day >= $3 \
             AND day < $4 AND NOT EXISTS (SELECT 1 FROM stale_credit_days s \
                 WHERE s.campaign_id = $1 AND s.day = d.day) \
             GROUP BY family, item \
             UNION ALL SELECT 'stale', CAST(day AS TEXT), 0, 0, 0 FROM stale_credit_days \
             WHERE campaign_id = $1 AND day >= $3 AND day < $4",
        )
        .bind(campaign_id)
        .bind(rules.model.as_str())
        .bind(first_day)
        .bind(end_day)
        .fetch_all(self.pool())
        .await?;
        let mut credit = CampaignCredit::default();
        let mut live = vec![(range.from, first_day), (end_day, range.to)];
        for (family, item, conversions, revenue, refunded) in rows {
            let sum = Credit {
                conversions,
                revenue_cents: revenue,
                refunded_cents: refunded,
            };
            match family.as_str() {
                "stale" => {
                    let day: i64 = item.parse().unwrap_or_default();
                    live.push((day, day + DAY_MS));
                }
                _ => credit.add_folded(&family, &item, sum, detail),
            }
        }
        for (from, to) in live {
            if from < to {
                let part = ReportRange { from, to };
                let paths = self.credit_paths(campaign_id, part, rules, detail, filter);
                credit.absorb(paths.await?);
            }
        }
        credit.by_purchase.sort_by_key(|(at, _)| *at);
        Ok(credit)
    }

    /// Folds one stale day of a campaign again or, when none is stale, the next day that is
    /// over: each campaign with conversions that day in a transaction of its own (a
    /// campaign-day's credit is read under the write turn), then the watermark. A
    /// conversion that comes for a campaign meanwhile marks its day stale.
    pub async fn fold_credits(&self, now: i64) -> DbResult<CreditStep> {
        let folded_to = watermarks::read(self.pool(), JOB).await?;
        let stale: Option<(i64, i64)> =
            sqlx::query_as("SELECT campaign_id, day FROM stale_credit_days WHERE day < $1 LIMIT 1")
                .bind(folded_to)
                .fetch_optional(self.pool())
                .await?;
        if let Some((campaign_id, day)) = stale {
            self.fold_credit_day(campaign_id, day).await?;
            return Ok(CreditStep::Folded);
        }
        let day = match folded_to {
            0 => {
                let (first,): (Option<i64>,) =
                    sqlx::query_as("SELECT MIN(occurred_at) FROM conversions")
                        .fetch_one(self.pool())
                        .await?;
                match first {
                    Some(first) => day_of(first),
                    None => return Ok(CreditStep::Waiting),
                }
            }
            day => day,
        };
        if day + DAY_MS + GRACE_MS > now {
            return Ok(CreditStep::Waiting);
        }
        for campaign_id in self.campaigns_converting(day).await? {
            self.fold_credit_day(campaign_id, day).await?;
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        if !watermarks::lock(self.backend(), &mut tx, ADVISORY_LOCK).await?
            || watermarks::read(&mut *tx, JOB).await? != folded_to
        {
            // Another instance advanced it meanwhile.
            return Ok(CreditStep::Waiting);
        }
        watermarks::write(&mut tx, JOB, day + DAY_MS).await?;
        tx.commit().await?;
        Ok(CreditStep::Folded)
    }

    /// The campaigns with a conversion (credited or naming them) on `day`: an index probe
    /// per campaign.
    async fn campaigns_converting(&self, day: i64) -> DbResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM campaigns c WHERE EXISTS (SELECT 1 FROM conversion_touches t \
                 WHERE t.campaign_id = c.id AND t.converted_at >= $1 AND t.converted_at < $2) \
             OR EXISTS (SELECT 1 FROM conversions v WHERE v.campaign_id = c.id \
                 AND v.occurred_at >= $1 AND v.occurred_at < $2)",
        )
        .bind(day)
        .bind(day + DAY_MS)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Credits one campaign's `day` under every model, in place of what the tier held.
    async fn fold_credit_day(&self, campaign_id: i64, day: i64) -> DbResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        if !watermarks::lock(self.backend(), &mut tx, ADVISORY_LOCK).await? {
            return Ok(());
        }
        // The mark goes first: a conversion committed after this marks the day again (on
        // PostgreSQL its mark waits for this transaction) and it is folded once more.
        for table in ["stale_credit_days", "day_credits"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE campaign_id = $1 AND day = $2"
            )))
            .bind(campaign_id)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        }
        let own = self.campaign(campaign_id).await?.rules();
        let range = ReportRange {
            from: day,
            to: day + DAY_MS,
        };
        // Read under the write turn: no conversion or refund commits meanwhile.
        let paths = self
            .read_paths(campaign_id, range, own.window.ms(), Detail::Places)
            .await?;
        let mut rows = Vec::new();
        for model in Model::ALL {
            let rules = Rules { model, ..own };
            let credit = paths.credit(campaign_id, rules, Detail::Places, &ReportFilter::default());
            rows.extend(credit_rows(rules, &credit));
        }
        for slice in rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO day_credits (campaign_id, model, day, family, item, window_ms, \
                 half_life_ms, conversions, revenue_cents, refunded_cents) VALUES {}",
                values_list(self.backend(), slice.len(), 10)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in slice {
                insert = insert
                    .bind(campaign_id)
                    .bind(row.model)
                    .bind(day)
                    .bind(row.family)
                    .bind(row.item.clone())
                    .bind(row.window_ms)
                    .bind(row.half_life_ms)
                    .bind(row.sum.conversions)
                    .bind(row.sum.revenue_cents)
                    .bind(row.sum.refunded_cents);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Marks stale the days of new conversions (`(campaign, purchase time)`: each campaign
/// their paths or keys name).
pub(super) async fn mark_stale(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: super::Backend,
    bought: &[(i64, i64)],
) -> DbResult<()> {
    let mut days: Vec<(i64, i64)> = bought.iter().map(|&(c, at)| (c, day_of(at))).collect();
    days.sort_unstable();
    days.dedup();
    for slice in days.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO stale_credit_days (campaign_id, day) VALUES {} ON CONFLICT DO NOTHING",
            values_list(backend, slice.len(), 2)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &(campaign_id, day) in slice {
            insert = insert.bind(campaign_id).bind(day);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks stale the day of a conversion for every campaign it is credited to or names.
pub(super) async fn mark_conversion_stale(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversion_id: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO stale_credit_days (campaign_id, day) \
         SELECT t.campaign_id, c.occurred_at - c.occurred_at % 86400000 \
         FROM conversion_touches t JOIN conversions c ON c.id = t.conversion_id \
         WHERE t.conversion_id = $1 \
         UNION SELECT campaign_id, occurred_at - occurred_at % 86400000 FROM conversions \
         WHERE id = $1 AND campaign_id IS NOT NULL \
         ON CONFLICT DO NOTHING",
    )
    .bind(conversion_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks stale every day a campaign whose settings changed may be credited on: each day
/// with a conversion whose path touches it (at any distance: a wider window may reach a
/// touch no day's credit held) or whose key names it.
pub(super) async fn mark_campaign_stale(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    campaign_id: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO stale_credit_days (campaign_id, day) \
         SELECT DISTINCT campaign_id, converted_at - converted_at % 86400000 \
         FROM conversion_touches WHERE campaign_id = $1 \
         UNION SELECT campaign_id, occurred_at - occurred_at % 86400000 FROM conversions \
         WHERE campaign_id = $1 \
         ON CONFLICT DO NOTHING",
    )
    .bind(campaign_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One row of a campaign-day in the tier.
struct CreditRow {
    model: &'static str,
    family: &'static str,
    item: String,
    window_ms: i64,
    half_life_ms: i64,
    sum: Credit,
}

/// A campaign-day's credit under one model as the tier's rows; none for a day without
/// conversions.
fn credit_rows(rules: Rules, credit: &CampaignCredit) -> Vec<CreditRow> {
    let mut items: Vec<(&'static str, String, Credit)> = Vec::new();
    let ids = |family, map: &BTreeMap<i64, Credit>| {
        map.iter()
            .map(move |(id, sum)| (family, id.to_string(), *sum))
            .collect::<Vec<_>>()
    };
    items.extend(ids("channel", &credit.by_channel));
    items.extend(ids("batch", &credit.by_batch));
    items.extend(ids("store", &credit.by_store));
    items.extend(ids("variant", &credit.by_variant));
    items.extend(
        credit
            .by_device
            .iter()
            .map(|(device, sum)| ("device", device.clone(), *sum)),
    );
    items.extend(
        credit
            .by_place
            .iter()
            .map(|(place, sum)| ("place", place_item(place), *sum)),
    );
    let mut hours: BTreeMap<i64, Credit> = BTreeMap::new();
    for (at, sum) in &credit.by_purchase {
        let hour = hours.entry(at - at.rem_euclid(MS_PER_HOUR)).or_default();
        hour.add(sum.conversions, sum.revenue_cents, sum.refunded_cents);
    }
    items.extend(ids("hour", &hours));
    if credit.total != Credit::default() {
        items.push(("total", String::new(), credit.total));
    }
    if credit.unattributed > 0 {
        let unattributed = Credit {
            conversions: credit.unattributed,
            revenue_cents: credit.unattributed_revenue_cents,
            refunded_cents: 0,
        };
        items.push(("unattributed", String::new(), unattributed));
    }
    items
        .into_iter()
        .map(|(family, item, sum)| CreditRow {
            model: rules.model.as_str(),
            family,
            item,
            window_ms: rules.window.ms(),
            half_life_ms: rules.half_life.ms(),
            sum,
        })
        .collect()
}

/// A place as one text: country, region and city joined by tabs (none holds a tab).
fn place_item(place: &Place) -> String {
    format!("{}\t{}\t{}", place.country, place.region, place.city)
}

impl CampaignCredit {
    /// Adds a summed row of the tier.
    fn add_folded(&mut self, family: &str, item: &str, sum: Credit, detail: Detail) {
        let id = || item.parse::<i64>().ok();
        let target = match family {
            "channel" => id().map(|id| self.by_channel.entry(id).or_default()),
            "batch" => id().map(|id| self.by_batch.entry(id).or_default()),
            "store" => id().map(|id| self.by_store.entry(id).or_default()),
            "total" => Some(&mut self.total),
            "variant" if detail == Detail::Places => {
                id().map(|id| self.by_variant.entry(id).or_default())
            }
            "device" if detail == Detail::Places => {
                Some(self.by_device.entry(item.to_owned()).or_default())
            }
            "place" if detail == Detail::Places => {
                let mut parts = item.splitn(3, '\t').map(str::to_owned);
                let place = Place {
                    country: parts.next().unwrap_or_default(),
                    region: parts.next().unwrap_or_default(),
                    city: parts.next().unwrap_or_default(),
                };
                Some(self.by_place.entry(place).or_default())
            }
            "hour" => {
                if let Some(hour) = id() {
                    self.by_purchase.push((hour, sum));
                }
                None
            }
            "unattributed" => {
                self.unattributed += sum.conversions;
                self.unattributed_revenue_cents += sum.revenue_cents;
                None
            }
            _ => None,
        };
        if let Some(credit) = target {
            credit.add(sum.conversions, sum.revenue_cents, sum.refunded_cents);
        }
    }

    /// Adds another part of the range's credit.
    fn absorb(&mut self, other: CampaignCredit) {
        let merge = |into: &mut Credit, sum: Credit| {
            into.add(sum.conversions, sum.revenue_cents, sum.refunded_cents);
        };
        for (id, sum) in other.by_channel {
            merge(self.by_channel.entry(id).or_default(), sum);
        }
        for (id, sum) in other.by_batch {
            merge(self.by_batch.entry(id).or_default(), sum);
        }
        for (id, sum) in other.by_store {
            merge(self.by_store.entry(id).or_default(), sum);
        }
        for (id, sum) in other.by_variant {
            merge(self.by_variant.entry(id).or_default(), sum);
        }
        for (device, sum) in other.by_device {
            merge(self.by_device.entry(device).or_default(), sum);
        }
        for (place, sum) in other.by_place {
            merge(self.by_place.entry(place).or_default(), sum);
        }
        merge(&mut self.total, other.total);
        self.by_purchase.extend(other.by_purchase);
        self.unattributed += other.unattributed;
        self.unattributed_revenue_cents += other.unattributed_revenue_cents;
    }
}
