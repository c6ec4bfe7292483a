//! `/c/{slug}/feedback`: a buyer rates their purchase (1 to 5, with a comment). The page
//! finds the latest purchase of the last 30 days by the browser (or the member it is
//! signed in as) whose path crosses the campaign and that was not rated yet; the campaign's
//! page links to it while there is one. A low rating opens a remedy for the brand.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::extract::Path;
use super::pages::{PageError, render};
use super::strings::{FeedbackStrings, strings};
use super::visiting::{Asker, PageHead, Visiting};
use crate::db::{DbError, LOW_RATING, NewFeedback, Rateable};

const COMMENT_MAX: usize = 1000;

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    lang: &'static str,
    text: &'static FeedbackStrings,
    head: PageHead,
    action: String,
    /// The purchase to rate; `None`: nothing to rate (or rated just now).
    purchase: Option<String>,
    notice: Option<&'static str>,
    refused: bool,
    rating: i64,
    comment: String,
}

struct Shown<'a> {
    status: StatusCode,
    purchase: Option<&'a Rateable>,
    notice: Option<&'static str>,
    rating: i64,
    comment: String,
}

fn draw(state: &AppState, visiting: &Visiting, shown: Shown) -> Response {
    let language = visiting.choice.language;
    let text = strings(language);
    let base = visiting.base(state);
    let code_only = visiting.code_only();
    let purchase = shown.purchase.map(|p| {
        let date = chrono::DateTime::from_timestamp_millis(p.occurred_at)
            .map(|d| d.format(text.date_format).to_string())
            .unwrap_or_default();
        let amount = format!(
            "{}.{:02} {}",
            p.amount_cents / 100,
            p.amount_cents % 100,
            p.currency
        );
        text.feedback
            .purchase
            .replace("{date}", &date)
            .replace("{amount}", &amount)
    });
    let page = FeedbackPage {
        lang: language.code(),
        text: &text.feedback,
        head: visiting.head(state),
        action: match visiting.query_value("order") {
            Some(order) => format!("{base}/feedback?order={order}"),
            None => format!("{base}/feedback{code_only}"),
        },
        purchase,
        refused: !shown.status.is_success(),
        notice: shown.notice,
        rating: shown.rating,
        comment: shown.comment,
    };
    visiting.finish(state, render(shown.status, page))
}

/// The purchase the visitor may rate here, if any: the one a feedback link names
/// (`?order=ID.TOKEN`, from the shop's order confirmation, on any browser), else the
/// latest of their own.
pub(super) async fn rateable(
    state: &AppState,
    visiting: &Visiting,
) -> Result<Option<Rateable>, AppError> {
    if visiting.visit.is_bot {
        return Ok(None);
    }
    if let Some((id, token)) = visiting.query_value("order").and_then(feedback_link) {
        return Ok(state
            .db
            .rateable_by_link(id, token, visiting.campaign.id)
            .await?);
    }
    let Some(visitor) = visiting
        .visitor
        .id
        .as_deref()
        .filter(|_| !visiting.visitor.is_new && !visiting.visit.is_bot)
    else {
        return Ok(None);
    };
    Ok(state
        .db
        .rateable_purchase(visitor, visiting.campaign.id)
        .await?)
}

/// `ID.TOKEN` of a feedback link.
fn feedback_link(raw: &str) -> Option<(i64, &str)> {
    let (id, token) = raw.split_once('.')?;
    Some((id.parse().ok()?, token)).filter(|_| !token.is_empty())
}

/// `/feedback/{ID.TOKEN}`: a purchase's feedback link, on to the feedback page of the
/// campaign its buyer scanned last.
pub(super) async fn link(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let (id, token) = feedback_link(&raw).ok_or(AppError::NotFound("feedback link"))?;
    let slug = state
        .db
        .feedback_campaign(id, token)
        .await?
        .ok_or(AppError::NotFound("feedback link"))?;
    let to = format!(
        "{}/c/{slug}/feedback?order={id}.{token}",
        state.settings.path_prefix()
    );
    Ok(super::pages::see_other(&to))
}

pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let purchase = rateable(&state, &visiting).await?;
    let text = &strings(visiting.choice.language).feedback;
    let shown = Shown {
        status: StatusCode::OK,
        notice: purchase.is_none().then_some(text.nothing),
        purchase: purchase.as_ref(),
        rating: 0,
        comment: String::new(),
    };
    Ok(draw(&state, &visiting, shown))
}

#[derive(Deserialize)]
pub(super) struct FeedbackForm {
    rating: Option<String>,
    #[serde(default)]
    comment: String,
}

pub(super) async fn send(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
    form: Result<Form<FeedbackForm>, FormRejection>,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let text = &strings(visiting.choice.language).feedback;
    let Some(purchase) = rateable(&state, &visiting).await? else {
        let shown = Shown {
            status: StatusCode::NOT_FOUND,
            purchase: None,
            notice: Some(text.nothing),
            rating: 0,
            comment: form.comment,
        };
        return Ok(draw(&state, &visiting, shown));
    };
    let rating = form
        .rating
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok())
        .filter(|r| (1..=5).contains(r));
    // Line breaks kept, other control characters (NUL among them) dropped.
    let comment: String = form
        .comment
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let comment = comment.trim();
    let too_long = comment.chars().count() > COMMENT_MAX;
    let rating = match (rating, too_long) {
        (Some(rating), false) => rating,
        (rating, _) => {
            let shown = Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                purchase: Some(&purchase),
                notice: Some(if rating.is_none() {
                    text.choose_rating
                } else {
                    text.comment_too_long
                }),
                rating: rating.unwrap_or(0),
                comment: comment.to_owned(),
            };
            return Ok(draw(&state, &visiting, shown));
        }
    };
    let visitor = visiting.visitor.id.as_deref().unwrap_or_default();
    let new = NewFeedback {
        conversion_id: purchase.conversion_id,
        campaign_id: visiting.campaign.id,
        visitor_id: visitor,
        rating,
        comment: (!comment.is_empty()).then_some(comment),
    };
    match state.db.record_feedback(&new).await {
        // Rated a moment ago, perhaps from another tab: thanked all the same.
        Ok(_) | Err(DbError::Conflict(_)) => {}
        Err(err) => return Err(AppError::from(err).into()),
    }
    let shown = Shown {
        status: StatusCode::OK,
        purchase: None,
        notice: Some(if rating <= LOW_RATING {
            text.sorry
        } else {
            text.thanks
        }),
        rating,
        comment: String::new(),
    };
    Ok(draw(&state, &visiting, shown))
}
