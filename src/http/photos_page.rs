//! `/c/{slug}/photos`: share a photo with the product, and see what people nearby shared.
//! The upload is a plain form (multipart: `photo`, optional `caption`), so it works with
//! no script; it is decoded under limits, made upright, re-encoded without any metadata
//! in a display size and a thumbnail, and waits for moderation unless the campaign
//! approves at once. The gallery shows approved photos nearest first: from the viewer's
//! city (GeoIP), or from the position their browser shares when they ask it to. Others'
//! photos show only the city they were shared from. Whoever shared a photo (the same
//! `sl_vid` cookie) sees it while it waits, and may delete it.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::error::{AppError, missing};
use super::extract::Path;
use super::media::forget_unused;
use super::pages::{self, PageError, see_other};
use super::strings::{PhotoStrings, strings};
use super::visiting::{Asker, PageHead, Visiting};
use crate::db::{NewPhoto, Photo, PhotoStatus};
use crate::domain::{EventKind, Point};
use crate::media::{PictureError, StoredPhoto, store_photo};

const CAPTION_MAX: usize = 140;
/// Photos considered for the gallery (the latest), and shown (the nearest of them).
const GALLERY_CANDIDATES: i64 = 300;
const GALLERY_SHOWN: usize = 60;

#[derive(Template)]
#[template(path = "photos.html")]
struct PhotosPage<'a> {
    lang: &'static str,
    text: &'static PhotoStrings,
    head: PageHead,
    form_action: String,
    /// What happened just now: thanks, deleted, or why a photo was refused.
    notice: Option<&'a str>,
    refused: bool,
    caption: String,
    /// How many people scanned in the viewer's city this week, and the nearest other
    /// cities with photos.
    near_you: Vec<String>,
    photos: Vec<Tile>,
}

struct Tile {
    full: String,
    thumb: String,
    alt: String,
    caption: Option<String>,
    place: Option<String>,
    /// The viewer's own photo: they may delete it, and see whether it waits.
    own: bool,
    waiting: bool,
    delete_action: String,
}

/// The photo page for a visit, with `notice` (thanks, deleted, or why a photo was
/// refused) and what they typed kept.
async fn render(
    state: &AppState,
    visiting: &Visiting,
    status: StatusCode,
    notice: Option<&str>,
    caption: String,
    near: Option<Point>,
) -> Result<Response, PageError> {
    let language = visiting.choice.language;
    let text = strings(language);
    let base = visiting.base(state);
    let code_only = visiting.code_only();
    let viewer = near.or_else(|| {
        let location = &visiting.visit.location;
        Point::new(location.latitude?, location.longitude?)
    });
    let photos = state
        .db
        .gallery(
            visiting.campaign.id,
            visiting.visitor.id.as_deref(),
            GALLERY_CANDIDATES,
        )
        .await?;
    let photos = nearest_first(photos, viewer, visiting.visitor.id.as_deref());
    let near_you = near_you(state, visiting, &text.photos, &photos).await?;
    let photos = photos
        .into_iter()
        .take(GALLERY_SHOWN)
        .map(|photo| {
            let own = Some(&photo.visitor_id) == visiting.visitor.id.as_ref();
            let place = photo.city.clone();
            let alt = photo.caption.clone().unwrap_or_else(|| match &place {
                Some(city) => text.photos.shared_in.replace("{city}", city),
                None => text.photos.shared.into(),
            });
            let media = format!("{}/media", state.settings.path_prefix());
            Tile {
                full: format!("{media}/{}", photo.image),
                thumb: format!("{media}/{}", photo.thumb),
                alt,
                caption: photo.caption,
                place,
                own,
                waiting: photo.status != PhotoStatus::Approved,
                delete_action: format!("{base}/photos/{}/delete{}", photo.id, code_only),
            }
        })
        .collect();
    let page = PhotosPage {
        lang: language.code(),
        text: &text.photos,
        head: visiting.head(state),
        form_action: format!("{base}/photos{code_only}"),
        notice,
        refused: status != StatusCode::OK,
        caption,
        near_you,
        photos,
    };
    Ok(visiting.finish(state, pages::render(status, page)))
}

/// "12 people scanned this in Shanghai this week" (never a number under 5: "a few"),
/// and the nearest other cities with photos, from `photos` in nearest-first order.
async fn near_you(
    state: &AppState,
    visiting: &Visiting,
    text: &PhotoStrings,
    photos: &[Photo],
) -> Result<Vec<String>, PageError> {
    let location = &visiting.visit.location;
    let mut lines = Vec::new();
    if let Some(city) = &location.city {
        let country = location.country.as_deref().unwrap_or("");
        let people = state
            .db
            .people_in_city(visiting.campaign.id, country, city)
            .await?;
        let line = match people {
            0 => None,
            1..=4 => Some(text.few_here.to_owned()),
            n => Some(text.people_here.replace("{n}", &n.to_string())),
        };
        lines.extend(line.map(|l| l.replace("{city}", city)));
    }
    let mut cities: Vec<&str> = Vec::new();
    for photo in photos.iter().filter(|p| p.status == PhotoStatus::Approved) {
        if let Some(city) = photo.city.as_deref()
            && Some(city) != location.city.as_deref()
            && !cities.contains(&city)
            && cities.len() < 3
        {
            cities.push(city);
        }
    }
    if !cities.is_empty() {
        lines.push(text.photos_from.replace("{cities}", &cities.join(", ")));
    }
    Ok(lines)
}

/// The viewer's own photos first, then the nearest to `viewer` (photos without a place
/// last), newest first among equals.
fn nearest_first(
    mut photos: Vec<Photo>,
    viewer: Option<Point>,
    visitor: Option<&str>,
) -> Vec<Photo> {
    let distance = |p: &Photo| {
        let at = Point::new(p.latitude?, p.longitude?)?;
        Some(viewer?.distance_km(at))
    };
    photos.sort_by(|a, b| {
        let own = |p: &Photo| Some(p.visitor_id.as_str()) != visitor;
        own(a)
            .cmp(&own(b))
            .then_with(|| match (distance(a), distance(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| b.id.cmp(&a.id))
    });
    photos
}

/// The visit of campaign `slug`'s photo page, which only campaigns sharing photos have.
async fn photo_visit(state: &AppState, slug: &str, asker: Asker) -> Result<Visiting, PageError> {
    let visiting = Visiting::of(state, slug, asker).await?;
    if !visiting.campaign.landing.photo_sharing.0 {
        return Err(AppError::NotFound("campaign").into());
    }
    Ok(visiting)
}

pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
) -> Result<Response, PageError> {
    let visiting = photo_visit(&state, &slug, asker).await?;
    let near = visiting
        .query_value("near")
        .and_then(|raw| Point::parse_shared(&raw.replace("%2C", ",").replace("%2c", ",")));
    if near.is_some() {
        let consent = visiting.event(EventKind::LocationConsent, None);
        state.events.record_soon(consent).await;
    }
    let text = &strings(visiting.choice.language).photos;
    let notice = match visiting.query_value("sent") {
        Some("pending") => Some(text.sent_pending),
        Some("live") => Some(text.sent_live),
        Some("deleted") => Some(text.deleted),
        _ => None,
    };
    render(
        &state,
        &visiting,
        StatusCode::OK,
        notice,
        String::new(),
        near,
    )
    .await
}

/// What the upload form sent.
struct Upload {
    photo: Option<axum::body::Bytes>,
    caption: String,
}

/// Reads the form; a body over the limit is `TooLarge`, a broken one `Unreadable`.
async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, PictureError> {
    let unreadable = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            PictureError::TooLarge(0, 0)
        } else {
            PictureError::Unreadable("the form was cut short".into())
        }
    };
    let mut multipart = multipart.map_err(|e| unreadable(e.status()))?;
    let mut upload = Upload {
        photo: None,
        caption: String::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e.status()))?
    {
        match field.name() {
            Some("photo") => {
                let bytes = field.bytes().await.map_err(|e| unreadable(e.status()))?;
                upload.photo = Some(bytes).filter(|b| !b.is_empty());
            }
            Some("caption") => {
                upload.caption = field.text().await.map_err(|e| unreadable(e.status()))?;
            }
            _ => {}
        }
    }
    Ok(upload)
}

pub(super) async fn upload(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let visiting = photo_visit(&state, &slug, asker).await?;
    let text = &strings(visiting.choice.language).photos;
    let refuse = |status: StatusCode, why: &'static str, caption: String| {
        let visiting = &visiting;
        let state = &state;
        async move { render(state, visiting, status, Some(why), caption, None).await }
    };
    let Some(visitor_id) = visiting.visitor.id.clone() else {
        // A bot (no cookie is issued to one) does not share photos.
        return refuse(StatusCode::FORBIDDEN, text.choose_photo, String::new()).await;
    };
    if !state
        .photo_limits
        .allow(&visitor_id, &visiting.visit.ip_prefix)
    {
        return refuse(StatusCode::TOO_MANY_REQUESTS, text.slow_down, String::new()).await;
    }
    let form = match read_form(multipart).await {
        Ok(form) => form,
        Err(PictureError::TooLarge(..)) => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, text.too_large, String::new()).await;
        }
        Err(_) => return refuse(StatusCode::BAD_REQUEST, text.unreadable, String::new()).await,
    };
    let caption = form.caption.trim().to_owned();
    if caption.chars().count() > CAPTION_MAX {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            text.caption_too_long,
            caption,
        )
        .await;
    }
    // One line: control characters (NUL among them) become spaces rather than refusals.
    let caption: String = caption
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let Some(photo) = form.photo else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, text.choose_photo, caption).await;
    };
    let media = state.media.clone();
    let stored = state
        .heavy
        .run(move || store_photo(&media, &photo))
        .await
        .map_err(AppError::from)?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("storing a shared photo: {e}")))?;
    let StoredPhoto {
        image,
        thumb,
        width,
        height,
    } = match stored {
        Ok(files) => files,
        Err(PictureError::Unsupported) => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                text.not_a_photo,
                caption,
            )
            .await;
        }
        Err(PictureError::TooLarge(..)) => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, text.too_large, caption).await;
        }
        Err(PictureError::Unreadable(why)) => {
            tracing::info!(why, "a shared photo could not be read");
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, text.unreadable, caption).await;
        }
    };
    let approved = visiting.campaign.landing.photo_auto_approve.0;
    let location = &visiting.visit.location;
    let new = NewPhoto {
        campaign_id: visiting.campaign.id,
        visitor_id,
        status: if approved {
            PhotoStatus::Approved
        } else {
            PhotoStatus::Pending
        },
        caption: Some(caption).filter(|c| !c.is_empty()),
        image: image.clone(),
        thumb: thumb.clone(),
        width: width.into(),
        height: height.into(),
        country: location.country.clone(),
        city: location.city.clone(),
        latitude: location.latitude,
        longitude: location.longitude,
        code_id: visiting.code.as_ref().map(|c| c.code_id),
        channel_id: visiting.code.as_ref().map(|c| c.channel_id),
    };
    if let Err(err) = state.db.create_photo(new).await {
        // Nothing half-stored: the files go unless another photo shows the same picture.
        forget_unused(&state, [image, thumb]).await;
        return Err(AppError::from(err).into());
    }
    let shared = visiting.event(EventKind::PhotoShare, None);
    state.events.record_soon(shared).await;
    let sent = if approved { "live" } else { "pending" };
    let to = format!(
        "{}/photos{}sent={sent}",
        visiting.base(&state),
        visiting.code_query()
    );
    Ok(visiting.finish(&state, see_other(&to)))
}

/// `POST /c/{slug}/photos/{id}/delete`: whoever shared a photo (by the visitor cookie)
/// deletes it, files included.
pub(super) async fn delete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    asker: Asker,
) -> Result<Response, PageError> {
    let visiting = photo_visit(&state, &slug, asker).await?;
    let visitor = visiting
        .visitor
        .id
        .as_deref()
        .filter(|_| !visiting.visitor.is_new);
    let photo = state
        .db
        .photo(id)
        .await
        .ok()
        .filter(|p| p.campaign_id == visiting.campaign.id && Some(p.visitor_id.as_str()) == visitor)
        .ok_or(AppError::NotFound("photo"))?;
    let deleted = state
        .db
        .delete_photo(photo.id, visitor)
        .await
        .map_err(missing("photo"))?;
    forget_unused(&state, [deleted.image, deleted.thumb]).await;
    let to = format!(
        "{}/photos{}sent=deleted",
        visiting.base(&state),
        visiting.code_query()
    );
    Ok(visiting.finish(&state, see_other(&to)))
}
