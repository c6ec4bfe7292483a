//! A GS1 conformant resolver for the Digital Link URIs of trade items,
//! `/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]`.
//!
//! A path that names one of our codes (the serial is a unique batch's token, or GTIN and
//! lot name a shared batch) is scanned like `/s/{token}`: recorded, then a 307 to where the
//! code's campaign sends it. Any other path of a known product falls back to the product's
//! links. Linksets (RFC 9264) answer `?linkType=linkset`, `?linkType=all` and
//! `Accept: application/linkset+json`; every answer carries a `Link` header to the linkset.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::AppError;
use super::pages::PageError;
use super::redirect::{Query, record_and_redirect, target, with_query};
use crate::db::{Product, ProductLink};
use crate::domain::hreflang::{accepted_languages, best_fit};
use crate::domain::{DigitalLink, LinkType, Token, link_type};
use crate::scans::RoutedCode;

const LINKSET: &str = "application/linkset+json";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/01/{*qualifiers}", get(resolve).options(preflight))
        .route(
            "/.well-known/gs1resolver",
            get(description).options(preflight),
        )
        .layer(middleware::from_fn(cors))
}

/// What the request asks for.
enum Wanted {
    Linkset,
    Link(LinkType),
}

/// What the path names: one of our codes (exactly), and the product of its GTIN.
struct Found {
    code: Option<Arc<RoutedCode>>,
    product: Option<Product>,
}

async fn resolve(
    State(state): State<AppState>,
    method: Method,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let rest = uri.path().strip_prefix("/01/").unwrap_or_default();
    let item = match DigitalLink::parse_after_primary_key(rest) {
        Ok(item) => item,
        Err(reason) => return failure(&headers, AppError::BadRequest(reason)),
    };
    let anchor = state.settings.absolute(&item.path());
    let mut response =
        match answer(&state, &item, &anchor, uri.query(), &method, peer, &headers).await {
            Ok(response) => response,
            Err(err) => failure(&headers, err),
        };
    let link = format!("<{anchor}?linkType=linkset>; rel=\"linkset\"; type=\"{LINKSET}\"");
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    response
}

async fn answer(
    state: &AppState,
    item: &DigitalLink,
    anchor: &str,
    query: Option<&str>,
    method: &Method,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let (link_type, passed_on) = split_query(query);
    let wanted = match link_type.as_deref() {
        Some("linkset" | "all") => Wanted::Linkset,
        Some(raw) => Wanted::Link(LinkType::parse(raw).map_err(AppError::BadRequest)?),
        None if accepts_linkset(headers) => Wanted::Linkset,
        None => Wanted::Link(LinkType::default_link()),
    };
    let code = our_code(state, item).await?;
    // A scan of one of our codes needs nothing else: no product lookup on that path.
    if let (Wanted::Link(wanted), Some(code)) = (&wanted, &code)
        && wanted.is_default_link()
    {
        return record_and_redirect(
            state,
            code,
            peer,
            method,
            headers,
            StatusCode::TEMPORARY_REDIRECT,
            Query {
                rules_read: &passed_on,
                passed_on: &passed_on,
            },
        )
        .await;
    }
    let product = state
        .db
        .product_by_gtin(item.gtin.as_str())
        .await
        .map_err(unavailable)?;
    if code.is_none() && product.is_none() {
        return Err(AppError::NotFound(
            "product with this GTIN (register it with POST /api/v1/products)",
        ));
    }
    let found = Found { code, product };
    let wanted = match wanted {
        Wanted::Linkset => return Ok(linkset_response(&links(state, &found), anchor)),
        Wanted::Link(wanted) => wanted,
    };
    let all = links(state, &found);
    let of_type: Vec<&Link> = all.iter().filter(|l| l.link_type == wanted).collect();
    if of_type.is_empty() {
        return Err(AppError::NotFound("link of this type for the product"));
    }
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(accepted_languages)
        .unwrap_or_default();
    match best_fit(&of_type, |l| l.hreflang.as_deref(), &accepted).as_slice() {
        [one] => Ok(redirect(&one.href, &passed_on)),
        several => {
            let several: Vec<Link> = several.iter().map(|l| (*l).clone()).collect();
            let mut response = linkset_response(&several, anchor);
            *response.status_mut() = StatusCode::MULTIPLE_CHOICES;
            Ok(response)
        }
    }
}

/// The code of ours the path names exactly: a unique batch's serial (its token) of this
/// GTIN, and lot when the path gives one; or a shared batch's GTIN and lot.
async fn our_code(
    state: &AppState,
    item: &DigitalLink,
) -> Result<Option<Arc<RoutedCode>>, AppError> {
    let gtin = item.gtin.as_str();
    let token = match (&item.cpv, &item.serial) {
        (Some(_), _) => None,
        (None, Some(serial)) => Token::parse(serial).map(|t| t.as_str().to_owned()),
        (None, None) => state
            .db
            .shared_digital_link_token(gtin, item.lot.as_deref())
            .await
            .map_err(unavailable)?,
    };
    let code = match token {
        Some(token) => state.codes.get(&token).await.map_err(unavailable)?,
        None => None,
    };
    Ok(code
        .filter(|c| c.gtin.as_deref() == Some(gtin) && (item.lot.is_none() || c.lot == item.lot)))
}

fn unavailable(err: crate::db::DbError) -> AppError {
    tracing::error!(%err, "digital link lookup failed");
    AppError::Unavailable
}

/// A link as a linkset shows it.
#[derive(Clone)]
struct Link {
    link_type: LinkType,
    href: String,
    title: String,
    hreflang: Option<String>,
    media_type: Option<String>,
}

impl Link {
    fn of_product(link: &ProductLink, is_default: bool) -> Option<Self> {
        let link_type = if is_default {
            LinkType::default_link()
        } else {
            LinkType::parse(&link.link_type).ok()?
        };
        Some(Self {
            link_type,
            href: link.href.clone(),
            title: link.title.clone(),
            hreflang: link.hreflang.clone(),
            media_type: link.media_type.clone(),
        })
    }
}

/// Every link of what was found: the default link first (the code's campaign for one of
/// our codes, else the product's), then the product's links by type.
fn links(state: &AppState, found: &Found) -> Vec<Link> {
    let mut links = Vec::new();
    let product_links = found.product.as_ref().map_or(&[][..], |p| &p.links[..]);
    match &found.code {
        Some(code) => {
            let goes_to = target(
                code.outcome(crate::db::now_ms()),
                code,
                state.settings.path_prefix(),
            );
            let href = if goes_to.starts_with('/') {
                state
                    .settings
                    .absolute(&goes_to[state.settings.path_prefix().len()..])
            } else {
                goes_to.into_owned()
            };
            let title = found
                .product
                .as_ref()
                .map_or_else(|| code.campaign_slug.clone(), |p| p.name.clone());
            links.push(Link {
                link_type: LinkType::default_link(),
                href,
                title,
                hreflang: None,
                media_type: Some("text/html".into()),
            });
        }
        None => links.extend(
            product_links
                .iter()
                .filter(|l| l.default)
                .filter_map(|l| Link::of_product(l, true)),
        ),
    }
    // A default link is also listed under its own type (`gs1:pip`, say).
    links.extend(
        product_links
            .iter()
            .filter_map(|l| Link::of_product(l, false)),
    );
    links
}

fn linkset_response(links: &[Link], anchor: &str) -> Response {
    let mut context = Map::new();
    context.insert("anchor".into(), Value::String(anchor.to_owned()));
    for link in links {
        let mut target = Map::new();
        target.insert("href".into(), Value::String(link.href.clone()));
        target.insert("title".into(), Value::String(link.title.clone()));
        if let Some(lang) = &link.hreflang {
            target.insert("hreflang".into(), json!([lang]));
        }
        if let Some(media_type) = &link.media_type {
            target.insert("type".into(), Value::String(media_type.clone()));
        }
        let relation = context
            .entry(link.link_type.uri())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(targets) = relation {
            targets.push(Value::Object(target));
        }
    }
    let body = json!({ "linkset": [context] }).to_string();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, LINKSET),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn redirect(href: &str, query: &str) -> Response {
    let location = if query.is_empty() {
        href.to_owned()
    } else {
        with_query(href, query)
    };
    let mut response = (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::CACHE_CONTROL, "no-store")],
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `linkType` (decoded) apart from the rest of the query, which is passed on as it came.
fn split_query(query: Option<&str>) -> (Option<String>, String) {
    let mut link_type = None;
    let mut rest = Vec::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "linkType" {
            let decoded = url::form_urlencoded::parse(format!("v={value}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned());
            link_type = decoded;
        } else {
            rest.push(pair);
        }
    }
    (link_type, rest.join("&"))
}

fn accepts_linkset(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(LINKSET))
}

/// A browser gets the friendly page; an application gets the reason as JSON.
fn failure(headers: &HeaderMap, err: AppError) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        PageError(err).into_response()
    } else {
        err.into_response()
    }
}

/// `/.well-known/gs1resolver`: what this resolver supports, for GS1's tools.
async fn description(State(state): State<AppState>) -> Response {
    let body = json!({
        "name": "scanloop",
        "resolverRoot": state.settings.public_url,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{
            "namespace": link_type::VOCABULARY,
            "prefix": "gs1:",
            "profile": "https://gs1.org/voc/?show=linktypes",
        }],
        "linkTypeDefaultCanBeLinkset": true,
        "linkTypeDefaultCanBeAll": true,
    });
    ([(header::CACHE_CONTROL, "max-age=3600")], axum::Json(body)).into_response()
}

/// A CORS preflight, or a plain OPTIONS: what may be asked of these paths.
async fn preflight(headers: HeaderMap) -> Response {
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("Accept, Accept-Language"));
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, asked),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            ),
        ],
    )
        .into_response()
}

/// Every answer of the resolver may be read by a page on any origin.
async fn cors(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Link, Location"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::split_query;

    #[test]
    fn link_type_is_taken_out_of_the_query_and_the_rest_passed_on() {
        assert_eq!(split_query(None), (None, String::new()));
        assert_eq!(
            split_query(Some("linkType=gs1%3Apip&17=261231&utm_source=box")),
            (Some("gs1:pip".into()), "17=261231&utm_source=box".into())
        );
        assert_eq!(split_query(Some("a=1")), (None, "a=1".into()));
    }
}
