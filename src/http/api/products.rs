//! `/api/v1/products`: GTINs and their links, what a GS1 Digital Link URI of the product
//! resolves to when it names no code of ours.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time::to_rfc3339;
use super::{ErrorBody, Listing, PageQuery, optional_text, required_text};
use crate::db::{NewProduct, Product, ProductChange, ProductLink};
use crate::domain::link_type::check_language_tag;
use crate::domain::{Gtin, LinkType, TargetUrl};
use crate::http::AppState;
use crate::http::error::{AppError, Result, missing};
use crate::http::extract::{Json, Path, Query};

/// Most links one product may have.
const MAX_LINKS: usize = 50;

/// One link of a product.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// A GS1 link type, `gs1:pip` or `https://gs1.org/voc/pip` (shown in the compact form).
    #[schema(example = "gs1:pip", max_length = 100)]
    link_type: String,
    /// Where the link leads: an absolute http or https URL.
    #[schema(example = "https://brand.example.com/tea", max_length = 2048)]
    href: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    /// The language of the page behind the link, such as `en` or `zh-CN`.
    #[schema(max_length = 35)]
    hreflang: Option<String>,
    /// The media type of what the link returns, such as `text/html`.
    #[serde(rename = "type")]
    #[schema(max_length = 100)]
    media_type: Option<String>,
    /// Exactly one link of a product is its default: where a plain scan goes.
    #[serde(default)]
    default: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    /// GTIN-8, -12, -13 or -14 with a valid check digit; held and shown as GTIN-14.
    #[schema(pattern = r"^([0-9]{8}|[0-9]{12,14})$")]
    gtin: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    #[schema(min_items = 1, max_items = 50)]
    links: Vec<LinkBody>,
}

/// A change to a product: what is given replaces what was there (`links` as a whole).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    links: Option<Vec<LinkBody>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductView {
    id: i64,
    gtin: String,
    name: String,
    links: Vec<LinkBody>,
    /// The product's GS1 Digital Link URI on this gateway.
    digital_link: String,
    created_at: String,
    updated_at: String,
}

impl ProductView {
    fn new(product: Product, state: &AppState) -> Self {
        Self {
            digital_link: state.settings.absolute(&format!("/01/{}", product.gtin)),
            id: product.id,
            gtin: product.gtin,
            name: product.name,
            links: product.links.into_iter().map(LinkBody::from).collect(),
            created_at: to_rfc3339(product.created_at),
            updated_at: to_rfc3339(product.updated_at),
        }
    }
}

impl From<ProductLink> for LinkBody {
    fn from(link: ProductLink) -> Self {
        Self {
            link_type: link.link_type,
            href: link.href,
            title: link.title,
            hreflang: link.hreflang,
            media_type: link.media_type,
            default: link.default,
        }
    }
}

/// Checks every link, and that exactly one is the default.
fn validate_links(links: Vec<LinkBody>) -> Result<Vec<ProductLink>> {
    if links.is_empty() || links.len() > MAX_LINKS {
        return Err(AppError::invalid(
            "links",
            format!("give between 1 and {MAX_LINKS} links, one of them with \"default\": true"),
        ));
    }
    let defaults = links.iter().filter(|l| l.default).count();
    if defaults != 1 {
        return Err(AppError::invalid(
            "links",
            format!(
                "exactly one link must have \"default\": true (where a plain scan goes); \
                 {defaults} do"
            ),
        ));
    }
    links
        .into_iter()
        .enumerate()
        .map(|(i, link)| validate_link(i, link))
        .collect()
}

fn validate_link(i: usize, link: LinkBody) -> Result<ProductLink> {
    let field = |name: &str| format!("links[{i}].{name}");
    let link_type = LinkType::parse(link.link_type.trim())
        .map_err(|m| AppError::invalid(&field("link_type"), m))?;
    if link_type.is_default_link() {
        return Err(AppError::invalid(
            &field("link_type"),
            "give the link its own type (gs1:pip, say) and \"default\": true instead of \
             gs1:defaultLink",
        ));
    }
    let href = TargetUrl::parse(&link.href).map_err(|m| AppError::invalid(&field("href"), m))?;
    let title = required_text(&field("title"), &link.title, 200)?;
    let hreflang = optional_text(&field("hreflang"), link.hreflang.as_deref(), 35)?;
    if let Some(tag) = &hreflang {
        check_language_tag(tag).map_err(|m| AppError::invalid(&field("hreflang"), m))?;
    }
    let media_type = optional_text(&field("type"), link.media_type.as_deref(), 100)?;
    if let Some(media_type) = &media_type {
        let well_formed = media_type.split_once('/').is_some_and(|(a, b)| {
            let token = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
            };
            token(a) && token(b)
        });
        if !well_formed {
            return Err(AppError::invalid(
                &field("type"),
                "must be a media type such as text/html or application/pdf",
            ));
        }
    }
    Ok(ProductLink {
        link_type: link_type.compact(),
        href: href.into_string(),
        title,
        hreflang,
        media_type,
        default: link.default,
    })
}

impl CreateProduct {
    fn validate(self) -> Result<NewProduct> {
        Ok(NewProduct {
            gtin: Gtin::parse(self.gtin.trim()).map_err(|m| AppError::invalid("gtin", m))?,
            name: required_text("name", &self.name, 200)?,
            links: validate_links(self.links)?,
        })
    }
}

impl UpdateProduct {
    fn validate(self) -> Result<ProductChange> {
        if self.name.is_none() && self.links.is_none() {
            return Err(AppError::BadRequest(
                "nothing to change: give name, links or both".into(),
            ));
        }
        Ok(ProductChange {
            name: self
                .name
                .map(|name| required_text("name", &name, 200))
                .transpose()?,
            links: self.links.map(validate_links).transpose()?,
        })
    }
}

/// Register a product: its GTIN and links, exactly one of them the default. Its GS1
/// Digital Link URIs resolve to these links unless they name a code of one of our batches.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = CreateProduct,
    responses((status = 201, body = ProductView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateProduct>,
) -> Result<(StatusCode, Json<ProductView>)> {
    let product = state.db.create_product(body.validate()?).await?;
    Ok((StatusCode::CREATED, Json(ProductView::new(product, &state))))
}

/// List products, oldest first.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(PageQuery),
    responses((status = 200, body = Listing<ProductView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listing<ProductView>>> {
    let page = query.page()?;
    let items = state
        .db
        .products(page)
        .await?
        .into_iter()
        .map(|p| ProductView::new(p, &state))
        .collect();
    Ok(Json(Listing::new(items, page, |p: &ProductView| p.id)))
}

/// Read one product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    responses((status = 200, body = ProductView), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<ProductView>> {
    let product = state.db.product(id).await.map_err(missing("product"))?;
    Ok(Json(ProductView::new(product, &state)))
}

/// Change a product's name or links (the links are replaced as a whole).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", request_body = UpdateProduct,
    responses((status = 200, body = ProductView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<UpdateProduct>,
) -> Result<Json<ProductView>> {
    let change = body.validate()?;
    let product = state
        .db
        .update_product(id, change)
        .await
        .map_err(missing("product"))?;
    Ok(Json(ProductView::new(product, &state)))
}
