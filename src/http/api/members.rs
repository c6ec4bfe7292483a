//! Members, as the brand's CRM reads them: `GET /api/v1/members` and
//! `GET /api/v1/members/{id}` (points, the campaign they joined from, the browsers linked
//! to them). A phone number or email is never answered in full: the hint is enough to
//! recognise a member on the phone with them; the full contact reaches only the member
//! and the `member.code` hand-off.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery};
use crate::db::Member;
use crate::http::AppState;
use crate::http::error::{Result, missing};
use crate::http::extract::{Json, Path, Query};

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    id: i64,
    /// `+86 138****5678` or `a***@brand.example`; absent once the member deleted
    /// themselves.
    contact_hint: Option<String>,
    /// `phone` or `email`.
    contact_kind: Option<String>,
    joined_at: String,
    /// The campaign whose page they joined from.
    campaign_id: Option<i64>,
    consent_version: String,
    points_balance: i64,
    /// Every point ever earned; tiers are reached by it.
    points_earned: i64,
    referred_by: Option<i64>,
    /// Set when the member deleted their membership: contact and browsers are gone.
    deleted_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberDetail {
    #[serde(flatten)]
    member: MemberView,
    /// The browsers (`sl_vid` visitor ids) the member signed in from: their scans, visits
    /// and purchases are the member's.
    visitors: Vec<LinkedVisitor>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkedVisitor {
    visitor_id: String,
    linked_at: String,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        let contact = m.contact();
        Self {
            id: m.id,
            contact_hint: contact.as_ref().map(|c| c.hint()),
            contact_kind: contact.as_ref().map(|c| c.kind().to_owned()),
            joined_at: to_rfc3339(m.joined_at),
            campaign_id: m.campaign_id,
            consent_version: m.consent_version,
            points_balance: m.points_balance,
            points_earned: m.points_earned,
            referred_by: m.referred_by,
            deleted_at: m.deleted_at.map(to_rfc3339),
        }
    }
}

/// Members in the order they joined.
#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(PageQuery),
    responses((status = 200, body = Listing<MemberView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<MemberView>>> {
    let page = query.page()?;
    let members = state.db.members(page).await?;
    let items = members.into_iter().map(MemberView::from).collect();
    Ok(Json(Listing::new(items, page, |m: &MemberView| m.id)))
}

/// A member, with the browsers linked to them.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members",
    responses((status = 200, body = MemberDetail), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<MemberDetail>> {
    let member = state.db.member(id).await.map_err(missing("member"))?;
    let visitors = state.db.member_visitors(id).await?;
    Ok(Json(MemberDetail {
        member: member.into(),
        visitors: visitors
            .into_iter()
            .map(|(visitor_id, linked)| LinkedVisitor {
                visitor_id,
                linked_at: to_rfc3339(linked),
            })
            .collect(),
    }))
}
