//! Short-link tokens: random, uppercase Crockford base32, so a whole short URL fits QR
//! alphanumeric mode.

use std::fmt;

use rand::RngCore;

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 13 symbols carry 65 random bits: collisions stay improbable at ten million codes, and
/// `HTTPS://GO.EXAMPLE.COM/S/` plus a token still fits a version 2 symbol at ECC M.
pub const TOKEN_LEN: usize = 13;

/// A code's token, always stored and printed in canonical uppercase form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(String);

impl Token {
    /// A fresh token from the thread-local CSPRNG (ChaCha, seeded from the OS).
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self(
            bytes
                .iter()
                .map(|b| ALPHABET[(b & 31) as usize] as char)
                .collect(),
        )
    }

    /// Parses what a person or a scanner typed: case-insensitive, with Crockford's
    /// look-alikes (O as 0, I and L as 1) folded in.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != TOKEN_LEN {
            return None;
        }
        raw.bytes()
            .map(|b| match b.to_ascii_uppercase() {
                b'O' => Some('0'),
                b'I' | b'L' => Some('1'),
                c if ALPHABET.contains(&c) => Some(c as char),
                _ => None,
            })
            .collect::<Option<String>>()
            .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a value read back from the database, where only canonical tokens are written.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_to_themselves() {
        for _ in 0..1000 {
            let token = Token::generate();
            assert_eq!(Token::parse(token.as_str()), Some(token));
        }
    }

    #[test]
    fn parsing_ignores_case_and_folds_look_alikes() {
        let token = Token::parse("abc0123456789").unwrap();
        assert_eq!(token.as_str(), "ABC0123456789");
        assert_eq!(
            Token::parse("ABCO1L3456789").unwrap().as_str(),
            "ABC0113456789"
        );
    }

    #[test]
    fn wrong_length_or_alphabet_is_rejected() {
        assert_eq!(Token::parse("ABC"), None);
        assert_eq!(Token::parse("ABCDEFGHJKMNU"), None);
        assert_eq!(Token::parse("ABCDEFGHJKMN-"), None);
        assert_eq!(Token::parse("ÄBCDEFGHJKMN"), None);
    }
}
