//! Redirect rules: an ordered list per campaign (and per batch) that sends a scan somewhere
//! other than where its campaign would, by what is known of the scan. The first rule whose
//! every condition holds wins; no match keeps the campaign's own way. Rules are checked
//! when saved (`RuleSpec::compile`) into a form that is cheap to test on the hot path: lists
//! become lowercased sets, times become minutes of the day and a mask of weekdays.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TargetUrl;
use super::time::UtcOffset;

/// The most rules one campaign or batch holds.
pub const MAX_RULES: usize = 50;
/// The most values one condition lists.
const MAX_VALUES: usize = 100;

/// One rule as the API takes and shows it: conditions (all must hold; a list holds when
/// any of its values does) and where the scan goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A note for people: why the rule is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[serde(default, rename = "if")]
    pub when: Conditions,
    #[serde(rename = "then")]
    pub then: ActionSpec,
}

/// What must hold of a scan. Left out: anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Device classes: `mobile`, `tablet`, `desktop`, `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Vec<String>>,
    /// Operating systems as the device parser names them (`iOS`, `Android`, `Windows`,
    /// `Mac OS X`, ...), in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Vec<String>>,
    /// ISO 3166 country codes, such as `CN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Vec<String>>,
    /// Region names as the location database gives them (`Shanghai`, `Guangdong`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Vec<String>>,
    /// City names as the location database gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Vec<String>>,
    /// The phone's first language, as a primary subtag (`zh`, `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Vec<String>>,
    /// Local time of day, `HH:MM` from (inclusive) and to (exclusive) in `timezone`; a
    /// window past midnight (`22:00` to `06:00`) is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWindow>,
    /// Local days of the week in `timezone`: `mon` to `sun`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
    /// The zone `time` and `days` are read in: a UTC offset in whole hours (`+08:00`);
    /// UTC when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<Vec<i64>>,
    /// `first`: the code's first scan by a person (a unique code scanned for the first
    /// time, as far as this instance knows); `repeat`: any later one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<String>,
    /// A parameter of the scanned link's query (`?src=wechat`): present with this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    #[schema(pattern = r"^\d{2}:\d{2}$")]
    pub from: String,
    #[schema(pattern = r"^\d{2}:\d{2}$")]
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryMatch {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    #[schema(max_length = 256)]
    pub value: String,
}

/// Where a matching scan goes: one of these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// An http or https URL, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// A recall notice's page (a notice of this campaign's batches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<i64>,
    /// A variant of the campaign's running experiment: its destination, or its landing
    /// page. Such scans do not count for the experiment (they were not assigned by chance);
    /// once the experiment stops the rule sends nowhere and the next rules are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
}

/// A rule ready for the hot path.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Bit `n` for `DEVICES[n]`: a mask, so the hot path compares no strings for it.
    device: Option<u8>,
    os: Option<Vec<String>>,
    country: Option<Vec<String>>,
    region: Option<Vec<String>>,
    city: Option<Vec<String>>,
    language: Option<Vec<String>>,
    /// Minutes of the local day: from, to.
    time: Option<(u32, u32)>,
    /// Bit `n` for weekday `n` (Monday 0).
    days: Option<u8>,
    offset_ms: i64,
    channel_id: Option<Vec<i64>>,
    store_id: Option<Vec<i64>>,
    first_scan: Option<bool>,
    query: Option<(String, String)>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Url(String),
    Notice(i64),
    Variant(i64),
}

/// What is known of a scan when the rules are read.
#[derive(Debug, Clone, Copy)]
pub struct ScanFacts<'a> {
    pub device: &'a str,
    pub os: Option<&'a str>,
    pub country: Option<&'a str>,
    pub region: Option<&'a str>,
    pub city: Option<&'a str>,
    pub language: Option<&'a str>,
    pub now_ms: i64,
    pub channel_id: i64,
    pub store_id: Option<i64>,
    /// Whether a person's scan is the code's first; `None` for bots and HEAD requests,
    /// which a `scan` condition never holds for.
    pub first_scan: Option<bool>,
    /// The scanned link's query, as sent.
    pub query: &'a str,
}

/// A field's refusal: which field of which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

const DEVICES: [&str; 4] = ["mobile", "tablet", "desktop", "other"];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl RuleSpec {
    /// Checks the rule (its `index` in the list names its fields) and readies it. A rule
    /// that could never match, or could not be read, is refused.
    pub fn compile(&self, index: usize) -> Result<Rule, RuleError> {
        let err = |field: &str, message: String| RuleError {
            field: format!("rules[{index}].{field}"),
            message,
        };
        if let Some(name) = &self.name
            && (name.chars().count() > 200 || name.chars().any(char::is_control))
        {
            return Err(err(
                "name",
                "must be at most 200 characters, with no control characters".into(),
            ));
        }
        let c = &self.when;
        let texts = |field: &str, values: &Option<Vec<String>>| {
            let Some(values) = values else {
                return Ok(None);
            };
            check_list(values.len()).map_err(|m| err(&format!("if.{field}"), m))?;
            values
                .iter()
                .map(|v| {
                    let v = v.trim();
                    if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
                        Err(err(
                            &format!("if.{field}"),
                            format!("{v:?} is not a value: give names of up to 200 characters"),
                        ))
                    } else {
                        Ok(v.to_lowercase())
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        let device = texts("device", &c.device)?;
        if let Some(devices) = &device
            && let Some(bad) = devices.iter().find(|d| !DEVICES.contains(&d.as_str()))
        {
            return Err(err(
                "if.device",
                format!("{bad:?} is not a device class: use mobile, tablet, desktop or other"),
            ));
        }
        let country = texts("country", &c.country)?;
        if let Some(countries) = &country
            && let Some(bad) = countries
                .iter()
                .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(err(
                "if.country",
                format!("{bad:?} is not a country: use ISO 3166 codes such as CN"),
            ));
        }
        let language = texts("language", &c.language)?;
        if let Some(languages) = &language
            && let Some(bad) = languages.iter().find(|l| {
                !(2..=3).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_alphabetic())
            })
        {
            return Err(err(
                "if.language",
                format!("{bad:?} is not a language: use primary subtags such as zh or en"),
            ));
        }
        let offset_ms = match &c.timezone {
            Some(zone) => UtcOffset::parse(zone)
                .map_err(|m| err("if.timezone", m))?
                .ms(),
            None => 0,
        };
        let time = match &c.time {
            Some(window) => {
                let from = minutes(&window.from).ok_or_else(|| {
                    err(
                        "if.time.from",
                        format!("{:?} is not a time such as 08:30", window.from),
                    )
                })?;
                let to = minutes(&window.to).ok_or_else(|| {
                    err(
                        "if.time.to",
                        format!("{:?} is not a time such as 17:00", window.to),
                    )
                })?;
                if from == to {
                    return Err(err(
                        "if.time",
                        "from and to are the same time, so the window is empty: leave time out \
                         for all day"
                            .into(),
                    ));
                }
                Some((from, to))
            }
            None => None,
        };
        let days = match &c.days {
            Some(days) => {
                check_list(days.len()).map_err(|m| err("if.days", m))?;
                let mut mask = 0u8;
                for day in days {
                    let index = WEEKDAYS
                        .iter()
                        .position(|d| d.eq_ignore_ascii_case(day.trim()))
                        .ok_or_else(|| {
                            err("if.days", format!("{day:?} is not a day: use mon to sun"))
                        })?;
                    mask |= 1 << index;
                }
                Some(mask)
            }
            None => None,
        };
        if c.timezone.is_some() && time.is_none() && days.is_none() {
            return Err(err(
                "if.timezone",
                "a timezone only says how time and days are read: give one of them".into(),
            ));
        }
        let ids = |field: &str, values: &Option<Vec<i64>>| {
            if let Some(values) = values {
                check_list(values.len()).map_err(|m| err(&format!("if.{field}"), m))?;
            }
            Ok(values.clone())
        };
        let first_scan = match c.scan.as_deref() {
            Some("first") => Some(true),
            Some("repeat") => Some(false),
            Some(other) => {
                return Err(err(
                    "if.scan",
                    format!("{other:?} is not a scan: use first or repeat"),
                ));
            }
            None => None,
        };
        let query = match &c.query {
            Some(q) => {
                let name = q.name.trim();
                if name.is_empty() || name.len() > 64 || !name.bytes().all(is_query_byte) {
                    return Err(err(
                        "if.query.name",
                        "must be 1 to 64 letters, digits, - _ or .".into(),
                    ));
                }
                if q.value.len() > 256 || q.value.chars().any(char::is_control) {
                    return Err(err(
                        "if.query.value",
                        "must be at most 256 characters, with no control characters".into(),
                    ));
                }
                Some((name.to_owned(), q.value.clone()))
            }
            None => None,
        };
        let then = &self.then;
        let action = match (&then.url, then.notice_id, then.variant_id) {
            (Some(url), None, None) => Action::Url(
                TargetUrl::parse(url)
                    .map_err(|m| err("then.url", m))?
                    .into_string(),
            ),
            (None, Some(notice), None) => Action::Notice(notice),
            (None, None, Some(variant)) => Action::Variant(variant),
            _ => {
                return Err(err(
                    "then",
                    "give one of url, notice_id or variant_id: where matching scans go".into(),
                ));
            }
        };
        let device = device.map(|devices| {
            devices
                .iter()
                .filter_map(|d| DEVICES.iter().position(|known| known == d))
                .fold(0u8, |mask, bit| mask | (1 << bit))
        });
        Ok(Rule {
            device,
            os: texts("os", &c.os)?,
            country,
            region: texts("region", &c.region)?,
            city: texts("city", &c.city)?,
            language,
            time,
            days,
            offset_ms,
            channel_id: ids("channel_id", &c.channel_id)?,
            store_id: ids("store_id", &c.store_id)?,
            first_scan,
            query,
            action,
        })
    }
}

fn check_list(len: usize) -> Result<(), String> {
    match len {
        0 => Err("an empty list matches nothing: leave the condition out instead".into()),
        n if n > MAX_VALUES => Err(format!("lists at most {MAX_VALUES} values")),
        _ => Ok(()),
    }
}

fn is_query_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.".contains(&b)
}

/// `HH:MM` as minutes of the day.
fn minutes(raw: &str) -> Option<u32> {
    let (h, m) = raw.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Whether `value` (any case) is one of `set` (lowercased when compiled).
fn listed(set: &Option<Vec<String>>, value: Option<&str>) -> bool {
    match set {
        None => true,
        Some(set) => value.is_some_and(|v| set.iter().any(|s| s.eq_ignore_ascii_case(v))),
    }
}

impl Rule {
    /// Whether every condition holds. The cheap ones (numbers and masks) come first: a
    /// scan reads every rule before the one that matches.
    pub fn matches(&self, f: &ScanFacts<'_>) -> bool {
        self.device
            .is_none_or(|mask| device_bit(f.device).is_some_and(|bit| mask & bit != 0))
            && self
                .first_scan
                .is_none_or(|first| f.first_scan == Some(first))
            && self
                .channel_id
                .as_ref()
                .is_none_or(|ids| ids.contains(&f.channel_id))
            && self
                .store_id
                .as_ref()
                .is_none_or(|ids| f.store_id.is_some_and(|s| ids.contains(&s)))
            && self.in_time(f.now_ms)
            && listed(&self.country, f.country)
            && listed(&self.language, f.language.map(primary_subtag))
            && listed(&self.os, f.os)
            && listed(&self.region, f.region)
            && listed(&self.city, f.city)
            && self
                .query
                .as_ref()
                .is_none_or(|(name, value)| query_has(f.query, name, value))
    }

    fn in_time(&self, now_ms: i64) -> bool {
        if self.time.is_none() && self.days.is_none() {
            return true;
        }
        let local = now_ms + self.offset_ms;
        let minute_of_day = (local.rem_euclid(86_400_000) / 60_000) as u32;
        // 1970-01-01 was a Thursday: day 3 counting from Monday.
        let weekday = (local.div_euclid(86_400_000) + 3).rem_euclid(7) as u8;
        let day_ok = self.days.is_none_or(|mask| mask & (1 << weekday) != 0);
        let time_ok = self.time.is_none_or(|(from, to)| {
            if from < to {
                (from..to).contains(&minute_of_day)
            } else {
                minute_of_day >= from || minute_of_day < to
            }
        });
        day_ok && time_ok
    }
}

/// A device class's bit in a rule's mask; none for a class rules cannot name (bots).
fn device_bit(class: &str) -> Option<u8> {
    DEVICES
        .iter()
        .position(|known| *known == class)
        .map(|bit| 1 << bit)
}

fn primary_subtag(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// Whether `query` (as sent, `a=1&src=wechat`) holds `name=value`, decoded as a form is.
fn query_has(query: &str, name: &str, value: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes()).any(|(n, v)| n == name && v == value)
}

/// The actions of the rules that match, in order: the first that can act wins.
pub fn matching<'r, 'f>(
    rules: &'r [Rule],
    facts: &'f ScanFacts<'_>,
) -> impl Iterator<Item = &'r Action> + use<'r, 'f> {
    rules.iter().filter(|r| r.matches(facts)).map(|r| &r.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value) -> Result<Rule, RuleError> {
        serde_json::from_value::<RuleSpec>(json).unwrap().compile(0)
    }

    fn facts() -> ScanFacts<'static> {
        ScanFacts {
            device: "mobile",
            os: Some("iOS"),
            country: Some("CN"),
            region: Some("Shanghai"),
            city: Some("Shanghai"),
            language: Some("zh-CN"),
            // Monday 2026-06-01 02:30 UTC: 10:30 in +08:00.
            now_ms: 1_780_281_000_000,
            channel_id: 3,
            store_id: None,
            first_scan: Some(true),
            query: "src=we%20chat&x=1",
        }
    }

    #[test]
    fn every_condition_holds_for_a_scan_that_fits_it() {
        let r = rule(serde_json::json!({
            "if": {"device": ["Mobile"], "os": ["ios"], "country": ["cn"], "region": ["shanghai"],
                   "city": ["Shanghai"], "language": ["zh"], "time": {"from": "09:00", "to": "12:00"},
                   "days": ["mon", "tue"], "timezone": "+08:00", "channel_id": [3], "scan": "first",
                   "query": {"name": "src", "value": "we chat"}},
            "then": {"url": "https://brand.example/cn"}
        }))
        .unwrap();
        assert!(r.matches(&facts()));
        assert_eq!(r.action, Action::Url("https://brand.example/cn".into()));
    }

    #[test]
    fn one_condition_that_fails_is_enough() {
        let base = facts();
        let cases = [
            (serde_json::json!({"device": ["desktop"]}), base),
            (serde_json::json!({"os": ["Android"]}), base),
            (serde_json::json!({"country": ["US"]}), base),
            (serde_json::json!({"language": ["en"]}), base),
            (
                serde_json::json!({"time": {"from": "11:00", "to": "12:00"}, "timezone": "+08:00"}),
                base,
            ),
            (
                serde_json::json!({"days": ["sat", "sun"], "timezone": "+08:00"}),
                base,
            ),
            (serde_json::json!({"channel_id": [4]}), base),
            (serde_json::json!({"store_id": [1]}), base),
            (serde_json::json!({"scan": "repeat"}), base),
            (
                serde_json::json!({"scan": "first"}),
                ScanFacts {
                    first_scan: None,
                    ..base
                },
            ),
            (
                serde_json::json!({"query": {"name": "src", "value": "weibo"}}),
                base,
            ),
            (
                serde_json::json!({"country": ["CN"]}),
                ScanFacts {
                    country: None,
                    ..base
                },
            ),
        ];
        for (when, facts) in cases {
            let r = rule(serde_json::json!({"if": when, "then": {"url": "https://a.example/"}}))
                .unwrap();
            assert!(!r.matches(&facts), "{when}");
        }
        let all = rule(serde_json::json!({"then": {"notice_id": 4}})).unwrap();
        assert!(all.matches(&base), "no conditions: every scan");
    }

    #[test]
    fn a_window_past_midnight_wraps_and_days_are_local() {
        let night = rule(serde_json::json!({
            "if": {"time": {"from": "22:00", "to": "06:00"}, "timezone": "+08:00"},
            "then": {"url": "https://a.example/"}
        }))
        .unwrap();
        let at = |utc_hour: i64| ScanFacts {
            now_ms: 1_780_272_000_000 + utc_hour * 3_600_000,
            ..facts()
        };
        // 1_780_272_000_000 is 2026-06-01 00:00 UTC, 08:00 in +08:00.
        assert!(!night.matches(&at(0)));
        assert!(night.matches(&at(14)), "22:00 local");
        assert!(night.matches(&at(21)), "05:00 local");
        assert!(!night.matches(&at(22)), "06:00 local");
        let sunday = rule(serde_json::json!({
            "if": {"days": ["sun"], "timezone": "+08:00"}, "then": {"url": "https://a.example/"}
        }))
        .unwrap();
        assert!(!sunday.matches(&at(-1)), "Monday 07:00 local");
        assert!(sunday.matches(&at(-9)), "Sunday 23:00 local");
    }

    #[test]
    fn rules_that_could_never_match_or_be_read_are_refused_by_field() {
        let cases = [
            (
                serde_json::json!({"if": {"device": []}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.device",
            ),
            (
                serde_json::json!({"if": {"device": ["phone"]}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.device",
            ),
            (
                serde_json::json!({"if": {"country": ["China"]}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.country",
            ),
            (
                serde_json::json!({"if": {"time": {"from": "09:00", "to": "09:00"}}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.time",
            ),
            (
                serde_json::json!({"if": {"time": {"from": "9:00", "to": "10:00"}}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.time.from",
            ),
            (
                serde_json::json!({"if": {"time": {"from": "09:00", "to": "24:00"}}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.time.to",
            ),
            (
                serde_json::json!({"if": {"days": ["monday"]}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.days",
            ),
            (
                serde_json::json!({"if": {"timezone": "+08:00"}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.timezone",
            ),
            (
                serde_json::json!({"if": {"timezone": "+05:30", "days": ["mon"]}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.timezone",
            ),
            (
                serde_json::json!({"if": {"scan": "second"}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.scan",
            ),
            (
                serde_json::json!({"if": {"query": {"name": "a b", "value": "x"}}, "then": {"url": "https://a.example/"}}),
                "rules[0].if.query.name",
            ),
            (serde_json::json!({"then": {}}), "rules[0].then"),
            (
                serde_json::json!({"then": {"url": "https://a.example/", "notice_id": 1}}),
                "rules[0].then",
            ),
            (
                serde_json::json!({"then": {"url": "javascript:alert(1)"}}),
                "rules[0].then.url",
            ),
        ];
        for (json, field) in cases {
            let refused = rule(json.clone()).unwrap_err();
            assert_eq!(refused.field, field, "{json}: {}", refused.message);
        }
        let unknown = serde_json::from_value::<RuleSpec>(
            serde_json::json!({"if": {"planet": ["mars"]}, "then": {"url": "https://a.example/"}}),
        );
        assert!(unknown.is_err(), "unknown conditions are refused");
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = [
            rule(serde_json::json!({"if": {"country": ["US"]}, "then": {"url": "https://us.example/"}})).unwrap(),
            rule(serde_json::json!({"if": {"device": ["mobile"]}, "then": {"notice_id": 7}})).unwrap(),
            rule(serde_json::json!({"then": {"url": "https://all.example/"}})).unwrap(),
        ];
        assert_eq!(matching(&rules, &facts()).next(), Some(&Action::Notice(7)));
        assert_eq!(matching(&rules[..1], &facts()).next(), None);
    }
}
