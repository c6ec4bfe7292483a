//! Products: a GTIN and its links (GS1 link types), what a GS1 Digital Link URI of the
//! product resolves to when it names no code of ours.

use serde::{Deserialize, Serialize};

use super::{Db, DbError, DbResult, Page, conflict_as, now_ms};
use crate::domain::Gtin;

/// One link of a product, as stored (a JSON array in `products.links`, read and written
/// whole) and as the API shows it. `link_type` is the compact form, `gs1:pip`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductLink {
    pub link_type: String,
    pub href: String,
    pub title: String,
    pub hreflang: Option<String>,
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    pub default: bool,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub gtin: String,
    pub name: String,
    pub links: Vec<ProductLink>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Product {
    /// The product's one default link (the API refuses products without exactly one).
    pub fn default_link(&self) -> Option<&ProductLink> {
        self.links.iter().find(|l| l.default)
    }
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    gtin: String,
    name: String,
    links: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ProductRow> for Product {
    type Error = DbError;

    fn try_from(row: ProductRow) -> DbResult<Self> {
        let links = serde_json::from_str(&row.links)
            .map_err(|e| DbError::Db(sqlx::Error::Decode(Box::new(e))))?;
        Ok(Self {
            id: row.id,
            gtin: row.gtin,
            name: row.name,
            links,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub gtin: Gtin,
    pub name: String,
    pub links: Vec<ProductLink>,
}

/// What an update changes; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct ProductChange {
    pub name: Option<String>,
    pub links: Option<Vec<ProductLink>>,
}

const COLUMNS: &str = "id, gtin, name, links, created_at, updated_at";

fn links_json(links: &[ProductLink]) -> String {
    serde_json::to_string(links).expect("links serialise")
}

impl Db {
    pub async fn create_product(&self, new: NewProduct) -> DbResult<Product> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO products (gtin, name, links, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(new.gtin.into_string())
        .bind(new.name)
        .bind(links_json(&new.links))
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(conflict_as("a product with this GTIN"))?;
        self.product(id).await
    }

    pub async fn product(&self, id: i64) -> DbResult<Product> {
        let row: ProductRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM products WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)?;
        row.try_into()
    }

    /// `gtin` as GTIN-14.
    pub async fn product_by_gtin(&self, gtin: &str) -> DbResult<Option<Product>> {
        let row: Option<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM products WHERE gtin = $1"
        )))
        .bind(gtin.to_owned())
        .fetch_optional(self.pool())
        .await?;
        row.map(Product::try_from).transpose()
    }

    pub async fn products(&self, page: Page) -> DbResult<Vec<Product>> {
        let rows: Vec<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM products WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(Product::try_from).collect()
    }

    /// Applies the change in one statement, so a reader never sees half of it.
    pub async fn update_product(&self, id: i64, change: ProductChange) -> DbResult<Product> {
        let updated = sqlx::query(
            "UPDATE products SET name = COALESCE($1, name), links = COALESCE($2, links), \
             updated_at = $3 WHERE id = $4",
        )
        .bind(change.name)
        .bind(change.links.as_deref().map(links_json))
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?;
        if updated.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        self.product(id).await
    }

    /// The token of the ready shared batch that prints `/01/{gtin}[/10/{lot}]`, if any.
    pub async fn shared_digital_link_token(
        &self,
        gtin: &str,
        lot: Option<&str>,
    ) -> DbResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT c.token FROM batches b JOIN codes c ON c.batch_id = b.id \
             WHERE b.mode = 'shared' AND b.gtin = $1 AND COALESCE(b.lot, '') = $2 \
             AND b.generation = 'ready'",
        )
        .bind(gtin.to_owned())
        .bind(lot.unwrap_or_default().to_owned())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(token,)| token))
    }
}
