//! Channel reports, read from the rollups and batch costs, never from the raw scans.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::days::EVENT_COLUMNS;
use super::edges::{EdgeScan, IN_DAYS, IN_HOURS, Span};
use super::slice_sketches::{Family, place_of};
use super::{Db, DbResult, ReportFilter};
use crate::domain::VisitorSketch;
use crate::domain::attribution::{Rules, split_cents};

/// A report's range `[from, to)` in epoch milliseconds: whole hours are read from the
/// rollups, the parts of hours at its edges from the raw rows (see `edges`).
#[derive(Debug, Clone, Copy)]
pub struct ReportRange {
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ChannelReportRow {
    pub channel_id: i64,
    pub channel: String,
    pub channel_slug: String,
    pub kind: String,
    pub scans: i64,
    /// Distinct visitors; not known below a channel (`ReportFilter::below_channel`).
    pub unique_visitors: Option<i64>,
    pub new_visitors: i64,
    pub bot_scans: i64,
    pub spend_cents: i64,
}

/// A batch's or a store's scans in a report's range, and what it cost.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct GroupReportRow {
    pub id: i64,
    pub name: String,
    /// A batch's channel; a store's code.
    pub channel_id: Option<i64>,
    pub code: Option<String>,
    pub store_id: Option<i64>,
    pub city: Option<String>,
    pub scans: i64,
    pub bot_scans: i64,
    pub new_visitors: i64,
    /// Distinct people, from the batches' sketches (a store's batches merged); `None` in
    /// a report narrowed to a country.
    #[sqlx(skip)]
    pub unique_visitors: Option<i64>,
    /// Print costs of the batch (of the store's batches).
    pub spend_cents: i64,
}

/// The rows of a batch or store report, and the people across them.
#[derive(Debug, Default)]
pub struct GroupReport {
    pub rows: Vec<GroupReportRow>,
    pub unique_visitors: Option<i64>,
}

/// What one group of a campaign's touches (a channel, batch or store) was credited with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credit {
    /// Conversions, in billionths (`CREDIT_UNIT` is one).
    pub conversions: i64,
    /// Revenue net of refunds.
    pub revenue_cents: i64,
    pub refunded_cents: i64,
}

impl Credit {
    pub fn add(&mut self, conversions: i64, revenue_cents: i64, refunded_cents: i64) {
        self.conversions += conversions;
        self.revenue_cents += revenue_cents;
        self.refunded_cents += refunded_cents;
    }
}

/// A campaign's conversions in a range, credited under one set of rules.
#[derive(Debug, Clone, Default)]
pub struct CampaignCredit {
    pub by_channel: BTreeMap<i64, Credit>,
    pub by_batch: BTreeMap<i64, Credit>,
    pub by_store: BTreeMap<i64, Credit>,
    /// By the device class of the touch ("" when not known).
    pub by_device: BTreeMap<String, Credit>,
    /// By the place of the touch: country, region, city ("" when not known).
    pub by_place: BTreeMap<Place, Credit>,
    /// By the experiment variant the touch was shown (touches shown none are left out).
    pub by_variant: BTreeMap<i64, Credit>,
    pub total: Credit,
    /// Each credited conversion's time and the campaign's share of it, for day buckets.
    pub by_purchase: Vec<(i64, Credit)>,
    /// Conversions whose key names the campaign but that no touch inside the window led to.
    pub unattributed: i64,
    pub unattributed_revenue_cents: i64,
}

/// Where a scan was made, as coarse as the location database tells; "" where it did not.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub country: String,
    pub region: String,
    pub city: String,
}

/// Scans of one slice of a campaign (a device class, a place) and what people did on its
/// pages; events are known per device and country, not finer.
#[derive(Debug, Clone, Default)]
pub struct SliceCounts {
    pub scans: i64,
    pub bot_scans: i64,
    /// Distinct people, from the slice's visitor sketches; `None` where the report's
    /// filter is finer than the sketches are kept (see `ReportFilter`).
    pub unique_visitors: Option<i64>,
    pub landing_views: i64,
    pub cta_clicks: i64,
    pub photo_shares: i64,
}

/// A campaign's hour: its scans and events, and the people seen for the first time.
#[derive(Debug, Clone, Default)]
pub struct HourCounts {
    pub counts: SliceCounts,
    pub new_visitors: i64,
}

/// The channels of a campaign, and its distinct visitors across all of them (a person who
/// scanned two channels is one of the campaign's visitors).
#[derive(Debug, Default)]
pub struct ChannelReport {
    pub rows: Vec<ChannelReportRow>,
    pub unique_visitors: Option<i64>,
}

/// One qualifying touch of a conversion's path, as a report reads it.
#[derive(Debug, Clone)]
struct CampaignTouch {
    conversion_id: i64,
    converted_at: i64,
    touched_at: i64,
    campaign_id: i64,
    channel_id: i64,
    batch_id: i64,
    store_id: Option<i64>,
    amount_cents: i64,
    /// How many campaigns the whole path touches.
    campaigns: i64,
    device: Option<String>,
    country: Option<String>,
    region: Option<String>,
    city: Option<String>,
    variant_id: Option<i64>,
}

/// Read by position, in the order of [`TOUCH_COLUMNS`]: a report reads 100,000 of them,
/// and finding each column by name took a tenth of its time.
impl sqlx::FromRow<'_, AnyRow> for CampaignTouch {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let detailed = row.columns().len() > 9;
        Ok(Self {
            conversion_id: row.try_get(0)?,
            converted_at: row.try_get(1)?,
            touched_at: row.try_get(2)?,
            campaign_id: row.try_get(3)?,
            channel_id: row.try_get(4)?,
            batch_id: row.try_get(5)?,
            store_id: row.try_get(6)?,
            amount_cents: row.try_get(7)?,
            campaigns: row.try_get(8)?,
            device: detailed.then(|| row.try_get(9)).transpose()?.flatten(),
            country: detailed.then(|| row.try_get(10)).transpose()?.flatten(),
            region: detailed.then(|| row.try_get(11)).transpose()?.flatten(),
            city: detailed.then(|| row.try_get(12)).transpose()?.flatten(),
            variant_id: detailed.then(|| row.try_get(13)).transpose()?.flatten(),
        })
    }
}

const TOUCH_COLUMNS: &str = "conversion_id, converted_at, touched_at, campaign_id, channel_id, \
     batch_id, store_id, amount_cents, campaigns";
/// With [`Detail::Places`]: where and on what each touch was made, and the experiment
/// variant it was shown. Read only when asked for: four more texts per touch cost a
/// 100,000-conversion report half its time again.
const PLACE_COLUMNS: &str = ", device, country, region, city, variant_id";

/// A range's touch paths that reach a campaign, read once and credited under any model
/// with the window they were read with.
pub(super) struct Paths {
    /// The campaign's own qualifying touches, in conversion order.
    touches: Vec<CampaignTouch>,
    /// Whole paths of the conversions whose paths cross campaigns.
    whole_paths: HashMap<i64, Vec<CampaignTouch>>,
    refunded: HashMap<i64, i64>,
    unattributed: i64,
    unattributed_revenue_cents: i64,
}

impl Paths {
    /// A conversion's credit is shared among all its qualifying touches, in any campaign;
    /// `campaign_id` gets the shares of its own inside the filter. Unattributed
    /// conversions are the campaign's: a filtered credit has none.
    pub(super) fn credit(
        &self,
        campaign_id: i64,
        rules: Rules,
        detail: Detail,
        filter: &ReportFilter,
    ) -> CampaignCredit {
        let mut credit = CampaignCredit::default();
        for path in self
            .touches
            .chunk_by(|a, b| a.conversion_id == b.conversion_id)
        {
            let id = path[0].conversion_id;
            let path = self.whole_paths.get(&id).map_or(path, Vec::as_slice);
            let refunded = self.refunded.get(&id).copied().unwrap_or(0);
            let own = |t: &CampaignTouch| {
                t.campaign_id == campaign_id
                    && filter.admits(t.channel_id, t.batch_id, t.store_id, t.country.as_deref())
            };
            credit_one(&mut credit, own, rules, path, refunded, detail);
        }
        if filter.is_whole() {
            credit.unattributed = self.unattributed;
            credit.unattributed_revenue_cents = self.unattributed_revenue_cents;
        }
        credit
    }
}

/// How finely a campaign's credit is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// By channel, batch, store and purchase time.
    Channels,
    /// Also by device class, place and experiment variant.
    Places,
}

impl Db {
    /// Scans, new visitors and people's events per hour of the range.
    pub async fn hourly_counts(
        &self,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<BTreeMap<i64, HourCounts>> {
        let span = self.span(range, filter).await?;
        let f = filter.sql();
        let rows: Vec<(i64, i64, i64, i64, i64, i64, i64)> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT hour, {SLICE_SUMS}, CAST(SUM(new_visitors) AS BIGINT) FROM ( \
                         SELECT hour, scans, bot_scans, 0 AS views, 0 AS clicks, 0 AS photos, \
                         new_visitors FROM scan_rollups WHERE campaign_id = $1 AND {IN_HOURS}{f} \
                         UNION ALL SELECT hour, 0, 0, {EVENT_COLUMNS}, 0 FROM event_rollups \
                         WHERE campaign_id = $1 AND {IN_HOURS}{f} \
                         UNION ALL SELECT hour, scans, bot_scans, views, clicks, photos, \
                         new_visitors FROM hour_totals \
                         WHERE campaign_id = $1 AND hour >= $6 AND hour < $7) AS t \
                     GROUP BY hour"
                )))
                .bind(campaign_id),
            )
            .fetch_all(self.pool())
            .await?;
        let mut hours: BTreeMap<i64, HourCounts> = rows
            .into_iter()
            .map(|(hour, scans, bots, views, clicks, photos, new)| {
                let counts = SliceCounts::summed(scans, bots, views, clicks, photos);
                (
                    hour,
                    HourCounts {
                        counts,
                        new_visitors: new,
                    },
                )
            })
            .collect();
        for scan in self.edge_scans(campaign_id, &span, filter).await? {
            let hour = hours.entry(scan.hour()).or_default();
            hour.counts.add_scan(&scan);
            hour.new_visitors += i64::from(scan.is_new());
        }
        for event in self.edge_events(campaign_id, &span, filter).await? {
            let hour = hours.entry(event.hour()).or_default();
            hour.counts.add_events(&event.kind, 1);
        }
        Ok(hours)
    }

    /// Credits the conversions made in `range` that the campaign's scans inside the
    /// filter led to (or, unfiltered, whose key names it) with `rules`, from the stored
    /// touch paths alone (the credit tier reads folded days instead, `credits`).
    pub(super) async fn credit_paths(
        &self,
        campaign_id: i64,
        range: ReportRange,
        rules: Rules,
        detail: Detail,
        filter: &ReportFilter,
    ) -> DbResult<CampaignCredit> {
        // A country is read with the places.
        let read = match filter.country {
            Some(_) => Detail::Places,
            None => detail,
        };
        let paths = self
            .read_paths(campaign_id, range, rules.window.ms(), read)
            .await?;
        Ok(paths.credit(campaign_id, rules, detail, filter))
    }

    /// The stored touch paths of the conversions made in `range` that reach the campaign
    /// inside `window` before the purchase, and those naming it that no touch reached.
    pub(super) async fn read_paths(
        &self,
        campaign_id: i64,
        range: ReportRange,
        window: i64,
        detail: Detail,
    ) -> DbResult<Paths> {
        let columns = match detail {
            Detail::Channels => TOUCH_COLUMNS.to_owned(),
            Detail::Places => format!("{TOUCH_COLUMNS}{PLACE_COLUMNS}"),
        };
        // One range read of the campaign's touches inside the window, in conversion order.
        let touches: Vec<CampaignTouch> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM conversion_touches \
             WHERE campaign_id = $1 AND converted_at >= $2 AND converted_at < $3 \
             AND touched_at >= converted_at - $4 AND touched_at <= converted_at \
             ORDER BY campaign_id, converted_at, conversion_id, position"
        )))
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .bind(window)
        .fetch_all(self.pool())
        .await?;
        let refunded: HashMap<i64, i64> = sqlx::query_as(
            "SELECT id, refunded_cents FROM conversions \
             WHERE refunded_cents > 0 AND occurred_at >= $1 AND occurred_at < $2",
        )
        .bind(range.from)
        .bind(range.to)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        // Paths that cross campaigns are read whole: the other campaigns' touches take
        // their shares.
        let mut crossing: Vec<i64> = touches
            .iter()
            .filter(|t| t.campaigns > 1)
            .map(|t| t.conversion_id)
            .collect();
        crossing.dedup();
        let mut whole_paths: HashMap<i64, Vec<CampaignTouch>> = HashMap::new();
        for ids in crossing.chunks(500) {
            let sql = format!(
                "SELECT {columns} FROM conversion_touches \
                 WHERE conversion_id IN ({}) AND touched_at >= converted_at - {window} \
                 AND touched_at <= converted_at ORDER BY conversion_id, position",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            );
            let rows: Vec<CampaignTouch> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.pool())
                .await?;
            for row in rows {
                whole_paths.entry(row.conversion_id).or_default().push(row);
            }
        }
        let (unattributed, unattributed_revenue_cents): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(amount_cents - refunded_cents), 0) AS BIGINT) \
             FROM conversions c WHERE campaign_id = $1 AND occurred_at >= $2 \
             AND occurred_at < $3 AND NOT EXISTS (SELECT 1 FROM conversion_touches t \
                 WHERE t.conversion_id = c.id AND t.touched_at >= c.occurred_at - $4 \
                 AND t.touched_at <= c.occurred_at)",
        )
        .bind(campaign_id)
        .bind(range.from)
        .bind(range.to)
        .bind(window)
        .fetch_one(self.pool())
        .await?;
        Ok(Paths {
            touches,
            whole_paths,
            refunded,
            unattributed,
            unattributed_revenue_cents,
        })
    }

    /// Scans and events per device class in the range, from the hourly rollups.
    pub async fn device_counts(
        &self,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<BTreeMap<String, SliceCounts>> {
        let span = self.span(range, filter).await?;
        let f = filter.sql();
        let rows: Vec<(String, i64, i64, i64, i64, i64)> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT device, {SLICE_SUMS} FROM ( \
                         SELECT device, scans, bot_scans, 0 AS views, 0 AS clicks, 0 AS photos \
                         FROM scan_rollups WHERE campaign_id = $1 AND {IN_HOURS}{f} \
                         UNION ALL SELECT device, 0, 0, {EVENT_COLUMNS} FROM event_rollups \
                         WHERE campaign_id = $1 AND {IN_HOURS}{f} \
                         UNION ALL SELECT device, scans, bot_scans, views, clicks, photos \
                         FROM day_devices WHERE campaign_id = $1 AND {IN_DAYS}) AS t \
                     GROUP BY device"
                )))
                .bind(campaign_id),
            )
            .fetch_all(self.pool())
            .await?;
        let mut slices: BTreeMap<String, SliceCounts> = rows
            .into_iter()
            .map(|(device, scans, bots, views, clicks, photos)| {
                (
                    device,
                    SliceCounts::summed(scans, bots, views, clicks, photos),
                )
            })
            .collect();
        let mut people = match filter.knows_device_visitors() {
            true => Some(
                self.slice_visitors(campaign_id, Family::Device, &span, |_| true)
                    .await?,
            ),
            false => None,
        };
        for scan in self.edge_scans(campaign_id, &span, filter).await? {
            if let (Some(people), Some(visitor), false) =
                (&mut people, &scan.visitor_id, scan.is_bot())
            {
                people
                    .entry(scan.device.clone())
                    .or_default()
                    .insert(visitor);
            }
            let slice = slices.entry(scan.device.clone()).or_default();
            slice.add_scan(&scan);
        }
        for event in self.edge_events(campaign_id, &span, filter).await? {
            slices
                .entry(event.device)
                .or_default()
                .add_events(&event.kind, 1);
        }
        if let Some(people) = people {
            count_people(&mut slices, people);
        }
        Ok(slices)
    }

    /// Scans per place in the range (to `depth`: 1 country, 2 region, 3 city), from the
    /// place rollups, and events per country. The place rollups are kept per campaign: a
    /// report narrowed to a channel, batch or store reads countries alone from the scan
    /// rollups (`depth` 1; the API refuses deeper).
    pub async fn place_counts(
        &self,
        campaign_id: i64,
        range: ReportRange,
        depth: usize,
        filter: &ReportFilter,
    ) -> DbResult<BTreeMap<Place, SliceCounts>> {
        let span = self.span(range, filter).await?;
        let f = filter.sql();
        let depth = if filter.narrows_codes() { 1 } else { depth };
        // A typed empty text: PostgreSQL cannot say what type a bare '' column has.
        let region = if depth >= 2 {
            "region"
        } else {
            "CAST('' AS TEXT)"
        };
        let city = if depth >= 3 {
            "city"
        } else {
            "CAST('' AS TEXT)"
        };
        // Events are known per country only: counted at depth 1, left out below it.
        let (events, having) = if depth == 1 {
            (
                format!(
                    "UNION ALL SELECT country, '', '', 0, 0, {EVENT_COLUMNS} FROM event_rollups \
                     WHERE campaign_id = $1 AND {IN_HOURS}{f}"
                ),
                "",
            )
        } else {
            (String::new(), "HAVING SUM(scans) + SUM(bot_scans) > 0")
        };
        let scans = if filter.narrows_codes() {
            format!(
                "SELECT country, '' AS region, '' AS city, scans, bot_scans, 0 AS views, \
                 0 AS clicks, 0 AS photos FROM scan_rollups \
                 WHERE campaign_id = $1 AND {IN_HOURS}{f}"
            )
        } else {
            format!(
                "SELECT country, region, city, scans, bot_scans, 0 AS views, \
                 0 AS clicks, 0 AS photos FROM place_rollups \
                 WHERE campaign_id = $1 AND {IN_HOURS}{f}"
            )
        };
        let rows: Vec<PlaceSums> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT country, {region}, {city}, {SLICE_SUMS} FROM ( \
                         {scans} {events} \
                         UNION ALL SELECT country, region, city, scans, bot_scans, views, \
                         clicks, photos FROM day_places WHERE campaign_id = $1 AND {IN_DAYS}) AS t \
                     GROUP BY country, {region}, {city} {having}"
                )))
                .bind(campaign_id),
            )
            .fetch_all(self.pool())
            .await?;
        let mut slices: BTreeMap<Place, SliceCounts> = rows
            .into_iter()
            .map(
                |(country, region, city, scans, bots, views, clicks, photos)| {
                    let counts = if depth == 1 {
                        SliceCounts::summed(scans, bots, views, clicks, photos)
                    } else {
                        SliceCounts::summed(scans, bots, 0, 0, 0)
                    };
                    let place = Place {
                        country,
                        region,
                        city,
                    };
                    (place, counts)
                },
            )
            .collect();
        let mut people = match filter.knows_place_visitors() {
            true => Some(
                self.place_visitors(campaign_id, &span, depth, filter)
                    .await?,
            ),
            false => None,
        };
        let known = |v: &Option<String>| v.clone().unwrap_or_default();
        for scan in self.edge_scans(campaign_id, &span, filter).await? {
            let place = Place {
                country: known(&scan.country),
                region: if depth >= 2 {
                    known(&scan.region)
                } else {
                    String::new()
                },
                city: if depth >= 3 {
                    known(&scan.city)
                } else {
                    String::new()
                },
            };
            if let (Some(people), Some(visitor), false) =
                (&mut people, &scan.visitor_id, scan.is_bot())
            {
                people.entry(place.clone()).or_default().insert(visitor);
            }
            slices.entry(place).or_default().add_scan(&scan);
        }
        if let Some(people) = people {
            count_people(&mut slices, people);
        }
        if depth == 1 {
            for event in self.edge_events(campaign_id, &span, filter).await? {
                let place = Place {
                    country: event.country,
                    ..Place::default()
                };
                slices.entry(place).or_default().add_events(&event.kind, 1);
            }
        }
        Ok(slices)
    }

    /// The people of each place (cut to `depth`) over the span's hours and days, from
    /// the sketches per city; only the filter's country when it names one.
    async fn place_visitors(
        &self,
        campaign_id: i64,
        span: &Span,
        depth: usize,
        filter: &ReportFilter,
    ) -> DbResult<BTreeMap<Place, VisitorSketch>> {
        let country = filter.country.as_ref().map(|c| c.as_str());
        let wanted = |slice: &str| country.is_none_or(|c| place_of(slice).0 == c);
        let cities = self
            .slice_visitors(campaign_id, Family::Place, span, wanted)
            .await?;
        let mut places: BTreeMap<Place, VisitorSketch> = BTreeMap::new();
        for (slice, sketch) in cities {
            let (country, region, city) = place_of(&slice);
            let place = Place {
                country: country.to_owned(),
                region: if depth >= 2 { region } else { "" }.to_owned(),
                city: if depth >= 3 { city } else { "" }.to_owned(),
            };
            places.entry(place).or_default().merge(&sketch);
        }
        Ok(places)
    }

    /// One row per batch of the campaign inside the filter.
    pub async fn batch_report(
        &self,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<GroupReport> {
        let spend = spend_of("cost_cents", filter);
        let rows: Vec<GroupReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, name, channel_id, NULL AS code, store_id, NULL AS city, \
             CAST(0 AS BIGINT) AS scans, CAST(0 AS BIGINT) AS bot_scans, \
             CAST(0 AS BIGINT) AS new_visitors, {spend} AS spend_cents \
             FROM batches WHERE campaign_id = $1{} ORDER BY id",
            filter.codes_sql("id")
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        let batches = rows.iter().map(|r| (r.id, r.id)).collect();
        let groups = Groups {
            column: "batch_id",
            of_scan: |scan: &EdgeScan| Some(scan.batch_id),
            of_batch: batches,
        };
        self.group_report(rows, campaign_id, range, filter, groups)
            .await
    }

    /// One row per store that has a batch of the campaign inside the filter.
    pub async fn store_report(
        &self,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<GroupReport> {
        let batches = filter.codes_sql("b.id");
        let spend = spend_of(
            &format!(
                "(SELECT SUM(b.cost_cents) FROM batches b WHERE b.campaign_id = $1 \
                 AND b.store_id = s.id{})",
                batches
            ),
            filter,
        );
        let rows: Vec<GroupReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, s.name, NULL AS channel_id, s.code, s.id AS store_id, s.city, \
             CAST(0 AS BIGINT) AS scans, CAST(0 AS BIGINT) AS bot_scans, \
             CAST(0 AS BIGINT) AS new_visitors, {spend} AS spend_cents \
             FROM stores s WHERE s.id IN (SELECT store_id FROM batches \
                 WHERE campaign_id = $1{}) \
             ORDER BY s.id",
            filter.codes_sql("id")
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        let of_batch: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, store_id FROM batches WHERE campaign_id = $1 \
             AND store_id IS NOT NULL{}",
            filter.codes_sql("id")
        )))
        .bind(campaign_id)
        .fetch_all(self.pool())
        .await?;
        let groups = Groups {
            column: "store_id",
            of_scan: |scan: &EdgeScan| scan.store_id,
            of_batch: of_batch.into_iter().collect(),
        };
        self.group_report(rows, campaign_id, range, filter, groups)
            .await
    }

    /// Adds the range's scans inside the filter to batch or store rows: one pass over the
    /// campaign's rollups grouped by the groups' column, then the raw edges; and their
    /// people from the batches' sketches (unless a country narrows the report), with the
    /// people across the rows.
    async fn group_report(
        &self,
        mut rows: Vec<GroupReportRow>,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
        groups: Groups<impl Fn(&EdgeScan) -> Option<i64>>,
    ) -> DbResult<GroupReport> {
        let span = self.span(range, filter).await?;
        let counts: Vec<(Option<i64>, i64, i64, i64)> = span
            .bind(sqlx::query_as(scans_by(groups.column, filter)).bind(campaign_id))
            .fetch_all(self.pool())
            .await?;
        let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        for (id, scans, bots, new) in counts {
            if let Some(&i) = id.as_ref().and_then(|id| index.get(id)) {
                rows[i].scans += scans;
                rows[i].bot_scans += bots;
                rows[i].new_visitors += new;
            }
        }
        let mut people: Option<BTreeMap<i64, VisitorSketch>> = match filter.knows_batch_visitors() {
            true => {
                let batches = self
                    .slice_visitors(campaign_id, Family::Batch, &span, |_| true)
                    .await?;
                let mut merged: BTreeMap<i64, VisitorSketch> = BTreeMap::new();
                for (batch, sketch) in batches {
                    let group = batch.parse().ok().and_then(|b| groups.of_batch.get(&b));
                    if let Some(&group) = group {
                        merged.entry(group).or_default().merge(&sketch);
                    }
                }
                Some(merged)
            }
            false => None,
        };
        for scan in self.edge_scans(campaign_id, &span, filter).await? {
            if let (Some(people), Some(visitor), false) =
                (&mut people, &scan.visitor_id, scan.is_bot())
                && let Some(&group) = groups.of_batch.get(&scan.batch_id)
            {
                people.entry(group).or_default().insert(visitor);
            }
            let Some(&i) = (groups.of_scan)(&scan)
                .as_ref()
                .and_then(|id| index.get(id))
            else {
                continue;
            };
            let row = &mut rows[i];
            if scan.is_bot() {
                row.bot_scans += 1;
            } else {
                row.scans += 1;
                row.new_visitors += i64::from(scan.is_new());
            }
        }
        let Some(mut people) = people else {
            return Ok(GroupReport {
                rows,
                unique_visitors: None,
            });
        };
        let mut across = VisitorSketch::default();
        for sketch in people.values() {
            across.merge(sketch);
        }
        for row in rows.iter_mut() {
            row.unique_visitors = Some(people_of(&mut people, &row.id));
        }
        Ok(GroupReport {
            rows,
            unique_visitors: Some(across.estimate()),
        })
    }

    /// One row per channel that has a batch or a spend entry in the campaign, inside the
    /// filter. Spend is the batches' print costs (whenever printed) and the share of each
    /// spend entry's period inside the range (spend entries belong to no batch or store).
    /// Distinct visitors come from the channels' sketches, so they are not known below a
    /// channel.
    pub async fn channel_report(
        &self,
        campaign_id: i64,
        range: ReportRange,
        filter: &ReportFilter,
    ) -> DbResult<ChannelReport> {
        let print = spend_of(
            &format!(
                "(SELECT SUM(b.cost_cents) FROM batches b WHERE b.campaign_id = $1 \
                 AND b.channel_id = ch.id{})",
                filter.codes_sql("b.id")
            ),
            filter,
        );
        let spend_channels = match filter.takes_spend_entries() {
            true => format!(
                " UNION SELECT channel_id FROM spend WHERE campaign_id = $1{}",
                filter.codes_sql("id")
            ),
            false => String::new(),
        };
        let channels: Vec<(i64, String, String, String, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT ch.id, ch.name, ch.slug, ch.kind, {print} FROM channels ch \
                 WHERE ch.id IN (SELECT channel_id FROM batches WHERE campaign_id = $1{}\
                 {spend_channels})",
                filter.codes_sql("id")
            )))
            .bind(campaign_id)
            .fetch_all(self.pool())
            .await?;
        let spend = match filter.takes_spend_entries() {
            true => self.spend_in_range(campaign_id, range).await?,
            false => Default::default(),
        };
        let mut rows: BTreeMap<i64, ChannelReportRow> = channels
            .into_iter()
            .map(|(id, name, slug, kind, print)| {
                let row = ChannelReportRow {
                    channel_id: id,
                    channel: name,
                    channel_slug: slug,
                    kind,
                    spend_cents: print + spend.get(&id).copied().unwrap_or(0),
                    ..Default::default()
                };
                (id, row)
            })
            .collect();

        let span = self.span(range, filter).await?;
        let counts: Vec<(i64, i64, i64, i64)> = span
            .bind(sqlx::query_as(scans_by("channel_id", filter)).bind(campaign_id))
            .fetch_all(self.pool())
            .await?;
        for (channel_id, scans, bots, new) in counts {
            if let Some(row) = rows.get_mut(&channel_id) {
                row.scans = scans;
                row.bot_scans = bots;
                row.new_visitors = new;
            }
        }
        let sketched = !filter.below_channel();
        let mut visitors = match sketched {
            true => {
                self.channel_sketches(campaign_id, rows.keys(), &span)
                    .await?
            }
            false => BTreeMap::new(),
        };
        for scan in self.edge_scans(campaign_id, &span, filter).await? {
            let Some(row) = rows.get_mut(&scan.channel_id) else {
                continue;
            };
            if scan.is_bot() {
                row.bot_scans += 1;
                continue;
            }
            row.scans += 1;
            row.new_visitors += i64::from(scan.is_new());
            if let (true, Some(visitor)) = (sketched, &scan.visitor_id) {
                visitors.entry(scan.channel_id).or_default().insert(visitor);
            }
        }
        if !sketched {
            return Ok(ChannelReport {
                rows: rows.into_values().collect(),
                unique_visitors: None,
            });
        }
        // Merged from the channels' sketches: one merge per channel, not per hour.
        let mut campaign = VisitorSketch::default();
        for sketch in visitors.values() {
            campaign.merge(sketch);
        }
        for (channel_id, sketch) in visitors {
            if let Some(row) = rows.get_mut(&channel_id) {
                row.unique_visitors = Some(sketch.estimate());
            }
        }
        for row in rows.values_mut() {
            row.unique_visitors.get_or_insert(0);
        }
        Ok(ChannelReport {
            rows: rows.into_values().collect(),
            unique_visitors: Some(campaign.estimate()),
        })
    }

    /// The channels' visitor sketches over the span's hours and days, merged per channel.
    async fn channel_sketches(
        &self,
        campaign_id: i64,
        channel_ids: impl Iterator<Item = &i64>,
        span: &Span,
    ) -> DbResult<BTreeMap<i64, VisitorSketch>> {
        // The hourly sketches are keyed by channel before hour: read per channel.
        let channel_ids = match channel_ids.map(i64::to_string).collect::<Vec<_>>() {
            ids if ids.is_empty() => "NULL".to_owned(),
            ids => ids.join(","),
        };
        let sketches: Vec<(i64, Vec<u8>)> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT channel_id, sketch FROM visitor_sketches \
                     WHERE campaign_id = $1 AND channel_id IN ({channel_ids}) AND {IN_HOURS} \
                     UNION ALL SELECT channel_id, sketch FROM day_sketches \
                     WHERE campaign_id = $1 AND {IN_DAYS}"
                )))
                .bind(campaign_id),
            )
            .fetch_all(self.pool())
            .await?;
        let mut visitors: BTreeMap<i64, VisitorSketch> = BTreeMap::new();
        for (channel_id, bytes) in sketches {
            match VisitorSketch::from_bytes(&bytes) {
                Ok(sketch) => visitors.entry(channel_id).or_default().merge(&sketch),
                Err(err) => tracing::error!(%err, channel_id, "skipping a damaged visitor sketch"),
            }
        }
        Ok(visitors)
    }
}

/// Adds one conversion's qualifying touches (all of them, in time order) to the
/// campaign's credit: the shares of the touches that are `own`.
fn credit_one(
    credit: &mut CampaignCredit,
    own: impl Fn(&CampaignTouch) -> bool,
    rules: Rules,
    path: &[CampaignTouch],
    refunded: i64,
    detail: Detail,
) {
    let (converted_at, amount) = (path[0].converted_at, path[0].amount_cents);
    // The SQL read only these; the rule is stated once, here.
    let path: Vec<&CampaignTouch> = path
        .iter()
        .filter(|t| rules.qualifies(t.touched_at, converted_at))
        .collect();
    let times: Vec<i64> = path.iter().map(|t| t.touched_at).collect();
    let shares = rules.credit(converted_at, &times);
    let revenue = split_cents(amount - refunded, &shares);
    let refunds = split_cents(refunded, &shares);
    let mut this_purchase = Credit::default();
    for (i, touch) in path.iter().enumerate() {
        if !own(touch) {
            continue;
        }
        let (share, revenue, refunded) = (shares[i], revenue[i], refunds[i]);
        credit.total.add(share, revenue, refunded);
        this_purchase.add(share, revenue, refunded);
        credit
            .by_channel
            .entry(touch.channel_id)
            .or_default()
            .add(share, revenue, refunded);
        credit
            .by_batch
            .entry(touch.batch_id)
            .or_default()
            .add(share, revenue, refunded);
        if detail == Detail::Places {
            let known = |v: &Option<String>| v.clone().unwrap_or_default();
            credit
                .by_device
                .entry(known(&touch.device))
                .or_default()
                .add(share, revenue, refunded);
            credit
                .by_place
                .entry(Place {
                    country: known(&touch.country),
                    region: known(&touch.region),
                    city: known(&touch.city),
                })
                .or_default()
                .add(share, revenue, refunded);
            if let Some(variant) = touch.variant_id {
                credit
                    .by_variant
                    .entry(variant)
                    .or_default()
                    .add(share, revenue, refunded);
            }
        }
        if let Some(store) = touch.store_id {
            credit
                .by_store
                .entry(store)
                .or_default()
                .add(share, revenue, refunded);
        }
    }
    if this_purchase != Credit::default() {
        credit.by_purchase.push((converted_at, this_purchase));
    }
}

/// A place (country, region, city) with its [`SLICE_SUMS`].
type PlaceSums = (String, String, String, i64, i64, i64, i64, i64);

/// Scans, bot scans and people's landing views, CTA clicks and photo shares, summed.
const SLICE_SUMS: &str = "CAST(SUM(scans) AS BIGINT), CAST(SUM(bot_scans) AS BIGINT), \
     CAST(SUM(views) AS BIGINT), CAST(SUM(clicks) AS BIGINT), CAST(SUM(photos) AS BIGINT)";

/// A report's spend column: `expr` (print costs), or none where the filter cannot say
/// what was spent (a country).
fn spend_of(expr: &str, filter: &ReportFilter) -> String {
    match filter.knows_spend() {
        true => format!("CAST(COALESCE({expr}, 0) AS BIGINT)"),
        false => "CAST(0 AS BIGINT)".to_owned(),
    }
}

/// Scans, bot scans and new visitors per `column` (of both `scan_rollups` and
/// `day_batches`) over a span's hours and days, inside the filter (which a span's days
/// are never read under).
fn scans_by(column: &str, filter: &ReportFilter) -> sqlx::AssertSqlSafe<String> {
    let f = filter.sql();
    sqlx::AssertSqlSafe(format!(
        "SELECT {column}, CAST(SUM(scans) AS BIGINT), CAST(SUM(bot_scans) AS BIGINT), \
         CAST(SUM(new_visitors) AS BIGINT) FROM ( \
             SELECT {column}, scans, bot_scans, new_visitors FROM scan_rollups \
             WHERE campaign_id = $1 AND {IN_HOURS}{f} \
             UNION ALL SELECT {column}, scans, bot_scans, new_visitors FROM day_batches \
             WHERE campaign_id = $1 AND {IN_DAYS}) AS t \
         GROUP BY {column}"
    ))
}

/// What the rows of a batch or store report group scans by: the rollups' `column`, a raw
/// scan's group, and each batch's group (whose sketches make the group's people).
struct Groups<F> {
    column: &'static str,
    of_scan: F,
    of_batch: HashMap<i64, i64>,
}

/// Each slice's people, counted from its merged sketch.
fn count_people<K: Ord>(
    slices: &mut BTreeMap<K, SliceCounts>,
    mut people: BTreeMap<K, VisitorSketch>,
) {
    for (key, slice) in slices.iter_mut() {
        slice.unique_visitors = Some(people_of(&mut people, key));
    }
}

/// The people of `key`'s merged sketch, taken out of `people`; none where nobody scanned.
fn people_of<K: Ord>(people: &mut BTreeMap<K, VisitorSketch>, key: &K) -> i64 {
    people.remove(key).map_or(0, |p| p.estimate())
}

impl SliceCounts {
    /// A slice with no scans: no people, when people are counted.
    pub fn nobody(people_counted: bool) -> Self {
        Self {
            unique_visitors: people_counted.then_some(0),
            ..Self::default()
        }
    }

    fn summed(scans: i64, bot_scans: i64, views: i64, clicks: i64, photos: i64) -> Self {
        Self {
            scans,
            bot_scans,
            unique_visitors: None,
            landing_views: views,
            cta_clicks: clicks,
            photo_shares: photos,
        }
    }

    fn add_scan(&mut self, scan: &EdgeScan) {
        if scan.is_bot() {
            self.bot_scans += 1;
        } else {
            self.scans += 1;
        }
    }

    fn add_events(&mut self, kind: &str, events: i64) {
        match kind {
            "view" => self.landing_views += events,
            "click" => self.cta_clicks += events,
            "photo" => self.photo_shares += events,
            _ => {}
        }
    }
}
