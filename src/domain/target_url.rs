//! URLs that consumers are sent to: absolute http or https only.

use url::Url;

/// Longest URL accepted: what browsers and proxies reliably pass on.
pub const MAX_LEN: usize = 2048;

/// A destination or fallback URL that is safe to put in a `Location` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(Url);

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // The limit holds for the URL as it will be sent: normalised and percent-encoded,
        // where one Chinese character becomes nine bytes.
        if raw.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        let url = Url::parse(raw.trim()).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => {
                "must be a whole address starting with https:// (or http://), such as \
                 https://shop.example.com/tea"
                    .to_owned()
            }
            e => format!("is not a valid URL ({e})"),
        })?;
        if url.as_str().len() > MAX_LEN {
            return Err(format!(
                "must be at most {MAX_LEN} characters once percent-encoded ({} here)",
                url.as_str().len()
            ));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("must use http or https, not {}:", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".into());
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn into_string(self) -> String {
        self.0.into()
    }

    /// The URL with each `(key, value)` appended unless the URL already sets that key,
    /// so a brand's own tagging always wins.
    pub fn with_params_unless_set(&self, params: &[(&str, &str)]) -> String {
        let present: Vec<String> = self.0.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let missing: Vec<_> = params
            .iter()
            .filter(|(key, _)| !present.iter().any(|p| p == key))
            .collect();
        if missing.is_empty() {
            return self.0.to_string();
        }
        let mut url = self.0.clone();
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in missing {
                query.append_pair(key, value);
            }
        }
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_are_accepted() {
        assert!(TargetUrl::parse("https://shop.example.com/p?x=1").is_ok());
        assert!(TargetUrl::parse("http://example.com").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://x.org",
            "/relative",
            "",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn the_length_limit_counts_the_url_as_it_will_be_sent() {
        let base = "https://shop.example.com/";
        let exactly = format!("{base}{}", "a".repeat(MAX_LEN - base.len()));
        assert!(TargetUrl::parse(&exactly).is_ok());
        assert!(TargetUrl::parse(&format!("{exactly}a")).is_err());
        // 300 Chinese characters are 900 bytes raw but 2700 once percent-encoded.
        let chinese = format!("{base}{}", "茶".repeat(300));
        assert!(chinese.len() < MAX_LEN);
        let err = TargetUrl::parse(&chinese).unwrap_err();
        assert!(err.contains("percent-encoded"), "{err}");
    }

    #[test]
    fn existing_params_are_kept_and_missing_ones_appended() {
        let url = TargetUrl::parse("https://shop.example.com/p?utm_source=tv&x=1").unwrap();
        let out = url.with_params_unless_set(&[("utm_source", "poster"), ("utm_medium", "qr")]);
        assert_eq!(
            out,
            "https://shop.example.com/p?utm_source=tv&x=1&utm_medium=qr"
        );
    }
}
