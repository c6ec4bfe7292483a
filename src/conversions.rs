//! Recording a conversion: the one path the API, shop webhooks and till imports share.
//! The key is matched to the scans before the purchase once, when it arrives, and that
//! touch path is stored with it; reports credit it with any model and window on read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::db::{Db, DbError, KeyMatch, NewConversion, Recorded};
use crate::jobs::code_history::FoldProgress;

/// How long a conversion waits for the scans committed before it to be folded into the
/// touches it reads (usually milliseconds; longer when another instance folds; not at all
/// when touches are far behind).
const FOLD_WAIT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct ConversionRecorder {
    db: Db,
    fold: FoldProgress,
    currencies: Arc<Mutex<HashMap<i64, String>>>,
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
        Self {
            db,
            fold,
            currencies: Arc::default(),
        }
    }

    /// Records the conversion with its touch path, or answers the one recorded before.
    /// The order is not looked up first: the insert finds a repeated one.
    pub async fn record(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        self.catch_up().await?;
        self.record_folded(new).await
    }

    /// Waits (a bounded time) until the scans committed so far are folded into touches.
    pub async fn catch_up(&self) -> Result<(), RecordError> {
        if !self.fold.catch_up(&self.db, FOLD_WAIT).await? {
            // Under a flood of scans touches fall behind; a log line per conversion would
            // flood the log too.
            tracing::debug!("touches are behind the scans; this touch path may miss the latest");
        }
        Ok(())
    }

    /// Records the conversion once [`Self::catch_up`] has been waited for (an import
    /// waits once for all its rows): matches its key, checks the currencies, stores it
    /// with its path.
    pub async fn record_folded(&self, new: NewConversion) -> Result<Recorded, RecordError> {
        let matched = self.db.match_key(&new.key, new.occurred_at).await?;
        self.check_currency(&new, &matched).await?;
        Ok(self.db.record_conversion(&new, &matched).await?)
    }

    /// A campaign's currency, which never changes once it is created, so it is kept.
    async fn currency_of(&self, campaign_id: i64) -> Result<Option<String>, DbError> {
        if let Some(known) = self
            .currencies
            .lock()
            .expect("not poisoned")
            .get(&campaign_id)
        {
            return Ok(Some(known.clone()));
        }
        let found = self.db.campaign_currency(campaign_id).await?;
        if let Some(currency) = &found {
            self.currencies
                .lock()
                .expect("not poisoned")
                .insert(campaign_id, currency.clone());
        }
        Ok(found)
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
        for campaign_id in campaigns {
            let currency = self.currency_of(campaign_id).await?;
            if currency.as_deref().is_some_and(|c| c != new.currency) {
                return Err(RecordError::Currency {
                    given: new.currency.clone(),
                    campaign_id,
                    campaign: currency.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }
}
