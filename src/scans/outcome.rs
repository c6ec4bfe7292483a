//! Where a scan of a known code sends the consumer.

use crate::domain::TargetUrl;
use crate::store::ResolvedCode;

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
    let disabled = [&code.code_status, &code.batch_status, &code.campaign_status]
        .iter()
        .any(|s| s.as_str() != "active");
    let out_of_dates =
        code.starts_at.is_some_and(|t| now_ms < t) || code.ends_at.is_some_and(|t| now_ms >= t);
    let stored = |url: &Option<String>| url.as_deref().and_then(|u| TargetUrl::parse(u).ok());
    if disabled || out_of_dates {
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
