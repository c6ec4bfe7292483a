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
