//! Batch pages: a new batch of a campaign, one batch with its generation progress and
//! print files, and switching its codes on and off.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::campaigns::batch_status;
use super::form::{EditPage, Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, form_status, refused, restore, words};
use crate::db::{Batch, Campaign, Page, Scope, StatusTarget};
use crate::domain::time::to_rfc3339;
use crate::domain::{Language, Status};
use crate::http::AppState;
use crate::http::api::batches::{CreateBatch, generate};
use crate::http::api::{exports, sheets};
use crate::http::error::{AppError, missing};
use crate::http::extract::{Path, Query};
use crate::http::pages::PageError;
use crate::http::report_page::numbers::{count, money};
use crate::http::report_page::{Viewer, render};
use crate::http::store_page::parse_amount;

/// A new batch's fields, as the form sends them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BatchForm {
    name: String,
    channel_id: String,
    store_id: String,
    mode: String,
    quantity: String,
    cost: String,
    gtin: String,
    lot: String,
}

const FIELDS: [&str; 8] = [
    "name",
    "channel_id",
    "store_id",
    "mode",
    "quantity",
    "cost",
    "gtin",
    "lot",
];

/// The channels and stores a batch may name (those not disabled), for the form's lists.
async fn choices(
    state: &AppState,
    language: Language,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), PageError> {
    let all = Page {
        after: 0,
        limit: 500,
    };
    let channels = state
        .db
        .channels(all)
        .await?
        .into_iter()
        .filter(|c| c.status == Status::Active)
        .map(|c| {
            let kind = super::words::tr(language, c.kind.as_str());
            (c.id.to_string(), format!("{} ({kind})", c.name))
        })
        .collect();
    let none = super::words::tr(language, "No store (posters, packaging, ads)");
    let mut stores = vec![(String::new(), none.to_owned())];
    stores.extend(
        state
            .db
            .stores(all, &Scope::All)
            .await?
            .into_iter()
            .filter(|s| s.status == Status::Active)
            .map(|s| (s.id.to_string(), format!("{} ({})", s.name, s.code))),
    );
    Ok((channels, stores))
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
    form: &BatchForm,
    errors: &Errors,
) -> Result<EditPage, PageError> {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let (channels, stores) = choices(state, viewer.language).await?;
    let modes = vec![
        (
            "unique".to_owned(),
            t("One code per item (bottles, boxes)").to_owned(),
        ),
        (
            "shared".to_owned(),
            t("One shared code (a poster, a display, an ad)").to_owned(),
        ),
    ];
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name)
            .required()
            .hint(t("Such as “Bottles, May run” or “Metro posters, line 2”.")),
        Field::new("channel_id", t("Channel"), Kind::Select(channels), &form.channel_id)
            .hint(t("Where the codes are seen; reports compare channels. Add channels on the Channels page.")),
        Field::new("store_id", t("Store"), Kind::Select(stores), &form.store_id)
            .hint(t("For displays and shelf codes in one store: its manager sees their scans.")),
        Field::new("mode", t("Codes"), Kind::Select(modes), &form.mode),
        Field::new("quantity", t("Items printed"), Kind::Number, &form.quantity)
            .max(9)
            .hint(t("Needed for one code per item, up to 10,000,000. Large runs are made in the background.")),
        Field::new("cost", t("Print cost"), Kind::Number, &form.cost)
            .max(16)
            .hint(t("In the campaign's currency, such as 1200.00; counted as spend in reports.")),
        Field::new("gtin", t("GTIN"), Kind::Number, &form.gtin)
            .max(14)
            .hint(t("The product's barcode number: codes then print as GS1 Digital Links.")),
        Field::new("lot", t("Lot"), Kind::Text, &form.lot).max(20),
    ];
    Ok(EditPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        title: t("New batch of {}").replace("{}", &c.name),
        back: format!("/console/campaigns/{}", c.id),
        intro: t(
            "A batch is one print run. Its codes can be downloaded as a CSV, images or label sheets once made.",
        ),
        form: FormView::new(
            format!("/console/campaigns/{}/batches/new", c.id),
            t("Create batch"),
            fields,
            errors,
        ),
        switch: None,
    })
}

pub(super) async fn new_form(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let (restored, note) = restore::<BatchForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| BatchForm {
        mode: "unique".into(),
        ..BatchForm::default()
    });
    let mut page = new_page(&state, &viewer, &c, &form, &Errors::default()).await?;
    page.form.note = note;
    render(StatusCode::OK, &page)
}

/// A number typed in a form: empty is absent; anything else must be a whole number.
pub(super) fn whole(errors: &mut Errors, field: &'static str, raw: &str) -> Option<i64> {
    let raw = raw.trim().replace([',', ' ', '_'], "");
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, format!("{raw:?} is not a whole number"));
            None
        }
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<BatchForm>,
) -> Result<Response, PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let mut errors = Errors::default();
    let channel_id = whole(&mut errors, "channel_id", &form.channel_id);
    if channel_id.is_none() && errors.get("channel_id").is_none() {
        errors.add(
            "channel_id",
            "choose a channel (add one on the Channels page first)",
        );
    }
    let store_id = whole(&mut errors, "store_id", &form.store_id);
    let quantity = whole(&mut errors, "quantity", &form.quantity);
    let cost_cents = match optional(&form.cost) {
        None => None,
        Some(raw) => match parse_amount(&raw) {
            Ok(cents) => Some(cents),
            Err(message) => {
                errors.add("cost", message);
                None
            }
        },
    };
    if errors.is_empty() {
        let body = CreateBatch {
            campaign_id: id,
            channel_id: channel_id.unwrap_or_default(),
            store_id,
            name: form.name.clone(),
            mode: form.mode.clone(),
            quantity,
            cost_cents,
            gtin: optional(&form.gtin),
            lot: optional(&form.lot),
        };
        let made = match body.validate(&state).await {
            Ok(new) => generate(&state, new).await,
            Err(err) => Err(err),
        };
        match made {
            Ok(created) => {
                let batch = match created {
                    crate::jobs::batch_generation::Created::Ready(b)
                    | crate::jobs::batch_generation::Created::Queued(b) => b,
                };
                tracing::info!(
                    user = viewer.caller.user_id,
                    batch = batch.id,
                    "batch created"
                );
                return Ok(
                    Redirect::to(&format!("/console/batches/{}?saved=created", batch.id))
                        .into_response(),
                );
            }
            Err(AppError::Validation { field, message }) => {
                let field = if field == "cost_cents" {
                    "cost".to_owned()
                } else {
                    field
                };
                errors.place(AppError::Validation { field, message }, &FIELDS)?;
            }
            Err(AppError::RateLimited(message)) => errors.add("quantity", message),
            Err(err) => return Err(err.into()),
        }
    }
    let page = new_page(&state, &viewer, &c, &form, &errors).await?;
    render(form_status(false), &page)
}

#[derive(Template)]
#[template(path = "console_batch.html")]
struct ShowPage {
    nav: Nav,
    note: Option<&'static str>,
    b: Batch,
    campaign: Campaign,
    channel: String,
    store: Option<String>,
    status: &'static str,
    percent: i64,
    generated: String,
    total: String,
    cost: String,
    notices: Vec<NoticeRow>,
}

/// A standing recall notice as the batch page lists it.
struct NoticeRow {
    id: i64,
    serials: String,
    title: String,
    put_up: String,
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    saved: Option<String>,
}

pub(super) async fn show(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let b = state.db.batch(id).await.map_err(missing("batch"))?;
    let campaign = state.db.campaign(b.campaign_id).await?;
    let channel = state.db.channel(b.channel_id).await?;
    let store = match b.store_id {
        Some(store_id) => Some(state.db.store(store_id).await?),
        None => None,
    };
    let note = match query.saved.as_deref() {
        Some("created") => Some("Batch created."),
        Some("enabled") => Some("Codes enabled: they go to the campaign again."),
        Some("disabled") => Some("Codes disabled: they go to the campaign's fallback."),
        Some("notice") => Some("Notice put up: scans of its codes go to it within seconds."),
        Some("lifted") => Some("Notice lifted: its codes go to the campaign again."),
        _ => None,
    }
    .map(|note| words::tr(viewer.language, note));
    let notices = state
        .db
        .batch_notices(id)
        .await?
        .into_iter()
        .filter(|n| n.lifted_at.is_none())
        .map(|n| NoticeRow {
            id: n.id,
            serials: if n.from_serial == n.to_serial {
                n.from_serial.to_string()
            } else {
                format!("{}–{}", n.from_serial, n.to_serial)
            },
            title: match viewer.language {
                Language::Chinese => n.title_zh.or(n.title_en),
                Language::English => n.title_en.or(n.title_zh),
            }
            .unwrap_or_default(),
            put_up: format!(
                "{} · {}",
                n.created_by_email.unwrap_or_default(),
                &to_rfc3339(n.created_at)[..10]
            ),
        })
        .collect();
    let total = b.codes_total();
    let page = ShowPage {
        nav: Nav::new(&viewer, "/console/campaigns"),
        note,
        status: batch_status(&b),
        percent: b.codes_generated * 100 / total.max(1),
        generated: count(b.codes_generated as f64),
        total: count(total as f64),
        cost: money(b.cost_cents, &campaign.currency),
        channel: format!("{} ({})", channel.name, channel.kind.as_str()),
        store: store.map(|s| format!("{} ({})", s.name, s.code)),
        notices,
        campaign,
        b,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StatusForm>,
) -> Result<Response, PageError> {
    let status = Status::parse(&form.status).map_err(|m| AppError::invalid("status", m))?;
    state
        .codes
        .change_status(StatusTarget::Batch(id), status)
        .await
        .map_err(missing("batch"))?;
    tracing::info!(
        user = viewer.caller.user_id,
        batch = id,
        status = status.as_str(),
        "status changed"
    );
    let saved = if status == Status::Active {
        "enabled"
    } else {
        "disabled"
    };
    Ok(Redirect::to(&format!("/console/batches/{id}?saved={saved}")).into_response())
}

/// A batch's print file through the API's own handler (its checks, options and
/// messages), behind the page's session: `codes.csv`, `codes.zip` (`?format=png` for
/// PNGs) or `sheet.pdf`, with the API's query options.
/// The request's query read as one of the API's parameter sets.
fn query<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<Query<T>, AppError> {
    axum::extract::Query::try_from_uri(uri)
        .map(|q| Query(q.0))
        .map_err(|e| AppError::BadRequest(format!("invalid query string: {}", e.body_text())))
}

pub(super) async fn download(
    viewer: Viewer,
    State(state): State<AppState>,
    Path((id, file)): Path<(i64, String)>,
    uri: Uri,
) -> Result<Response, PageError> {
    let (caller, language) = (viewer.caller, viewer.language);
    let answer = match file.as_str() {
        "codes.csv" => crate::http::api::batches::codes_csv(State(state), caller, Path(id)).await,
        "codes.zip" => match (query(&uri), query(&uri)) {
            (Ok(export), Ok(options)) => {
                exports::export_zip(State(state), caller, Path(id), export, options).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        },
        "sheet.pdf" => match (query(&uri), query(&uri)) {
            (Ok(layout), Ok(options)) => {
                sheets::sheet_pdf(State(state), caller, Path(id), layout, options).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        },
        _ => Err(AppError::NotFound("file")),
    };
    // A refusal says what the API would say (still generating, options that do not fit,
    // busy), on a page.
    Ok(match answer {
        Ok(file) => file,
        Err(err @ AppError::Internal(_)) => return Err(err.into()),
        Err(err) => refused(err, language),
    })
}
