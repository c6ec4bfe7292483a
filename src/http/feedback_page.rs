//! `/c/{slug}/feedback`: a buyer rates their purchase (1 to 5, with a comment and a photo
//! if they like; the photo is kept like a shared one, without metadata). The page
//! finds the latest purchase of the last 30 days by the browser (or the member it is
//! signed in as) whose path crosses the campaign and that was not rated yet; the campaign's
//! page links to it while there is one. A low rating opens a remedy for the brand.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::extract::Path;
use super::media::forget_unused;
use super::pages::{PageError, render};
use super::strings::{FeedbackStrings, strings};
use super::visiting::{Asker, PageHead, Visiting};
use crate::db::{DbError, LOW_RATING, NewFeedback, Rateable};
use crate::media::{PictureError, StoredPhoto, store_photo};

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

#[derive(Deserialize, Default)]
pub(super) struct FeedbackForm {
    rating: Option<String>,
    #[serde(default)]
    comment: String,
    #[serde(skip)]
    photo: Option<Bytes>,
}

/// Why the form could not be read: too large (413), or broken (400).
enum Unread {
    TooLarge,
    Broken(String),
}

/// The form as the page sends it (multipart, with the photo), or URL-encoded without one.
async fn read_form(state: &AppState, request: Request) -> Result<FeedbackForm, Unread> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(form) = Form::<FeedbackForm>::from_request(request, state)
            .await
            .map_err(|e| Unread::Broken(e.body_text()))?;
        return Ok(form);
    }
    let unread = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Unread::TooLarge
        } else {
            Unread::Broken("the form was cut short".into())
        }
    };
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| unread(e.status()))?;
    let mut form = FeedbackForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unread(e.status()))?
    {
        let name = field.name().map(str::to_owned);
        match name.as_deref() {
            Some("photo") => {
                let bytes = field.bytes().await.map_err(|e| unread(e.status()))?;
                form.photo = Some(bytes).filter(|b| !b.is_empty());
            }
            Some("rating") => {
                form.rating = Some(field.text().await.map_err(|e| unread(e.status()))?);
            }
            Some("comment") => {
                form.comment = field.text().await.map_err(|e| unread(e.status()))?;
            }
            _ => {}
        }
    }
    Ok(form)
}

pub(super) async fn send(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
    request: Request,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let text = &strings(visiting.choice.language).feedback;
    let photo_text = &strings(visiting.choice.language).photos;
    let purchase = rateable(&state, &visiting).await?;
    let form = match read_form(&state, request).await {
        Ok(form) => form,
        Err(Unread::Broken(why)) => return Err(AppError::BadRequest(why).into()),
        Err(Unread::TooLarge) => {
            let shown = Shown {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                purchase: purchase.as_ref(),
                notice: Some(photo_text.too_large),
                rating: 0,
                comment: String::new(),
            };
            return Ok(draw(&state, &visiting, shown));
        }
    };
    let Some(purchase) = purchase else {
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
    let refuse = |status: StatusCode, notice: &'static str, rating: i64| Shown {
        status,
        purchase: Some(&purchase),
        notice: Some(notice),
        rating,
        comment: comment.to_owned(),
    };
    let rating = match (rating, too_long) {
        (Some(rating), false) => rating,
        (rating, _) => {
            let notice = if rating.is_none() {
                text.choose_rating
            } else {
                text.comment_too_long
            };
            let shown = refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                notice,
                rating.unwrap_or(0),
            );
            return Ok(draw(&state, &visiting, shown));
        }
    };
    let photo = match form.photo {
        None => None,
        Some(upload) => {
            let media = state.media.clone();
            let stored = state
                .heavy
                .run(move || store_photo(&media, &upload))
                .await
                .map_err(AppError::from)?
                .map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("storing a feedback photo: {e}"))
                })?;
            let refused = match stored {
                Ok(stored) => Ok(stored),
                Err(PictureError::Unsupported) => {
                    Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, photo_text.not_a_photo))
                }
                Err(PictureError::TooLarge(..)) => {
                    Err((StatusCode::PAYLOAD_TOO_LARGE, photo_text.too_large))
                }
                Err(PictureError::Unreadable(why)) => {
                    tracing::info!(why, "a feedback photo could not be read");
                    Err((StatusCode::UNPROCESSABLE_ENTITY, photo_text.unreadable))
                }
            };
            match refused {
                Ok(stored) => Some(stored),
                Err((status, notice)) => {
                    return Ok(draw(&state, &visiting, refuse(status, notice, rating)));
                }
            }
        }
    };
    let visitor = visiting.visitor.id.as_deref().unwrap_or_default();
    let photo_url = photo
        .as_ref()
        .map(|p| format!("{}/media/{}", state.settings.public_url, p.image));
    let new = NewFeedback {
        conversion_id: purchase.conversion_id,
        campaign_id: visiting.campaign.id,
        visitor_id: visitor,
        rating,
        comment: (!comment.is_empty()).then_some(comment),
        photo: photo.as_ref().map(|p| (p.image.as_str(), p.thumb.as_str())),
        photo_url: photo_url.as_deref(),
    };
    let recorded = state.db.record_feedback(&new).await;
    if recorded.is_err()
        && let Some(StoredPhoto { image, thumb, .. }) = photo
    {
        // Nothing half-stored: the files go unless something else shows the same picture.
        forget_unused(&state, [image, thumb]).await;
    }
    match recorded {
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
