//! A campaign's landing page in the console: its texts, buttons and colours, its picture,
//! and a preview of the page as a phone shows it (drawn here, so opening the console
//! counts no visit).

use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, STALE_FORM, form_status, refused, restore};
use crate::db::Campaign;
use crate::http::AppState;
use crate::http::api::landing::{InfoLinkBody, Landing, post_hero};
use crate::http::error::{AppError, missing};
use crate::http::extract::Path;
use crate::http::landing_page::{Links, campaign_page};
use crate::http::pages::{LanguageChoice, PageError};
use crate::http::report_page::{Viewer, render};
use crate::http::session::same_secret;

#[derive(Template)]
#[template(path = "console_landing.html")]
struct LandingPage {
    nav: Nav,
    c: Campaign,
    form: FormView,
    hero_error: Option<String>,
    hero_url: Option<String>,
}

/// The landing page's fields, as the form sends them (a checkbox left unticked is absent).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LandingForm {
    title: String,
    body: String,
    cta_label: String,
    cta_url: String,
    store_finder_url: String,
    join_url: String,
    brand_color: String,
    background_color: String,
    hero_alt: String,
    photo_sharing: String,
    photo_auto_approve: String,
    /// One link a line: `Label | https://...`.
    info_links: String,
}

const FIELDS: [&str; 12] = [
    "title",
    "body",
    "cta_label",
    "cta_url",
    "store_finder_url",
    "join_url",
    "brand_color",
    "background_color",
    "hero_alt",
    "photo_sharing",
    "photo_auto_approve",
    "info_links",
];

impl LandingForm {
    fn of(c: &Campaign) -> Self {
        let l = &c.landing;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let tick = |on: bool| if on { "on".to_owned() } else { String::new() };
        Self {
            title: text(&l.landing_title),
            body: text(&l.landing_body),
            cta_label: text(&l.cta_label),
            cta_url: text(&l.cta_url),
            store_finder_url: text(&l.store_finder_url),
            join_url: text(&l.join_url),
            brand_color: text(&l.brand_color),
            background_color: text(&l.background_color),
            hero_alt: text(&l.hero_alt),
            photo_sharing: tick(l.photo_sharing.0),
            photo_auto_approve: tick(l.photo_auto_approve.0),
            info_links: l
                .info_links
                .0
                .iter()
                .map(|link| format!("{} | {}\n", link.label, link.url))
                .collect(),
        }
    }

    /// The landing as the API takes it; a link line without its `|` is refused here, with
    /// its line number, as the API's own refusals of a link are.
    fn landing(&self) -> Result<Landing, AppError> {
        let info_links = self
            .info_links
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(i, line)| {
                let (label, url) = line.rsplit_once('|').ok_or_else(|| {
                    AppError::invalid(
                        &format!("info_links[{i}]"),
                        "write each link as Label | https://...",
                    )
                })?;
                Ok(InfoLinkBody {
                    label: label.trim().to_owned(),
                    url: url.trim().to_owned(),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Landing {
            title: optional(&self.title),
            body: optional(&self.body),
            cta_label: optional(&self.cta_label),
            cta_url: optional(&self.cta_url),
            store_finder_url: optional(&self.store_finder_url),
            join_url: optional(&self.join_url),
            brand_color: optional(&self.brand_color),
            background_color: optional(&self.background_color),
            hero_alt: optional(&self.hero_alt),
            photo_sharing: Some(!self.photo_sharing.is_empty()),
            photo_auto_approve: Some(!self.photo_auto_approve.is_empty()),
            info_links: Some(info_links),
        })
    }
}

/// An information link's refusal names its line: the form has one field for them all.
fn on_its_line(err: AppError) -> AppError {
    match err {
        AppError::Validation { field, message } if field.contains("info_links[") => {
            let line = field
                .split_once('[')
                .and_then(|(_, rest)| rest.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .map_or(1, |i| i + 1);
            AppError::invalid("info_links", format!("line {line}: {message}"))
        }
        other => other,
    }
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    c: Campaign,
    form: &LandingForm,
    errors: &Errors,
) -> LandingPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let fields = vec![
        Field::new("title", t("Heading"), Kind::Text, &form.title)
            .hint(t("The campaign's name when left empty.")),
        Field::new("body", t("Text"), Kind::Area, &form.body)
            .max(10_000)
            .hint(t("Blank lines start paragraphs; **bold**, *italic* and [label](https://...) links work.")),
        Field::new("cta_label", t("Buy button label"), Kind::Text, &form.cta_label)
            .max(80)
            .hint(t("“Buy online” when left empty.")),
        Field::new("cta_url", t("Buy button link"), Kind::Url, &form.cta_url)
            .max(2048)
            .hint(t("The shop; purchases there are credited through the click id it receives.")),
        Field::new("store_finder_url", t("Store finder link"), Kind::Url, &form.store_finder_url)
            .max(2048),
        Field::new("join_url", t("Membership sign-up link"), Kind::Url, &form.join_url).max(2048),
        Field::new("brand_color", t("Button colour"), Kind::Colour, &form.brand_color)
            .max(7)
            .hint(t("Six hex digits such as #c8102e; the label is black or white, whichever reads better.")),
        Field::new("background_color", t("Background colour"), Kind::Colour, &form.background_color)
            .max(7),
        Field::new("hero_alt", t("What the picture shows"), Kind::Text, &form.hero_alt)
            .hint(t("Read aloud to people who cannot see it.")),
        Field::new("info_links", t("Information links"), Kind::Area, &form.info_links)
            .hint(t("Up to six buttons such as ingredients or recycling, one a line: Label | https://... On a campaign that does not track, these are the page's only buttons.")),
        Field::new("photo_sharing", t("Offer “Share a photo”"), Kind::Check, &form.photo_sharing),
        Field::new("photo_auto_approve", t("Show shared photos at once, without approval"),
            Kind::Check,
            &form.photo_auto_approve,
        ),
    ];
    LandingPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        form: FormView::new(
            format!("/console/campaigns/{}/landing", c.id),
            t("Save landing page"),
            fields,
            errors,
        ),
        hero_error: None,
        hero_url: c
            .hero()
            .map(|h| format!("{}/media/{}", state.settings.path_prefix(), h.small)),
        c,
    }
}

pub(super) async fn form(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let (restored, note) = restore::<LandingForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| LandingForm::of(&c));
    let mut page = page(&state, &viewer, c, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<LandingForm>,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let saved = match form
        .landing()
        .and_then(Landing::validate)
        .map_err(on_its_line)
    {
        Ok(content) => state
            .db
            .set_landing(id, content)
            .await
            .map_err(missing("campaign")),
        Err(err) => Err(err),
    };
    match saved {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/campaigns/{id}?saved=landing")).into_response())
        }
        Err(err) => {
            let mut errors = Errors::default();
            errors.place(err, &FIELDS)?;
            render(
                form_status(false),
                &page(&state, &viewer, c, &form, &errors),
            )
        }
    }
}

/// The picture form: the session's token, then the file (or `remove`).
pub(super) async fn hero(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    if viewer.caller.role != crate::domain::Role::Admin {
        return Ok(refused(
            AppError::Forbidden("only admins change campaigns; nothing was changed".into()),
            viewer.language,
        ));
    }
    let mut csrf = String::new();
    let mut picture = None;
    let mut remove = false;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        AppError::BadRequest(format!("the form could not be read: {}", e.body_text()))
    })? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("remove") => remove = true,
            Some("picture") => {
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::TooLarge(
                        "the picture is larger than 15 MiB: choose a smaller one".into(),
                    )
                })?;
                picture = Some(bytes);
            }
            _ => {}
        }
    }
    if !same_secret(&csrf, &viewer.csrf) {
        return Ok(refused(
            AppError::Forbidden(STALE_FORM.into()),
            viewer.language,
        ));
    }
    let answer = if remove {
        crate::http::api::landing::delete_hero(State(state.clone()), Path(id)).await
    } else {
        match picture.filter(|p| !p.is_empty()) {
            Some(bytes) => post_hero(State(state.clone()), Path(id), Body::from(bytes)).await,
            None => Err(AppError::invalid(
                "body",
                "choose a picture first: a JPEG, PNG or WebP",
            )),
        }
    };
    match answer {
        Ok(_) => Ok(
            Redirect::to(&format!("/console/campaigns/{id}/landing?saved=hero")).into_response(),
        ),
        Err(
            err @ (AppError::Validation { .. }
            | AppError::TooLarge(_)
            | AppError::UnsupportedMediaType(_)
            | AppError::RateLimited(_)),
        ) => {
            let message = match err {
                AppError::Validation { message, .. } => message,
                other => other.to_string(),
            };
            let form = LandingForm::of(&c);
            let mut page = page(&state, &viewer, c, &form, &Errors::default());
            page.hero_error = Some(message);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(err) => Err(err.into()),
    }
}

/// The landing page as a phone shows it, inside the console (same origin only).
pub(super) async fn preview(
    _viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    choice: LanguageChoice,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let mut response = campaign_page(&state, &c, choice.language, Links::Preview);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(response)
}
