//! A report narrowed to a channel, a batch, some stores (a `store_id`, or a retailer's
//! scope) or a country. The hourly rollups, the raw rows at a range's edges and the stored
//! touch paths carry all four, so a filtered report reads those; the day tier, the visitor
//! sketches and the place rollups are kept per campaign or channel and cannot be narrowed
//! (the place rollups and sketches but by country), so a filtered report reads around them.

use super::Scope;
use crate::domain::CountryCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub channel_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub stores: Scope,
    pub country: Option<CountryCode>,
}

impl Default for ReportFilter {
    fn default() -> Self {
        Self {
            channel_id: None,
            batch_id: None,
            stores: Scope::All,
            country: None,
        }
    }
}

impl ReportFilter {
    /// The whole campaign: every tier answers.
    pub fn is_whole(&self) -> bool {
        *self == Self::default()
    }

    /// Narrower than a channel: visitor sketches, kept per channel, cannot say how many
    /// people scanned.
    pub fn below_channel(&self) -> bool {
        self.batch_id.is_some() || self.stores != Scope::All || self.country.is_some()
    }

    /// Narrowed by what was scanned (a channel, batch or store): per-place counts, kept
    /// per campaign, cannot answer.
    pub fn narrows_codes(&self) -> bool {
        self.channel_id.is_some() || self.batch_id.is_some() || self.stores != Scope::All
    }

    /// Device classes' people are sketched per campaign: only the whole campaign's.
    pub fn knows_device_visitors(&self) -> bool {
        self.is_whole()
    }

    /// Places' people are sketched per campaign and city: a country narrows them, what
    /// was scanned cannot.
    pub fn knows_place_visitors(&self) -> bool {
        !self.narrows_codes()
    }

    /// Batches' people are sketched per campaign and batch: a batch belongs to one channel
    /// and store, so only a country cannot narrow them.
    pub fn knows_batch_visitors(&self) -> bool {
        self.country.is_none()
    }

    /// Spend entries are per channel and print costs per batch: neither is known per
    /// country, so a country's report has no spend.
    pub fn knows_spend(&self) -> bool {
        self.country.is_none()
    }

    /// Spend entries (a channel's media costs) belong to no batch or store.
    pub fn takes_spend_entries(&self) -> bool {
        self.batch_id.is_none() && self.stores == Scope::All && self.country.is_none()
    }

    /// ` AND ...` conditions on a row with `channel_id`, `batch_id`, `store_id` and
    /// `country` columns (the rollups, raw scans and events, touch paths); empty for the
    /// whole campaign. Ids are numbers and the country two letters, written in as such.
    pub fn sql(&self) -> String {
        let mut sql = self.codes_sql("batch_id");
        if let Some(country) = &self.country {
            sql.push_str(&format!(" AND country = '{}'", country.as_str()));
        }
        sql
    }

    /// ` AND ...` conditions on what was scanned alone, the batch's id being `batch_column`
    /// (`id` in the batches table).
    pub fn codes_sql(&self, batch_column: &str) -> String {
        let mut sql = String::new();
        if let Some(id) = self.channel_id {
            sql.push_str(&format!(" AND channel_id = {id}"));
        }
        if let Some(id) = self.batch_id {
            sql.push_str(&format!(" AND {batch_column} = {id}"));
        }
        if self.stores != Scope::All {
            sql.push_str(&format!(" AND {}", self.stores.sql("store_id")));
        }
        sql
    }

    /// Whether a scan or touch made through `batch_id` (of `channel_id`, at `store_id`)
    /// in `country` is inside the filter.
    pub fn admits(
        &self,
        channel_id: i64,
        batch_id: i64,
        store_id: Option<i64>,
        country: Option<&str>,
    ) -> bool {
        self.channel_id.is_none_or(|id| id == channel_id)
            && self.batch_id.is_none_or(|id| id == batch_id)
            && self.stores.admits(store_id)
            && self
                .country
                .as_ref()
                .is_none_or(|c| country == Some(c.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_campaign_adds_no_condition() {
        let whole = ReportFilter::default();
        assert!(whole.is_whole() && !whole.below_channel() && !whole.narrows_codes());
        assert_eq!(whole.sql(), "");
        assert!(whole.admits(1, 2, None, None));
    }

    #[test]
    fn each_part_of_a_filter_narrows_the_sql_and_the_rows_alike() {
        let filter = ReportFilter {
            channel_id: Some(3),
            batch_id: Some(9),
            stores: Scope::Stores(vec![4, 5]),
            country: Some(CountryCode::parse("cn").unwrap()),
        };
        assert_eq!(
            filter.sql(),
            " AND channel_id = 3 AND batch_id = 9 AND store_id IN (4, 5) AND country = 'CN'"
        );
        assert_eq!(
            filter.codes_sql("id"),
            " AND channel_id = 3 AND id = 9 AND store_id IN (4, 5)"
        );
        assert!(filter.admits(3, 9, Some(4), Some("CN")));
        assert!(!filter.admits(2, 9, Some(4), Some("CN")));
        assert!(!filter.admits(3, 8, Some(4), Some("CN")));
        assert!(
            !filter.admits(3, 9, None, Some("CN")),
            "a poster is no store's"
        );
        assert!(
            !filter.admits(3, 9, Some(4), None),
            "an unknown country is not CN"
        );
    }

    #[test]
    fn what_a_filter_cannot_be_answered_from() {
        let channel = ReportFilter {
            channel_id: Some(1),
            ..ReportFilter::default()
        };
        assert!(!channel.below_channel() && channel.narrows_codes());
        assert!(channel.takes_spend_entries() && channel.knows_spend());
        let country = ReportFilter {
            country: Some(CountryCode::parse("US").unwrap()),
            ..ReportFilter::default()
        };
        assert!(country.below_channel() && !country.narrows_codes());
        assert!(!country.knows_spend());
        let store = ReportFilter {
            stores: Scope::Stores(vec![1]),
            ..ReportFilter::default()
        };
        assert!(!store.takes_spend_entries() && store.knows_spend());
    }
}
