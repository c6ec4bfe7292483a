//! `/api/v1/stores`

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, StatusName, optional_text, required_text};
use crate::db::{NewStore, Store};
use crate::domain::Status;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStore {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: String,
    /// The retailer's own store number; unique.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub(crate) code: String,
    #[schema(max_length = 100)]
    pub(crate) city: Option<String>,
    /// Give both latitude and longitude, or neither.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub(crate) latitude: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub(crate) longitude: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct StoreView {
    id: i64,
    code: String,
    name: String,
    city: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// `disabled`: not offered for new batches; its codes still resolve and its till
    /// purchases are still taken.
    #[schema(value_type = StatusName)]
    status: String,
    created_at: String,
}

impl From<Store> for StoreView {
    fn from(s: Store) -> Self {
        Self {
            id: s.id,
            code: s.code,
            name: s.name,
            city: s.city,
            latitude: s.latitude,
            longitude: s.longitude,
            status: s.status.as_str().to_owned(),
            created_at: to_rfc3339(s.created_at),
        }
    }
}

impl CreateStore {
    pub(crate) fn validate(self) -> Result<NewStore> {
        let in_range = |field: &str, v: Option<f64>, max: f64| match v {
            Some(v) if !(v.is_finite() && (-max..=max).contains(&v)) => Err(AppError::invalid(
                field,
                format!("must be between -{max} and {max}"),
            )),
            _ => Ok(v),
        };
        let latitude = in_range("latitude", self.latitude, 90.0)?;
        let longitude = in_range("longitude", self.longitude, 180.0)?;
        if latitude.is_some() != longitude.is_some() {
            return Err(AppError::invalid(
                "longitude",
                "give both latitude and longitude, or neither",
            ));
        }
        Ok(NewStore {
            code: required_text("code", &self.code, 64)?,
            name: required_text("name", &self.name, 200)?,
            city: optional_text("city", self.city.as_deref(), 100)?,
            latitude,
            longitude,
        })
    }
}

/// Create a store.
#[utoipa::path(post, path = "/api/v1/stores", tag = "stores", request_body = CreateStore,
    responses((status = 201, body = StoreView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateStore>,
) -> Result<(StatusCode, Json<StoreView>)> {
    let store = state.db.create_store(body.validate()?).await?;
    Ok((StatusCode::CREATED, Json(store.into())))
}

/// List stores, oldest first (a retailer's own).
#[utoipa::path(get, path = "/api/v1/stores", tag = "stores", params(PageQuery),
    responses((status = 200, body = Listing<StoreView>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<StoreView>>> {
    let page = query.page()?;
    let items = state
        .db
        .stores(page, &caller.scope())
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Listing::new(items, page, |s: &StoreView| s.id)))
}

/// Read one store (a retailer: one of theirs; any other is not found).
#[utoipa::path(get, path = "/api/v1/stores/{id}", tag = "stores",
    responses((status = 200, body = StoreView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<StoreView>> {
    let store = state.db.store_in(&caller.scope(), id).await;
    let store = store.map_err(missing("store"))?;
    Ok(Json(store.into()))
}

/// What `PATCH /api/v1/stores/{id}` changes: its name, city, position (`null` removes the
/// city or the position) or status. Its code, which tills send, stays.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StoreChange {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "super::campaigns::present")]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub(crate) city: Option<Option<String>>,
    /// Give both latitude and longitude, or neither.
    #[serde(default, deserialize_with = "super::campaigns::present")]
    #[schema(value_type = Option<f64>, nullable, minimum = -90.0, maximum = 90.0)]
    pub(crate) latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "super::campaigns::present")]
    #[schema(value_type = Option<f64>, nullable, minimum = -180.0, maximum = 180.0)]
    pub(crate) longitude: Option<Option<f64>>,
    /// `disabled` retires the store: it is not offered for new batches; codes already
    /// printed for it keep resolving.
    #[schema(value_type = Option<StatusName>)]
    pub(crate) status: Option<String>,
}

impl StoreChange {
    /// Checks the store with the change applied as a new store is checked, then stores it.
    pub(crate) async fn apply(self, state: &AppState, id: i64) -> Result<Store> {
        let current = state.db.store(id).await.map_err(missing("store"))?;
        if self.name.is_none()
            && self.city.is_none()
            && self.latitude.is_none()
            && self.longitude.is_none()
            && self.status.is_none()
        {
            return Err(AppError::invalid(
                "name",
                "send at least one of name, city, latitude, longitude and status",
            ));
        }
        let status = match &self.status {
            Some(status) => Status::parse(status).map_err(|m| AppError::invalid("status", m))?,
            None => current.status,
        };
        let merged = CreateStore {
            name: self.name.unwrap_or(current.name),
            code: current.code,
            city: self.city.unwrap_or(current.city),
            latitude: self.latitude.unwrap_or(current.latitude),
            longitude: self.longitude.unwrap_or(current.longitude),
        };
        let change = merged.validate()?;
        state
            .db
            .update_store(id, change, status)
            .await
            .map_err(missing("store"))
    }
}

/// Change a store's name, city, position or status; its code stays.
#[utoipa::path(patch, path = "/api/v1/stores/{id}", tag = "stores", request_body = StoreChange,
    responses((status = 200, body = StoreView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<StoreChange>,
) -> Result<Json<StoreView>> {
    Ok(Json(body.apply(&state, id).await?.into()))
}
