//! GS1 Digital Link URIs of trade items: `/01/{gtin}` followed by the GTIN's key
//! qualifiers, consumer product variant (AI 22), lot (AI 10) and serial (AI 21), in that
//! order, each optional, as the GS1 Digital Link standard writes them.

use super::{BatchMode, Gtin};

/// Longest CPV, lot or serial: each is "X..20" in the GS1 General Specifications.
pub const MAX_QUALIFIER_LEN: usize = 20;

/// The key qualifiers of a GTIN, in the only order a path may give them.
const QUALIFIERS: [(&str, &str); 3] = [("22", "CPV"), ("10", "lot"), ("21", "serial")];

/// A trade item named by its GTIN and, as far as it is known, its variant, lot and serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalLink {
    pub gtin: Gtin,
    pub cpv: Option<String>,
    pub lot: Option<String>,
    pub serial: Option<String>,
}

impl DigitalLink {
    /// Parses what follows `/01/` in a request path, still percent-encoded. One trailing
    /// slash changes nothing. The error says what is wrong, for a 400.
    pub fn parse_after_primary_key(rest: &str) -> Result<Self, String> {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut segments = rest.split('/');
        let raw_gtin = segments.next().unwrap_or_default();
        let gtin = Gtin::parse(raw_gtin).map_err(|m| format!("GTIN {raw_gtin:?} {m}"))?;
        let mut values: [Option<String>; 3] = Default::default();
        let mut next_allowed = 0;
        while let Some(ai) = segments.next() {
            let Some(position) = QUALIFIERS.iter().position(|(code, _)| *code == ai) else {
                return Err(not_a_qualifier(ai));
            };
            let (_, name) = QUALIFIERS[position];
            if position + 1 == next_allowed {
                return Err(format!("AI {ai} ({name}) appears twice"));
            }
            if position < next_allowed {
                let (after, after_name) = QUALIFIERS[next_allowed - 1];
                return Err(format!(
                    "AI {ai} ({name}) must come before AI {after} ({after_name}): the path \
                     takes /22/{{cpv}}/10/{{lot}}/21/{{serial}} in that order, each at most once"
                ));
            }
            let raw = segments
                .next()
                .ok_or_else(|| format!("AI {ai} ({name}) has no value after it"))?;
            if raw.is_empty() {
                return Err(format!("AI {ai} ({name}) has no value after it"));
            }
            values[position] = Some(qualifier_value(ai, name, raw)?);
            next_allowed = position + 1;
        }
        let [cpv, lot, serial] = values;
        Ok(Self {
            gtin,
            cpv,
            lot,
            serial,
        })
    }

    /// The path from `/01/`, with every character other than letters, digits and `-._`
    /// percent-encoded, as the standard asks of the GS1 characters that are URI delimiters.
    pub fn path(&self) -> String {
        let mut path = format!("/01/{}", self.gtin.as_str());
        let qualifiers = [&self.cpv, &self.lot, &self.serial];
        for ((ai, _), value) in QUALIFIERS.iter().zip(qualifiers) {
            if let Some(value) = value {
                path.push('/');
                path.push_str(ai);
                path.push('/');
                percent_encode_into(&mut path, value);
            }
        }
        path
    }
}

/// What a batch's codes print: the short link, or for a batch with a GTIN a GS1 Digital
/// Link URI that a till reads as the product and a phone follows like the short link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStyle {
    Short,
    /// `/01/{gtin}[/10/{lot}]`, and `/21/{token}` when each item has its own code: the
    /// token is the serial, so a serial is unique per GTIN and cannot be guessed.
    DigitalLink {
        gtin: Gtin,
        lot: Option<String>,
        per_item: bool,
    },
}

impl LinkStyle {
    /// How a batch with this stored GTIN (if any), lot and mode prints its codes.
    pub fn for_batch(gtin: Option<&str>, lot: Option<&str>, mode: BatchMode) -> Self {
        match gtin.and_then(|g| Gtin::parse(g).ok()) {
            None => Self::Short,
            Some(gtin) => Self::DigitalLink {
                gtin,
                lot: lot.map(str::to_owned),
                per_item: mode == BatchMode::Unique,
            },
        }
    }
}

/// GS1's AI encodable character set 82: what a lot, serial or CPV may hold.
pub fn is_gs1_character(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!\"%&'()*+,-./:;<=>?_".contains(&byte)
}

/// Checks a lot, serial or CPV as entered by a person (not percent-encoded); the error
/// follows the field's name ("lot is 23 characters; ...").
pub fn check_qualifier(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.len() > MAX_QUALIFIER_LEN {
        return Err(format!(
            "is {} characters; GS1 allows at most {MAX_QUALIFIER_LEN}",
            value.chars().count()
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !c.is_ascii() || !is_gs1_character(*c as u8))
    {
        return Err(format!(
            "holds {c:?}, outside GS1's character set 82 (letters, digits and \
             !\"%&'()*+,-./:;<=>?_)"
        ));
    }
    Ok(())
}

fn qualifier_value(ai: &str, name: &str, raw: &str) -> Result<String, String> {
    let bytes = percent_decode(raw)
        .ok_or_else(|| format!("AI {ai} ({name}) {raw:?} is not valid percent-encoding"))?;
    let value = String::from_utf8(bytes)
        .map_err(|_| format!("AI {ai} ({name}) holds bytes that are not text"))?;
    check_qualifier(&value).map_err(|m| format!("AI {ai} ({name}) {m}"))?;
    Ok(value)
}

fn not_a_qualifier(segment: &str) -> String {
    let looks_like_ai =
        (2..=4).contains(&segment.len()) && segment.bytes().all(|b| b.is_ascii_digit());
    if looks_like_ai {
        format!(
            "AI {segment} is not a key qualifier of a GTIN: the path takes only /22/{{cpv}}, \
             /10/{{lot}} and /21/{{serial}}; give other AIs in the query string (?{segment}=...)"
        )
    } else {
        format!(
            "{segment:?} is not a GS1 application identifier: after the GTIN the path takes \
             pairs such as /10/{{lot}}/21/{{serial}}"
        )
    }
}

fn percent_encode_into(out: &mut String, value: &str) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// `None` for a `%` not followed by two hex digits.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(rest: &str) -> Result<DigitalLink, String> {
        DigitalLink::parse_after_primary_key(rest)
    }

    /// The examples of the GS1 Digital Link standard (1.1, section 4) for a GTIN.
    #[test]
    fn the_standards_examples_parse() {
        let item = parse("09506000134352").unwrap();
        assert_eq!(item.gtin.as_str(), "09506000134352");
        assert_eq!((item.cpv, item.lot, item.serial), (None, None, None));

        let item = parse("09506000134352/10/ABC1/21/12345").unwrap();
        assert_eq!(item.lot.as_deref(), Some("ABC1"));
        assert_eq!(item.serial.as_deref(), Some("12345"));

        let item = parse("09506000134352/21/12345").unwrap();
        assert_eq!((item.lot, item.serial.as_deref()), (None, Some("12345")));

        let item = parse("09506000134352/22/2A/10/ABC123").unwrap();
        assert_eq!(item.cpv.as_deref(), Some("2A"));
        assert_eq!(item.lot.as_deref(), Some("ABC123"));
    }

    #[test]
    fn shorter_gtins_are_read_as_gtin_14_and_a_trailing_slash_changes_nothing() {
        assert_eq!(
            parse("9506000134352").unwrap().gtin.as_str(),
            "09506000134352"
        );
        assert_eq!(
            parse("09506000134352/10/A1/").unwrap(),
            parse("09506000134352/10/A1").unwrap()
        );
    }

    #[test]
    fn percent_encoded_gs1_characters_round_trip() {
        let item = parse("09506000134352/10/AB%2F12%25/21/x%22y").unwrap();
        assert_eq!(item.lot.as_deref(), Some("AB/12%"));
        assert_eq!(item.serial.as_deref(), Some("x\"y"));
        assert_eq!(item.path(), "/01/09506000134352/10/AB%2F12%25/21/x%22y");
        assert_eq!(parse(&item.path()["/01/".len()..]).unwrap(), item);
    }

    #[test]
    fn syntax_errors_say_what_is_wrong() {
        let cases = [
            ("09506000134353", "check digit"),
            ("0950600013", "digits"),
            ("09506000134352/99/X", "AI 99 is not a key qualifier"),
            ("09506000134352/17/261231", "query string"),
            ("09506000134352/foo", "not a GS1 application identifier"),
            (
                "09506000134352/21/S1/10/L1",
                "AI 10 (lot) must come before AI 21",
            ),
            ("09506000134352/10/L1/10/L2", "AI 10 (lot) appears twice"),
            ("09506000134352/10", "has no value"),
            ("09506000134352/10/", "has no value"),
            ("09506000134352//10/A", "not a GS1 application identifier"),
            ("09506000134352/10/ABCDEFGHIJKLMNOPQRSTU", "21 characters"),
            ("09506000134352/21/a%20b", "character set 82"),
            ("09506000134352/21/%E9", "not text"),
            ("09506000134352/21/caf%C3%A9", "character set 82"),
            ("09506000134352/21/%zz", "percent-encoding"),
        ];
        for (rest, expected) in cases {
            let err = parse(rest).unwrap_err();
            assert!(err.contains(expected), "{rest}: {err}");
        }
    }
}
