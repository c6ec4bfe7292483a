//! Settings: defaults, overridden by `SCANLOOP_*` variables, overridden by flags.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;
use url::Url;

use crate::domain::{DigitalLink, LinkStyle};
use crate::scans::client::parse_proxies;
use crate::server::ConnectionLimits;

#[derive(Args, Clone)]
pub struct Config {
    /// sqlite://FILE (created if missing) or postgres://...
    #[arg(
        long,
        env = "SCANLOOP_DATABASE_URL",
        default_value = "sqlite://scanloop.db"
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "SCANLOOP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Base of printed short links, e.g. https://go.example.com (default: http://ADDRESS it listens on).
    #[arg(long, env = "SCANLOOP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// MaxMind-format City or Country database (GeoIP2, GeoLite2, DB-IP).
    #[arg(long, env = "SCANLOOP_GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,

    /// Comma-separated CIDRs whose X-Forwarded-For is believed.
    #[arg(long, env = "SCANLOOP_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// An admin API key that is made to exist at start (stored hashed).
    #[arg(long, env = "SCANLOOP_INITIAL_API_KEY")]
    pub initial_api_key: Option<String>,

    /// Directory for uploads.
    #[arg(long, env = "SCANLOOP_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Print short links in lowercase (https://host/s/token) instead of the uppercase form
    /// that QR alphanumeric mode packs into smaller symbols.
    #[arg(long, env = "SCANLOOP_LOWERCASE_LINKS", default_value_t = false)]
    pub lowercase_links: bool,

    /// Delete raw scans older than this many days (once a day); rollups, visitor sketches
    /// and per-code history are kept. Unset keeps scans forever.
    #[arg(long, env = "SCANLOOP_RETENTION_DAYS", value_parser = parse_retention_days)]
    pub retention_days: Option<u32>,

    /// A token that `GET /metrics` requires (`Authorization: Bearer TOKEN`); unset leaves
    /// the metrics open to whoever can reach the port.
    #[arg(long, env = "SCANLOOP_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Seconds a client has to send a request's headers.
    #[arg(long, env = "SCANLOOP_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,

    /// Seconds a keep-alive connection may stay open with no request in flight.
    #[arg(long, env = "SCANLOOP_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,

    /// Seconds an API request may take before it is answered 408 (scans are not limited:
    /// a scan is answered once it is stored).
    #[arg(long, env = "SCANLOOP_API_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub api_timeout_secs: u64,

    /// Open connections at most; past it the server stops accepting until one closes.
    /// Keep it under the process's open-file limit (`ulimit -n`).
    #[arg(long, env = "SCANLOOP_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// Minutes a signed-in browser may sit unused before it must sign in again.
    #[arg(long, env = "SCANLOOP_SESSION_IDLE_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u64).range(1..=43_200))]
    pub session_idle_minutes: u64,

    /// Hours a sign-in lasts at most, however busy.
    #[arg(long, env = "SCANLOOP_SESSION_MAX_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub session_max_hours: u64,

    /// Lets webhooks use http and private addresses (this machine, the local network):
    /// for development and tests only.
    #[arg(long, env = "SCANLOOP_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,

    /// Shows members' one-time codes on the join page instead of only handing them to the
    /// `member.code` webhook: for development only.
    #[arg(long, env = "SCANLOOP_SHOW_ONE_TIME_CODES", default_value_t = false)]
    pub show_one_time_codes: bool,
}

fn parse_retention_days(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(days) if (1..=36_500).contains(&days) => Ok(days),
        _ => Err(format!(
            "{raw:?} is not a number of days from 1 to 36500; leave it unset to keep scans forever"
        )),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("geoip_db", &self.geoip_db)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "initial_api_key",
                &self.initial_api_key.as_ref().map(|_| "[redacted]"),
            )
            .field("data_dir", &self.data_dir)
            .field("lowercase_links", &self.lowercase_links)
            .field("retention_days", &self.retention_days)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("api_timeout_secs", &self.api_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_max_hours", &self.session_max_hours)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field("show_one_time_codes", &self.show_one_time_codes)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The URL with its password, if any, replaced: safe to log.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// What the running server derives from `Config`, checked once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Scheme, host and optional path prefix of short links, without a trailing slash.
    pub public_url: String,
    pub secure_cookies: bool,
    pub trusted_proxies: Vec<IpNet>,
    pub lowercase_links: bool,
    pub metrics_token: Option<String>,
    pub api_timeout: Duration,
    pub connection_limits: ConnectionLimits,
    /// How long a session may sit unused, and how long it lasts at most.
    pub session_idle: Duration,
    pub session_max: Duration,
    /// Webhooks may use http and private addresses.
    pub webhook_allow_private: bool,
    /// The join page shows the one-time code it sent.
    pub show_one_time_codes: bool,
}

impl Config {
    /// `listening` is the bound address, the default public URL (`bind` may say port 0).
    pub fn settings(&self, listening: SocketAddr) -> anyhow::Result<Settings> {
        let raw = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listening}"));
        let url = Url::parse(&raw)
            .map_err(|e| anyhow::anyhow!("SCANLOOP_PUBLIC_URL {raw:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            anyhow::bail!("SCANLOOP_PUBLIC_URL must be an http or https URL with a host");
        }
        if url.query().is_some() || url.fragment().is_some() {
            anyhow::bail!("SCANLOOP_PUBLIC_URL must not carry a query or fragment");
        }
        let trusted_proxies = parse_proxies(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("SCANLOOP_TRUSTED_PROXIES: {e}"))?;
        Ok(Settings {
            public_url: url.as_str().trim_end_matches('/').to_owned(),
            secure_cookies: url.scheme() == "https",
            trusted_proxies,
            lowercase_links: self.lowercase_links,
            metrics_token: match self.metrics_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(token) if token.len() < 16 => {
                    anyhow::bail!("SCANLOOP_METRICS_TOKEN must be at least 16 characters")
                }
                Some(token) => Some(token.to_owned()),
            },
            api_timeout: Duration::from_secs(self.api_timeout_secs),
            connection_limits: ConnectionLimits {
                header_timeout: Duration::from_secs(self.header_timeout_secs),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs),
                max_connections: self.max_connections as usize,
            },
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            session_max: Duration::from_secs(self.session_max_hours * 3600),
            webhook_allow_private: self.webhook_allow_private,
            show_one_time_codes: self.show_one_time_codes,
        })
    }
}

impl Settings {
    /// The public URL's path, `/qr` for `https://go.example.com/qr`, empty for none.
    pub fn path_prefix(&self) -> &str {
        split_origin(&self.public_url).1
    }

    /// What a code of a batch printed in `style` encodes: the short link, or the GS1
    /// Digital Link URI on the same host.
    pub fn code_url(&self, style: &LinkStyle, token: &str) -> String {
        self.code_urls(style).url(token)
    }

    /// The URLs of a batch's codes, worked out once for a listing of many.
    pub fn code_urls(&self, style: &LinkStyle) -> CodeUrls {
        let (origin, prefix) = split_origin(&self.public_url);
        let origin = if self.lowercase_links {
            origin.to_ascii_lowercase()
        } else {
            origin.to_ascii_uppercase()
        };
        match style {
            LinkStyle::Short if self.lowercase_links => CodeUrls {
                before_token: format!("{origin}{prefix}/s/"),
                token: TokenCase::Lower,
            },
            LinkStyle::Short => CodeUrls {
                before_token: format!("{origin}{prefix}/S/"),
                token: TokenCase::AsIs,
            },
            LinkStyle::DigitalLink {
                gtin,
                lot,
                per_item,
            } => {
                let path = DigitalLink {
                    gtin: gtin.clone(),
                    cpv: None,
                    lot: lot.clone(),
                    serial: None,
                }
                .path();
                // A code of a unique batch is the serial; a shared batch's names none.
                let (serial, token) = if *per_item {
                    ("/21/", TokenCase::AsIs)
                } else {
                    ("", TokenCase::Omitted)
                };
                CodeUrls {
                    before_token: format!("{origin}{prefix}{path}{serial}"),
                    token,
                }
            }
        }
    }

    /// `public_url` followed by `path`: an absolute URL as a response names it.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// The link printed in a code: `HTTPS://HOST/S/TOKEN` by default. Scheme and host are
    /// case-insensitive, so uppercasing them changes nothing but the QR mode; a path prefix
    /// is kept as configured.
    pub fn short_url(&self, token: &str) -> String {
        self.code_url(&LinkStyle::Short, token)
    }
}

/// The URLs of one batch's codes: a fixed part, then the token (Crockford base32, so it
/// needs no percent-encoding), if the URL names the code at all.
#[derive(Debug, Clone)]
pub struct CodeUrls {
    before_token: String,
    token: TokenCase,
}

#[derive(Debug, Clone, Copy)]
enum TokenCase {
    AsIs,
    Lower,
    /// A shared batch's Digital Link names the product and lot, not the code.
    Omitted,
}

impl CodeUrls {
    pub fn url(&self, token: &str) -> String {
        let mut url = String::with_capacity(self.before_token.len() + token.len());
        self.push(&mut url, token);
        url
    }

    /// Appends the code's URL to `out`, without allocating.
    pub fn push(&self, out: &mut String, token: &str) {
        out.push_str(&self.before_token);
        match self.token {
            TokenCase::AsIs => out.push_str(token),
            TokenCase::Lower => out.extend(token.chars().map(|c| c.to_ascii_lowercase())),
            TokenCase::Omitted => {}
        }
    }
}

/// `https://host:8080/prefix` -> (`https://host:8080`, `/prefix`).
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Gtin;

    fn settings(public: &str, lowercase: bool) -> Settings {
        Settings {
            public_url: public.into(),
            secure_cookies: true,
            trusted_proxies: vec![],
            lowercase_links: lowercase,
            metrics_token: None,
            api_timeout: Duration::from_secs(30),
            connection_limits: ConnectionLimits {
                header_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(60),
                max_connections: 10,
            },
            session_idle: Duration::from_secs(3600),
            session_max: Duration::from_secs(86_400),
            webhook_allow_private: false,
            show_one_time_codes: false,
        }
    }

    #[test]
    fn short_urls_are_uppercase_unless_asked_otherwise() {
        let s = settings("https://go.example.com", false);
        assert_eq!(s.short_url("ABC"), "HTTPS://GO.EXAMPLE.COM/S/ABC");
        let s = settings("https://go.example.com/qr", false);
        assert_eq!(s.short_url("ABC"), "HTTPS://GO.EXAMPLE.COM/qr/S/ABC");
        let s = settings("https://go.example.com", true);
        assert_eq!(s.short_url("ABC"), "https://go.example.com/s/abc");
    }

    #[test]
    fn gs1_batches_print_digital_links_with_the_token_as_serial() {
        let gtin = Gtin::parse("9506000134352").unwrap();
        let unique = LinkStyle::DigitalLink {
            gtin: gtin.clone(),
            lot: Some("L26".into()),
            per_item: true,
        };
        let shared = LinkStyle::DigitalLink {
            gtin,
            lot: None,
            per_item: false,
        };
        let s = settings("https://go.example.com/qr", false);
        assert_eq!(
            s.code_url(&unique, "ABC"),
            "HTTPS://GO.EXAMPLE.COM/qr/01/09506000134352/10/L26/21/ABC"
        );
        assert_eq!(
            s.code_url(&shared, "ABC"),
            "HTTPS://GO.EXAMPLE.COM/qr/01/09506000134352"
        );
        assert_eq!(s.code_url(&LinkStyle::Short, "ABC"), s.short_url("ABC"));
    }
}
