//! A unique code's first-scan points on the campaign's page: the box that offers them (to
//! join, to claim, or why they cannot be claimed) and `POST /c/{slug}/claim`, which claims
//! them for the signed-in member. Only a person whose browser kept its visitor cookie may
//! claim, with their member page's form token; a claim is refused past the campaign's caps
//! and goes to one member only, whoever is first.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::extract::Path;
use super::member_session::{MaybeMember, SignedInMember};
use super::pages::{PageError, see_other};
use super::strings::strings;
use super::visiting::{Asker, Visiting};
use crate::db::{Claimed, CodeClaim, now_ms};
use crate::domain::BatchMode;
use crate::domain::points::PointsRules;

/// What the page shows about the code's points.
pub(super) struct PointsBox {
    pub message: String,
    /// A form that claims them.
    pub claim: Option<ClaimForm>,
    /// The join page, for a visitor who is not a member.
    pub join: Option<(String, &'static str)>,
}

pub(super) struct ClaimForm {
    pub action: String,
    pub token: String,
    pub label: String,
}

/// The box for a visit that came with a unique code of a campaign whose rules give points
/// for one; a claim refused just now says why (`?claim=`).
pub(super) async fn points_box(
    state: &AppState,
    visiting: &Visiting,
    rules: &PointsRules,
    member: Option<&SignedInMember>,
) -> Result<Option<PointsBox>, AppError> {
    let Some(code) = visiting.code.as_deref() else {
        return Ok(None);
    };
    if rules.first_scan == 0 || code.batch_mode != BatchMode::Unique {
        return Ok(None);
    }
    let language = visiting.choice.language;
    let text = strings(language);
    let n = rules.first_scan.to_string();
    let offer = text.claim.offer.replace("{n}", &n);
    let base = visiting.base(state);
    let refused = match visiting.query_value("claim") {
        Some("capped") => Some(text.claim.capped),
        Some("network") => Some(text.claim.network_capped),
        _ => None,
    };
    if let Some((owner, at)) = state.db.code_claim(code.code_id).await? {
        let message = if member.is_some_and(|m| m.member.id == owner) {
            text.claim.yours.to_owned()
        } else {
            let date = chrono::DateTime::from_timestamp_millis(at)
                .map(|d| d.format(text.date_format).to_string())
                .unwrap_or_default();
            text.claim.taken.replace("{date}", &date)
        };
        return Ok(Some(PointsBox {
            message,
            claim: None,
            join: None,
        }));
    }
    Ok(Some(match member {
        Some(member) => PointsBox {
            message: refused.map_or(offer, str::to_owned),
            claim: Some(ClaimForm {
                action: format!("{base}/claim{}", visiting.code_only()),
                token: member.form_token(),
                label: text.claim.button.replace("{n}", &n),
            }),
            join: None,
        },
        None => PointsBox {
            message: offer,
            claim: None,
            join: Some((
                format!("{base}/join{}", visiting.code_only()),
                text.claim.join_to_claim,
            )),
        },
    }))
}

#[derive(Deserialize)]
pub(super) struct ClaimBody {
    #[serde(default)]
    token: String,
}

/// Claims the visit's code for the signed-in member: to the member page with the points,
/// or back to the code's page saying why not.
pub(super) async fn claim(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeMember(member): MaybeMember,
    asker: Asker,
    form: Result<Form<ClaimBody>, FormRejection>,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let back = |why: &str| {
        let to = format!(
            "{}{}claim={why}",
            visiting.base(&state),
            visiting.code_query()
        );
        Ok(visiting.finish(&state, see_other(&to)))
    };
    let Some(member) = member else {
        return back("join");
    };
    if !member.token_matches(&form.token) {
        return Err(AppError::Forbidden("this form is not from your own page".into()).into());
    }
    let visitor_id = match (
        &visiting.visitor.id,
        visiting.visit.is_bot,
        visiting.visitor.is_new,
    ) {
        (Some(id), false, false) => id.clone(),
        _ => {
            return Err(AppError::Forbidden(
                "claims need a browser that keeps cookies: open the code's page again".into(),
            )
            .into());
        }
    };
    let code = visiting
        .code
        .as_deref()
        .filter(|code| code.batch_mode == BatchMode::Unique)
        .ok_or(AppError::NotFound("code"))?;
    let rules = state
        .db
        .points_rules(visiting.campaign.id)
        .await?
        .filter(|rules| rules.first_scan > 0)
        .ok_or(AppError::NotFound("points"))?;
    let claim = CodeClaim {
        member_id: member.member.id,
        code_id: code.code_id,
        campaign_id: visiting.campaign.id,
        visitor_id: &visitor_id,
        rules: &rules,
        ip_prefix: &visiting.visit.ip_prefix,
        now: now_ms(),
    };
    match state.db.claim_code(&claim).await? {
        Claimed::Won { points, .. } => {
            let to = format!("{}/me?claimed={points}", state.settings.path_prefix());
            Ok(visiting.finish(&state, see_other(&to)))
        }
        Claimed::Theirs | Claimed::Taken { .. } => back("taken"),
        Claimed::MemberCapped => back("capped"),
        Claimed::NetworkCapped => back("network"),
    }
}
