//! Describing a visit: who sent a request, as much as a scan (and later a landing view, a
//! click, a photo or a purchase) keeps of it: the anonymised network, coarse location,
//! device, referrer host and language. The raw address is used here and dropped.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, Method, header};

use super::Visitor;
use super::client::{anonymise, client_ip};
use super::device::{Device, DeviceParser};
use crate::db::{ResolvedCode, ScanRow};
use crate::geo::{Geo, Location};

#[derive(Debug, Clone)]
pub struct Visit {
    /// IPv4 /24 or IPv6 /48, never the address.
    pub ip_prefix: String,
    pub location: Arc<Location>,
    pub device: Arc<Device>,
    /// A bot by its agent, or a HEAD request (what link checkers and previewers send; no
    /// person reads a HEAD answer).
    pub is_bot: bool,
    pub referrer_host: Option<String>,
    pub language: Option<String>,
}

/// What describing a visit needs from the server.
pub struct VisitContext<'a> {
    pub devices: &'a DeviceParser,
    pub geo: &'a Geo,
    pub trusted_proxies: &'a [ipnet::IpNet],
}

impl Visit {
    pub fn describe(
        context: &VisitContext<'_>,
        peer: IpAddr,
        method: &Method,
        headers: &HeaderMap,
    ) -> Self {
        let device = context
            .devices
            .parse(header_str(headers, header::USER_AGENT).unwrap_or(""));
        let ip = client_ip(
            peer,
            header_str(headers, "x-forwarded-for"),
            context.trusted_proxies,
        );
        Self {
            ip_prefix: anonymise(ip),
            location: context.geo.locate(ip),
            is_bot: device.is_bot || method == Method::HEAD,
            device,
            referrer_host: referrer_host(headers),
            language: language(headers),
        }
    }
}

impl Visit {
    /// The row a scan of `code` at `now` stores for this visit and visitor.
    pub fn scan_row(
        &self,
        now: i64,
        code: &ResolvedCode,
        visitor: &Visitor,
        outcome: &'static str,
    ) -> ScanRow {
        let location = &self.location;
        ScanRow {
            scanned_at: now,
            code_id: code.code_id,
            batch_id: code.batch_id,
            campaign_id: code.campaign_id,
            channel_id: code.channel_id,
            store_id: code.store_id,
            visitor_id: visitor.id.clone(),
            is_new_visitor: visitor.is_new,
            ip_prefix: Some(self.ip_prefix.clone()),
            country: location.country.clone(),
            region: location.region.clone(),
            city: location.city.clone(),
            latitude: location.latitude,
            longitude: location.longitude,
            device: self.device.class,
            os: self.device.os.clone(),
            browser: self.device.browser.clone(),
            is_bot: self.is_bot,
            referrer_host: self.referrer_host.clone(),
            language: self.language.clone(),
            outcome,
            variant_id: None,
            count_only: false,
        }
    }
}

fn header_str<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The host of the `Referer`, e.g. `weixin.qq.com`; never its path or query.
fn referrer_host(headers: &HeaderMap) -> Option<String> {
    let referer = header_str(headers, header::REFERER)?;
    let url = url::Url::parse(referer).ok()?;
    url.host_str().filter(|h| h.len() <= 253).map(str::to_owned)
}

/// The visitor's first language choice, e.g. `zh-cn`.
fn language(headers: &HeaderMap) -> Option<String> {
    let first = header_str(headers, header::ACCEPT_LANGUAGE)?
        .split(',')
        .next()?;
    let tag = first.split(';').next()?.trim().to_ascii_lowercase();
    let valid = !tag.is_empty()
        && tag.len() <= 35
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then_some(tag)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_referrer_keeps_only_its_host() {
        let h = headers(&[("referer", "https://weixin.qq.com/s/abc?from=timeline")]);
        assert_eq!(referrer_host(&h).as_deref(), Some("weixin.qq.com"));
        assert_eq!(referrer_host(&headers(&[("referer", "not a url")])), None);
        assert_eq!(referrer_host(&HeaderMap::new()), None);
        let long = format!("https://{}.example.com/", "a".repeat(250));
        assert_eq!(referrer_host(&headers(&[("referer", &long)])), None);
    }

    #[test]
    fn the_language_is_the_first_choice_lowercased() {
        let h = headers(&[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")]);
        assert_eq!(language(&h).as_deref(), Some("zh-cn"));
        let h = headers(&[("accept-language", "en-GB;q=0.9")]);
        assert_eq!(language(&h).as_deref(), Some("en-gb"));
        for bad in ["", "*;q=0.5,en", "zh_CN", &"a".repeat(36)] {
            assert_eq!(
                language(&headers(&[("accept-language", bad)])),
                None,
                "{bad:?}"
            );
        }
        assert_eq!(language(&HeaderMap::new()), None);
    }

    #[test]
    fn head_requests_and_bot_agents_are_bots_and_the_address_is_cut() {
        let devices = DeviceParser::default();
        let geo = Geo::disabled();
        let context = VisitContext {
            devices: &devices,
            geo: &geo,
            trusted_proxies: &[],
        };
        let phone = headers(&[(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
        )]);
        let peer: IpAddr = "81.2.69.142".parse().unwrap();
        let get = Visit::describe(&context, peer, &Method::GET, &phone);
        assert!(!get.is_bot);
        assert_eq!(get.ip_prefix, "81.2.69.0/24");
        assert!(Visit::describe(&context, peer, &Method::HEAD, &phone).is_bot);
        let curl = headers(&[("user-agent", "curl/8.5.0")]);
        assert!(Visit::describe(&context, peer, &Method::GET, &curl).is_bot);
    }
}
