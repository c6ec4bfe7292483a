//! Passwords kept as argon2id hashes (PHC strings, parameters inside, so they can be raised
//! later without breaking old hashes).
//!
//! Parameters: 19 MiB of memory, 2 passes, 1 lane, OWASP's first argon2id recommendation;
//! about 25 ms a hash on this project's 2-core test machine. Hashing runs on tokio's
//! blocking threads so it never stalls the ones answering scans.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `stored`. Without a stored hash (an unknown email, or a
/// user who has not set a password) it checks against a throwaway hash instead, so the
/// answer takes the same work and time either way and tells nothing about who exists.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (stored, real) = match stored {
            Some(stored) => (stored, true),
            None => (DECOY.clone(), false),
        };
        let parsed =
            PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("a stored hash: {e}"))?;
        let matches = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && real)
    })
    .await?
}

/// A hash of a random password, made once, that nothing can match.
static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    hash_now(&hex::encode(secret)).expect("hashing a random password")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_matches_its_hash_and_nothing_else() {
        let stored = hash("violet tractor mango".into()).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(
            verify("violet tractor mango".into(), Some(stored.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("violet tractor mangO".into(), Some(stored.clone()))
                .await
                .unwrap()
        );
        // Two hashes of one password differ by their salt.
        assert_ne!(stored, hash("violet tractor mango".into()).await.unwrap());
    }

    #[tokio::test]
    async fn without_a_stored_hash_nothing_verifies() {
        assert!(!verify(String::new(), None).await.unwrap());
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
