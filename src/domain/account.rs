//! Who signs in: a user's role, their email as the sign-in name, and what a password must
//! be to be accepted.

use std::fmt;

/// What a user may do. Admins do everything; analysts read everything and change nothing;
/// retailers see only the stores assigned to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Analyst,
    Retailer,
}

impl Role {
    pub const ALL: [Self; 3] = [Self::Admin, Self::Analyst, Self::Retailer];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "admin" => Ok(Self::Admin),
            "analyst" => Ok(Self::Analyst),
            "retailer" => Ok(Self::Retailer),
            _ => Err("must be \"admin\", \"analyst\" or \"retailer\"".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Retailer => "retailer",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address as a sign-in name: trimmed and lowercased, so `Ana@Brand.com` and
/// `ana@brand.com` are one account. Checked for shape only; scanloop sends no mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// RFC 5321 caps a path at 256 octets, and an address at 254 of them.
const MAX_EMAIL: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let shape = "must be an email address such as ana@brand.example";
        if email.is_empty() {
            return Err("must not be empty".into());
        }
        if email.len() > MAX_EMAIL {
            return Err(format!("must be at most {MAX_EMAIL} characters"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(shape.into());
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>(),;:\"[]\\".contains(c);
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || email.chars().any(bad_char)
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(shape.into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a user of `role` may have `stores` of them: a retailer needs at least one,
/// and no one else has any.
pub fn check_role_stores(role: Role, stores: usize) -> Result<(), &'static str> {
    match role {
        Role::Retailer if stores == 0 => Err("a retailer needs at least one store"),
        Role::Admin | Role::Analyst if stores > 0 => {
            Err("only retailers have stores; admins and analysts have none")
        }
        _ => Ok(()),
    }
}

pub const MIN_PASSWORD: usize = 10;
/// Longer passwords only cost hashing time; no one types more.
pub const MAX_PASSWORD: usize = 256;

/// Whether `password` may be used by the account `email`: long enough, not too long, not
/// built on the email's name, and not one people guess first. The guessing check is zxcvbn's (its 30,000 most common
/// passwords, names, words, keyboard walks, dates and repeats, with the email's parts as
/// words an attacker knows); anything it scores below 3 of 4 is refused with its hint.
pub fn check_password(password: &str, email: &Email) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(format!("must be at least {MIN_PASSWORD} characters"));
    }
    if length > MAX_PASSWORD {
        return Err(format!("must be at most {MAX_PASSWORD} characters"));
    }
    let local = email.as_str().split('@').next().unwrap_or_default();
    if local.chars().count() >= 3 && password.to_lowercase().contains(local) {
        return Err("must not contain the email address's name".into());
    }
    let known: Vec<&str> = email.as_str().split(['@', '.', '-', '_', '+']).collect();
    let estimate = zxcvbn::zxcvbn(password, &known);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({})", w.to_string().trim_end_matches('.')))
            .unwrap_or_default();
        return Err(format!(
            "is too easy to guess{hint}; use a longer phrase of uncommon words"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_nothing_else_parses() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("Admin").is_err());
        assert!(Role::parse("owner").is_err());
    }

    #[test]
    fn retailers_and_only_retailers_have_stores() {
        assert!(check_role_stores(Role::Retailer, 1).is_ok());
        assert!(check_role_stores(Role::Retailer, 0).is_err());
        assert!(check_role_stores(Role::Analyst, 0).is_ok());
        assert!(check_role_stores(Role::Admin, 2).is_err());
    }

    #[test]
    fn emails_are_trimmed_lowercased_and_shaped() {
        assert_eq!(
            Email::parse("  Ana@Brand.Example ").unwrap().as_str(),
            "ana@brand.example"
        );
        assert_eq!(
            Email::parse("admin@localhost").unwrap().as_str(),
            "admin@localhost"
        );
        for bad in [
            "",
            "ana",
            "@brand.example",
            "ana@",
            "ana@@brand.example",
            "a na@brand.example",
            "ana@brand..example",
            "ana@.brand",
            "<ana>@brand.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@brand.example", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn common_short_and_personal_passwords_are_refused() {
        let email = Email::parse("ana.lima@brand.example").unwrap();
        for weak in [
            "password",
            "password123",
            "qwertyuiop",
            "1234567890",
            "iloveyou12",
            "ana.lima2024",
            "aaaaaaaaaaaa",
        ] {
            assert!(
                check_password(weak, &email).is_err(),
                "{weak:?} was accepted"
            );
        }
        assert!(
            check_password("short", &email)
                .unwrap_err()
                .contains("at least 10")
        );
        assert!(
            check_password(&"x".repeat(300), &email)
                .unwrap_err()
                .contains("at most")
        );
        assert_eq!(
            check_password("violet tractor mango harbour", &email),
            Ok(())
        );
    }
}
