//! What the brand console reads beyond single records: the home page's counts, each
//! campaign's recent scans, and lists searched by name.

use super::{Campaign, Db, DbResult, Store};

/// The console's home page: what needs attention and how much there is.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Overview {
    pub campaigns_active: i64,
    pub campaigns: i64,
    pub batches_generating: i64,
    pub photos_pending: i64,
    pub channels: i64,
    pub stores: i64,
}

/// One page of a list searched by name, newest first.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    /// Matched anywhere in the name (or slug), ignoring case; empty matches everything.
    pub text: &'a str,
    /// Only records older than this id (the previous page's last), or 0 for the newest.
    pub before: i64,
    pub limit: i64,
}

impl Search<'_> {
    /// A `LIKE` pattern for the text, its `%`, `_` and `\` taken literally.
    fn pattern(&self) -> String {
        let mut pattern = String::from("%");
        for c in self.text.trim().to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    fn before(&self) -> i64 {
        if self.before > 0 {
            self.before
        } else {
            i64::MAX
        }
    }
}

impl Db {
    pub async fn overview(&self) -> DbResult<Overview> {
        Ok(sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM campaigns WHERE status = 'active') AS campaigns_active, \
             (SELECT COUNT(*) FROM campaigns) AS campaigns, \
             (SELECT COUNT(*) FROM batches WHERE generation = 'generating') AS batches_generating, \
             (SELECT COUNT(*) FROM photos WHERE status = 'pending') AS photos_pending, \
             (SELECT COUNT(*) FROM channels WHERE status = 'active') AS channels, \
             (SELECT COUNT(*) FROM stores WHERE status = 'active') AS stores",
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// Scans per campaign in the hours from `since` (rounded down to its hour), from the
    /// hourly rollups, whose key starts with the hour, and the counts of campaigns that
    /// do not track.
    pub async fn scans_by_campaign_since(&self, since: i64) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT campaign_id, CAST(SUM(scans) AS BIGINT) FROM ( \
             SELECT campaign_id, scans FROM scan_rollups WHERE hour >= $1 \
             UNION ALL SELECT campaign_id, scans FROM counted_scans WHERE hour >= $1) counts \
             GROUP BY campaign_id",
        )
        .bind(since - since.rem_euclid(3_600_000))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn search_campaigns(&self, search: Search<'_>) -> DbResult<Vec<Campaign>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM campaigns WHERE id < $1 \
             AND (LOWER(name) LIKE $2 ESCAPE '\\' OR slug LIKE $2 ESCAPE '\\') \
             ORDER BY id DESC LIMIT $3",
            super::campaigns::COLUMNS
        )))
        .bind(search.before())
        .bind(search.pattern())
        .bind(search.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every campaign's id and name, for labelling what belongs to one.
    pub async fn campaign_names(&self) -> DbResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, name FROM campaigns ORDER BY id")
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn search_stores(&self, search: Search<'_>) -> DbResult<Vec<Store>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM stores WHERE id < $1 \
             AND (LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(code) LIKE $2 ESCAPE '\\' \
             OR LOWER(COALESCE(city, '')) LIKE $2 ESCAPE '\\') \
             ORDER BY id DESC LIMIT $3",
            super::stores::COLUMNS
        )))
        .bind(search.before())
        .bind(search.pattern())
        .bind(search.limit)
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_takes_its_text_literally() {
        let search = |text| Search {
            text,
            before: 0,
            limit: 1,
        };
        assert_eq!(search(" Tea ").pattern(), "%tea%");
        assert_eq!(search("50%_off\\").pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(search("").pattern(), "%%");
        assert_eq!(search("").before(), i64::MAX);
    }
}
