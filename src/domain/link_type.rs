//! GS1 link types (the GS1 Web Vocabulary's `gs1:pip`, `gs1:recipeInfo`, ...): what kind of
//! page a product link leads to.

/// Where the GS1 Web Vocabulary's terms live; a linkset names link types by full URI.
pub const VOCABULARY: &str = "https://gs1.org/voc/";

/// The link a plain request of a Digital Link URI is sent to.
pub const DEFAULT_LINK: &str = "defaultLink";

/// One GS1 link type, held as its term (`pip` for `gs1:pip`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkType(String);

impl LinkType {
    /// Takes the compact form (`gs1:pip`) or the full URI (`https://gs1.org/voc/pip`, or
    /// with http).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let term = ["gs1:", VOCABULARY, "http://gs1.org/voc/"]
            .iter()
            .find_map(|prefix| raw.strip_prefix(prefix))
            .ok_or_else(|| {
                format!("{raw:?} is not a GS1 link type: write gs1:pip, or https://gs1.org/voc/pip")
            })?;
        let well_formed = term.len() <= 64
            && term.starts_with(|c: char| c.is_ascii_lowercase())
            && term.chars().all(|c| c.is_ascii_alphanumeric());
        if !well_formed {
            return Err(format!(
                "{raw:?} is not a GS1 link type: the term after gs1: is letters and digits in \
                 camelCase, such as pip or recipeInfo"
            ));
        }
        Ok(Self(term.to_owned()))
    }

    pub fn default_link() -> Self {
        Self(DEFAULT_LINK.to_owned())
    }

    pub fn is_default_link(&self) -> bool {
        self.0 == DEFAULT_LINK
    }

    /// `gs1:pip`
    pub fn compact(&self) -> String {
        format!("gs1:{}", self.0)
    }

    /// `https://gs1.org/voc/pip`
    pub fn uri(&self) -> String {
        format!("{VOCABULARY}{}", self.0)
    }
}

/// A language tag such as `en`, `zh-CN` or `zh-Hans-CN` (the shape of BCP 47, not its
/// registry).
pub fn check_language_tag(tag: &str) -> Result<(), String> {
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(())
    } else {
        Err(format!("{tag:?} is not a language tag such as en or zh-CN"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_full_forms_name_the_same_type() {
        let compact = LinkType::parse("gs1:recipeInfo").unwrap();
        assert_eq!(
            LinkType::parse("https://gs1.org/voc/recipeInfo").unwrap(),
            compact
        );
        assert_eq!(
            LinkType::parse("http://gs1.org/voc/recipeInfo").unwrap(),
            compact
        );
        assert_eq!(compact.compact(), "gs1:recipeInfo");
        assert_eq!(compact.uri(), "https://gs1.org/voc/recipeInfo");
        assert!(
            LinkType::parse("gs1:defaultLink")
                .unwrap()
                .is_default_link()
        );
    }

    #[test]
    fn other_vocabularies_and_odd_terms_are_refused() {
        for raw in [
            "pip",
            "schema:url",
            "gs1:",
            "gs1:Pip",
            "gs1:pip info",
            "gs1:pip/x",
        ] {
            assert!(LinkType::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn language_tags() {
        for ok in ["en", "zh-CN", "zh-Hans-CN", "fil"] {
            assert!(check_language_tag(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en-", "zh-CN-toolongsubtag"] {
            assert!(check_language_tag(bad).is_err(), "{bad}");
        }
    }
}
