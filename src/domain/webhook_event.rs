//! What an outbound webhook can be told about. Only events scanloop produces are offered,
//! so a subscription never waits for something that never comes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A purchase was recorded and attributed to the scans that led to it.
    ConversionAttributed,
    /// A UTC day is over: each campaign's scans, visitors, page events and purchases.
    ScansDaily,
    /// A consumer became a member (not sent again when they sign in on another phone).
    MemberJoined,
    /// A member's points balance moved: earned, spent or adjusted.
    PointsChanged,
    /// A buyer rated their purchase; `low` when the rating is 2 or less.
    FeedbackReceived,
    /// A unique code looks copied: scanned from too many cities, too often in an hour, or
    /// after the item was bought. Sent once per code and reason.
    CodeSuspicious,
    /// An audience's members, sent on request in parts (no contact: member and visitor
    /// ids, stage, place, tier).
    AudienceMembers,
    /// A one-time code for the brand's SMS or mail provider to send: the only event that
    /// carries a phone number or email.
    MemberCode,
}

impl WebhookEvent {
    pub const ALL: [Self; 8] = [
        Self::ConversionAttributed,
        Self::ScansDaily,
        Self::MemberJoined,
        Self::PointsChanged,
        Self::FeedbackReceived,
        Self::CodeSuspicious,
        Self::AudienceMembers,
        Self::MemberCode,
    ];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|event| event.as_str() == raw)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|e| e.as_str()).collect();
                format!(
                    "{raw:?} is not an event scanloop sends: use {}",
                    known.join(", ")
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversionAttributed => "conversion.attributed",
            Self::ScansDaily => "scans.daily",
            Self::MemberJoined => "member.joined",
            Self::PointsChanged => "points.changed",
            Self::FeedbackReceived => "feedback.received",
            Self::CodeSuspicious => "code.suspicious",
            Self::AudienceMembers => "audience.members",
            Self::MemberCode => "member.code",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_unknown_ones_name_the_known() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(event.as_str()), Ok(event));
        }
        let err = WebhookEvent::parse("member.left").unwrap_err();
        assert!(err.contains("conversion.attributed"), "{err}");
    }
}
