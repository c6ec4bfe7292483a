//! Channels (where codes are seen) and stores (where they are sold): each a list with the
//! form that adds one beside it.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{EditPage, Errors, Field, FormView, Kind, Switch, optional};
use super::{Change, Nav, form_status, restore, words};
use crate::db::{Channel, Page, Search, Store};
use crate::domain::{ChannelKind, Language, Status};
use crate::http::AppState;
use crate::http::api::channels::{ChannelChange, CreateChannel};
use crate::http::api::stores::{CreateStore, StoreChange};
use crate::http::error::{AppError, missing};
use crate::http::extract::{Path, Query};
use crate::http::pages::PageError;
use crate::http::report_page::{Viewer, render};

const STORES_PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "console_channels.html")]
struct ChannelsPage {
    nav: Nav,
    note: Option<String>,
    channels: Vec<Channel>,
    form: FormView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ChannelForm {
    name: String,
    kind: String,
    slug: String,
}

const CHANNEL_FIELDS: [&str; 3] = ["name", "kind", "slug"];

async fn channels_page(
    state: &AppState,
    viewer: &Viewer,
    form: &ChannelForm,
    errors: &Errors,
    note: Option<String>,
) -> Result<ChannelsPage, PageError> {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let channels = state
        .db
        .channels(Page {
            after: 0,
            limit: 500,
        })
        .await?;
    let kinds = ChannelKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), t(k.as_str()).to_owned()))
        .collect();
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name)
            .required()
            .hint(t("Such as “Metro line 2 posters” or “Tmall packaging”.")),
        Field::new("kind", t("Kind"), Kind::Select(kinds), &form.kind),
        Field::new("slug", t("Short name"), Kind::Text, &form.slug)
            .max(64)
            .hint(t(
                "Sent to shops as utm_source; made from the name when left empty.",
            )),
    ];
    Ok(ChannelsPage {
        nav: Nav::new(viewer, "/console/channels"),
        note,
        channels,
        form: FormView::new("/console/channels".into(), t("Add channel"), fields, errors),
    })
}

#[derive(Deserialize)]
pub(super) struct SavedQuery {
    saved: Option<String>,
    #[serde(default)]
    q: String,
    before: Option<i64>,
}

pub(super) async fn channels(
    viewer: Viewer,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (restored, kept_note) = restore::<ChannelForm>(raw.as_deref(), viewer.language);
    let note = match kept_note {
        Some(note) => Some(note),
        None => saved_note(raw.as_deref(), words::tr(viewer.language, "Channel added.")),
    };
    let form = restored.unwrap_or_default();
    let page = channels_page(&state, &viewer, &form, &Errors::default(), note).await?;
    render(StatusCode::OK, &page)
}

fn saved_note(raw: Option<&str>, text: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .any(|(k, _)| k == "saved")
        .then(|| text.to_owned())
}

pub(super) async fn create_channel(
    State(state): State<AppState>,
    Change { viewer, form }: Change<ChannelForm>,
) -> Result<Response, PageError> {
    let body = CreateChannel {
        name: form.name.clone(),
        kind: form.kind.clone(),
        slug: optional(&form.slug),
    };
    let created = match body.validate() {
        Ok(new) => state.db.create_channel(new).await.map_err(AppError::from),
        Err(err) => Err(err),
    };
    match created {
        Ok(_) => Ok(Redirect::to("/console/channels?saved=1").into_response()),
        Err(err) => {
            let mut errors = Errors::default();
            errors.place(err, &CHANNEL_FIELDS)?;
            let page = channels_page(&state, &viewer, &form, &errors, None).await?;
            render(form_status(false), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "console_stores.html")]
struct StoresPage {
    nav: Nav,
    note: Option<String>,
    search: String,
    stores: Vec<Store>,
    older: Option<String>,
    form: FormView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StoreForm {
    name: String,
    code: String,
    city: String,
    latitude: String,
    longitude: String,
}

const STORE_FIELDS: [&str; 5] = ["name", "code", "city", "latitude", "longitude"];

async fn stores_page(
    state: &AppState,
    viewer: &Viewer,
    query: &SavedQuery,
    form: &StoreForm,
    errors: &Errors,
    note: Option<String>,
) -> Result<StoresPage, PageError> {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let found = state
        .db
        .search_stores(Search {
            text: &query.q,
            before: query.before.unwrap_or(0),
            limit: STORES_PER_PAGE + 1,
        })
        .await?;
    let older = (found.len() as i64 > STORES_PER_PAGE).then(|| {
        let last = found[STORES_PER_PAGE as usize - 1].id;
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("before", &last.to_string())
            .finish();
        format!("/console/stores?{query}")
    });
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name).required(),
        Field::new("code", t("Store number"), Kind::Text, &form.code)
            .required()
            .max(64)
            .hint(t(
                "Your own number for the store; tills send it with their purchases.",
            )),
        Field::new("city", t("City"), Kind::Text, &form.city).max(100),
        Field::new("latitude", t("Latitude"), Kind::Number, &form.latitude)
            .max(20)
            .hint(t(
                "With the longitude, for the map and “nearby”; such as 31.2304.",
            )),
        Field::new("longitude", t("Longitude"), Kind::Number, &form.longitude).max(20),
    ];
    Ok(StoresPage {
        nav: Nav::new(viewer, "/console/stores"),
        note,
        search: query.q.clone(),
        stores: found.into_iter().take(STORES_PER_PAGE as usize).collect(),
        older,
        form: FormView::new("/console/stores".into(), t("Add store"), fields, errors),
    })
}

pub(super) async fn stores(
    viewer: Viewer,
    State(state): State<AppState>,
    Query(query): Query<SavedQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (restored, kept_note) = restore::<StoreForm>(raw.as_deref(), viewer.language);
    let note = match (kept_note, &query.saved) {
        (Some(note), _) => Some(note),
        (None, Some(_)) => Some(words::tr(viewer.language, "Store added.").to_owned()),
        _ => None,
    };
    let form = restored.unwrap_or_default();
    let page = stores_page(&state, &viewer, &query, &form, &Errors::default(), note).await?;
    render(StatusCode::OK, &page)
}

/// A coordinate typed in the form: empty is absent.
fn coordinate(errors: &mut Errors, field: &'static str, raw: &str) -> Option<f64> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add(field, format!("{raw:?} is not a number such as 31.2304"));
            None
        }
    }
}

pub(super) async fn create_store(
    State(state): State<AppState>,
    Change { viewer, form }: Change<StoreForm>,
) -> Result<Response, PageError> {
    let mut errors = Errors::default();
    let latitude = coordinate(&mut errors, "latitude", &form.latitude);
    let longitude = coordinate(&mut errors, "longitude", &form.longitude);
    if errors.is_empty() {
        let body = CreateStore {
            name: form.name.clone(),
            code: form.code.clone(),
            city: optional(&form.city),
            latitude,
            longitude,
        };
        let created = match body.validate() {
            Ok(new) => state.db.create_store(new).await.map_err(AppError::from),
            Err(err) => Err(err),
        };
        match created {
            Ok(_) => return Ok(Redirect::to("/console/stores?saved=1").into_response()),
            Err(err) => errors.place(err, &STORE_FIELDS)?,
        }
    }
    let query = SavedQuery {
        saved: None,
        q: String::new(),
        before: None,
    };
    let page = stores_page(&state, &viewer, &query, &form, &errors, None).await?;
    render(form_status(false), &page)
}

fn channel_page(
    viewer: &Viewer,
    channel: &Channel,
    form: &ChannelForm,
    errors: &Errors,
) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let kinds = ChannelKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), t(k.as_str()).to_owned()))
        .collect();
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name).required(),
        Field::new("kind", t("Kind"), Kind::Select(kinds), &form.kind),
    ];
    EditPage {
        nav: Nav::new(viewer, "/console/channels"),
        title: channel.name.clone(),
        back: "/console/channels".into(),
        intro: t("Its short name (utm_source) stays as it is: shops have already seen it."),
        form: FormView::new(
            format!("/console/channels/{}", channel.id),
            t("Save channel"),
            fields,
            errors,
        ),
        switch: Some(Switch {
            action: format!("/console/channels/{}/status", channel.id),
            enabled: channel.status == Status::Active,
            effect: t(
                "A disabled channel is not offered for new batches. Codes already printed for it keep working: disable their batches to send them to the fallback.",
            ),
        }),
    }
}

pub(super) async fn channel(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let channel = state.db.channel(id).await.map_err(missing("channel"))?;
    let (restored, kept) = restore::<ChannelForm>(raw.as_deref(), viewer.language);
    let note = kept.or_else(|| switched_note(raw.as_deref(), viewer.language));
    let form = restored.unwrap_or_else(|| ChannelForm {
        name: channel.name.clone(),
        kind: channel.kind.as_str().to_owned(),
        slug: String::new(),
    });
    let mut page = channel_page(&viewer, &channel, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn save_channel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<ChannelForm>,
) -> Result<Response, PageError> {
    let channel = state.db.channel(id).await.map_err(missing("channel"))?;
    let change = ChannelChange {
        name: Some(form.name.clone()),
        kind: Some(form.kind.clone()),
        status: None,
    };
    match change.apply(&state, id).await {
        Ok(_) => Ok(Redirect::to("/console/channels?saved=1").into_response()),
        Err(err) => {
            let mut errors = Errors::default();
            errors.place(err, &CHANNEL_FIELDS)?;
            let page = channel_page(&viewer, &channel, &form, &errors);
            render(form_status(false), &page)
        }
    }
}

fn store_page(viewer: &Viewer, store: &Store, form: &StoreForm, errors: &Errors) -> EditPage {
    let t = |english: &'static str| super::words::tr(viewer.language, english);
    let fields = vec![
        Field::new("name", t("Name"), Kind::Text, &form.name).required(),
        Field::new("city", t("City"), Kind::Text, &form.city).max(100),
        Field::new("latitude", t("Latitude"), Kind::Number, &form.latitude)
            .max(20)
            .hint(t(
                "With the longitude, for the map and “nearby”; such as 31.2304.",
            )),
        Field::new("longitude", t("Longitude"), Kind::Number, &form.longitude).max(20),
    ];
    EditPage {
        nav: Nav::new(viewer, "/console/stores"),
        title: format!("{} ({})", store.name, store.code),
        back: "/console/stores".into(),
        intro: t("Its number stays as it is: tills send it with their purchases."),
        form: FormView::new(
            format!("/console/stores/{}", store.id),
            t("Save store"),
            fields,
            errors,
        ),
        switch: Some(Switch {
            action: format!("/console/stores/{}/status", store.id),
            enabled: store.status == Status::Active,
            effect: t(
                "A disabled store is not offered for new batches. Its codes keep working and its till purchases are still taken.",
            ),
        }),
    }
}

pub(super) async fn store(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let store = state.db.store(id).await.map_err(missing("store"))?;
    let (restored, kept) = restore::<StoreForm>(raw.as_deref(), viewer.language);
    let note = kept.or_else(|| switched_note(raw.as_deref(), viewer.language));
    let form = restored.unwrap_or_else(|| StoreForm {
        name: store.name.clone(),
        code: store.code.clone(),
        city: store.city.clone().unwrap_or_default(),
        latitude: store.latitude.map(|v| v.to_string()).unwrap_or_default(),
        longitude: store.longitude.map(|v| v.to_string()).unwrap_or_default(),
    });
    let mut page = store_page(&viewer, &store, &form, &Errors::default());
    page.form.note = note;
    render(StatusCode::OK, &page)
}

pub(super) async fn save_store(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StoreForm>,
) -> Result<Response, PageError> {
    let store = state.db.store(id).await.map_err(missing("store"))?;
    let mut errors = Errors::default();
    let latitude = coordinate(&mut errors, "latitude", &form.latitude);
    let longitude = coordinate(&mut errors, "longitude", &form.longitude);
    if errors.is_empty() {
        let change = StoreChange {
            name: Some(form.name.clone()),
            city: Some(optional(&form.city)),
            latitude: Some(latitude),
            longitude: Some(longitude),
            status: None,
        };
        match change.apply(&state, id).await {
            Ok(_) => return Ok(Redirect::to("/console/stores?saved=1").into_response()),
            Err(err) => errors.place(err, &STORE_FIELDS)?,
        }
    }
    let page = store_page(&viewer, &store, &form, &errors);
    render(form_status(false), &page)
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
}

/// Disables a channel, or enables it again, through the API's change.
pub(super) async fn set_channel_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StatusForm>,
) -> Result<Response, PageError> {
    let change = ChannelChange {
        name: None,
        kind: None,
        status: Some(form.status),
    };
    let channel = change.apply(&state, id).await?;
    tracing::info!(user = viewer.caller.user_id, channel = id, status = %channel.status, "status changed");
    let status = channel.status;
    Ok(Redirect::to(&format!("/console/channels/{id}?switched={status}")).into_response())
}

/// Disables a store, or enables it again, through the API's change.
pub(super) async fn set_store_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Change { viewer, form }: Change<StatusForm>,
) -> Result<Response, PageError> {
    let change = StoreChange {
        status: Some(form.status),
        ..StoreChange::default()
    };
    let store = change.apply(&state, id).await?;
    tracing::info!(user = viewer.caller.user_id, store = id, status = %store.status, "status changed");
    let status = store.status;
    Ok(Redirect::to(&format!("/console/stores/{id}?switched={status}")).into_response())
}

/// The note after a switch (`?switched=disabled`), when no kept form has one.
fn switched_note(raw: Option<&str>, language: Language) -> Option<String> {
    let switched = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "switched")?
        .1;
    let note = match Status::parse(&switched).ok()? {
        Status::Disabled => "Disabled: it is no longer offered for new batches.",
        Status::Active => "Enabled again.",
    };
    Some(words::tr(language, note).to_owned())
}
