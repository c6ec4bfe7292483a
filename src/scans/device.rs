//! Device class, OS, browser and bot flag from a User-Agent, cached per distinct agent:
//! phones send few distinct agents and parsing dominates a scan's CPU time otherwise.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const CACHE_CAPACITY: usize = 20_000;
/// Longer agents are cut before parsing and caching: no client needs more.
const MAX_AGENT_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `mobile`, `tablet`, `desktop`, `bot` or `other`.
    pub class: &'static str,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub is_bot: bool,
}

/// Chat and social apps' in-app browsers, named by a marker in their agent. Checked before
/// the generic browser name, since woothee reports them as Safari or a WebView.
const IN_APP_BROWSERS: &[(&str, &str)] = &[
    ("MicroMessenger", "WeChat"),
    ("AlipayClient", "Alipay"),
    ("Weibo", "Weibo"),
    ("DingTalk", "DingTalk"),
    (" QQ/", "QQ"),
    ("FBAN/", "Facebook"),
    ("FBAV/", "Facebook"),
    ("Instagram", "Instagram"),
    ("Line/", "LINE"),
    ("TikTok", "TikTok"),
    ("musical_ly", "TikTok"),
];

/// Link-preview fetchers and plain HTTP clients that isbot's list may miss.
const EXTRA_BOT_MARKERS: &[&str] = &[
    "curl/",
    "Wget/",
    "python-requests",
    "python-urllib",
    "Go-http-client",
    "okhttp",
    "HeadlessChrome",
    "WhatsApp",
    "TelegramBot",
    "Slackbot",
    "Discordbot",
    "facebookexternalhit",
    "Twitterbot",
    "LinkedInBot",
    "SkypeUriPreview",
    "Iframely",
    "UptimeRobot",
];

pub struct DeviceParser {
    woothee: woothee::parser::Parser,
    bots: isbot::Bots,
    cache: RwLock<HashMap<String, Arc<Device>>>,
}

impl Default for DeviceParser {
    fn default() -> Self {
        Self {
            woothee: woothee::parser::Parser::new(),
            bots: isbot::Bots::default(),
            cache: RwLock::default(),
        }
    }
}

impl DeviceParser {
    pub fn parse(&self, agent: &str) -> Arc<Device> {
        let agent = truncate(agent, MAX_AGENT_LEN);
        if let Some(hit) = self.cache.read().ok().and_then(|c| c.get(agent).cloned()) {
            return hit;
        }
        let device = Arc::new(self.parse_uncached(agent));
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(agent.to_owned(), device.clone());
        }
        device
    }

    fn parse_uncached(&self, agent: &str) -> Device {
        let parsed = self.woothee.parse(agent);
        let is_bot = agent.trim().is_empty()
            || self.bots.is_bot(agent)
            || EXTRA_BOT_MARKERS.iter().any(|m| agent.contains(m))
            || parsed.as_ref().is_some_and(|p| p.category == "crawler");
        let known = |v: &str| (!v.is_empty() && v != "UNKNOWN").then(|| v.to_owned());
        let os = parsed.as_ref().and_then(|p| known(p.os));
        let browser = IN_APP_BROWSERS
            .iter()
            .find(|(marker, _)| agent.contains(marker))
            .map(|(_, name)| (*name).to_owned())
            .or_else(|| parsed.as_ref().and_then(|p| known(p.name)));
        let class = if is_bot {
            "bot"
        } else if agent.contains("iPad") || (agent.contains("Android") && !agent.contains("Mobile"))
        {
            "tablet"
        } else {
            match parsed.as_ref().map(|p| p.category) {
                Some("smartphone" | "mobilephone") => "mobile",
                Some("pc") => "desktop",
                _ => "other",
            }
        };
        Device {
            class,
            os,
            browser,
            is_bot,
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE_WECHAT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) \
        NetType/WIFI Language/zh_CN";
    const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";

    #[test]
    fn phones_are_mobile_humans_with_their_in_app_browser() {
        let parser = DeviceParser::default();
        let wechat = parser.parse(IPHONE_WECHAT);
        assert_eq!((wechat.class, wechat.is_bot), ("mobile", false));
        assert_eq!(wechat.browser.as_deref(), Some("WeChat"));
        assert_eq!(wechat.os.as_deref(), Some("iPhone"));
        let chrome = parser.parse(ANDROID_CHROME);
        assert_eq!((chrome.class, chrome.is_bot), ("mobile", false));
        assert_eq!(chrome.browser.as_deref(), Some("Chrome"));
    }

    #[test]
    fn previewers_crawlers_and_scripts_are_bots() {
        let parser = DeviceParser::default();
        for agent in [
            "",
            "curl/8.5.0",
            "WhatsApp/2.23.20.0",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "TelegramBot (like TwitterBot)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "python-requests/2.31.0",
        ] {
            let device = parser.parse(agent);
            assert!(device.is_bot, "{agent:?} should be a bot");
            assert_eq!(device.class, "bot");
        }
    }
}
