//! Conversions (purchases reported by shops and tills), the touch paths that led to them,
//! and refunds.

use std::collections::HashMap;

use sqlx::{FromRow, Row};

use super::visitors::{self, Sighting};
use super::{
    Backend, Db, DbError, DbResult, Flag, Page, Scope, credits, now_ms, points, values_list,
    webhooks,
};
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;

/// The most touches a conversion keeps: the latest ones before it. A visitor rarely has
/// more; a busy store or a poster's shared code does, and the latest are the ones any
/// model credits most.
pub const MAX_TOUCHES: i64 = 100;
/// The most parameters SQLite takes in one statement.
const SQLITE_PARAMETERS: usize = 32_766;
/// The columns a conversion and a stored touch are inserted with.
const CONVERSION_VALUES: usize = 13;
const TOUCH_VALUES: usize = 18;
/// Rows per multi-row insert, their parameters under SQLite's limit (checked when built).
const CONVERSIONS_PER_INSERT: usize = 500;
const TOUCHES_PER_INSERT: usize = 1_800;
const _: () = assert!(CONVERSIONS_PER_INSERT * CONVERSION_VALUES <= SQLITE_PARAMETERS);
const _: () = assert!(TOUCHES_PER_INSERT * TOUCH_VALUES <= SQLITE_PARAMETERS);
/// Paths per read: a compound statement of up to SQLite's 500 parts, kept well short.
const PATHS_PER_READ: usize = 100;

/// How the reporter named who bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionKey {
    /// The id the landing page's buy link carried (`sl_click`).
    Click(String),
    /// The visitor id (the `sl_vid` cookie).
    Visitor(String),
    /// The token of the unique code on the item bought.
    Token(String),
    /// The store whose till sold it.
    Store(String),
}

impl ConversionKey {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Click(_) => "click_id",
            Self::Visitor(_) => "visitor_id",
            Self::Token(_) => "token",
            Self::Store(_) => "store_code",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Self::Click(v) | Self::Visitor(v) | Self::Token(v) | Self::Store(v) => v,
        }
    }
}

/// A validated conversion, ready to record.
#[derive(Debug, Clone)]
pub struct NewConversion {
    pub source: String,
    pub order_id: String,
    pub amount_cents: i64,
    pub currency: String,
    pub items: Option<i64>,
    pub occurred_at: i64,
    pub key: ConversionKey,
}

/// One scan on a conversion's path, with where it was made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Touch {
    /// Absent when the touch is the buy click itself (its visitor's scans are unknown).
    pub scan_id: Option<i64>,
    pub touched_at: i64,
    pub code_id: i64,
    pub batch_id: i64,
    pub campaign_id: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    /// Where and on what the scan (or the click) was made, for breakdowns.
    pub device: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    /// The experiment variant the scan (or the click's page) was shown, for the variants
    /// report.
    pub variant_id: Option<i64>,
}

/// A buy click, as a conversion's key finds it.
#[derive(sqlx::FromRow)]
pub struct Click {
    pub campaign_id: i64,
    pub visitor_id: Option<String>,
    pub code_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub store_id: Option<i64>,
    pub occurred_at: i64,
    pub device: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub variant_id: Option<i64>,
}

/// Whose touches to read.
pub enum TouchesOf {
    Visitor(String),
    Code(i64),
    Store(i64),
}

/// What a conversion's key led to.
#[derive(Debug, Clone, Default)]
pub struct KeyMatch {
    /// The key names something scanloop knows (a click, a visitor with scans, a code, a
    /// store).
    pub found: bool,
    /// The campaign the key names, when it names one (a click's, a code's).
    pub campaign_id: Option<i64>,
    pub visitor_id: Option<String>,
    /// The scans before the conversion, oldest first.
    pub touches: Vec<Touch>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversion {
    pub id: i64,
    pub source: String,
    pub order_id: String,
    pub amount_cents: i64,
    pub currency: String,
    pub items: Option<i64>,
    pub occurred_at: i64,
    pub received_at: i64,
    pub key_kind: String,
    pub key_value: String,
    #[sqlx(try_from = "i64")]
    pub key_found: Flag,
    pub campaign_id: Option<i64>,
    pub visitor_id: Option<String>,
    pub refunded_cents: i64,
    /// The secret of its feedback link.
    pub feedback_token: Option<String>,
}

/// The answer to recording a conversion.
#[derive(Debug)]
pub enum Recorded {
    /// Recorded now, with its touch path.
    New(Conversion, Vec<Touch>),
    /// The same (source, order id) was recorded before with the same amount and currency.
    Known(Conversion),
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Refund {
    pub id: i64,
    pub conversion_id: i64,
    pub amount_cents: i64,
    pub refund_id: Option<String>,
    pub reason: Option<String>,
    pub refunded_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub amount_cents: i64,
    pub refund_id: Option<String>,
    pub reason: Option<String>,
}

/// Why a refund was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("conversion not found")]
    NotFound,
    #[error("only {left} cents are left to refund on this conversion")]
    MoreThanLeft { left: i64 },
    #[error("refund_id {0:?} was recorded before with a different amount")]
    Changed(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for RefundError {
    fn from(err: sqlx::Error) -> Self {
        Self::Db(err.into())
    }
}

/// The condition on a conversion that `scope` reaches: for a retailer, a till purchase
/// keyed by one of their stores' codes.
pub(super) fn at_stores(scope: &Scope) -> String {
    match scope {
        Scope::All => "1 = 1".to_owned(),
        Scope::Stores(_) => format!(
            "key_kind = 'store_code' AND key_value IN (SELECT code FROM stores WHERE {})",
            scope.sql("id")
        ),
    }
}

pub(super) const COLUMNS: &str = "id, source, order_id, amount_cents, currency, items, occurred_at, \
     received_at, key_kind, key_value, key_found, campaign_id, visitor_id, refunded_cents, \
     feedback_token";
const TOUCH_COLUMNS: &str = "scan_id, touched_at, code_id, batch_id, campaign_id, channel_id, \
     store_id, device, country, region, city, variant_id";

impl Db {
    pub async fn conversion(&self, id: i64) -> DbResult<Conversion> {
        self.conversion_in(&Scope::All, id).await
    }

    /// A conversion `scope` reaches: a retailer's are the till purchases keyed by the
    /// code of one of their stores.
    pub async fn conversion_in(&self, scope: &Scope, id: i64) -> DbResult<Conversion> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM conversions WHERE id = $1 AND {}",
            at_stores(scope)
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    pub async fn conversion_by_order(
        &self,
        source: &str,
        order_id: &str,
    ) -> DbResult<Option<Conversion>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM conversions WHERE source = $1 AND order_id = $2"
        )))
        .bind(source.to_owned())
        .bind(order_id.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }

    /// Conversions in id order; `attributed` keeps those with (or without) a touch path.
    pub async fn conversions(
        &self,
        page: Page,
        campaign_id: Option<i64>,
        attributed: Option<bool>,
        scope: &Scope,
    ) -> DbResult<Vec<Conversion>> {
        let has_path = "EXISTS (SELECT 1 FROM conversion_touches t WHERE t.conversion_id = id)";
        let attributed = match attributed {
            Some(true) => format!(" AND {has_path}"),
            Some(false) => format!(" AND NOT {has_path}"),
            None => String::new(),
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM conversions WHERE id > $1 \
             AND ($2 IS NULL OR campaign_id = $2){attributed} AND {} ORDER BY id LIMIT $3",
            at_stores(scope)
        )))
        .bind(page.after)
        .bind(campaign_id)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn conversion_touches(&self, id: i64) -> DbResult<Vec<Touch>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TOUCH_COLUMNS} FROM conversion_touches WHERE conversion_id = $1 \
             ORDER BY position"
        )))
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The buy click with this id.
    pub async fn click(&self, click_id: &str) -> DbResult<Option<Click>> {
        Ok(sqlx::query_as(
            "SELECT campaign_id, visitor_id, code_id, batch_id, channel_id, store_id, \
             occurred_at, device, country, city, variant_id FROM events WHERE click_id = $1",
        )
        .bind(click_id.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }

    /// The id of the store with this code.
    pub async fn store_id(&self, code: &str) -> DbResult<Option<i64>> {
        let store: Option<(i64,)> = sqlx::query_as("SELECT id FROM stores WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(store.map(|(id,)| id))
    }

    /// For each of `wanted` (whose, since, until): the latest folded touches in
    /// `[since, until]` (at most [`MAX_TOUCHES`]), oldest first. A conversion group's
    /// paths are read in one statement per [`PATHS_PER_READ`] instead of one each.
    pub async fn touches_of(&self, wanted: &[(TouchesOf, i64, i64)]) -> DbResult<Vec<Vec<Touch>>> {
        use std::fmt::Write;
        let mut paths = vec![Vec::new(); wanted.len()];
        for (slice_no, slice) in wanted.chunks(PATHS_PER_READ).enumerate() {
            let mut sql = String::new();
            for (i, (by, _, _)) in slice.iter().enumerate() {
                let column = match by {
                    TouchesOf::Visitor(_) => "visitor_id",
                    TouchesOf::Code(_) => "code_id",
                    TouchesOf::Store(_) => "store_id",
                };
                // Anonymous on SQLite, as in `values_list`: sqlx finds each numbered
                // parameter by walking SQLite's list of names.
                let [whose, since, until] = [1, 2, 3].map(|k| match self.backend() {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", 3 * i + k),
                });
                let _ = write!(
                    sql,
                    "{}SELECT {i} AS path, t.* FROM (SELECT {TOUCH_COLUMNS} FROM touches \
                     WHERE {column} = {whose} AND touched_at >= {since} \
                     AND touched_at <= {until} \
                     ORDER BY touched_at DESC, scan_id DESC LIMIT {MAX_TOUCHES}) AS t",
                    if i == 0 { "" } else { " UNION ALL " },
                );
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (by, since, until) in slice {
                query = match by {
                    TouchesOf::Visitor(visitor) => query.bind(visitor.clone()),
                    TouchesOf::Code(id) | TouchesOf::Store(id) => query.bind(*id),
                };
                query = query.bind(*since).bind(*until);
            }
            for row in query.fetch_all(self.pool()).await? {
                let path: i64 = row.try_get("path")?;
                paths[slice_no * PATHS_PER_READ + path as usize].push(Touch::from_row(&row)?);
            }
        }
        for path in &mut paths {
            path.reverse();
        }
        Ok(paths)
    }

    /// A campaign's currency; `None` for no such campaign.
    pub async fn campaign_currency(&self, id: i64) -> DbResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT currency FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|(currency,)| currency))
    }

    /// Records a group of conversions with their touch paths in one transaction, in
    /// order; an answer for each. An order recorded before (or earlier in the group) is
    /// `Known` when its amount and currency match, else a conflict.
    pub async fn record_conversions(
        &self,
        group: &[(&NewConversion, &KeyMatch)],
    ) -> DbResult<Vec<DbResult<Recorded>>> {
        let received_at = now_ms();
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        // A repeated order inserts nothing and returns no id; the first of two in the group
        // takes the one returned.
        let mut ids: HashMap<(String, String), (i64, String)> = HashMap::with_capacity(group.len());
        for slice in group.chunks(CONVERSIONS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO conversions (source, order_id, amount_cents, currency, items, \
                 occurred_at, received_at, key_kind, key_value, key_found, campaign_id, \
                 visitor_id, feedback_token) VALUES {} ON CONFLICT (source, order_id) DO NOTHING \
                 RETURNING id, source, order_id, feedback_token",
                values_list(self.backend(), slice.len(), CONVERSION_VALUES)
            );
            let mut insert = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for (new, matched) in slice {
                insert = insert
                    .bind(new.source.clone())
                    .bind(new.order_id.clone())
                    .bind(new.amount_cents)
                    .bind(new.currency.clone())
                    .bind(new.items)
                    .bind(new.occurred_at)
                    .bind(received_at)
                    .bind(new.key.kind())
                    .bind(new.key.value().to_owned())
                    .bind(i64::from(matched.found))
                    .bind(matched.campaign_id)
                    .bind(matched.visitor_id.clone())
                    .bind(crate::scans::visitor::new_id());
            }
            let inserted: Vec<(i64, String, String, String)> = insert.fetch_all(&mut *tx).await?;
            ids.extend(
                inserted
                    .into_iter()
                    .map(|(id, s, o, token)| ((s, o), (id, token))),
            );
        }
        let (new_ids, tokens): (Vec<Option<i64>>, Vec<Option<String>>) = group
            .iter()
            .map(|(new, _)| ids.remove(&(new.source.clone(), new.order_id.clone())))
            .map(|found| found.map_or((None, None), |(id, token)| (Some(id), Some(token))))
            .unzip();
        let buyers: Vec<Option<String>> = group
            .iter()
            .map(|(new, matched)| buyer(new, matched))
            .collect();
        let paths =
            group
                .iter()
                .zip(&new_ids)
                .zip(&buyers)
                .filter_map(|(((new, matched), id), buyer)| {
                    Some((id.as_ref()?, *new, &matched.touches, buyer.as_ref()))
                });
        let rows: Vec<TouchRow> = paths
            .flat_map(|(&id, new, touches, buyer)| {
                let campaigns = campaign_count(touches);
                touches
                    .iter()
                    .enumerate()
                    .map(move |(position, t)| (id, new, position, t, campaigns, buyer))
            })
            .collect();
        for slice in rows.chunks(TOUCHES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO conversion_touches (conversion_id, position, converted_at, \
                 touched_at, scan_id, code_id, batch_id, campaign_id, channel_id, store_id, \
                 amount_cents, campaigns, device, country, region, city, buyer, variant_id) \
                 VALUES {}",
                values_list(self.backend(), slice.len(), TOUCH_VALUES)
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &(id, new, position, t, campaigns, buyer) in slice {
                insert = insert
                    .bind(id)
                    .bind(position as i64)
                    .bind(new.occurred_at)
                    .bind(t.touched_at)
                    .bind(t.scan_id)
                    .bind(t.code_id)
                    .bind(t.batch_id)
                    .bind(t.campaign_id)
                    .bind(t.channel_id)
                    .bind(t.store_id)
                    .bind(new.amount_cents)
                    .bind(campaigns)
                    .bind(t.device.clone())
                    .bind(t.country.clone())
                    .bind(t.region.clone())
                    .bind(t.city.clone())
                    .bind(buyer.cloned())
                    .bind(t.variant_id);
            }
            insert.execute(&mut *tx).await?;
        }
        // Each buyer's first scan of each campaign on its path, for cohorts.
        if let (Some(first), Some(last)) = (
            new_ids.iter().flatten().min(),
            new_ids.iter().flatten().max(),
        ) {
            sqlx::query(
                "UPDATE conversion_touches SET first_seen = (SELECT v.first_seen \
                 FROM campaign_visitors v WHERE v.campaign_id = conversion_touches.campaign_id \
                 AND v.visitor_id = conversion_touches.buyer) \
                 WHERE conversion_id >= $1 AND conversion_id <= $2 AND buyer IS NOT NULL",
            )
            .bind(*first)
            .bind(*last)
            .execute(&mut *tx)
            .await?;
        }
        let bought: Vec<(i64, i64)> = group
            .iter()
            .zip(&new_ids)
            .filter(|(_, id)| id.is_some())
            .flat_map(|((new, matched), _)| {
                let campaigns = matched.touches.iter().map(|t| t.campaign_id);
                campaigns
                    .chain(matched.campaign_id)
                    .map(move |campaign| (campaign, new.occurred_at))
            })
            .collect();
        credits::mark_stale(&mut tx, self.backend(), &bought).await?;
        let attributed = WebhookEvent::ConversionAttributed.as_str();
        if webhooks::wanted(&mut tx, attributed).await? {
            for ((new, matched), id) in group.iter().zip(&new_ids) {
                if let (Some(id), false) = (id, matched.touches.is_empty()) {
                    let payload = attributed_payload(*id, new, matched);
                    webhooks::enqueue(&mut tx, attributed, &payload).await?;
                }
            }
        }
        // Points for members' purchases, by the rules of the campaign scanned last.
        let earning: Vec<_> = group
            .iter()
            .zip(&new_ids)
            .filter_map(|((new, matched), id)| {
                Some((
                    *id.as_ref()?,
                    new,
                    matched.visitor_id.as_deref()?,
                    matched.touches.last()?,
                ))
            })
            .collect();
        let earners: Vec<&str> = earning.iter().map(|&(_, _, visitor, _)| visitor).collect();
        let members = points::members_among(&mut tx, self.backend(), &earners).await?;
        for (id, new, visitor, last) in earning {
            if members.contains(visitor) {
                points::earn_for_purchase(
                    &mut tx,
                    visitor,
                    last.campaign_id,
                    id,
                    new.amount_cents,
                    received_at,
                )
                .await?;
            }
        }
        visitors::note(&mut tx, self.backend(), purchases(group, &new_ids)).await?;
        tx.commit().await?;
        let mut answers = Vec::with_capacity(group.len());
        for (((new, matched), id), feedback_token) in group.iter().zip(new_ids).zip(tokens) {
            answers.push(match id {
                Some(id) => Ok(Recorded::New(
                    Conversion {
                        id,
                        source: new.source.clone(),
                        order_id: new.order_id.clone(),
                        amount_cents: new.amount_cents,
                        currency: new.currency.clone(),
                        items: new.items,
                        occurred_at: new.occurred_at,
                        received_at,
                        key_kind: new.key.kind().to_owned(),
                        key_value: new.key.value().to_owned(),
                        key_found: Flag(matched.found),
                        campaign_id: matched.campaign_id,
                        visitor_id: matched.visitor_id.clone(),
                        refunded_cents: 0,
                        feedback_token,
                    },
                    matched.touches.clone(),
                )),
                // Reported before, or twice at once.
                None => match self.conversion_by_order(&new.source, &new.order_id).await {
                    Ok(known) => known
                        .ok_or(DbError::NotFound)
                        .and_then(|known| same_order(new, known)),
                    Err(err) => Err(err),
                },
            });
        }
        Ok(answers)
    }

    /// Records a refund, never more than is left of what was paid. A refund with the
    /// `refund_id` of one recorded before answers that one (`false`: nothing new).
    pub async fn refund(
        &self,
        conversion_id: i64,
        new: NewRefund,
    ) -> Result<(Refund, bool), RefundError> {
        if let Some(refund_id) = &new.refund_id
            && let Some(known) = self.refund_by_id(conversion_id, refund_id).await?
        {
            if known.amount_cents != new.amount_cents {
                return Err(RefundError::Changed(refund_id.clone()));
            }
            return Ok((known, false));
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE conversions SET refunded_cents = refunded_cents + $1 \
             WHERE id = $2 AND refunded_cents + $1 <= amount_cents",
        )
        .bind(new.amount_cents)
        .bind(conversion_id)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            drop(tx);
            let conversion = self.conversion(conversion_id).await.map_err(|e| match e {
                DbError::NotFound => RefundError::NotFound,
                other => other.into(),
            })?;
            return Err(RefundError::MoreThanLeft {
                left: conversion.amount_cents - conversion.refunded_cents,
            });
        }
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO refunds (conversion_id, amount_cents, refund_id, reason, refunded_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(conversion_id)
        .bind(new.amount_cents)
        .bind(new.refund_id.clone())
        .bind(new.reason.clone())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await;
        match inserted {
            Ok((id,)) => {
                credits::mark_conversion_stale(&mut tx, conversion_id).await?;
                tx.commit().await?;
                let refund = self
                    .refunds(conversion_id)
                    .await?
                    .into_iter()
                    .find(|r| r.id == id);
                Ok((refund.ok_or(DbError::NotFound)?, true))
            }
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                // The same refund id recorded at the same moment: that one stands.
                drop(tx);
                let refund_id = new.refund_id.unwrap_or_default();
                match self.refund_by_id(conversion_id, &refund_id).await? {
                    Some(known) if known.amount_cents == new.amount_cents => Ok((known, false)),
                    _ => Err(RefundError::Changed(refund_id)),
                }
            }
            Err(err) => Err(err.into()),
        }
    }

    pub async fn refunds(&self, conversion_id: i64) -> DbResult<Vec<Refund>> {
        Ok(sqlx::query_as(
            "SELECT id, conversion_id, amount_cents, refund_id, reason, refunded_at \
             FROM refunds WHERE conversion_id = $1 ORDER BY id",
        )
        .bind(conversion_id)
        .fetch_all(self.pool())
        .await?)
    }

    async fn refund_by_id(&self, conversion_id: i64, refund_id: &str) -> DbResult<Option<Refund>> {
        Ok(sqlx::query_as(
            "SELECT id, conversion_id, amount_cents, refund_id, reason, refunded_at \
             FROM refunds WHERE conversion_id = $1 AND refund_id = $2",
        )
        .bind(conversion_id)
        .bind(refund_id.to_owned())
        .fetch_optional(self.pool())
        .await?)
    }
}

/// How many campaigns a path crosses (their shares of its credit are split on read).
fn campaign_count(touches: &[Touch]) -> i64 {
    let mut campaigns: Vec<i64> = touches.iter().map(|t| t.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    campaigns.len() as i64
}

/// A repeated order: the same when amount and currency match, a conflict otherwise.
fn same_order(new: &NewConversion, known: Conversion) -> DbResult<Recorded> {
    if known.amount_cents != new.amount_cents || known.currency != new.currency {
        return Err(DbError::Conflict(format!(
            "order {:?} from {:?} was recorded before as {} {} (conversion {}); an order's \
             amount cannot change, report a refund instead",
            new.order_id, new.source, known.amount_cents, known.currency, known.id
        )));
    }
    Ok(Recorded::Known(known))
}

/// A touch of a new conversion as stored: the conversion's id, the conversion, the touch's
/// position, the touch, how many campaigns the path touches, and who bought.
type TouchRow<'a> = (
    i64,
    &'a NewConversion,
    usize,
    &'a Touch,
    i64,
    Option<&'a String>,
);

/// Who bought: the visitor, or the code for a purchase keyed by its token without one; a
/// till purchase keyed by its store names no one.
/// Each new purchase of a known visitor, in every campaign on its path and the one its key
/// named: it makes them a customer there.
fn purchases(group: &[(&NewConversion, &KeyMatch)], ids: &[Option<i64>]) -> Vec<Sighting> {
    let mut sightings = Vec::new();
    for ((new, matched), id) in group.iter().zip(ids) {
        let (Some(_), Some(visitor)) = (id, matched.visitor_id.as_deref()) else {
            continue;
        };
        let mut campaigns: Vec<i64> = matched.touches.iter().map(|t| t.campaign_id).collect();
        campaigns.extend(matched.campaign_id);
        campaigns.sort_unstable();
        campaigns.dedup();
        let at = new.occurred_at;
        sightings.extend(campaigns.into_iter().map(|campaign| Sighting {
            purchases: 1,
            customer_at: Some(at),
            ..Sighting::at(campaign, visitor, at)
        }));
    }
    sightings
}

fn buyer(new: &NewConversion, matched: &KeyMatch) -> Option<String> {
    matched
        .visitor_id
        .clone()
        .or_else(|| (new.key.kind() == "token").then(|| format!("code:{}", new.key.value())))
}

/// What a webhook is told of an attributed conversion: the order, the campaigns on its
/// path and the scan nearest the purchase. No visitor or personal data.
fn attributed_payload(id: i64, new: &NewConversion, matched: &KeyMatch) -> String {
    let mut campaigns: Vec<i64> = matched.touches.iter().map(|t| t.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    let last = matched.touches.last().map(|t| {
        serde_json::json!({
            "campaign_id": t.campaign_id,
            "channel_id": t.channel_id,
            "batch_id": t.batch_id,
            "store_id": t.store_id,
            "code_id": t.code_id,
            "scanned_at": to_rfc3339(t.touched_at),
            "city": t.city,
        })
    });
    serde_json::json!({
        "event": WebhookEvent::ConversionAttributed.as_str(),
        "conversion": {
            "id": id,
            "source": new.source,
            "order_id": new.order_id,
            "amount_cents": new.amount_cents,
            "currency": new.currency,
            "items": new.items,
            "occurred_at": to_rfc3339(new.occurred_at),
            "key": new.key.kind(),
            "campaign_ids": campaigns,
            "touches": matched.touches.len(),
            "last_touch": last,
        },
    })
    .to_string()
}
