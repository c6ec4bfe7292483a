//! Recall notices from the console: the form that puts a batch (or serials of it) under a
//! notice, and the button that lifts one, both through the API's handlers.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::batches::whole;
use super::form::{EditPage, Errors, Field, FormView, Kind, optional};
use super::{Change, Nav, form_status, restore};
use crate::db::Batch;
use crate::domain::BatchMode;
use crate::http::AppState;
use crate::http::api::notices::{self, Bilingual, CreateNotice};
use crate::http::auth::Caller;
use crate::http::error::{AppError, missing};
use crate::http::extract::{Json, Path};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NoticeForm {
    from_serial: String,
    to_serial: String,
    #[serde(rename = "title.en")]
    title_en: String,
    #[serde(rename = "text.en")]
    text_en: String,
    #[serde(rename = "title.zh")]
    title_zh: String,
    #[serde(rename = "text.zh")]
    text_zh: String,
    url: String,
}

const FIELDS: [&str; 7] = [
    "from_serial",
    "to_serial",
    "title.en",
    "text.en",
    "title.zh",
    "text.zh",
    "url",
];

fn form_page(viewer: &Viewer, b: &Batch, form: &NoticeForm, errors: &Errors) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let mut fields = Vec::new();
    if b.mode == BatchMode::Unique {
        fields.push(
            Field::new(
                "from_serial",
                t("From serial"),
                Kind::Number,
                &form.from_serial,
            )
            .max(9)
            .hint(t("Leave both serials empty for the whole batch.")),
        );
        fields.push(Field::new("to_serial", t("To serial"), Kind::Number, &form.to_serial).max(9));
    }
    fields.extend([
        Field::new(
            "title.en",
            t("Title in English"),
            Kind::Text,
            &form.title_en,
        )
        .max(200)
        .hint(t("Such as “Recall: lot 7”. Give English, Chinese or both.")),
        Field::new("text.en", t("Text in English"), Kind::Area, &form.text_en).max(2000),
        Field::new(
            "title.zh",
            t("Title in Chinese"),
            Kind::Text,
            &form.title_zh,
        )
        .max(200),
        Field::new("text.zh", t("Text in Chinese"), Kind::Area, &form.text_zh).max(2000),
        Field::new("url", t("Link for more"), Kind::Url, &form.url)
            .max(2048)
            .hint(t("The recall page, a form or a hotline page (optional).")),
    ]);
    EditPage {
        nav: Nav::new(viewer, "/console/campaigns"),
        title: t("Recall notice for {}").replace("{}", &b.name),
        back: format!("/console/batches/{}", b.id),
        intro: t(
            "Every scan of the codes it covers goes to the notice's page, on every instance within seconds, until you lift it. The scans are still counted.",
        ),
        form: FormView::new(
            format!("/console/batches/{}/notices", b.id),
            t("Put up the notice"),
            fields,
            errors,
        ),
        switch: None,
    }
}

pub(super) async fn new_form(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let b = state.db.batch(id).await.map_err(missing("batch"))?;
    let (restored, note) = restore::<NoticeForm>(raw.as_deref(), viewer.language);
    let mut page = form_page(
        &viewer,
        &b,
        &restored.unwrap_or_default(),
        &Errors::default(),
    );
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<NoticeForm>,
) -> Result<Response, PageError> {
    let b = state.db.batch(id).await.map_err(missing("batch"))?;
    let mut errors = Errors::default();
    let from_serial = whole(&mut errors, "from_serial", &form.from_serial);
    let to_serial = whole(&mut errors, "to_serial", &form.to_serial);
    if errors.is_empty() {
        let body = CreateNotice {
            from_serial,
            to_serial,
            title: Bilingual {
                en: optional(&form.title_en),
                zh: optional(&form.title_zh),
            },
            text: Bilingual {
                en: optional(&form.text_en),
                zh: optional(&form.text_zh),
            },
            url: optional(&form.url),
        };
        let caller: Caller = viewer.caller.clone();
        match notices::create(State(state.clone()), caller, Path(id), Json(body)).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/console/batches/{id}?saved=notice")).into_response()
                );
            }
            // "No title" belongs to the first title field.
            Err(AppError::Validation { field, message }) if field == "title" => {
                errors.add("title.en", message);
            }
            Err(err) => errors.place(err, &FIELDS)?,
        }
    }
    render(form_status(false), &form_page(&viewer, &b, &form, &errors))
}

/// Lifts a notice through the API and goes back to its batch.
pub(super) async fn lift(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, .. }: Change<LiftForm>,
) -> Result<Response, PageError> {
    let Json(notice) = notices::lift(State(state), viewer.caller, Path(id)).await?;
    let batch = notice.batch_id;
    Ok(Redirect::to(&format!("/console/batches/{batch}?saved=lifted")).into_response())
}

/// The lift button's form: its token alone.
#[derive(Deserialize)]
pub(super) struct LiftForm {}
