//! `/r/{code}`: a member's share link. The browser that follows it is noted as brought by
//! the member (the first link it followed counts, never the member's own browser), then
//! sent on to the page of the campaign the member joined from. Joining or buying later
//! earns the member points by that campaign's rules.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{AppError, missing};
use super::extract::Path;
use super::pages::PageError;
use super::visiting::{Asker, Visiting};

pub(super) async fn follow(
    State(state): State<AppState>,
    Path(code): Path<String>,
    asker: Asker,
) -> Result<Response, PageError> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound("share link").into());
    }
    let (member_id, campaign_id) = state
        .db
        .member_by_referral_code(&code)
        .await?
        .and_then(|(member, campaign)| Some((member, campaign?)))
        .ok_or(AppError::NotFound("share link"))?;
    let campaign = state
        .db
        .campaign(campaign_id)
        .await
        .map_err(missing("campaign"))?;
    let landing = format!("{}/c/{}", state.settings.path_prefix(), campaign.slug);
    if !campaign.tracking.is_full() {
        return Ok(to(&landing));
    }
    let visiting = Visiting::of_campaign(&state, campaign, asker).await;
    if let Some(visitor) = visiting
        .visitor
        .id
        .as_deref()
        .filter(|_| !visiting.visit.is_bot)
    {
        state
            .db
            .note_referral_visit(visitor, member_id, campaign_id)
            .await?;
    }
    Ok(visiting.finish(&state, to(&landing)))
}

fn to(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
