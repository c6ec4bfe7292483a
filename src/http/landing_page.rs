//! The campaign's own page, `/c/{slug}`, and its calls to action, `/c/{slug}/go/{action}`.
//! Both record an event against the visitor (the same `sl_vid` cookie as the scan, set on
//! the spot when missing) and the code whose scan led here: the redirect passes its token
//! as `?code=`, and the page hands it on to its links. A view is queued and the page
//! answered at once; a click is stored before its redirect, and the buy-online click
//! passes its id to the shop as `sl_click`, which a purchase is later attributed by.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngCore;

use super::AppState;
use super::error::{AppError, missing};
use super::extract::Path;
use super::pages::{LanguageChoice, PageError, render};
use super::redirect::with_query;
use super::strings::strings;
use crate::db::{Campaign, EventRow, now_ms};
use crate::domain::{Action, Colour, EventKind, Phase, Token, rich_text};
use crate::scans::{RoutedCode, Visit, Visitor};

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    lang: &'static str,
    /// The language switch: `?lang=` and the code the visit came with.
    switch_query: String,
    other_code: &'static str,
    other_language: &'static str,
    title: String,
    /// The brand's colours as CSS variables, when it set any.
    theme: Option<String>,
    hero: Option<HeroImage>,
    /// The landing text as HTML, its formatting applied and everything else escaped.
    body_html: Option<String>,
    actions: Vec<Link>,
    active: bool,
    /// Why the campaign is not running, when it is not.
    notice: String,
    fallback_url: Option<String>,
    continue_to_brand: &'static str,
}

struct HeroImage {
    src: String,
    srcset: String,
    width: i64,
    height: i64,
    alt: String,
}

/// A call to action: a button, the first one filled with the brand's colour.
struct Link {
    label: String,
    href: String,
    primary: bool,
}

/// The code a visit came with (`?code=TOKEN`, added by the scan redirect), if it names a
/// code of this campaign. A link shared onwards keeps it: the code still brought them.
pub(super) async fn arriving_code(
    state: &AppState,
    query: Option<&str>,
    campaign: &Campaign,
) -> Option<std::sync::Arc<RoutedCode>> {
    let raw = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("code="))?;
    let token = Token::parse(raw)?;
    let code = state.codes.get(token.as_str()).await.ok().flatten()?;
    (code.campaign_id == campaign.id).then_some(code)
}

/// The event for what this visitor did now, with the code that brought them.
pub(super) fn event_row(
    kind: EventKind,
    action: Option<Action>,
    campaign: &Campaign,
    code: Option<&RoutedCode>,
    visit: &Visit,
    visitor: &Visitor,
) -> EventRow {
    EventRow {
        occurred_at: now_ms(),
        kind: kind.as_str(),
        action: action.map(Action::as_str),
        campaign_id: campaign.id,
        channel_id: code.map(|c| c.channel_id),
        batch_id: code.map(|c| c.batch_id),
        store_id: code.and_then(|c| c.store_id),
        code_id: code.map(|c| c.code_id),
        visitor_id: visitor.id.clone(),
        is_bot: visit.is_bot,
        click_id: None,
        country: visit.location.country.clone(),
        city: visit.location.city.clone(),
        device: visit.device.class,
    }
}

/// Where a call to action leads, if the campaign has it; the photo page is our own, under
/// the public URL's path prefix.
fn action_url(campaign: &Campaign, action: Action, prefix: &str) -> Option<String> {
    let landing = &campaign.landing;
    match action {
        Action::Buy => landing
            .cta_url
            .clone()
            .or_else(|| campaign.destination_url.clone()),
        Action::Stores => landing.store_finder_url.clone(),
        Action::Join => landing.join_url.clone(),
        Action::Photos => landing
            .photo_sharing
            .0
            .then(|| format!("{prefix}/c/{}/photos", campaign.slug)),
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    choice: LanguageChoice,
) -> Result<Response, PageError> {
    let campaign = state
        .db
        .campaign_by_slug(&slug)
        .await
        .map_err(missing("campaign"))?;
    let code = arriving_code(&state, query.as_deref(), &campaign).await;
    let visit = Visit::describe(&state.visit_context(), peer.ip(), &method, &headers);
    let visitor = Visitor::identify(&headers, visit.is_bot);
    state
        .events
        .record_soon(event_row(
            EventKind::View,
            None,
            &campaign,
            code.as_deref(),
            &visit,
            &visitor,
        ))
        .await;

    let language = choice.language;
    let text = strings(language);
    let phase = campaign.schedule().phase(now_ms());
    let notice = match phase {
        Phase::Running => String::new(),
        Phase::NotStarted(start) => {
            let date = chrono::DateTime::from_timestamp_millis(start)
                .map(|d| d.format(text.date_format).to_string())
                .unwrap_or_default();
            text.not_started.replace("{date}", &date)
        }
        Phase::Ended => text.ended.into(),
        Phase::Paused => text.not_running.into(),
    };
    let prefix = state.settings.path_prefix();
    let code_query = code
        .as_ref()
        .map(|c| format!("?code={}", c.token))
        .unwrap_or_default();
    let labels = [
        (
            Action::Buy,
            campaign
                .landing
                .cta_label
                .clone()
                .unwrap_or_else(|| text.buy_online.into()),
        ),
        (Action::Photos, text.share_photo.into()),
        (Action::Stores, text.find_store.into()),
        (Action::Join, text.join.into()),
    ];
    let actions = labels
        .into_iter()
        .filter(|(action, _)| action_url(&campaign, *action, prefix).is_some())
        .map(|(action, label)| Link {
            label,
            href: format!(
                "{prefix}/c/{}/go/{}{code_query}",
                campaign.slug,
                action.as_str()
            ),
            primary: action == Action::Buy,
        })
        .collect();
    let hero = campaign.hero();
    let landing = campaign.landing;
    let title = landing.landing_title.unwrap_or(campaign.name);
    let hero = hero.map(|hero| HeroImage {
        src: format!("{prefix}/media/{}", hero.image),
        srcset: format!(
            "{prefix}/media/{} 480w, {prefix}/media/{} {}w",
            hero.small, hero.image, hero.width
        ),
        width: hero.width,
        height: hero.height,
        alt: landing.hero_alt.unwrap_or_else(|| title.clone()),
    });
    let mut page = render(
        StatusCode::OK,
        CampaignPage {
            lang: language.code(),
            switch_query: match &code {
                Some(c) => format!("?code={}&lang={}", c.token, language.other().code()),
                None => format!("?lang={}", language.other().code()),
            },
            other_code: language.other().code(),
            other_language: text.other_language,
            active: phase == Phase::Running,
            title,
            theme: theme(
                landing.brand_color.as_deref(),
                landing.background_color.as_deref(),
            ),
            hero,
            body_html: landing.landing_body.as_deref().map(rich_text::to_html),
            actions,
            notice,
            fallback_url: campaign.fallback_url,
            continue_to_brand: text.continue_to_brand,
        },
    );
    choice.remember(&mut page);
    let headers = page.headers_mut();
    if let Some(cookie) = visitor.set_cookie(state.settings.secure_cookies) {
        headers.append(header::SET_COOKIE, cookie);
    }
    // Each view is counted, so no shared cache may answer for us; and the page differs by
    // language, chosen from these.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    Ok(page)
}

/// The stylesheet's colour variables for a brand's colours, each with a text colour that
/// reads on it; `None` keeps the stylesheet's own.
pub(super) fn theme(brand: Option<&str>, background: Option<&str>) -> Option<String> {
    let mut css = String::new();
    if let Some(brand) = brand.and_then(Colour::parse) {
        let text = brand.readable_text().hex();
        css.push_str(&format!("--brand:{};--on-brand:{text};", brand.hex()));
    }
    if let Some(background) = background.and_then(Colour::parse) {
        let text = background.readable_text().hex();
        css.push_str(&format!("--bg:{};--fg:{text};", background.hex()));
    }
    (!css.is_empty()).then(|| format!(":root{{{css}}}"))
}

/// `GET /c/{slug}/go/{action}`: records the click, then redirects to where the call to
/// action leads; the buy-online link gets `sl_click=<click id>` added.
pub(super) async fn click(
    State(state): State<AppState>,
    Path((slug, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let campaign = state
        .db
        .campaign_by_slug(&slug)
        .await
        .map_err(missing("campaign"))?;
    let action = Action::parse(&action).ok_or(AppError::NotFound("call to action"))?;
    let target = action_url(&campaign, action, state.settings.path_prefix())
        .ok_or(AppError::NotFound("call to action"))?;
    let code = arriving_code(&state, query.as_deref(), &campaign).await;
    let visit = Visit::describe(&state.visit_context(), peer.ip(), &method, &headers);
    let visitor = Visitor::identify(&headers, visit.is_bot);
    let mut event = event_row(
        EventKind::Click,
        Some(action),
        &campaign,
        code.as_deref(),
        &visit,
        &visitor,
    );
    let target = match (action, &code) {
        (Action::Buy, _) => {
            let click_id = new_click_id();
            let target = with_query(&target, &format!("sl_click={click_id}"));
            event.click_id = Some(click_id);
            target
        }
        // Our own page goes on knowing which code brought the visitor.
        (Action::Photos, Some(code)) => with_query(&target, &format!("code={}", code.token)),
        _ => target,
    };
    state
        .events
        .record(event)
        .await
        .map_err(|_| AppError::Unavailable)?;
    let mut response = (StatusCode::FOUND, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&target) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = visitor.set_cookie(state.settings.secure_cookies) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// 128 random bits as 32 hex digits, like the visitor id.
fn new_click_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
