//! The languages scanloop's own pages speak, and the choice among them from a visitor's
//! `Accept-Language` (highest weight wins; ties go to the earlier entry; English when nothing
//! matches).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    Chinese,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Chinese => "zh",
        }
    }

    /// The language of a `code` value (`en`, `zh`), as a switch link or cookie carries it.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::English),
            "zh" => Some(Self::Chinese),
            _ => None,
        }
    }

    /// The other language, which a page offers to switch to.
    pub fn other(self) -> Self {
        match self {
            Self::English => Self::Chinese,
            Self::Chinese => Self::English,
        }
    }

    /// Picks from an `Accept-Language` value such as `zh-CN,zh;q=0.9,en;q=0.8`.
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best = (0.0_f32, Self::English);
        for entry in accept_language.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
            if let Some(language) = Self::from_tag(tag)
                && weight > best.0
            {
                best = (weight, language);
            }
        }
        best.1
    }

    fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::English),
            "zh" => Some(Self::Chinese),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Language::{self, Chinese, English};

    #[test]
    fn the_first_supported_choice_wins() {
        assert_eq!(Language::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Chinese);
        assert_eq!(Language::negotiate("en-GB,zh;q=0.5"), English);
        assert_eq!(Language::negotiate("fr-FR,zh-TW;q=0.7,en;q=0.3"), Chinese);
    }

    #[test]
    fn weights_decide_over_order() {
        assert_eq!(Language::negotiate("en;q=0.2,zh;q=0.8"), Chinese);
        assert_eq!(Language::negotiate("zh;q=0.5,en;q=0.5"), Chinese);
    }

    #[test]
    fn codes_are_the_html_lang_values() {
        assert_eq!(English.code(), "en");
        assert_eq!(Chinese.code(), "zh");
        for language in [English, Chinese] {
            assert_eq!(Language::from_code(language.code()), Some(language));
            assert_eq!(language.other().other(), language);
        }
        assert_eq!(Language::from_code("zh-CN"), None);
    }

    #[test]
    fn nothing_usable_means_english() {
        assert_eq!(Language::negotiate(""), English);
        assert_eq!(Language::negotiate("fr,de;q=0.9"), English);
        assert_eq!(Language::negotiate("zh;q=0"), English);
        assert_eq!(Language::negotiate("zh;q=abc"), English);
        assert_eq!(Language::negotiate("zh;q=7"), English);
        assert_eq!(Language::negotiate("*"), English);
    }
}
