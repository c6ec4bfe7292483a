//! What a visitor can do on a campaign's pages after scanning, as events record it.

/// The kind of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The landing page was shown.
    View,
    /// A call to action was followed.
    Click,
    /// A photo was shared.
    PhotoShare,
    /// The visitor let the photo page use their browser's position.
    LocationConsent,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Click => "click",
            Self::PhotoShare => "photo",
            Self::LocationConsent => "location",
        }
    }
}

/// A call to action on the landing page, as named in its click link (`/c/{slug}/go/buy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Buy online: the shop link, which carries the click id.
    Buy,
    /// Find a store.
    Stores,
    /// Join the brand's membership.
    Join,
    /// Share a photo: the campaign's own photo page.
    Photos,
}

impl Action {
    pub const ALL: [Action; 4] = [Self::Buy, Self::Stores, Self::Join, Self::Photos];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Stores => "stores",
            Self::Join => "join",
            Self::Photos => "photos",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_what_they_write() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("Buy"), None);
        assert_eq!(Action::parse(""), None);
    }
}
