//! Where a scan of a known code sends the consumer.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::ResolvedCode;
use crate::domain::experiment::Routing;
use crate::domain::rules::{self, Action, Rule, ScanFacts};
use crate::domain::{BatchMode, OfferCounts, Status, TargetUrl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The campaign's destination, with UTM tags added where the brand set none.
    Destination(&'a str),
    /// The campaign's own landing page (no destination set, or nowhere else to go).
    Landing,
    /// The campaign's fallback: the code, batch or campaign is disabled or out of dates.
    Fallback(&'a str),
    /// A recall notice's page: the notice covers the code, whatever the campaign does.
    Notice(i64),
    /// A limited offer's URL: the scan claimed one of its first N places, now or before.
    Offer(&'a str),
    /// A limited offer's fallback: its places were taken before this scanner came.
    OfferOver(&'a str),
    /// Where a redirect rule that matched the scan sends it.
    Rule(&'a str),
    /// A redirect rule's choice of an experiment variant that has no destination: the
    /// landing page showing that variant.
    RuleVariantPage(i64),
}

impl Outcome<'_> {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Destination(_) => "destination",
            Self::Landing => "landing",
            Self::Fallback(_) => "fallback",
            Self::Notice(_) => "notice",
            Self::Offer(_) => "offer",
            Self::OfferOver(_) => "offer_over",
            Self::Rule(_) | Self::RuleVariantPage(_) => "rule",
        }
    }
}

/// A known code with the two places its scans can go, worked out once when it is loaded:
/// tagging the destination parses and rebuilds a URL, too slow to repeat on every scan.
#[derive(Debug)]
pub struct RoutedCode {
    code: ResolvedCode,
    destination: Option<String>,
    fallback: Option<String>,
    offer: Option<StandingOffer>,
    /// Its batch's redirect rules, then its campaign's; shared by every code they cover.
    rules: Arc<[Rule]>,
    /// Its campaign's experiment, while one routes its scans.
    routing: Option<Arc<Routing>>,
    /// Each variant's destination, tagged as `destination` is (in the routing's order).
    variant_destinations: Vec<Option<String>>,
    /// People's scans this instance answered since it loaded the code.
    scans_seen: AtomicI64,
}

/// A limited offer the code's scans may claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingOffer {
    pub id: i64,
    pub counts: OfferCounts,
    pub url: String,
    pub fallback_url: Option<String>,
}

impl StandingOffer {
    /// Who claims a place for this scan: the visitor, or the printed item (a unique
    /// code); `None` when the scan takes no part (no visitor, a shared code).
    pub fn claimant(&self, code: &ResolvedCode, visitor_id: Option<&str>) -> Option<String> {
        match self.counts {
            OfferCounts::Visitors => visitor_id.map(str::to_owned),
            OfferCounts::Codes => {
                (code.batch_mode == BatchMode::Unique).then(|| format!("code:{}", code.code_id))
            }
        }
    }
}

/// What the codes of one campaign and batch share, read once for all of them.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    pub rules: Arc<[Rule]>,
    pub routing: Option<Arc<Routing>>,
}

impl RoutedCode {
    #[cfg(test)]
    pub fn new(code: ResolvedCode) -> Self {
        Self::with(code, Shared::default())
    }

    pub fn with(code: ResolvedCode, shared: Shared) -> Self {
        let stored = |url: &Option<String>| url.as_deref().and_then(|u| TargetUrl::parse(u).ok());
        // A no-tracking campaign's destination is left as the brand wrote it: tags would
        // tell the next site which poster or label the visitor came from.
        let tagged = |url: TargetUrl| {
            if code.tracking.is_full() {
                url.with_params_unless_set(&[
                    ("utm_source", &code.channel_slug),
                    ("utm_medium", "qr"),
                    ("utm_campaign", &code.campaign_slug),
                ])
            } else {
                url.into_string()
            }
        };
        let destination = stored(&code.destination_url).map(tagged);
        let variant_destinations = shared
            .routing
            .iter()
            .flat_map(|routing| &routing.variants)
            .map(|variant| stored(&variant.destination_url).map(tagged))
            .collect();
        let fallback = stored(&code.fallback_url).map(TargetUrl::into_string);
        let offer = match (&code.offer_id, &code.offer_counts, &code.offer_url) {
            (Some(id), Some(counts), Some(url)) => {
                OfferCounts::parse(counts).ok().map(|counts| StandingOffer {
                    id: *id,
                    counts,
                    url: url.clone(),
                    fallback_url: code.offer_fallback_url.clone(),
                })
            }
            _ => None,
        };
        Self {
            code,
            destination,
            fallback,
            offer,
            rules: shared.rules,
            routing: shared.routing,
            variant_destinations,
            scans_seen: AtomicI64::new(0),
        }
    }

    /// Where a redirect rule sends a scan the campaign would send on (a notice, or a
    /// campaign that is off, wins over rules), if one matches.
    pub fn ruled<'a>(&'a self, outcome: Outcome<'a>, facts: &ScanFacts<'_>) -> Option<Outcome<'a>> {
        if self.rules.is_empty() || !matches!(outcome, Outcome::Destination(_) | Outcome::Landing) {
            return None;
        }
        rules::matching(&self.rules, facts).find_map(|action| match action {
            Action::Url(url) => Some(Outcome::Rule(url)),
            Action::Notice(id) => Some(Outcome::Notice(*id)),
            Action::Variant(id) => self.variant_outcome(*id),
        })
    }

    /// Where variant `id` of the running experiment sends a scan; `None` once no
    /// experiment with it runs.
    fn variant_outcome(&self, id: i64) -> Option<Outcome<'_>> {
        let routing = self.routing.as_deref().filter(|r| r.winner.is_none())?;
        let position = routing.variants.iter().position(|v| v.id == id)?;
        Some(match self.variant_destinations.get(position) {
            Some(Some(url)) => Outcome::Rule(url),
            _ => Outcome::RuleVariantPage(id),
        })
    }

    /// Where the campaign's experiment sends a scan the campaign would send on, for
    /// `visitor_id` (`None` for bots): the variant's id when the scan counts for the
    /// experiment, and its destination, or the landing page that shows its content.
    pub fn experimented<'a>(
        &'a self,
        outcome: Outcome<'a>,
        visitor_id: Option<&str>,
    ) -> Option<(Option<i64>, Outcome<'a>)> {
        let routing = self.routing.as_deref()?;
        if !matches!(outcome, Outcome::Destination(_) | Outcome::Landing) {
            return None;
        }
        let shown = routing.shown(visitor_id)?;
        let outcome = match self.variant_destinations.get(shown.position) {
            Some(Some(url)) => Outcome::Destination(url),
            _ => Outcome::Landing,
        };
        Some((shown.counts.then_some(shown.variant.id), outcome))
    }

    /// Whether redirect rules cover the code.
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }

    /// Counts a person's scan; whether it is the code's first as this instance knows
    /// (none in its history when loaded, none answered here since).
    pub fn note_person_scan(&self) -> bool {
        self.scans_seen.fetch_add(1, Ordering::Relaxed) == 0 && self.code.stored_scans == 0
    }

    /// The limited offer a scan may claim: one stands, and the scan would go on to the
    /// campaign (a notice or a fallback leaves offers out).
    pub fn offer_for(&self, outcome: Outcome<'_>) -> Option<&StandingOffer> {
        match outcome {
            Outcome::Destination(_) | Outcome::Landing => self.offer.as_ref(),
            _ => None,
        }
    }

    /// Where a scan at `now_ms` goes: a standing recall notice's page first; the
    /// destination while the code, its batch and its campaign are switched on and the
    /// campaign runs; otherwise the fallback.
    pub fn outcome(&self, now_ms: i64) -> Outcome<'_> {
        let code = &self.code;
        if let Some(notice) = code.notice_id {
            return Outcome::Notice(notice);
        }
        let switched_on = code.code_status == Status::Active && code.batch_status == Status::Active;
        let chosen = if switched_on && code.schedule().is_running(now_ms) {
            self.destination.as_deref().map(Outcome::Destination)
        } else {
            self.fallback.as_deref().map(Outcome::Fallback)
        };
        chosen.unwrap_or(Outcome::Landing)
    }
}

impl Deref for RoutedCode {
    type Target = ResolvedCode;

    fn deref(&self) -> &ResolvedCode {
        &self.code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Tracking;

    fn code(destination: Option<&str>, fallback: Option<&str>) -> ResolvedCode {
        ResolvedCode {
            code_id: 1,
            token: "ABCDEFGHJKMNP".into(),
            serial: 1,
            code_status: Status::Active,
            batch_id: 1,
            batch_status: Status::Active,
            store_id: None,
            gtin: None,
            lot: None,
            channel_id: 1,
            channel_slug: "metro".into(),
            campaign_id: 1,
            campaign_slug: "tea".into(),
            campaign_status: Status::Active,
            destination_url: destination.map(str::to_owned),
            fallback_url: fallback.map(str::to_owned),
            starts_at: Some(100),
            ends_at: Some(200),
            tracking: Tracking::Full,
            notice_id: None,
            batch_mode: BatchMode::Shared,
            offer_id: None,
            offer_counts: None,
            offer_url: None,
            offer_fallback_url: None,
            campaign_rules: None,
            batch_rules: None,
            experiment_routing: None,
            stored_scans: 0,
        }
    }

    const SHOP: &str = "https://shop.example.com/tea";
    const BRAND: &str = "https://brand.example.com/";

    #[test]
    fn a_running_campaign_goes_to_its_destination_with_utm_tags() {
        let routed = RoutedCode::new(code(Some(SHOP), Some(BRAND)));
        let outcome = routed.outcome(150);
        assert_eq!(
            outcome,
            Outcome::Destination(
                "https://shop.example.com/tea?utm_source=metro&utm_medium=qr&utm_campaign=tea"
            )
        );
        assert_eq!(outcome.label(), "destination");
    }

    #[test]
    fn a_recall_notice_comes_before_everything_else() {
        let mut recalled = code(Some(SHOP), Some(BRAND));
        recalled.notice_id = Some(9);
        recalled.campaign_status = Status::Disabled;
        let routed = RoutedCode::new(recalled);
        let outcome = routed.outcome(150);
        assert_eq!(outcome, Outcome::Notice(9));
        assert_eq!(outcome.label(), "notice");
    }

    #[test]
    fn without_a_destination_scans_go_to_the_landing_page() {
        assert_eq!(
            RoutedCode::new(code(None, Some(BRAND))).outcome(150),
            Outcome::Landing
        );
        assert_eq!(Outcome::Landing.label(), "landing");
    }

    #[test]
    fn anything_switched_off_or_out_of_dates_goes_to_the_fallback() {
        let fallback = Outcome::Fallback(BRAND);
        for now in [99, 200] {
            assert_eq!(
                RoutedCode::new(code(Some(SHOP), Some(BRAND))).outcome(now),
                fallback,
                "{now}"
            );
        }
        let mut c = code(Some(SHOP), Some(BRAND));
        c.code_status = Status::Disabled;
        assert_eq!(RoutedCode::new(c.clone()).outcome(150), fallback);
        let mut c = code(Some(SHOP), Some(BRAND));
        c.batch_status = Status::Disabled;
        assert_eq!(RoutedCode::new(c.clone()).outcome(150), fallback);
        let mut c = code(Some(SHOP), Some(BRAND));
        c.campaign_status = Status::Disabled;
        assert_eq!(RoutedCode::new(c.clone()).outcome(150), fallback);
        assert_eq!(fallback.label(), "fallback");
    }

    #[test]
    fn a_stopped_campaign_without_a_fallback_shows_its_landing_page() {
        assert_eq!(
            RoutedCode::new(code(Some(SHOP), None)).outcome(250),
            Outcome::Landing
        );
    }
}
