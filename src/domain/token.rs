//! Short-link tokens: random, uppercase Crockford base32, so a whole short URL fits QR
//! alphanumeric mode.

use std::fmt;

use rand::RngCore;

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 13 symbols of 5 random bits each (a family's prefix shared, see `TokenFamily`):
/// collisions stay improbable at ten million codes, and `HTTPS://GO.EXAMPLE.COM/S/` plus a
/// token still fits a version 2 symbol at ECC M.
pub const TOKEN_LEN: usize = 13;

/// Symbols shared by a family of tokens (see `TokenFamily`).
pub const FAMILY_LEN: usize = 3;

/// Tokens written together: a random prefix of 3 symbols (15 bits) that they share, then
/// 10 random symbols (50 bits) each, all from the thread-local CSPRNG (ChaCha, seeded from
/// the OS).
///
/// Why a shared prefix: codes are found through an index ordered by token. With wholly
/// random tokens each code of a 1000-code chunk lands on a different page of that index,
/// so every chunk rewrote about a thousand 4 KiB pages; while a 1,000,000-code batch was
/// generated the write-ahead log grew to 160,000 frames and scans waited up to 0.9 s.
/// Codes of one family sit side by side in a handful of pages. Holding one bottle tells
/// which family its code belongs to; the other codes of the family are still 50 unguessable
/// bits apart (a guess hits one of a family's 1000 codes with odds of 1 in 10^12).
pub struct TokenFamily([u8; FAMILY_LEN]);

impl TokenFamily {
    pub fn new() -> Self {
        let mut prefix = [0u8; FAMILY_LEN];
        rand::rng().fill_bytes(&mut prefix);
        Self(prefix.map(symbol))
    }

    pub fn token(&self) -> Token {
        let mut bytes = [0u8; TOKEN_LEN];
        rand::rng().fill_bytes(&mut bytes[FAMILY_LEN..]);
        bytes[..FAMILY_LEN].copy_from_slice(&self.0);
        for b in &mut bytes[FAMILY_LEN..] {
            *b = symbol(*b);
        }
        Token(bytes.iter().map(|&b| b as char).collect())
    }
}

impl Default for TokenFamily {
    fn default() -> Self {
        Self::new()
    }
}

/// A random byte as one of the 32 symbols (the low 5 bits: uniform).
fn symbol(random: u8) -> u8 {
    ALPHABET[(random & 31) as usize]
}

/// A code's token, always stored and printed in canonical uppercase form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(String);

impl Token {
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

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
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
            let token = TokenFamily::new().token();
            assert_eq!(Token::parse(token.as_str()), Some(token));
        }
    }

    #[test]
    fn a_family_shares_its_prefix_and_nothing_else() {
        let family = TokenFamily::new();
        let tokens: Vec<Token> = (0..1000).map(|_| family.token()).collect();
        let prefix = &tokens[0].as_str()[..FAMILY_LEN];
        assert!(tokens.iter().all(|t| t.as_str().starts_with(prefix)));
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(distinct.len(), 1000);
        // Each of the 10 random positions takes many of the 32 symbols.
        for position in FAMILY_LEN..TOKEN_LEN {
            let symbols: std::collections::HashSet<u8> =
                tokens.iter().map(|t| t.as_bytes()[position]).collect();
            assert!(
                symbols.len() >= 28,
                "position {position}: {}",
                symbols.len()
            );
        }
        let families: std::collections::HashSet<String> = (0..100)
            .map(|_| TokenFamily::new().token().as_str()[..FAMILY_LEN].to_owned())
            .collect();
        assert!(families.len() > 90, "prefixes are random too");
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
