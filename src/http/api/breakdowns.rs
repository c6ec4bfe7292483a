//! `/api/v1/reports/devices` and `/regions`: a campaign by device class and by place
//! (country, region or city), with the conversions credited to scans made on each.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::report_format::answer;
use super::reports::{Prepared, Report, ReportQuery, prepare, round6, whole};
use crate::db::{Credit, Detail, Place, SliceCounts};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result};
use crate::http::extract::Query;

/// A device class, or a place, of the campaign's scans.
#[derive(Serialize, ToSchema)]
pub struct SliceRow {
    /// `mobile`, `tablet`, `desktop`, `other` or `bot` (devices report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) device: Option<String>,
    /// ISO country code (regions report); "" when not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<String>,
    /// With `level=region` or `city`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    /// With `level=city`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) city: Option<String>,
    /// Human scans (bots excluded).
    pub(crate) scans: i64,
    /// Distinct people who scanned here (the `sl_vid` cookie), merged from sketches: exact
    /// up to 1,024, an estimate past it. Devices: null with any filter; regions: null with
    /// a channel, batch or store (a country is fine).
    pub(crate) unique_visitors: Option<i64>,
    pub(crate) bot_scans: i64,
    /// Landing views, CTA clicks and photo shares by people; known per device and per
    /// country, absent for regions and cities.
    pub(crate) landing_views: Option<i64>,
    pub(crate) cta_clicks: Option<i64>,
    pub(crate) photo_shares: Option<i64>,
    /// Conversions credited to scans made here (fractional under shared models).
    pub(crate) conversions: f64,
    pub(crate) revenue_cents: i64,
    pub(crate) refunded_cents: i64,
    /// Conversions per human scan.
    pub(crate) conversions_per_scan: Option<f64>,
}

impl SliceRow {
    fn new(counts: SliceCounts, credit: Credit, events_known: bool) -> Self {
        let conversions = whole(credit.conversions);
        let events = |n: i64| events_known.then_some(n);
        Self {
            device: None,
            country: None,
            region: None,
            city: None,
            scans: counts.scans,
            unique_visitors: counts.unique_visitors,
            bot_scans: counts.bot_scans,
            landing_views: events(counts.landing_views),
            cta_clicks: events(counts.cta_clicks),
            photo_shares: events(counts.photo_shares),
            conversions,
            revenue_cents: credit.revenue_cents,
            refunded_cents: credit.refunded_cents,
            conversions_per_scan: (counts.scans > 0)
                .then(|| round6(conversions / counts.scans as f64)),
        }
    }
}

/// The campaign by device class of the scans (from the hourly rollups), with the
/// conversions credited to scans made on each.
#[utoipa::path(get, path = "/api/v1/reports/devices", tag = "reports", params(ReportQuery),
    responses((status = 200, content((Report<SliceRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Places).await?;
    let report = device_report(&state, &prepared).await?;
    let name = format!("devices-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

pub(crate) async fn device_report(
    state: &AppState,
    prepared: &Prepared,
) -> Result<Report<SliceRow>> {
    let mut counts = state
        .db
        .device_counts(prepared.campaign.id, prepared.range, &prepared.filter)
        .await?;
    let people = prepared.filter.knows_device_visitors();
    for device in prepared.credit.by_device.keys() {
        counts
            .entry(device.clone())
            .or_insert_with(|| SliceCounts::nobody(people));
    }
    let credits = &prepared.credit.by_device;
    let rows = counts
        .into_iter()
        .map(|(device, counts)| {
            let credit = credits.get(&device).copied().unwrap_or_default();
            SliceRow {
                device: Some(device),
                ..SliceRow::new(counts, credit, true)
            }
        })
        .collect();
    finish(state, prepared, rows).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelQuery {
    /// `country` (default), `region` or `city`.
    pub(crate) level: Option<String>,
}

/// The campaign by place of the scans (country, region or city, as the location database
/// tells; "" where it did not), with the conversions credited to scans made there.
#[utoipa::path(get, path = "/api/v1/reports/regions", tag = "reports", params(ReportQuery, LevelQuery),
    responses((status = 200, content((Report<SliceRow> = "application/json"), (String = "text/csv"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn regions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ReportQuery>,
    Query(level): Query<LevelQuery>,
) -> Result<Response> {
    let format = query.format()?;
    let depth = match level.level.as_deref().map(str::trim) {
        None | Some("country") => 1,
        Some("region") => 2,
        Some("city") => 3,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "level: {other:?} is not country, region or city"
            )));
        }
    };
    let prepared = prepare(&state, &query, &caller.scope(), Detail::Places).await?;
    if depth > 1 && prepared.filter.narrows_codes() {
        return Err(AppError::BadRequest(
            "level: scans are counted by region and city for the whole campaign only; \
             with a channel_id, batch_id or store_id (or as a retailer) ask for level=country"
                .into(),
        ));
    }
    let report = region_report(&state, &prepared, depth).await?;
    let name = format!("regions-{}", report.campaign_id);
    answer(format, &report, &report.rows, &name).await
}

/// The regions report to `depth`: 1 country, 2 region, 3 city.
pub(crate) async fn region_report(
    state: &AppState,
    prepared: &Prepared,
    depth: usize,
) -> Result<Report<SliceRow>> {
    let cut = |p: &Place| Place {
        country: p.country.clone(),
        region: if depth >= 2 {
            p.region.clone()
        } else {
            String::new()
        },
        city: if depth >= 3 {
            p.city.clone()
        } else {
            String::new()
        },
    };
    let mut credits: BTreeMap<Place, Credit> = BTreeMap::new();
    for (place, credit) in &prepared.credit.by_place {
        credits.entry(cut(place)).or_default().add(
            credit.conversions,
            credit.revenue_cents,
            credit.refunded_cents,
        );
    }
    let mut counts = state
        .db
        .place_counts(
            prepared.campaign.id,
            prepared.range,
            depth,
            &prepared.filter,
        )
        .await?;
    let people = prepared.filter.knows_place_visitors();
    for place in credits.keys() {
        counts
            .entry(place.clone())
            .or_insert_with(|| SliceCounts::nobody(people));
    }
    let rows = counts
        .into_iter()
        .map(|(place, counts)| {
            let credit = credits.get(&place).copied().unwrap_or_default();
            SliceRow {
                country: Some(place.country),
                region: (depth >= 2).then_some(place.region),
                city: (depth >= 3).then_some(place.city),
                ..SliceRow::new(counts, credit, depth == 1)
            }
        })
        .collect();
    finish(state, prepared, rows).await
}

/// The report around the rows, with the campaign's total (its spend included: spend
/// belongs to channels and batches, not to devices, places or variants).
pub(super) async fn finish<R>(
    state: &AppState,
    prepared: &Prepared,
    rows: Vec<R>,
) -> Result<Report<R>> {
    let channels = state
        .db
        .channel_report(prepared.campaign.id, prepared.range, &prepared.filter)
        .await?;
    let (scans, bot_scans, spend_cents) = channels.rows.iter().fold((0, 0, 0), |(s, b, c), r| {
        (s + r.scans, b + r.bot_scans, c + r.spend_cents)
    });
    let mut total = prepared.total(scans, bot_scans, spend_cents);
    total.unique_visitors = channels.unique_visitors;
    Ok(prepared.report(rows, total))
}
