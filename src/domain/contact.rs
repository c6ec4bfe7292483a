//! How a member is reached: a mobile number or an email address, written one way whatever
//! way it was typed, so joining twice with the same phone finds the same member.

use std::fmt;

use super::Email;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// E.164: `+8613812345678`.
    Phone(String),
    Email(Email),
}

/// Why a typed contact was refused; the pages say it in the visitor's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactError {
    Empty,
    /// Neither a mobile number nor an email address.
    Unrecognised,
}

/// E.164 allows 15 digits after the country code's `+`; fewer than 8 is no mobile number.
const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;

impl Contact {
    /// A mainland mobile number as people write it (`138 1234 5678`, `+86 138-1234-5678`),
    /// any other number with its `+` and country code, or an email address.
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ContactError::Empty);
        }
        if raw.contains('@') {
            return Email::parse(raw)
                .map(Self::Email)
                .map_err(|_| ContactError::Unrecognised);
        }
        let international = raw.starts_with('+') || raw.starts_with("00");
        let written: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
            .collect();
        if written.is_empty() || !written.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ContactError::Unrecognised);
        }
        let digits = if international {
            written.strip_prefix("00").unwrap_or(&written).to_owned()
        } else if is_mainland_mobile(&written) {
            format!("86{written}")
        } else {
            return Err(ContactError::Unrecognised);
        };
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) || digits.starts_with('0') {
            return Err(ContactError::Unrecognised);
        }
        if let Some(national) = digits.strip_prefix("86")
            && !is_mainland_mobile(national)
        {
            return Err(ContactError::Unrecognised);
        }
        Ok(Self::Phone(format!("+{digits}")))
    }

    /// As stored and as the one-time code is sent to.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(phone) => phone,
            Self::Email(email) => email.as_str(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Phone(_) => "phone",
            Self::Email(_) => "email",
        }
    }

    /// Enough to recognise it by, not enough to reach anyone: `+86 138****5678`,
    /// `a***@brand.example`.
    pub fn hint(&self) -> String {
        match self {
            Self::Phone(phone) => {
                let digits = &phone[1..];
                let (country, national) = match digits.strip_prefix("86") {
                    Some(national) => ("86", national),
                    None => digits.split_at(digits.len().saturating_sub(10).min(3)),
                };
                let keep_start = 3.min(national.len());
                let keep_end = 4.min(national.len() - keep_start);
                format!(
                    "+{country} {}****{}",
                    &national[..keep_start],
                    &national[national.len() - keep_end..]
                )
            }
            Self::Email(email) => {
                let (local, domain) = email.as_str().split_once('@').unwrap_or(("", ""));
                let first = local.chars().next().unwrap_or('*');
                format!("{first}***@{domain}")
            }
        }
    }
}

impl TryFrom<String> for Contact {
    type Error = ContactError;

    fn try_from(raw: String) -> Result<Self, ContactError> {
        Self::parse(&raw)
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Eleven digits, `1`, then 3 to 9: a mainland mobile number without its country code.
fn is_mainland_mobile(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mobile_number_is_one_contact_however_it_is_written() {
        for written in [
            "13812345678",
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
        ] {
            assert_eq!(
                Contact::parse(written),
                Ok(Contact::Phone("+8613812345678".into())),
                "{written:?}"
            );
        }
        assert_eq!(
            Contact::parse("+44 7700 900123"),
            Ok(Contact::Phone("+447700900123".into()))
        );
    }

    #[test]
    fn emails_are_lowercased_and_anything_else_is_refused() {
        assert_eq!(
            Contact::parse(" Ana@Brand.Example").unwrap().as_str(),
            "ana@brand.example"
        );
        assert_eq!(Contact::parse("  "), Err(ContactError::Empty));
        for bad in [
            "12345",
            "23812345678",
            "12812345678",
            "+86 1234",
            "+86 23812345678",
            "+1234567890123456",
            "call me",
            "138x1234x5678",
            "ana@",
            "+0123456789",
        ] {
            assert_eq!(
                Contact::parse(bad),
                Err(ContactError::Unrecognised),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hints_hide_the_middle() {
        assert_eq!(
            Contact::parse("13812345678").unwrap().hint(),
            "+86 138****5678"
        );
        assert_eq!(
            Contact::parse("ana.lima@brand.example").unwrap().hint(),
            "a***@brand.example"
        );
        let foreign = Contact::parse("+447700900123").unwrap().hint();
        assert!(
            foreign.starts_with("+44 770****") && foreign.ends_with("0123"),
            "{foreign}"
        );
    }
}
