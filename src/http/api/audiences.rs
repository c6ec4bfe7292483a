//! Audiences: saved filters over a campaign's visitors (stage, city, channel, tier, last
//! seen). `POST /api/v1/audiences` saves one and counts it; `GET /api/v1/audiences/{id}`
//! counts it again; `GET /api/v1/audiences/{id}/members.csv` streams its people;
//! `POST /api/v1/audiences/{id}/send` hands them to the webhooks subscribed to
//! `audience.members`. No phone number or email is in any of them: the brand's CRM
//! matches member ids (and visitor ids) it was told of.

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::report_format::csv_part;
use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, optional_text, required_text};
use crate::db::{Audience, AudienceFilter, AudienceMember, DbError};
use crate::domain::points::PointsRules;
use crate::domain::stage::Stage;
use crate::domain::webhook_event::WebhookEvent;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

const MOST_LISTED: usize = 100;
const MOST_DAYS: i64 = 3650;
/// People read per page of a CSV or a send.
const PAGE: i64 = 5_000;
/// People per webhook delivery.
const PER_DELIVERY: usize = 500;
/// The most people one send hands over; a larger audience is downloaded as CSV.
const MOST_SENT: i64 = 100_000;

#[derive(Deserialize, ToSchema)]
pub struct NewAudienceBody {
    name: String,
    campaign_id: i64,
    /// `aware`, `interested`, `considering`, `intending`, `customer`, `loyal`: people at
    /// one of these stages now.
    #[serde(default)]
    stages: Vec<String>,
    /// People last seen in one of these cities (as the reports name them).
    #[serde(default)]
    cities: Vec<String>,
    /// People who came through one of these channels.
    #[serde(default)]
    channel_ids: Vec<i64>,
    /// Members at one of these tiers of the campaign's points rules.
    #[serde(default)]
    tiers: Vec<String>,
    /// People seen within this many days (1 to 3650).
    seen_within_days: Option<i64>,
    /// Members only.
    #[serde(default)]
    members_only: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AudienceView {
    id: i64,
    campaign_id: i64,
    name: String,
    #[schema(value_type = Vec<String>)]
    stages: Vec<Stage>,
    cities: Vec<String>,
    channel_ids: Vec<i64>,
    tiers: Vec<String>,
    seen_within_days: Option<i64>,
    members_only: bool,
    created_by: Option<i64>,
    created_at: String,
    /// How many people it holds now; absent in a list.
    size: Option<i64>,
}

impl AudienceView {
    fn new(audience: Audience, size: Option<i64>) -> Self {
        let f = audience.filter;
        Self {
            id: audience.id,
            campaign_id: audience.campaign_id,
            name: audience.name,
            stages: f.stages,
            cities: f.cities,
            channel_ids: f.channel_ids,
            tiers: f.tiers,
            seen_within_days: f.seen_within_days,
            members_only: f.members_only,
            created_by: audience.created_by,
            created_at: to_rfc3339(audience.created_at),
            size,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Sent {
    audience_id: i64,
    /// People handed over.
    people: i64,
    /// Deliveries queued for each subscribed webhook (500 people each).
    parts: i64,
}

/// One line of `members.csv`, one person of an `audience.members` delivery.
#[derive(Serialize)]
struct PersonLine {
    visitor_id: String,
    member_id: Option<i64>,
    stage: &'static str,
    tier: Option<String>,
    channel_id: Option<i64>,
    country: Option<String>,
    city: Option<String>,
    first_seen: String,
    last_seen: String,
    scans: i64,
    purchases: i64,
    points_balance: Option<i64>,
}

impl PersonLine {
    fn new(person: AudienceMember, rules: Option<&PointsRules>) -> Self {
        let tier = rules
            .zip(person.points_earned)
            .and_then(|(rules, earned)| rules.tier(earned).0.map(|t| t.name.clone()));
        Self {
            visitor_id: person.visitor_id,
            member_id: person.member_id,
            stage: Stage::from_level(person.level).map_or("", Stage::as_str),
            tier,
            channel_id: person.channel_id,
            country: person.country,
            city: person.city,
            first_seen: to_rfc3339(person.first_seen),
            last_seen: to_rfc3339(person.last_seen),
            scans: person.scans,
            purchases: person.purchases,
            points_balance: person.points_balance,
        }
    }
}

/// The `points_earned` ranges [low, high) of `names` under the campaign's tiers. Tiers
/// asked for that the rules no longer have (changed since) match nobody, rather than every
/// member.
fn tier_ranges(rules: Option<&PointsRules>, names: &[String]) -> Vec<(i64, i64)> {
    let ranges: Vec<(i64, i64)> = rules.map_or_else(Vec::new, |rules| {
        rules
            .tiers
            .iter()
            .enumerate()
            .filter(|(_, tier)| names.contains(&tier.name))
            .map(|(i, tier)| {
                let next = rules.tiers.get(i + 1).map_or(i64::MAX, |t| t.min_points);
                (tier.min_points, next)
            })
            .collect()
    });
    if ranges.is_empty() && !names.is_empty() {
        return vec![(0, 0)];
    }
    ranges
}

async fn checked(state: &AppState, body: NewAudienceBody) -> Result<(i64, String, AudienceFilter)> {
    let name = required_text("name", &body.name, 100)?;
    state
        .db
        .campaign(body.campaign_id)
        .await
        .map_err(|err| match err {
            DbError::NotFound => AppError::invalid(
                "campaign_id",
                format!("no record with id {}", body.campaign_id),
            ),
            other => other.into(),
        })?;
    let too_many = |field: &str, n: usize| {
        (n > MOST_LISTED).then(|| AppError::invalid(field, format!("at most {MOST_LISTED}")))
    };
    for (field, n) in [
        ("stages", body.stages.len()),
        ("cities", body.cities.len()),
        ("channel_ids", body.channel_ids.len()),
        ("tiers", body.tiers.len()),
    ] {
        if let Some(err) = too_many(field, n) {
            return Err(err);
        }
    }
    let stages = body
        .stages
        .iter()
        .map(|s| Stage::parse(s).map_err(|err| AppError::invalid("stages", err)))
        .collect::<Result<Vec<_>>>()?;
    let mut cities = Vec::with_capacity(body.cities.len());
    for city in &body.cities {
        cities.push(required_text("cities", city, 100)?);
    }
    for &id in &body.channel_ids {
        if let Err(err) = state.db.channel(id).await {
            return Err(match err {
                DbError::NotFound => {
                    AppError::invalid("channel_ids", format!("no channel with id {id}"))
                }
                other => other.into(),
            });
        }
    }
    let mut tiers = Vec::with_capacity(body.tiers.len());
    if !body.tiers.is_empty() {
        let rules = state.db.points_rules(body.campaign_id).await?;
        let known: Vec<String> = rules
            .iter()
            .flat_map(|r| r.tiers.iter().map(|t| t.name.clone()))
            .collect();
        for tier in &body.tiers {
            let tier = optional_text("tiers", Some(tier), 100)?.unwrap_or_default();
            if !known.contains(&tier) {
                let message = if known.is_empty() {
                    "the campaign's points rules have no tiers".to_owned()
                } else {
                    format!("{tier:?} is not a tier: use {}", known.join(", "))
                };
                return Err(AppError::invalid("tiers", message));
            }
            tiers.push(tier);
        }
    }
    if let Some(days) = body.seen_within_days
        && !(1..=MOST_DAYS).contains(&days)
    {
        return Err(AppError::invalid(
            "seen_within_days",
            format!("must be from 1 to {MOST_DAYS}, not {days}"),
        ));
    }
    Ok((
        body.campaign_id,
        name,
        AudienceFilter {
            stages,
            cities,
            channel_ids: body.channel_ids,
            tiers,
            seen_within_days: body.seen_within_days,
            members_only: body.members_only,
        },
    ))
}

/// An audience and its campaign's points rules (for tiers).
async fn audience_and_rules(
    state: &AppState,
    id: i64,
) -> Result<(Audience, Option<PointsRules>, Vec<(i64, i64)>)> {
    let audience = state.db.audience(id).await.map_err(missing("audience"))?;
    let rules = state.db.points_rules(audience.campaign_id).await?;
    let tiers = tier_ranges(rules.as_ref(), &audience.filter.tiers);
    Ok((audience, rules, tiers))
}

/// Save an audience: a campaign's visitors narrowed by every part given (none: all of
/// them). Answers it with its size now.
#[utoipa::path(post, path = "/api/v1/audiences", tag = "members", request_body = NewAudienceBody,
    responses((status = 201, body = AudienceView), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewAudienceBody>,
) -> Result<(StatusCode, Json<AudienceView>)> {
    let (campaign_id, name, filter) = checked(&state, body).await?;
    let audience = state
        .db
        .create_audience(campaign_id, &name, &filter, caller.user_id)
        .await?;
    let (audience, _, tiers) = audience_and_rules(&state, audience.id).await?;
    let size = state.db.audience_size(&audience, &tiers).await?;
    Ok((
        StatusCode::CREATED,
        Json(AudienceView::new(audience, Some(size))),
    ))
}

/// Audiences in the order they were saved, without their sizes (each is a count).
#[utoipa::path(get, path = "/api/v1/audiences", tag = "members", params(PageQuery),
    responses((status = 200, body = Listing<AudienceView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<AudienceView>>> {
    let page = query.page()?;
    let audiences = state.db.audiences(page).await?;
    let items = audiences
        .into_iter()
        .map(|a| AudienceView::new(a, None))
        .collect();
    Ok(Json(Listing::new(items, page, |a| a.id)))
}

/// An audience with its size, counted now.
#[utoipa::path(get, path = "/api/v1/audiences/{id}", tag = "members",
    responses((status = 200, body = AudienceView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<AudienceView>> {
    let (audience, _, tiers) = audience_and_rules(&state, id).await?;
    let size = state.db.audience_size(&audience, &tiers).await?;
    Ok(Json(AudienceView::new(audience, Some(size))))
}

/// The audience's people now, by visitor id, as CSV: `visitor_id, member_id, stage, tier,
/// channel_id, country, city, first_seen, last_seen, scans, purchases, points_balance`.
/// Streamed a page at a time, so a large audience never sits in memory.
#[utoipa::path(get, path = "/api/v1/audiences/{id}/members.csv", tag = "members",
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn members_csv(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response> {
    let (audience, rules, tiers) = audience_and_rules(&state, id).await?;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::spawn(async move {
        let mut after = String::new();
        loop {
            let page = match state
                .db
                .audience_people(&audience, &tiers, &after, PAGE)
                .await
            {
                Ok(page) => page,
                Err(err) => {
                    tracing::error!(%err, audience = audience.id, "reading an audience failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let last = page.len() < PAGE as usize;
            let first = after.is_empty();
            if let Some(person) = page.last() {
                after = person.visitor_id.clone();
            }
            let lines: Vec<PersonLine> = page
                .into_iter()
                .map(|p| PersonLine::new(p, rules.as_ref()))
                .collect();
            let bytes = if first && lines.is_empty() {
                Ok(header_line())
            } else {
                csv_part(lines, first).await.map_err(|err| {
                    std::io::Error::other(format!("writing the CSV failed: {err:?}"))
                })
            };
            let failed = bytes.is_err();
            if tx.send(bytes.map(Bytes::from)).await.is_err() || failed || last {
                return;
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audience-{id}-members.csv\""),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response())
}

/// The CSV's header alone, for an audience with nobody in it.
fn header_line() -> Vec<u8> {
    b"visitor_id,member_id,stage,tier,channel_id,country,city,first_seen,last_seen,scans,\
purchases,points_balance\n"
        .to_vec()
}

/// Hand the audience's people to every webhook subscribed to `audience.members`, 500 to a
/// delivery (`part` of `parts`), queued together. 409 when no webhook subscribes; 422 for
/// an audience of more than 100,000 people (download its CSV instead).
#[utoipa::path(post, path = "/api/v1/audiences/{id}/send", tag = "members",
    responses((status = 202, body = Sent), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<Sent>)> {
    let (audience, rules, tiers) = audience_and_rules(&state, id).await?;
    let size = state.db.audience_size(&audience, &tiers).await?;
    if size > MOST_SENT {
        return Err(AppError::invalid(
            "id",
            format!(
                "the audience holds {size} people, more than the {MOST_SENT} a send hands \
                 over: download members.csv instead"
            ),
        ));
    }
    let mut people = Vec::new();
    let mut after = String::new();
    loop {
        let page = state
            .db
            .audience_people(&audience, &tiers, &after, PAGE)
            .await?;
        let last = page.len() < PAGE as usize;
        if let Some(person) = page.last() {
            after = person.visitor_id.clone();
        }
        people.extend(page.into_iter().map(|p| PersonLine::new(p, rules.as_ref())));
        if last {
            break;
        }
    }
    let total = people.len();
    // An empty audience is still sent, as one empty part.
    let mut chunks: Vec<&[PersonLine]> = people.chunks(PER_DELIVERY).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let parts = chunks.len();
    let payloads: Vec<String> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            serde_json::json!({
                "audience_id": audience.id,
                "name": audience.name,
                "campaign_id": audience.campaign_id,
                "part": i + 1,
                "parts": parts,
                "total": total,
                "people": chunk,
            })
            .to_string()
        })
        .collect();
    let event = WebhookEvent::AudienceMembers.as_str();
    if state.db.enqueue_all(event, &payloads).await? == 0 {
        return Err(AppError::Conflict(format!(
            "no webhook subscribes to {event}: add one with POST /api/v1/webhooks first"
        )));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Sent {
            audience_id: audience.id,
            people: total as i64,
            parts: parts as i64,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::Tier;

    #[test]
    fn tiers_are_ranges_of_points_earned_and_a_tier_gone_matches_nobody() {
        let rules = PointsRules {
            tiers: vec![
                Tier {
                    name: "Green".into(),
                    min_points: 0,
                },
                Tier {
                    name: "Gold".into(),
                    min_points: 500,
                },
            ],
            ..PointsRules::default()
        };
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tier_ranges(Some(&rules), &names(&["Green"])), [(0, 500)]);
        assert_eq!(
            tier_ranges(Some(&rules), &names(&["Gold"])),
            [(500, i64::MAX)]
        );
        assert_eq!(tier_ranges(Some(&rules), &names(&["Silver"])), [(0, 0)]);
        assert_eq!(tier_ranges(None, &names(&["Gold"])), [(0, 0)]);
        assert!(tier_ranges(Some(&rules), &[]).is_empty());
    }
}
