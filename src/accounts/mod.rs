//! Accounts: how a password is kept and checked, and the one-time links that set one.

pub mod command;
pub mod password;
pub mod secret;

use crate::db::{Db, DbResult, now_ms};

/// How long a set-password link works.
pub const PASSWORD_LINK_MS: i64 = 24 * 3_600_000;

/// A new one-time link that sets `user_id`'s password at `public_url`, and when it stops
/// working; any earlier link of theirs stops now.
pub async fn password_link(db: &Db, user_id: i64, public_url: &str) -> DbResult<(String, i64)> {
    let (token, hashed) = secret::new_secret();
    let expires_at = now_ms() + PASSWORD_LINK_MS;
    db.create_password_link(user_id, &hashed, expires_at)
        .await?;
    Ok((format!("{public_url}/password/{token}"), expires_at))
}
