//! Membership: how a consumer proves a phone number or email is theirs (a one-time code
//! the brand's SMS or mail provider sends, handed over by the `member.code` webhook), how
//! long that proof and the signed-in phone last, and the consent they agree to.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::domain::Contact;

/// The consent text's version, stored with each member; change it with the text
/// (`http::strings`, `JoinStrings::consent`).
pub const CONSENT_VERSION: &str = "2026-12-01";

/// How long a one-time code may be used.
pub const CODE_TTL_MS: i64 = 10 * 60_000;
/// The wait before another code is sent to the same contact.
pub const RESEND_AFTER_MS: i64 = 60_000;
/// Wrong codes before the contact is locked, and for how long.
pub const MAX_WRONG_CODES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60_000;
/// How long a phone stays signed in as the member.
pub const SESSION_MS: i64 = 180 * 24 * 3_600_000;

/// Six random digits.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// What is stored for a code sent to `contact`: its SHA-256 with the contact, so a code
/// is only right for the contact it went to.
pub fn code_hash(contact: &Contact, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{contact}:{}", code.trim()).as_bytes(),
    ))
}

/// A member's share-link code: 10 characters people can read out (no 0/O, 1/I/L).
pub fn new_referral_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_bound_to_their_contact() {
        let code = new_code();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let phone = Contact::parse("13812345678").unwrap();
        let other = Contact::parse("13812345679").unwrap();
        assert_eq!(
            code_hash(&phone, &code),
            code_hash(&phone, &format!(" {code} "))
        );
        assert_ne!(code_hash(&phone, &code), code_hash(&other, &code));
        assert_ne!(new_referral_code(), new_referral_code());
    }
}
