//! `/store`: a store manager's dashboard. Scans at their stores over the last 7 days
//! against the 7 before, purchases at their tills, each campaign's numbers within their
//! stores (the reports' own, narrowed by the retailer's scope) with the campaign's scans
//! in their city, their rank among the brand's stores (a position, never another store's
//! name or numbers), a CSV of it, and a form to record a till purchase.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Query, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;

use super::AppState;
use super::api::report_format::{Format, answer};
use super::api::reports::{ReportQuery, channel_report, prepare};
use super::api::{ReportConversion, record_conversion_in};
use super::console::words::Words;
use super::console::{KEPT_NOTE, kept, remember_language, signed_in_form};
use super::error::AppError;
use super::pages::LanguageChoice;
use super::pages::PageError;
use super::report_page::charts::{self, Point};
use super::report_page::numbers::{count, money, percent};
use super::report_page::render;
use super::session::{SignedIn, same_secret};
use crate::db::{Detail, Page, ReportFilter, ReportRange, Scope, Store, now_ms};
use crate::domain::time::to_rfc3339;
use crate::domain::{Language, Role};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How a purchase recorded with the form is named as its source.
const FORM_SOURCE: &str = "store-form";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/store", get(dashboard))
        .route("/store/report.csv", get(csv))
        .route("/store/purchases", get(back_to_form).post(record_purchase))
        .layer(axum::middleware::from_fn(remember_language))
        .layer(CompressionLayer::new())
}

/// A signed-in retailer. Anyone else is sent to the brand's reports.
struct Manager {
    signed_in: SignedIn,
    stores: Vec<Store>,
    language: Language,
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.caller.role != Role::Retailer {
            return Err(Redirect::to("/reports").into_response());
        }
        let all = Page {
            after: 0,
            limit: 500,
        };
        let stores = state
            .db
            .stores(all, &signed_in.caller.scope())
            .await
            .map_err(|err| PageError(err.into()).into_response())?;
        let Ok(choice) = LanguageChoice::from_request_parts(parts, state).await;
        Ok(Self {
            signed_in,
            stores,
            language: choice.language,
        })
    }
}

impl Manager {
    fn scope(&self) -> Scope {
        self.signed_in.caller.scope()
    }

    fn words(&self) -> Words {
        Words {
            language: self.language,
        }
    }
}

/// The last 7 days to the end of this hour, and the 7 before.
#[derive(Clone, Copy)]
struct Weeks {
    end: i64,
}

impl Weeks {
    fn now() -> Self {
        let now = now_ms();
        Self {
            end: now - now.rem_euclid(HOUR_MS) + HOUR_MS,
        }
    }

    fn this(self) -> (i64, i64) {
        (self.end - 7 * DAY_MS, self.end)
    }

    fn before(self) -> (i64, i64) {
        (self.end - 14 * DAY_MS, self.end - 7 * DAY_MS)
    }
}

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage {
    t: Words,
    email: String,
    csrf: String,
    range: String,
    cards: Vec<Card>,
    stores: Vec<StoreLine>,
    chart_svg: String,
    campaigns: Vec<CampaignLine>,
    purchases: Vec<PurchaseLine>,
    form: PurchaseForm,
    note: Option<String>,
}

struct Card {
    label: &'static str,
    value: String,
    detail: String,
}

/// One of the manager's stores over the week.
#[derive(Serialize)]
struct StoreLine {
    store_code: String,
    store: String,
    city: String,
    scans_7d: i64,
    scans_previous_7d: i64,
    till_purchases_7d: i64,
    /// Net of refunds, per currency: `12.50 CNY`.
    till_revenue: String,
    /// The store's position by scans among the brand's stores with scans this week.
    rank: Option<usize>,
    stores_ranked: usize,
}

impl StoreLine {
    fn trend(&self, t: &Words) -> String {
        trend(t, self.scans_7d, self.scans_previous_7d)
    }

    fn rank_text(&self, t: &Words) -> String {
        match self.rank {
            Some(rank) => t
                .tr("#{rank} of {stores}")
                .replace("{rank}", &rank.to_string())
                .replace("{stores}", &self.stores_ranked.to_string()),
            None => t.tr("no scans yet").to_owned(),
        }
    }
}

struct CampaignLine {
    name: String,
    scans: String,
    conversions: String,
    rate: String,
    revenue: String,
    /// The campaign's scans (every code of the brand) in the stores' cities.
    in_city: String,
}

struct PurchaseLine {
    at: String,
    store_code: String,
    order_id: String,
    amount: String,
}

/// The purchase form as typed, and what is wrong with it.
#[derive(Default, Deserialize)]
struct PurchaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    store_code: String,
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    items: String,
    #[serde(skip)]
    errors: BTreeMap<&'static str, String>,
    #[serde(skip)]
    store_codes: Vec<(String, String)>,
}

impl PurchaseForm {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Deserialize)]
struct DashboardQuery {
    recorded: Option<i64>,
}

async fn dashboard(
    manager: Manager,
    State(state): State<AppState>,
    Query(query): Query<DashboardQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    // A purchase typed before the session ended comes back through the sign-in page.
    if let Some(form) = kept::<PurchaseForm>(raw.as_deref()) {
        let note = Some(manager.words().tr(KEPT_NOTE).to_owned());
        return page(&state, &manager, form, note, StatusCode::OK).await;
    }
    let note = query.recorded.map(|id| {
        manager
            .words()
            .tr("Purchase {} recorded. It counts in the numbers below.")
            .replace("{}", &id.to_string())
    });
    let form = PurchaseForm {
        currency: "CNY".into(),
        ..PurchaseForm::default()
    };
    page(&state, &manager, form, note, StatusCode::OK).await
}

/// The form's own address opened (the sign-in page comes back here): the dashboard, with
/// what was typed.
async fn back_to_form(RawQuery(raw): RawQuery) -> Redirect {
    match raw {
        Some(query) => Redirect::to(&format!("/store?{query}")),
        None => Redirect::to("/store"),
    }
}

/// The dashboard with `form` as typed (and its errors), answered with `status`.
async fn page(
    state: &AppState,
    manager: &Manager,
    mut form: PurchaseForm,
    note: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let weeks = Weeks::now();
    let stores = store_lines(state, manager, weeks).await?;
    let scope = manager.scope();
    let (from, _) = weeks.before();
    let (scans_now, scans_before) = stores.iter().fold((0, 0), |(a, b), s| {
        (a + s.scans_7d, b + s.scans_previous_7d)
    });
    let purchases_now: i64 = stores.iter().map(|s| s.till_purchases_7d).sum();

    // Scans at the stores and purchases at their tills per day, for two weeks.
    let hours = state
        .db
        .store_scans_by_hour(&scope, from, weeks.end)
        .await?;
    let tills = state
        .db
        .till_purchases_by_bucket(&scope, from, weeks.end, DAY_MS)
        .await?;
    let points: Vec<Point> = (0..14)
        .map(|day| {
            let start = from + day * DAY_MS;
            let scans = hours
                .iter()
                .filter(|((_, hour), _)| (start..start + DAY_MS).contains(hour))
                .map(|(_, n)| n)
                .sum();
            Point {
                label: to_rfc3339(start + DAY_MS - HOUR_MS)[5..10].to_owned(),
                scans,
                conversions: tills.get(&day).copied().unwrap_or(0) as f64,
            }
        })
        .collect();

    let campaigns = campaign_lines(state, manager, weeks).await?;
    let purchases = state
        .db
        .latest_conversions(&scope, 8)
        .await?
        .into_iter()
        .map(|c| PurchaseLine {
            at: to_rfc3339(c.occurred_at)[..16].replace('T', " "),
            store_code: c.key_value,
            order_id: c.order_id,
            amount: money(c.amount_cents - c.refunded_cents, &c.currency),
        })
        .collect();
    let t = manager.words();
    let cards = vec![
        Card {
            label: t.tr("Scans, 7 days"),
            value: count(scans_now as f64),
            detail: match scans_before {
                0 => t.tr("none in the 7 days before").to_owned(),
                _ => t
                    .tr("{} against the 7 days before")
                    .replace("{}", &trend(&t, scans_now, scans_before)),
            },
        },
        Card {
            label: t.tr("Till purchases, 7 days"),
            value: count(purchases_now as f64),
            detail: stores
                .iter()
                .map(|s| s.till_revenue.clone())
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        },
        Card {
            label: t.tr("Purchases per scan"),
            value: if scans_now > 0 {
                percent(purchases_now as f64 / scans_now as f64)
            } else {
                "–".into()
            },
            detail: t.tr("till purchases over scans in your stores").into(),
        },
        Card {
            label: t.tr("Rank by scans"),
            value: stores
                .iter()
                .filter_map(|s| s.rank)
                .min()
                .map_or("–".into(), |r| format!("#{r}")),
            detail: t.tr("among the brand's {} stores with scans").replace(
                "{}",
                &stores.first().map_or(0, |s| s.stores_ranked).to_string(),
            ),
        },
    ];
    form.store_codes = manager
        .stores
        .iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let page = StorePage {
        email: manager.signed_in.email.clone(),
        csrf: manager.signed_in.csrf.clone(),
        range: t
            .tr("{from} to {to} UTC")
            .replace(
                "{from}",
                &to_rfc3339(weeks.this().0)[..16].replace('T', " "),
            )
            .replace("{to}", &to_rfc3339(weeks.end)[..16].replace('T', " ")),
        cards,
        stores,
        chart_svg: charts::over_time(&points, &t),
        campaigns,
        purchases,
        form,
        note,
        t,
    };
    render(status, &page)
}

/// Each of the manager's stores: scans this week and last, till sales, and rank.
async fn store_lines(
    state: &AppState,
    manager: &Manager,
    weeks: Weeks,
) -> Result<Vec<StoreLine>, AppError> {
    let scope = manager.scope();
    let (from, to) = weeks.this();
    // Every store's scans, for the rank alone: no other store's figure leaves here.
    let mut everyone: BTreeMap<i64, i64> = BTreeMap::new();
    for ((store, _), scans) in state.db.store_scans_by_hour(&Scope::All, from, to).await? {
        *everyone.entry(store).or_default() += scans;
    }
    let ranked: Vec<i64> = everyone.values().copied().filter(|&n| n > 0).collect();
    let (before_from, before_to) = weeks.before();
    let mut before: BTreeMap<i64, i64> = BTreeMap::new();
    for ((store, _), scans) in state
        .db
        .store_scans_by_hour(&scope, before_from, before_to)
        .await?
    {
        *before.entry(store).or_default() += scans;
    }
    let sales = state.db.till_sales(&scope, from, to).await?;
    Ok(manager
        .stores
        .iter()
        .map(|store| {
            let scans = everyone.get(&store.id).copied().unwrap_or(0);
            let mine: Vec<_> = sales
                .iter()
                .filter(|s| s.store_code == store.code)
                .collect();
            StoreLine {
                store_code: store.code.clone(),
                store: store.name.clone(),
                city: store.city.clone().unwrap_or_default(),
                scans_7d: scans,
                scans_previous_7d: before.get(&store.id).copied().unwrap_or(0),
                till_purchases_7d: mine.iter().map(|s| s.purchases).sum(),
                till_revenue: mine
                    .iter()
                    .map(|s| money(s.revenue_cents, &s.currency))
                    .collect::<Vec<_>>()
                    .join(", "),
                rank: (scans > 0).then(|| 1 + ranked.iter().filter(|&&n| n > scans).count()),
                stores_ranked: ranked.len(),
            }
        })
        .collect())
}

/// Each campaign with a batch in the manager's stores, as its reports read within them,
/// with the campaign's scans in the stores' cities.
async fn campaign_lines(
    state: &AppState,
    manager: &Manager,
    weeks: Weeks,
) -> Result<Vec<CampaignLine>, AppError> {
    let scope = manager.scope();
    let (from, to) = weeks.this();
    let cities: HashSet<String> = manager
        .stores
        .iter()
        .filter_map(|s| s.city.as_deref())
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let mut lines = Vec::new();
    for campaign_id in state.db.campaigns_in_stores(&scope).await? {
        let query = ReportQuery::between(campaign_id, to_rfc3339(from), to_rfc3339(to));
        let prepared = prepare(state, &query, &scope, Detail::Channels).await?;
        let report = channel_report(state, &prepared).await?;
        let total = &report.total;
        let range = ReportRange { from, to };
        let places = state
            .db
            .place_counts(campaign_id, range, 3, &ReportFilter::default())
            .await?;
        let in_city: i64 = places
            .iter()
            .filter(|(place, _)| cities.contains(&place.city.to_lowercase()))
            .map(|(_, counts)| counts.scans)
            .sum();
        let currency = &report.currency;
        lines.push(CampaignLine {
            name: prepared.campaign.name.clone(),
            scans: count(total.scans as f64),
            conversions: count(total.conversions),
            rate: if total.scans > 0 {
                percent(total.conversions / total.scans as f64)
            } else {
                "–".into()
            },
            revenue: money(total.revenue_cents, currency),
            in_city: if cities.is_empty() {
                "–".into()
            } else {
                count(in_city as f64)
            },
        });
    }
    Ok(lines)
}

/// `+25%`, `-10%`, or `new` when there was nothing before.
fn trend(t: &Words, now: i64, before: i64) -> String {
    match (now, before) {
        (0, 0) => t.tr("no change").into(),
        (_, 0) => t.tr("new").into(),
        _ => {
            let change = (now - before) as f64 / before as f64;
            let sign = if change > 0.0 { "+" } else { "" };
            format!("{sign}{}", percent(change))
        }
    }
}

/// The dashboard's stores as CSV.
async fn csv(manager: Manager, State(state): State<AppState>) -> Result<Response, PageError> {
    let stores = store_lines(&state, &manager, Weeks::now()).await?;
    Ok(answer(Format::Csv, &(), &stores, "store-week").await?)
}

/// Records a purchase at one of the manager's stores, then shows the dashboard again: the
/// purchase in it, or the form as typed with what to fix next to the field.
async fn record_purchase(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, PageError> {
    let (mut parts, body) = match signed_in_form(request, &state).await {
        Ok(sent) => sent,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let manager = match Manager::from_request_parts(&mut parts, &state).await {
        Ok(manager) => manager,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let request = Request::from_parts(parts, Body::from(body));
    let Form(mut form) = Form::<PurchaseForm>::from_request(request, &state)
        .await
        .map_err(|err| AppError::BadRequest(err.body_text()))?;
    if !same_secret(&form.csrf, &manager.signed_in.csrf) {
        // Nothing is recorded; the form comes back as typed with the session's token.
        form.errors.insert(
            "order_id",
            manager
                .words()
                .tr("This form had expired (or came from another page): check it and send it again.")
                .into(),
        );
        return page(&state, &manager, form, None, StatusCode::FORBIDDEN).await;
    }
    let amount_cents = match parse_amount(&form.amount) {
        Ok(cents) => cents,
        Err(_) => {
            let message = manager
                .words()
                .tr("{} is not an amount: write it as 12.50")
                .replace("{}", &format!("{:?}", form.amount.trim()));
            form.errors.insert("amount", message);
            0
        }
    };
    let items = match form.items.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let message = manager.words().tr("a whole number of items, such as 2");
                form.errors.insert("items", message.into());
                None
            }
        },
    };
    if form.errors.is_empty() {
        let report = ReportConversion::at_till(
            FORM_SOURCE,
            form.order_id.clone(),
            amount_cents,
            form.currency.clone(),
            items,
            form.store_code.clone(),
        );
        let recorded = match report.validate(now_ms(), None) {
            Ok(new) => record_conversion_in(&state, new, &manager.scope()).await,
            Err(err) => Err(err),
        };
        match recorded {
            Ok((_, view)) => {
                return Ok(Redirect::to(&format!("/store?recorded={}", view.id())).into_response());
            }
            Err(AppError::Validation { field, message }) => {
                form.errors.insert(form_field(&field), message);
            }
            Err(AppError::Conflict(message)) => {
                form.errors.insert("order_id", message);
            }
            Err(err) => return Err(err.into()),
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    page(&state, &manager, form, None, status).await
}

/// The form's field for an API field's error.
fn form_field(api_field: &str) -> &'static str {
    match api_field {
        "order_id" => "order_id",
        "amount_cents" => "amount",
        "currency" => "currency",
        "items" => "items",
        _ => "store_code",
    }
}

/// `12`, `12.5` or `12.50` (a `,` for the decimal point too) as cents.
pub(super) fn parse_amount(raw: &str) -> Result<i64, String> {
    let bad = || format!("{raw:?} is not an amount: write it as 12.50");
    let raw = raw.trim().replace(',', ".");
    let (whole, fraction) = raw.split_once('.').unwrap_or((&raw, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    Ok(whole * 100 + cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        assert_eq!(parse_amount("12"), Ok(1200));
        assert_eq!(parse_amount(" 12.5 "), Ok(1250));
        assert_eq!(parse_amount("12,05"), Ok(1205));
        assert_eq!(parse_amount("0.99"), Ok(99));
        for bad in ["", "-1", "1.234", "abc", ".5", "1e3", "1 000"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_trend_is_a_change_against_the_week_before() {
        let t = Words {
            language: Language::English,
        };
        assert_eq!(trend(&t, 12, 10), "+20%");
        assert_eq!(trend(&t, 5, 10), "-50%");
        assert_eq!(trend(&t, 3, 0), "new");
        assert_eq!(trend(&t, 0, 0), "no change");
        let t = Words {
            language: Language::Chinese,
        };
        assert_eq!(trend(&t, 3, 0), "新增");
    }
}
