//! The visitor: a first-party cookie, `sl_vid`, holding 128 random bits. It tells a new
//! visitor from a returning one and links a visitor's scans, landing views and purchases;
//! it identifies a browser, never a person.

use axum::http::{HeaderMap, HeaderValue, header};
use rand::RngCore;

pub const COOKIE: &str = "sl_vid";
const ONE_YEAR_SECS: u32 = 365 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    /// 32 lowercase hex digits; `None` for a bot without a cookie (bots get none).
    pub id: Option<String>,
    /// No valid cookie came with the request, so the id was issued now.
    pub is_new: bool,
}

impl Visitor {
    /// The visitor the cookie names; a person without a valid cookie gets a new id.
    pub fn identify(headers: &HeaderMap, is_bot: bool) -> Self {
        match from_cookie(headers) {
            Some(id) => Self {
                id: Some(id),
                is_new: false,
            },
            None if is_bot => Self {
                id: None,
                is_new: false,
            },
            None => Self {
                id: Some(new_id()),
                is_new: true,
            },
        }
    }

    /// `Set-Cookie` for a visitor issued now; `secure` on https.
    pub fn set_cookie(&self, secure: bool) -> Option<HeaderValue> {
        let id = self.id.as_ref().filter(|_| self.is_new)?;
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={id}; Max-Age={ONE_YEAR_SECS}; Path=/; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }
}

/// 128 random bits as 32 hex digits: a visitor id, and the click id of a buy link.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The first well-formed `sl_vid` among the request's cookies; anything else is ignored.
fn from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .find(|id| {
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    const KNOWN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_returning_visitor_keeps_their_id_and_gets_no_new_cookie() {
        let visitor = Visitor::identify(&with_cookie(&format!("a=1; sl_vid={KNOWN}")), false);
        assert_eq!(visitor.id.as_deref(), Some(KNOWN));
        assert!(!visitor.is_new);
        assert_eq!(visitor.set_cookie(true), None);
    }

    #[test]
    fn a_malformed_cookie_is_ignored_and_replaced() {
        for bad in [
            "sl_vid=short",
            "sl_vid=0123456789ABCDEF0123456789ABCDEF",
            "sl_vid=0123456789abcdef0123456789abcdeg",
            "sl_vid=0123456789abcdef0123456789abcdef0",
            "sl_vidx=0123456789abcdef0123456789abcdef",
        ] {
            let visitor = Visitor::identify(&with_cookie(bad), false);
            assert!(visitor.is_new, "{bad}");
            let id = visitor.id.clone().unwrap();
            assert_eq!(id.len(), 32);
            assert_ne!(id, KNOWN);
            let cookie = visitor.set_cookie(false).unwrap();
            let cookie = cookie.to_str().unwrap();
            assert!(cookie.starts_with(&format!("sl_vid={id};")), "{cookie}");
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
            assert!(cookie.contains("; Max-Age=31536000;"), "a year: {cookie}");
            assert!(!cookie.contains("Secure"));
        }
    }

    #[test]
    fn bots_without_a_cookie_get_no_id_and_https_cookies_are_secure() {
        let bot = Visitor::identify(&HeaderMap::new(), true);
        assert_eq!((bot.id, bot.is_new), (None, false));
        let person = Visitor::identify(&HeaderMap::new(), false);
        let cookie = person.set_cookie(true).unwrap();
        assert!(cookie.to_str().unwrap().ends_with("; Secure"));
        assert_ne!(person.id, Visitor::identify(&HeaderMap::new(), false).id);
    }
}
