//! Where a scan of a known code sends the consumer.

use crate::db::ResolvedCode;
use crate::domain::{Status, TargetUrl};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The campaign's destination, with UTM tags added where the brand set none.
    Destination(String),
    /// The campaign's own landing page (no destination set, or nowhere else to go).
    Landing,
    /// The campaign's fallback: the code, batch or campaign is disabled or out of dates.
    Fallback(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Destination(_) => "destination",
            Self::Landing => "landing",
            Self::Fallback(_) => "fallback",
        }
    }
}

pub fn decide(code: &ResolvedCode, now_ms: i64) -> Outcome {
    let switched_on = code.code_status == Status::Active && code.batch_status == Status::Active;
    let stored = |url: &Option<String>| url.as_deref().and_then(|u| TargetUrl::parse(u).ok());
    if !switched_on || !code.schedule().is_running(now_ms) {
        return match stored(&code.fallback_url) {
            Some(url) => Outcome::Fallback(url.as_str().to_owned()),
            None => Outcome::Landing,
        };
    }
    match stored(&code.destination_url) {
        Some(url) => Outcome::Destination(url.with_params_unless_set(&[
            ("utm_source", &code.channel_slug),
            ("utm_medium", "qr"),
            ("utm_campaign", &code.campaign_slug),
        ])),
        None => Outcome::Landing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(destination: Option<&str>, fallback: Option<&str>) -> ResolvedCode {
        ResolvedCode {
            code_id: 1,
            token: "ABCDEFGHJKMNP".into(),
            serial: 1,
            code_status: Status::Active,
            batch_id: 1,
            batch_status: Status::Active,
            store_id: None,
            channel_id: 1,
            channel_slug: "metro".into(),
            campaign_id: 1,
            campaign_slug: "tea".into(),
            campaign_status: Status::Active,
            destination_url: destination.map(str::to_owned),
            fallback_url: fallback.map(str::to_owned),
            starts_at: Some(100),
            ends_at: Some(200),
        }
    }

    const SHOP: &str = "https://shop.example.com/tea";
    const BRAND: &str = "https://brand.example.com/";

    #[test]
    fn a_running_campaign_goes_to_its_destination_with_utm_tags() {
        let outcome = decide(&code(Some(SHOP), Some(BRAND)), 150);
        assert_eq!(
            outcome,
            Outcome::Destination(format!(
                "{SHOP}?utm_source=metro&utm_medium=qr&utm_campaign=tea"
            ))
        );
        assert_eq!(outcome.label(), "destination");
    }

    #[test]
    fn without_a_destination_scans_go_to_the_landing_page() {
        assert_eq!(decide(&code(None, Some(BRAND)), 150), Outcome::Landing);
        assert_eq!(Outcome::Landing.label(), "landing");
    }

    #[test]
    fn anything_switched_off_or_out_of_dates_goes_to_the_fallback() {
        let fallback = Outcome::Fallback(BRAND.into());
        for now in [99, 200] {
            assert_eq!(
                decide(&code(Some(SHOP), Some(BRAND)), now),
                fallback,
                "{now}"
            );
        }
        let mut c = code(Some(SHOP), Some(BRAND));
        c.code_status = Status::Disabled;
        assert_eq!(decide(&c, 150), fallback);
        let mut c = code(Some(SHOP), Some(BRAND));
        c.batch_status = Status::Disabled;
        assert_eq!(decide(&c, 150), fallback);
        let mut c = code(Some(SHOP), Some(BRAND));
        c.campaign_status = Status::Disabled;
        assert_eq!(decide(&c, 150), fallback);
        assert_eq!(fallback.label(), "fallback");
    }

    #[test]
    fn a_stopped_campaign_without_a_fallback_shows_its_landing_page() {
        assert_eq!(decide(&code(Some(SHOP), None), 250), Outcome::Landing);
    }
}
