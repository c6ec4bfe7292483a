//! A campaign's landing page content: the `landing` object of the campaign API (set at
//! creation or replaced with `PUT /api/v1/campaigns/{id}/landing`), and its hero image
//! (`POST`/`DELETE /api/v1/campaigns/{id}/hero`), re-encoded in two sizes for phones.

use axum::body::Body;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaigns::CampaignView;
use super::{ErrorBody, multiline_text, optional_text, required_text};
use crate::db::{Campaign, Flag, Hero, InfoLink, InfoLinks, LandingContent};
use crate::domain::{Colour, TargetUrl};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path};
use crate::http::media::forget_unused;
use crate::media::{MAX_UPLOAD_BYTES, Picture, PictureError};

/// The hero's sizes: a phone's width at 1x (about 400 CSS pixels and a little room), and
/// at 2.5-3x for sharp screens.
pub(crate) const HERO_SMALL: u32 = 480;
const HERO_LARGE: u32 = 1200;

/// What the landing page says. Every field is optional; `PUT .../landing` replaces all of
/// them (the hero image stays).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Landing {
    /// The page's heading; the campaign's name when absent.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Paragraphs (blank lines), line breaks, `**bold**`, `*italic*` and `[label](https://...)` links are
    /// shown as such; everything else, HTML included, as typed.
    #[schema(max_length = 10000)]
    pub body: Option<String>,
    /// The label of the buy-online button ("Buy online" when absent).
    #[schema(max_length = 80)]
    pub cta_label: Option<String>,
    /// The shop: the buy-online button leads here (else to `destination_url`).
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub cta_url: Option<String>,
    /// The brand's store finder: a "Find a store" button when set.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub store_finder_url: Option<String>,
    /// The brand's membership sign-up: a "Join" button when set.
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub join_url: Option<String>,
    /// The main button's colour, `#rrggbb`; its label is black or white, whichever reads
    /// better on it.
    #[schema(pattern = r"^#?[0-9A-Fa-f]{6}$")]
    pub brand_color: Option<String>,
    /// The page's background, `#rrggbb`; text is black or white to match.
    #[schema(pattern = r"^#?[0-9A-Fa-f]{6}$")]
    pub background_color: Option<String>,
    /// What the hero image shows, for people who cannot see it.
    #[schema(max_length = 200)]
    pub hero_alt: Option<String>,
    /// A "Share a photo" button and the campaign's photo page (default true).
    pub photo_sharing: Option<bool>,
    /// Show new photos at once instead of after approval (default false).
    pub photo_auto_approve: Option<bool>,
    /// Information the brand must show, such as ingredients, allergens or recycling: a
    /// button each, plain links that count nothing. On a campaign with `tracking` `none`
    /// these are the page's only buttons.
    #[schema(max_items = 6)]
    pub info_links: Option<Vec<InfoLinkBody>>,
}

/// The most information links a page shows.
const MAX_INFO_LINKS: usize = 6;

#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct InfoLinkBody {
    /// The button's label, such as "Ingredients".
    #[schema(min_length = 1, max_length = 60, pattern = r"\S")]
    pub label: String,
    #[schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub url: String,
}

/// The landing content as the API shows it (the fields of `Landing`, the two flags with
/// their defaults applied) and the hero image, if one was uploaded. Written out rather
/// than flattened from `Landing`: that one refuses unknown fields, and a schema made of
/// both would refuse `hero`.
#[derive(Serialize, ToSchema)]
pub struct LandingView {
    title: Option<String>,
    body: Option<String>,
    cta_label: Option<String>,
    cta_url: Option<String>,
    store_finder_url: Option<String>,
    join_url: Option<String>,
    brand_color: Option<String>,
    background_color: Option<String>,
    hero_alt: Option<String>,
    photo_sharing: bool,
    photo_auto_approve: bool,
    info_links: Vec<InfoLinkBody>,
    hero: Option<HeroView>,
}

#[derive(Serialize, ToSchema)]
pub struct HeroView {
    /// The larger size (up to 1200 pixels a side), a JPEG with no metadata.
    url: String,
    width: i64,
    height: i64,
    /// The phone size, up to 480 pixels a side.
    small_url: String,
}

impl LandingView {
    pub fn new(campaign: &Campaign, public_url: &str) -> Self {
        let l = &campaign.landing;
        Self {
            title: l.landing_title.clone(),
            body: l.landing_body.clone(),
            cta_label: l.cta_label.clone(),
            cta_url: l.cta_url.clone(),
            store_finder_url: l.store_finder_url.clone(),
            join_url: l.join_url.clone(),
            brand_color: l.brand_color.clone(),
            background_color: l.background_color.clone(),
            hero_alt: l.hero_alt.clone(),
            photo_sharing: l.photo_sharing.0,
            photo_auto_approve: l.photo_auto_approve.0,
            info_links: l
                .info_links
                .0
                .iter()
                .map(|link| InfoLinkBody {
                    label: link.label.clone(),
                    url: link.url.clone(),
                })
                .collect(),
            hero: campaign.hero().map(|hero| HeroView {
                url: format!("{public_url}/media/{}", hero.image),
                small_url: format!("{public_url}/media/{}", hero.small),
                width: hero.width,
                height: hero.height,
            }),
        }
    }
}

pub fn url_field(field: &str, raw: Option<&str>) -> Result<Option<TargetUrl>> {
    raw.map(|r| TargetUrl::parse(r).map_err(|m| AppError::invalid(field, m)))
        .transpose()
}

/// A colour as the document's pattern says: six hex digits, `#` optional; an empty text is
/// refused like any other that is not a colour (leave the field out for none).
pub(super) fn colour_field(field: &str, raw: Option<&str>) -> Result<Option<String>> {
    raw.map(|r| {
        Colour::parse(r).map(Colour::hex).ok_or_else(|| {
            AppError::invalid(field, "must be a colour of six hex digits such as #c8102e")
        })
    })
    .transpose()
}

impl Landing {
    pub fn validate(self) -> Result<LandingContent> {
        let url = |field: &str, raw: Option<&str>| {
            Ok::<_, AppError>(url_field(field, raw)?.map(TargetUrl::into_string))
        };
        Ok(LandingContent {
            landing_title: optional_text("landing.title", self.title.as_deref(), 200)?,
            landing_body: multiline_text("landing.body", self.body.as_deref(), 10_000)?,
            cta_label: optional_text("landing.cta_label", self.cta_label.as_deref(), 80)?,
            cta_url: url("landing.cta_url", self.cta_url.as_deref())?,
            store_finder_url: url("landing.store_finder_url", self.store_finder_url.as_deref())?,
            join_url: url("landing.join_url", self.join_url.as_deref())?,
            brand_color: colour_field("landing.brand_color", self.brand_color.as_deref())?,
            background_color: colour_field(
                "landing.background_color",
                self.background_color.as_deref(),
            )?,
            hero_alt: optional_text("landing.hero_alt", self.hero_alt.as_deref(), 200)?,
            photo_sharing: Flag(self.photo_sharing.unwrap_or(true)),
            photo_auto_approve: Flag(self.photo_auto_approve.unwrap_or(false)),
            info_links: info_links(self.info_links.unwrap_or_default())?,
        })
    }
}

fn info_links(sent: Vec<InfoLinkBody>) -> Result<InfoLinks> {
    if sent.len() > MAX_INFO_LINKS {
        return Err(AppError::invalid(
            "landing.info_links",
            format!("must hold at most {MAX_INFO_LINKS} links"),
        ));
    }
    let links = sent
        .into_iter()
        .enumerate()
        .map(|(i, link)| {
            let field = |name: &str| format!("landing.info_links[{i}].{name}");
            Ok(InfoLink {
                label: required_text(&field("label"), &link.label, 60)?,
                url: TargetUrl::parse(&link.url)
                    .map_err(|m| AppError::invalid(&field("url"), m))?
                    .into_string(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(InfoLinks(links))
}

/// Replace what the campaign's landing page says (everything but its hero image).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/landing", tag = "campaigns", request_body = Landing,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_landing(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Landing>,
) -> Result<Json<CampaignView>> {
    let content = body.validate()?;
    let campaign = state
        .db
        .set_landing(id, content)
        .await
        .map_err(missing("campaign"))?;
    Ok(Json(CampaignView::new(campaign, &state)))
}

/// Upload (or replace) the landing page's hero image. The body is the picture, JPEG, PNG
/// or WebP, up to 15 MiB; it is turned upright by its EXIF orientation and re-encoded as
/// JPEG in two sizes (480 and 1200 pixels a side at most) with no metadata kept.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/hero", tag = "campaigns",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn post_hero(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Body,
) -> Result<Json<CampaignView>> {
    state.db.campaign(id).await.map_err(missing("campaign"))?;
    let upload = axum::body::to_bytes(body, MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| {
            AppError::TooLarge(format!(
                "the picture is larger than {} MiB: send a smaller JPEG, PNG or WebP",
                MAX_UPLOAD_BYTES / 1024 / 1024
            ))
        })?;
    if upload.is_empty() {
        return Err(AppError::invalid(
            "body",
            "send the picture as the request body: a JPEG, PNG or WebP image",
        ));
    }
    let media = state.media.clone();
    // Decoding a camera photo and encoding two sizes is real work: off the scan threads.
    let hero = state
        .heavy
        .run(move || {
            let picture = Picture::decode(&upload).map_err(picture_error)?;
            let large = picture.fitted(HERO_LARGE);
            let small = large.fitted(HERO_SMALL).to_jpeg();
            let large = large.to_jpeg();
            let stored = |jpeg: &[u8]| {
                media
                    .put(jpeg)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("storing a picture: {e}")))
            };
            Ok::<_, AppError>(Hero {
                image: stored(&large.jpeg)?,
                small: stored(&small.jpeg)?,
                width: large.width.into(),
                height: large.height.into(),
            })
        })
        .await??;
    replace_hero(&state, id, Some(hero)).await
}

/// Remove the landing page's hero image.
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}/hero", tag = "campaigns",
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)))]
pub async fn delete_hero(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignView>> {
    replace_hero(&state, id, None).await
}

async fn replace_hero(state: &AppState, id: i64, hero: Option<Hero>) -> Result<Json<CampaignView>> {
    let before = state
        .db
        .set_hero(id, hero.clone())
        .await
        .map_err(missing("campaign"))?;
    if let Some(old) = before.filter(|old| Some(old) != hero.as_ref()) {
        forget_unused(state, [old.image, old.small]).await;
    }
    let campaign = state.db.campaign(id).await.map_err(missing("campaign"))?;
    Ok(Json(CampaignView::new(campaign, state)))
}

/// A picture refused: not a picture at all is 415, anything else about it 422.
pub fn picture_error(err: PictureError) -> AppError {
    match err {
        PictureError::Unsupported => AppError::UnsupportedMediaType(format!(
            "{err}: send a photo taken with a phone or camera, or a PNG"
        )),
        other => AppError::invalid("body", other.to_string()),
    }
}
