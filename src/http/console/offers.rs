//! Limited offers from the console: the form that starts one on a campaign (or one of its
//! batches), and the button that ends one, both through the API's handlers.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::batches::whole;
use super::form::{EditPage, Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, form_status, restore};
use crate::db::{Batch, Campaign, Page, Scope};
use crate::http::AppState;
use crate::http::api::offers::{self, CreateOffer};
use crate::http::error::missing;
use crate::http::extract::{Json, Path};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct OfferForm {
    limit: String,
    counts: String,
    url: String,
    fallback_url: String,
    batch_id: String,
}

const FIELDS: [&str; 5] = ["limit", "counts", "url", "fallback_url", "batch_id"];

fn form_page(
    viewer: &Viewer,
    c: &Campaign,
    batches: &[Batch],
    form: &OfferForm,
    errors: &Errors,
) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let counts = vec![
        (
            "visitors".to_owned(),
            t("People: each once, whichever codes they scan").to_owned(),
        ),
        (
            "codes".to_owned(),
            t("Printed items: each unique code once").to_owned(),
        ),
    ];
    let mut scope = vec![(String::new(), t("Every batch").to_owned())];
    scope.extend(batches.iter().map(|b| (b.id.to_string(), b.name.clone())));
    let fields = vec![
        Field::new("limit", t("How many get it"), Kind::Number, &form.limit)
            .required()
            .max(9)
            .hint(t(
                "The first this many; everyone after goes to the fallback.",
            )),
        Field::new(
            "counts",
            t("Who counts"),
            Kind::Select(counts),
            &form.counts,
        ),
        Field::new("url", t("The offer's page"), Kind::Url, &form.url)
            .required()
            .max(2048),
        Field::new(
            "fallback_url",
            t("Once it is gone"),
            Kind::Url,
            &form.fallback_url,
        )
        .max(2048)
        .hint(t(
            "Where later scanners go; empty: where the campaign sends them anyway.",
        )),
        Field::new("batch_id", t("Codes"), Kind::Select(scope), &form.batch_id),
    ];
    EditPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        title: t("Limited offer on {}").replace("{}", &c.name),
        back: format!("/console/campaigns/{}", c.id),
        intro: t(
            "The first scanners get the offer, exactly as many as you say, even with several instances. People who got it keep it when they scan again; bots take no place.",
        ),
        form: FormView::new(
            format!("/console/campaigns/{}/offers", c.id),
            t("Start the offer"),
            fields,
            errors,
        ),
        switch: None,
    }
}

async fn campaign_and_batches(
    state: &AppState,
    id: i64,
) -> Result<(Campaign, Vec<Batch>), PageError> {
    let c = state.db.campaign(id).await.map_err(missing("campaign"))?;
    let page = Page {
        after: 0,
        limit: 500,
    };
    let batches = state.db.batches(Some(id), page, &Scope::All).await?;
    Ok((c, batches))
}

pub(super) async fn new_form(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (c, batches) = campaign_and_batches(&state, id).await?;
    let (restored, note) = restore::<OfferForm>(raw.as_deref(), viewer.language);
    let form = restored.unwrap_or_else(|| OfferForm {
        counts: "visitors".into(),
        ..OfferForm::default()
    });
    let mut page = form_page(&viewer, &c, &batches, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<OfferForm>,
) -> Result<Response, PageError> {
    let (c, batches) = campaign_and_batches(&state, id).await?;
    let mut errors = Errors::default();
    let limit = whole(&mut errors, "limit", &form.limit);
    let batch_id = whole(&mut errors, "batch_id", &form.batch_id);
    if limit.is_none() && errors.is_empty() {
        errors.add("limit", "say how many get the offer");
    }
    if let (true, Some(limit)) = (errors.is_empty(), limit) {
        let body = CreateOffer {
            limit,
            counts: optional(&form.counts),
            url: form.url.trim().to_owned(),
            fallback_url: optional(&form.fallback_url),
            batch_id,
        };
        let caller = viewer.caller.clone();
        match offers::create(State(state.clone()), caller, Path(id), Json(body)).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/console/campaigns/{id}?saved=offer")).into_response(),
                );
            }
            Err(err) => errors.place(err, &FIELDS)?,
        }
    }
    render(
        form_status(false),
        &form_page(&viewer, &c, &batches, &form, &errors),
    )
}

/// Ends an offer through the API and goes back to its campaign.
pub(super) async fn end(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, .. }: Change<EndForm>,
) -> Result<Response, PageError> {
    let offer = state.db.offer(id).await.map_err(missing("offer"))?;
    offers::end(State(state), viewer.caller, Path(id)).await?;
    let campaign = offer.campaign_id;
    Ok(Redirect::to(&format!("/console/campaigns/{campaign}?saved=offer-ended")).into_response())
}

/// The end button's form: its token alone.
#[derive(Deserialize)]
pub(super) struct EndForm {}
