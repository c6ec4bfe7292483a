//! URL-safe names for campaigns and channels.

/// Lowercase ASCII letters, digits and single hyphens; 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if raw.is_empty() || raw.len() > 64 {
            return Err("must be 1 to 64 characters".into());
        }
        if !ok_chars || raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return Err("may hold only a-z, 0-9 and single inner hyphens".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// A slug made from a display name: "Metro Poster (Line 2)" -> "metro-poster-line-2".
    pub fn from_name(name: &str) -> Result<Self, String> {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let slug: String = slug.chars().take(64).collect();
        Self::parse(slug.trim_end_matches('-'))
            .map_err(|_| "has no letters or digits to make a slug from; give a slug".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_slugs() {
        assert_eq!(
            Slug::from_name("Metro Poster (Line 2)").unwrap().as_str(),
            "metro-poster-line-2"
        );
        assert!(Slug::from_name("春节").is_err());
    }

    #[test]
    fn bad_slugs_are_rejected() {
        for bad in ["", "Upper", "a--b", "-a", "a-", "a b", "ä"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert!(Slug::parse("summer-2026").is_ok());
    }

    #[test]
    fn slugs_are_at_most_64_characters() {
        assert!(Slug::parse(&"a".repeat(64)).is_ok());
        assert!(Slug::parse(&"a".repeat(65)).is_err());
        let long = Slug::from_name(&"tea ".repeat(40)).unwrap();
        assert_eq!(
            long.as_str().len(),
            63,
            "cut at 64, then the hyphen trimmed"
        );
        assert!(long.as_str().starts_with("tea-tea"));
    }
}
