//! Recording a conversion: the one path the API, shop webhooks and till imports share.
//! The key is matched to the scans before the purchase once, when it arrives, and that
//! touch path is stored with it; reports credit it with any model and window on read.

use std::time::Duration;

use crate::db::{Db, DbError, KeyMatch, NewConversion, Recorded};
use crate::jobs::code_history::FoldProgress;

/// How long a conversion waits for the scans committed before it to be folded into the
/// touches it reads (usually milliseconds; longer when another instance folds).
const FOLD_WAIT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct ConversionRecorder {
    db: Db,
    fold: FoldProgress,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A campaign the purchase would be credited to reports in another currency.
    #[error(
        "currency: this purchase is in {given} but campaign {campaign_id} reports in {campaign}; report it in {campaign}"
    )]
    Currency {
        given: String,
        campaign_id: i64,
        campaign: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ConversionRecorder {
    pub fn new(db: Db, fold: FoldProgress) -> Self {
        Self { db, fold }
    }

    /// Records the conversion with its touch path, or answers the one recorded before.
    pub async fn record(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        if let Some(known) = self.db.known_conversion(&new).await? {
            return Ok(known);
        }
        self.catch_up().await?;
        self.attribute_and_record(new).await
    }

    /// Waits (a bounded time) until the scans committed so far are folded into touches.
    pub async fn catch_up(&self) -> Result<(), RecordError> {
        if !self.fold.catch_up(&self.db, FOLD_WAIT).await? {
            tracing::warn!("scans were not all folded in time; touch paths may miss the latest");
        }
        Ok(())
    }

    /// Records the conversion once [`Self::catch_up`] has been waited for: an import
    /// waits once for all its rows.
    pub async fn record_folded(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        if let Some(known) = self.db.known_conversion(&new).await? {
            return Ok(known);
        }
        self.attribute_and_record(new).await
    }

    /// Matches the key, checks the currencies and stores the conversion with its path; an
    /// order recorded meanwhile by another request is answered as known.
    async fn attribute_and_record(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        let matched = self.db.match_key(&new.key, new.occurred_at).await?;
        self.check_currency(&new, &matched).await?;
        Ok(self.db.record_conversion(&new, &matched).await?)
    }

    /// Every campaign the purchase names or touched must report in its currency.
    async fn check_currency(
        &self,
        new: &NewConversion,
        matched: &KeyMatch,
    ) -> Result<(), RecordError> {
        let mut campaigns: Vec<i64> = matched.touches.iter().map(|t| t.campaign_id).collect();
        campaigns.extend(matched.campaign_id);
        campaigns.sort_unstable();
        campaigns.dedup();
        for (campaign_id, currency) in self.db.campaign_currencies(&campaigns).await? {
            if currency != new.currency {
                return Err(RecordError::Currency {
                    given: new.currency.clone(),
                    campaign_id,
                    campaign: currency,
                });
            }
        }
        Ok(())
    }
}
