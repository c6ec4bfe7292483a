//! The campaign's own page, `/c/{slug}`, and its calls to action, `/c/{slug}/go/{action}`.
//! Both record an event against the visitor (the same `sl_vid` cookie as the scan, set on
//! the spot when missing) and the code whose scan led here: the redirect passes its token
//! as `?code=`, and the page hands it on to its links. A view is queued and the page
//! answered at once; a click is stored before its redirect, and the buy-online click
//! passes its id to the shop as `sl_click`, which a purchase is later attributed by.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::api::HERO_SMALL;
use super::claim::{PointsBox, points_box};
use super::error::{AppError, missing};
use super::extract::Path;
use super::feedback_page::rateable;
use super::member_session::MaybeMember;
use super::pages::{PageError, render};
use super::redirect::with_query;
use super::strings::strings;
use super::visiting::{Asker, Visiting};
use crate::db::{Campaign, Hero, now_ms};
use crate::domain::{Action, Colour, EventKind, Language, Phase, rich_text};
use crate::media::fit;
use crate::scans::visitor;

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
    points: Option<PointsBox>,
    feedback: Option<(String, &'static str)>,
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

/// Where a call to action leads, if the campaign has it; the photo page is our own, under
/// the public URL's path prefix, and so is the join page of a campaign with points rules
/// (`members`) and no join link of the brand's own.
fn action_url(campaign: &Campaign, action: Action, prefix: &str, members: bool) -> Option<String> {
    let landing = &campaign.landing;
    match action {
        Action::Buy => landing
            .cta_url
            .clone()
            .or_else(|| campaign.destination_url.clone()),
        Action::Stores => landing.store_finder_url.clone(),
        Action::Join => landing
            .join_url
            .clone()
            .or_else(|| members.then(|| format!("{prefix}/c/{}/join", campaign.slug))),
        Action::Photos => landing
            .photo_sharing
            .0
            .then(|| format!("{prefix}/c/{}/photos", campaign.slug)),
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeMember(member): MaybeMember,
    asker: Asker,
) -> Result<Response, PageError> {
    let campaign = state
        .db
        .campaign_by_slug(&slug)
        .await
        .map_err(missing("campaign"))?;
    if !campaign.tracking.is_full() {
        return Ok(untracked_page(&state, &campaign, asker.language()));
    }
    let visiting = Visiting::of_campaign(&state, campaign, asker).await;
    state
        .events
        .record_soon(visiting.event(EventKind::View, None))
        .await;
    let rules = state.db.points_rules(visiting.campaign.id).await?;
    let points = match &rules {
        Some(rules) => points_box(&state, &visiting, rules, member.as_ref())
            .await?
            .map(Box::new),
        None => None,
    };
    let feedback = rateable(&state, &visiting).await?.map(|_| {
        (
            format!("{}/feedback{}", visiting.base(&state), visiting.code_only()),
            strings(visiting.choice.language).feedback.link,
        )
    });
    let page = campaign_page(
        &state,
        &visiting.campaign,
        visiting.choice.language,
        Links::Visit {
            code_query: visiting.code_only(),
            switch_query: format!(
                "{}lang={}",
                visiting.code_query(),
                visiting.choice.language.other().code()
            ),
            members: rules.is_some(),
            signed_in: member.is_some(),
            points,
            feedback,
        },
    );
    Ok(visiting.finish(&state, page))
}

/// The page of a campaign that does not track: nothing recorded, no cookie set (the
/// language switch stays in the link), only the brand's information links.
fn untracked_page(state: &AppState, campaign: &Campaign, language: Language) -> Response {
    let links = Links::Visit {
        code_query: String::new(),
        switch_query: format!("lang={}", language.other().code()),
        members: false,
        signed_in: false,
        points: None,
        feedback: None,
    };
    let mut response = campaign_page(state, campaign, language, links);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// Where the page's links go: a visit's own, or nowhere in a preview.
pub(super) enum Links {
    Visit {
        /// `?code=TOKEN` (or nothing) for the calls to action.
        code_query: String,
        /// The language switch's query.
        switch_query: String,
        /// The campaign has points rules: its Join leads to our join page.
        members: bool,
        /// The phone is signed in as a member: our join page is their member page.
        signed_in: bool,
        /// A unique code's points.
        points: Option<Box<PointsBox>>,
        /// The feedback page, for a buyer who may rate their purchase.
        feedback: Option<(String, &'static str)>,
    },
    /// The console's preview: the page as a phone shows it, its links inert (following one
    /// would count a click).
    Preview,
}

/// The campaign's page as a visitor in `language` sees it.
pub(super) fn campaign_page(
    state: &AppState,
    campaign: &Campaign,
    language: Language,
    mut links: Links,
) -> Response {
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
        (
            Action::Join,
            match links {
                Links::Visit {
                    members: true,
                    signed_in: true,
                    ..
                } if campaign.landing.join_url.is_none() => text.my_points.into(),
                _ => text.join.into(),
            },
        ),
    ];
    // A campaign that does not track offers nothing but what the brand must show.
    let tracks = campaign.tracking.is_full();
    let members = matches!(links, Links::Visit { members: true, .. });
    let mut actions: Vec<Link> = labels
        .into_iter()
        .filter(|(action, _)| tracks && action_url(campaign, *action, prefix, members).is_some())
        .map(|(action, label)| Link {
            label,
            href: match &links {
                Links::Visit { code_query, .. } => format!(
                    "{prefix}/c/{}/go/{}{code_query}",
                    campaign.slug,
                    action.as_str()
                ),
                Links::Preview => "#".into(),
            },
            primary: action == Action::Buy,
        })
        .collect();
    // Plain links: they lead straight on and count nothing.
    actions.extend(campaign.landing.info_links.0.iter().map(|link| Link {
        label: link.label.clone(),
        href: match &links {
            Links::Visit { .. } => link.url.clone(),
            Links::Preview => "#".into(),
        },
        primary: false,
    }));
    let hero = campaign.hero();
    let landing = &campaign.landing;
    let title = landing
        .landing_title
        .clone()
        .unwrap_or_else(|| campaign.name.clone());
    let hero = hero.map(|hero| HeroImage {
        src: format!("{prefix}/media/{}", hero.image),
        srcset: format!(
            "{prefix}/media/{} {}w, {prefix}/media/{} {}w",
            hero.small,
            small_width(&hero),
            hero.image,
            hero.width
        ),
        width: hero.width,
        height: hero.height,
        alt: landing.hero_alt.clone().unwrap_or_else(|| title.clone()),
    });
    render(
        StatusCode::OK,
        CampaignPage {
            lang: language.code(),
            points: match &mut links {
                Links::Visit { points, .. } => points.take().map(|p| *p),
                Links::Preview => None,
            },
            feedback: match &mut links {
                Links::Visit { feedback, .. } => feedback.take(),
                Links::Preview => None,
            },
            switch_query: match links {
                Links::Visit { switch_query, .. } => switch_query,
                Links::Preview => format!("lang={}", language.other().code()),
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
            fallback_url: campaign.fallback_url.clone(),
            continue_to_brand: text.continue_to_brand,
        },
    )
}

/// The width of a hero's phone size, which was fitted in a square of `HERO_SMALL`.
fn small_width(hero: &Hero) -> u32 {
    let side = |v: i64| u32::try_from(v).unwrap_or(0);
    fit(side(hero.width), side(hero.height), HERO_SMALL).0
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
    asker: Asker,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let action = Action::parse(&action).ok_or(AppError::NotFound("call to action"))?;
    let members =
        action == Action::Join && state.db.points_rules(visiting.campaign.id).await?.is_some();
    let target = action_url(
        &visiting.campaign,
        action,
        state.settings.path_prefix(),
        members,
    )
    .ok_or(AppError::NotFound("call to action"))?;
    let own_page = action == Action::Photos
        || (action == Action::Join && visiting.campaign.landing.join_url.is_none());
    let mut event = visiting.event(EventKind::Click, Some(action));
    let target = match (action, &visiting.code) {
        (Action::Buy, _) => {
            let click_id = visitor::new_id();
            let target = with_query(&target, &format!("sl_click={click_id}"));
            event.click_id = Some(click_id);
            target
        }
        // Our own page goes on knowing which code brought the visitor.
        (_, Some(code)) if own_page => with_query(&target, &format!("code={}", code.token)),
        _ => target,
    };
    state
        .events
        .record(event)
        .await
        .map_err(|_| AppError::Unavailable)?;
    let mut response = visiting.finish(&state, StatusCode::FOUND.into_response());
    let headers = response.headers_mut();
    // A redirect that stores a click must reach the server every time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(location) = HeaderValue::from_str(&target) {
        headers.insert(header::LOCATION, location);
    }
    Ok(response)
}
