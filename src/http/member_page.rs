//! `/me`: the member page. A phone signed in as a member sees their points and where they
//! came from, downloads everything kept about them (`/me/data`), signs out, or deletes the
//! membership: the contact, browsers and sessions go, the anonymous counts stay.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::member_session::{MaybeMember, SignedInMember, member_cookie, with_cookie};
use super::pages::{LanguageChoice, PageError, render, see_other};
use super::strings::{MemberStrings, strings};
use crate::db::{Page, now_ms};
use crate::domain::time::to_rfc3339;
use crate::qr::{Matrix, RenderOptions, render_svg};

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    lang: &'static str,
    text: &'static MemberStrings,
    other_code: &'static str,
    other_language: &'static str,
    notice: Option<String>,
    refused: bool,
    /// `None`: nobody is signed in on this phone.
    member: Option<Shown>,
    action: String,
    /// The page of the campaign the member joined from.
    back: Option<(String, &'static str)>,
}

struct Shown {
    signed_in_as: String,
    since: String,
    balance: i64,
    /// The tier reached, and the next one.
    tier: Option<String>,
    next_tier: Option<String>,
    history: Vec<Line>,
    token: String,
    share_url: String,
    /// The share link as a QR code, an inline SVG.
    share_qr: String,
}

/// An entry of the points history.
struct Line {
    what: &'static str,
    when: String,
    points: String,
}

/// Entries the page shows; the download has them all.
const HISTORY_SHOWN: i64 = 30;

#[derive(Deserialize)]
pub(super) struct Welcome {
    welcome: Option<String>,
    claimed: Option<i64>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    MaybeMember(member): MaybeMember,
    choice: LanguageChoice,
    axum::extract::Query(query): axum::extract::Query<Welcome>,
) -> Result<Response, PageError> {
    let text = &strings(choice.language).member;
    let notice = match (query.welcome.as_deref(), query.claimed) {
        (_, Some(points)) if member.is_some() => {
            Some(text.claimed.replace("{n}", &points.to_string()))
        }
        (Some("joined"), _) => Some(text.welcome.to_owned()),
        (Some("back"), _) => Some(text.welcome_back.to_owned()),
        _ => None,
    };
    draw(&state, choice, StatusCode::OK, notice, member.as_ref()).await
}

async fn draw(
    state: &AppState,
    choice: LanguageChoice,
    status: StatusCode,
    notice: Option<String>,
    member: Option<&SignedInMember>,
) -> Result<Response, PageError> {
    let language = choice.language;
    let text = strings(language);
    let mut shown = None;
    let mut back = None;
    if let Some(signed_in) = member {
        let member = &signed_in.member;
        let rules = match member.campaign_id {
            Some(campaign) => state.db.points_rules(campaign).await?,
            None => None,
        };
        if let Some(campaign) = member.campaign_id {
            let campaign = state.db.campaign(campaign).await?;
            back = Some((
                format!("{}/c/{}", state.settings.path_prefix(), campaign.slug),
                text.photos.back,
            ));
        }
        let (tier, next_tier) = rules.as_ref().map_or((None, None), |rules| {
            let (reached, next) = rules.tier(member.points_earned);
            (
                reached.map(|t| text.member.tier.replace("{tier}", &t.name)),
                next.map(|(t, needed)| {
                    text.member
                        .next_tier
                        .replace("{n}", &needed.to_string())
                        .replace("{tier}", &t.name)
                }),
            )
        });
        let history = state
            .db
            .latest_entries(member.id, HISTORY_SHOWN)
            .await?
            .into_iter()
            .map(|entry| Line {
                what: match entry.reason.as_str() {
                    "first_scan" => text.member.first_scan,
                    "purchase" => text.member.purchase,
                    "photo" => text.member.photo,
                    "referral_join" => text.member.referral_join,
                    "referral_purchase" => text.member.referral_purchase,
                    "spend" => text.member.spend,
                    _ => text.member.adjust,
                },
                when: chrono::DateTime::from_timestamp_millis(entry.created_at)
                    .map(|d| d.format(text.date_format).to_string())
                    .unwrap_or_default(),
                points: format!("{:+}", entry.points),
            })
            .collect();
        let share_url = format!("{}/r/{}", state.settings.public_url, member.referral_code);
        shown = Some(Shown {
            signed_in_as: text.member.signed_in_as.replace(
                "{contact}",
                &member.contact().map(|c| c.hint()).unwrap_or_default(),
            ),
            since: text.member.member_since.replace(
                "{date}",
                &chrono::DateTime::from_timestamp_millis(member.joined_at)
                    .map(|d| d.format(text.date_format).to_string())
                    .unwrap_or_default(),
            ),
            balance: member.points_balance,
            tier,
            next_tier,
            history,
            token: signed_in.form_token(),
            share_qr: share_qr(&share_url),
            share_url,
        });
    }
    let page = MemberPage {
        lang: language.code(),
        text: &text.member,
        other_code: language.other().code(),
        other_language: text.other_language,
        notice,
        refused: !status.is_success(),
        member: shown,
        action: format!("{}/me", state.settings.path_prefix()),
        back,
    };
    let mut response = render(status, page);
    choice.remember(&mut response);
    Ok(private(response))
}

/// Everything kept about the signed-in member, as a JSON download.
pub(super) async fn data(
    State(state): State<AppState>,
    MaybeMember(member): MaybeMember,
) -> Result<Response, PageError> {
    let Some(signed_in) = member else {
        return Err(AppError::NotFound("member").into());
    };
    let member = &signed_in.member;
    let visitors = state.db.member_visitors(member.id).await?;
    // What each browser did, as the campaigns keep it.
    let mut browsers = Vec::with_capacity(visitors.len());
    for (id, linked) in &visitors {
        let campaigns = state.db.visitor_campaigns(id).await?;
        browsers.push(serde_json::json!({
            "visitor_id": id,
            "linked_at": to_rfc3339(*linked),
            "campaigns": campaigns.iter().map(|c| serde_json::json!({
                "campaign_id": c.campaign_id,
                "first_seen": to_rfc3339(c.first_seen),
                "last_seen": to_rfc3339(c.last_seen),
                "country": c.country,
                "city": c.city,
                "scans": c.scans,
                "page_events": c.events,
                "purchases": c.purchases,
                "stage": c.stage().as_str(),
            })).collect::<Vec<_>>(),
        }));
    }
    let ledger = state
        .db
        .ledger(
            member.id,
            Page {
                after: 0,
                limit: i64::MAX,
            },
        )
        .await?;
    let body = serde_json::json!({
        "member_id": member.id,
        "phone": member.phone,
        "email": member.email,
        "joined_at": to_rfc3339(member.joined_at),
        "joined_from_campaign_id": member.campaign_id,
        "consent": {
            "version": member.consent_version,
            "given_at": to_rfc3339(member.consented_at),
        },
        "points": {
            "balance": member.points_balance,
            "earned": member.points_earned,
        },
        "points_history": ledger.iter().map(|entry| serde_json::json!({
            "points": entry.points,
            "balance_after": entry.balance_after,
            "reason": entry.reason,
            "campaign_id": entry.campaign_id,
            "note": entry.note,
            "at": to_rfc3339(entry.created_at),
        })).collect::<Vec<_>>(),
        "browsers": browsers,
    });
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-membership.json\"",
            ),
        ],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    token: String,
    confirm: Option<String>,
}

/// Signs this phone out.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    MaybeMember(member): MaybeMember,
    choice: LanguageChoice,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let signed_in = checked(member, form)?;
    state
        .db
        .end_member_session(&signed_in.session_hash())
        .await?;
    let text = &strings(choice.language).member;
    let page = draw(
        &state,
        choice,
        StatusCode::OK,
        Some(text.signed_out.into()),
        None,
    )
    .await?;
    Ok(with_cookie(page, member_cookie(&state.settings, "", 0)))
}

/// Deletes the membership, once the box confirming it is ticked.
pub(super) async fn delete(
    State(state): State<AppState>,
    MaybeMember(member): MaybeMember,
    choice: LanguageChoice,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let confirmed = form.as_ref().is_ok_and(|Form(form)| form.confirm.is_some());
    let signed_in = checked(member, form)?;
    let text = &strings(choice.language).member;
    if !confirmed {
        return draw(
            &state,
            choice,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(text.must_confirm.into()),
            Some(&signed_in),
        )
        .await;
    }
    state
        .db
        .delete_member(signed_in.member.id, now_ms())
        .await?;
    let page = draw(
        &state,
        choice,
        StatusCode::OK,
        Some(text.deleted.into()),
        None,
    )
    .await?;
    Ok(with_cookie(page, member_cookie(&state.settings, "", 0)))
}

/// The signed-in member, if the form came from their own page.
fn checked(
    member: Option<SignedInMember>,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Result<SignedInMember, PageError> {
    let Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let signed_in = member.ok_or(AppError::NotFound("member"))?;
    if !signed_in.token_matches(&form.token) {
        return Err(AppError::Forbidden("this form is not from your member page".into()).into());
    }
    Ok(signed_in)
}

fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// Where a phone that just signed in goes.
pub(super) fn after_sign_in(state: &AppState, joined: bool) -> Response {
    let welcome = if joined { "joined" } else { "back" };
    see_other(&format!(
        "{}/me?welcome={welcome}",
        state.settings.path_prefix()
    ))
}

/// The share link as an SVG QR code to show on the page (empty if it cannot be drawn).
fn share_qr(url: &str) -> String {
    let options = RenderOptions::default();
    let Ok(matrix) = Matrix::encode(url, options.ecc) else {
        return String::new();
    };
    let Ok(layout) = options.layout(matrix.width) else {
        return String::new();
    };
    let svg = render_svg(&matrix, &options, &layout);
    // Inline in the page: without the XML declaration, sized by the stylesheet.
    svg.split_once("?>")
        .map_or(svg.as_str(), |(_, rest)| rest.trim_start())
        .replacen("<svg ", "<svg class=\"share-qr\" role=\"img\" ", 1)
}
