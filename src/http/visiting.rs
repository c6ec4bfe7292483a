//! A visitor on a campaign's pages: who asks (address, agent, language, cookie), the
//! campaign, the code whose scan brought them (`?code=TOKEN`, added by the scan redirect
//! and handed on by every link of the pages), and the visit described as a scan describes
//! it. The landing page, its click links and the photo page all start from one, so they
//! know the same visitor as the scan, and their events count for the same code.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;

use super::AppState;
use super::error::AppError;
use super::landing_page::theme;
use super::pages::{LanguageChoice, PageError};
use super::strings::strings;
use crate::db::{Campaign, EventRow, now_ms};
use crate::domain::{Action, EventKind, Token};
use crate::scans::{RoutedCode, Visit, Visitor};

/// The parts of a request that say who asks.
pub(super) struct Asker {
    query: Option<String>,
    peer: SocketAddr,
    method: Method,
    headers: HeaderMap,
    choice: LanguageChoice,
}

impl FromRequestParts<AppState> for Asker {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("no peer address: {e}")))?;
        let Ok(choice) = LanguageChoice::from_request_parts(parts, state).await;
        Ok(Self {
            query: parts.uri.query().map(str::to_owned),
            peer,
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            choice,
        })
    }
}

pub(super) struct Visiting {
    pub campaign: Campaign,
    /// The code whose scan brought the visitor, if the visit names one of this campaign.
    pub code: Option<Arc<RoutedCode>>,
    pub visit: Visit,
    pub visitor: Visitor,
    pub choice: LanguageChoice,
    /// The experiment variant the visitor is shown, while the experiment runs and the
    /// visit counts for it; the campaign's landing content and destination are already
    /// the variant's.
    pub variant_id: Option<i64>,
    /// The variant a redirect rule chose (`?v=`), handed on by the page's links.
    forced_variant: Option<i64>,
    query: Option<String>,
}

/// What each of a campaign's own pages shows around its content: the campaign's title and
/// colours, the way back to its page, and the switch to the other language.
pub(super) struct PageHead {
    pub title: String,
    /// The brand's colours as CSS variables, when it set any.
    pub theme: Option<String>,
    pub other_code: &'static str,
    pub other_language: &'static str,
    pub switch_query: String,
    pub back_href: String,
}

impl Asker {
    pub fn language(&self) -> crate::domain::Language {
        self.choice.language
    }
}

impl Visiting {
    /// The visit of campaign `slug`; an unknown campaign is the not-found page, and so is
    /// one that does not track: nothing on its pages may know a visitor.
    pub async fn of(state: &AppState, slug: &str, asker: Asker) -> Result<Self, PageError> {
        let campaign = state
            .db
            .campaign_by_slug(slug)
            .await
            .map_err(super::error::missing("campaign"))?;
        if !campaign.tracking.is_full() {
            return Err(AppError::NotFound("page").into());
        }
        Ok(Self::of_campaign(state, campaign, asker).await)
    }

    /// The visit of `campaign`, which tracks.
    pub async fn of_campaign(state: &AppState, mut campaign: Campaign, asker: Asker) -> Self {
        let code = arriving_code(state, asker.query.as_deref(), &campaign).await;
        let visit = Visit::describe(
            &state.visit_context(),
            asker.peer.ip(),
            &asker.method,
            &asker.headers,
        );
        let visitor = Visitor::identify(&asker.headers, visit.is_bot);
        let person = visitor.id.as_deref().filter(|_| !visit.is_bot);
        let forced = query_value(asker.query.as_deref(), "v").and_then(|v| v.parse().ok());
        let (variant_id, forced_variant) = show_variant(state, &mut campaign, person, forced).await;
        Self {
            campaign,
            code,
            visit,
            visitor,
            choice: asker.choice,
            variant_id,
            forced_variant,
            query: asker.query,
        }
    }

    /// A value of the request's query, as sent (`near=31.23,121.47`).
    pub fn query_value(&self, name: &str) -> Option<&str> {
        query_value(self.query.as_deref(), name)
    }

    /// The event for what the visitor did now, with the code that brought them.
    pub fn event(&self, kind: EventKind, action: Option<Action>) -> EventRow {
        let code = self.code.as_deref();
        EventRow {
            occurred_at: now_ms(),
            kind: kind.as_str(),
            action: action.map(Action::as_str),
            campaign_id: self.campaign.id,
            channel_id: code.map(|c| c.channel_id),
            batch_id: code.map(|c| c.batch_id),
            store_id: code.and_then(|c| c.store_id),
            code_id: code.map(|c| c.code_id),
            visitor_id: self.visitor.id.clone(),
            is_bot: self.visit.is_bot,
            click_id: None,
            country: self.visit.location.country.clone(),
            city: self.visit.location.city.clone(),
            device: self.visit.device.class,
            variant_id: self.variant_id,
        }
    }

    /// `?code=TOKEN&` (or `?`): the start of a link's query that keeps the code (and the
    /// variant a redirect rule chose, `v=ID&`).
    pub fn code_query(&self) -> String {
        let mut query = String::from("?");
        if let Some(code) = &self.code {
            query.push_str(&format!("code={}&", code.token));
        }
        if let Some(variant) = self.forced_variant {
            query.push_str(&format!("v={variant}&"));
        }
        query
    }

    /// `code_query` for a link with nothing else in its query.
    pub fn code_only(&self) -> String {
        self.code_query().trim_end_matches(['&', '?']).to_owned()
    }

    pub fn head(&self, state: &AppState) -> PageHead {
        let language = self.choice.language;
        let landing = &self.campaign.landing;
        PageHead {
            title: landing
                .landing_title
                .clone()
                .unwrap_or_else(|| self.campaign.name.clone()),
            theme: theme(
                landing.brand_color.as_deref(),
                landing.background_color.as_deref(),
            ),
            other_code: language.other().code(),
            other_language: strings(language).other_language,
            switch_query: format!("{}lang={}", self.code_query(), language.other().code()),
            back_href: format!("{}{}", self.base(state), self.code_only()),
        }
    }

    /// The campaign's pages under the public URL's path: `/qr/c/tea`.
    pub fn base(&self, state: &AppState) -> String {
        format!("{}/c/{}", state.settings.path_prefix(), self.campaign.slug)
    }

    /// The answer, with the visitor's cookie when it is new, the language remembered after
    /// a switch, and no shared cache allowed to answer for it (each view is counted; the
    /// page differs by language, chosen from these headers).
    pub fn finish(&self, state: &AppState, mut response: Response) -> Response {
        self.choice.remember(&mut response);
        let headers = response.headers_mut();
        if let Some(cookie) = self.visitor.set_cookie(state.settings.secure_cookies) {
            headers.append(header::SET_COOKIE, cookie);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
        response
    }
}

/// Puts the content of the variant shown in place of the campaign's, if an experiment
/// routes it: the one a redirect rule chose (`forced`, while the experiment runs), else the
/// one `visitor_id` (`None`: a bot) is assigned. Returns the variant's id if the visit
/// counts for it, and the rule's choice if it stands.
async fn show_variant(
    state: &AppState,
    campaign: &mut Campaign,
    visitor_id: Option<&str>,
    forced: Option<i64>,
) -> (Option<i64>, Option<i64>) {
    let routing = match state.db.campaign_routing(campaign.id).await {
        Ok(Some(routing)) => routing,
        Ok(None) => return (None, None),
        Err(err) => {
            // The campaign's own page is a fair answer; the visit is not counted for a
            // variant it may not have seen.
            tracing::warn!(%err, campaign = campaign.id, "experiment routing unreadable");
            return (None, None);
        }
    };
    let chosen = forced
        .filter(|_| routing.winner.is_none())
        .and_then(|id| routing.variants.iter().find(|v| v.id == id));
    let (variant, counts) = match chosen {
        Some(variant) => (variant, false),
        None => match routing.shown(visitor_id) {
            Some(shown) => (shown.variant, shown.counts),
            None => return (None, None),
        },
    };
    if let Some(url) = &variant.destination_url {
        campaign.destination_url = Some(url.clone());
    }
    if let Some(landing) = &variant.landing {
        let content = &mut campaign.landing;
        let put = |field: &mut Option<String>, value: &Option<String>| {
            if value.is_some() {
                field.clone_from(value);
            }
        };
        put(&mut content.landing_title, &landing.title);
        put(&mut content.landing_body, &landing.body);
        put(&mut content.cta_label, &landing.cta_label);
        put(&mut content.cta_url, &landing.cta_url);
        put(&mut content.brand_color, &landing.brand_color);
    }
    (counts.then_some(variant.id), chosen.map(|v| v.id))
}

fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The code a visit came with, if it names a code of this campaign. A link shared onwards
/// keeps it: the code still brought them.
async fn arriving_code(
    state: &AppState,
    query: Option<&str>,
    campaign: &Campaign,
) -> Option<Arc<RoutedCode>> {
    let token = Token::parse(query_value(query, "code")?)?;
    let code = state.codes.get(token.as_str()).await.ok().flatten()?;
    (code.campaign_id == campaign.id).then_some(code)
}
