//! Users: who signs in, their role, a retailer's stores, and one-time links that set a
//! password.

use sqlx::Row;

use super::{Db, DbError, DbResult, Page, conflict_as, now_ms};
use crate::domain::{Email, Role};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub role: Role,
    /// A retailer's stores, in id order; empty for other roles.
    pub store_ids: Vec<i64>,
    pub has_password: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    #[sqlx(try_from = "String")]
    email: Email,
    #[sqlx(try_from = "String")]
    role: Role,
    has_password: i64,
    created_at: i64,
    updated_at: i64,
    disabled_at: Option<i64>,
}

const COLUMNS: &str = "id, email, role, \
    CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS has_password, \
    created_at, updated_at, disabled_at";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub role: Role,
    pub password_hash: Option<String>,
    pub store_ids: Vec<i64>,
}

/// What an admin changes about a user; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub store_ids: Option<Vec<i64>>,
    pub disabled: Option<bool>,
}

/// Who a sign-in is for: the stored hash to check the password against.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

impl Db {
    pub async fn create_user(&self, new: NewUser) -> DbResult<User> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, password_hash, role, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(new.email.as_str().to_owned())
        .bind(new.password_hash)
        .bind(new.role.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_as("a user with this email"))?;
        for store in &new.store_ids {
            sqlx::query("INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*store)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn user(&self, id: i64) -> DbResult<User> {
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)?;
        let store_ids = self.user_store_ids(id).await?;
        Ok(row.into_user(store_ids))
    }

    pub async fn user_by_email(&self, email: &Email) -> DbResult<User> {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(email.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?
            .ok_or(DbError::NotFound)?;
        self.user(id).await
    }

    pub async fn users(&self, page: Page) -> DbResult<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let links: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, store_id FROM user_stores WHERE user_id >= $1 AND user_id <= $2 \
             ORDER BY user_id, store_id",
        )
        .bind(first.id)
        .bind(last.id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let stores = links
                    .iter()
                    .filter(|(user, _)| *user == row.id)
                    .map(|(_, store)| *store)
                    .collect();
                row.into_user(stores)
            })
            .collect())
    }

    pub(crate) async fn user_store_ids(&self, user_id: i64) -> DbResult<Vec<i64>> {
        let stores: Vec<(i64,)> =
            sqlx::query_as("SELECT store_id FROM user_stores WHERE user_id = $1 ORDER BY store_id")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        Ok(stores.into_iter().map(|(id,)| id).collect())
    }

    /// The ids among `store_ids` that name no store.
    pub async fn unknown_stores(&self, store_ids: &[i64]) -> DbResult<Vec<i64>> {
        let mut unknown = Vec::new();
        for &id in store_ids {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM stores WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            if found.is_none() {
                unknown.push(id);
            }
        }
        Ok(unknown)
    }

    /// Applies `change` in one transaction (disabling ends the user's sessions). Refused
    /// (`Conflict`) when it would leave no enabled admin: someone must manage the accounts.
    pub async fn update_user(&self, id: i64, change: UserChange) -> DbResult<User> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(DbError::NotFound);
        }
        if let Some(role) = change.role {
            sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
                .bind(role.as_str())
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if change.disabled == Some(true) {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(disabled) = change.disabled {
            sqlx::query(
                "UPDATE users SET disabled_at = CASE WHEN $1 = 1 \
                 THEN COALESCE(disabled_at, $2) END, updated_at = $2 WHERE id = $3",
            )
            .bind(i64::from(disabled))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(stores) = &change.store_ids {
            sqlx::query("DELETE FROM user_stores WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for store in stores {
                sqlx::query("INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(*store)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let (admins,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
        )
        .fetch_one(&mut *tx)
        .await?;
        if admins == 0 {
            return Err(DbError::Conflict(
                "this would leave no enabled admin; make another user an admin first".into(),
            ));
        }
        tx.commit().await?;
        self.user(id).await
    }

    /// The stored hash and state of the account `email` signs in to, if any.
    pub async fn sign_in(&self, email: &Email) -> DbResult<Option<SignIn>> {
        let row = sqlx::query("SELECT id, password_hash, disabled_at FROM users WHERE email = $1")
            .bind(email.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| SignIn {
            user_id: row.get(0),
            password_hash: row.get(1),
            disabled: row.get::<Option<i64>, _>(2).is_some(),
        }))
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> DbResult<()> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash.to_owned())
                .bind(now_ms())
                .bind(user_id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Keeps a one-time set-password link (its token's hash) until `expires_at`. Links made
    /// before for the same user stop working: only the newest one counts.
    pub async fn create_password_link(
        &self,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> DbResult<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE password_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO password_links (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_owned())
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a set-password link is for, if it is unused, unexpired and its user
    /// enabled.
    pub async fn password_link_user(&self, token_hash: &str) -> DbResult<Option<User>> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT l.user_id FROM password_links l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND u.disabled_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        match found {
            Some((id,)) => Ok(Some(self.user(id).await?)),
            None => Ok(None),
        }
    }

    /// Sets the password of a link's user and uses the link up, in one transaction: of two
    /// submissions of one link only the first sets anything. `NotFound` when the link is
    /// unknown, used or expired.
    pub async fn use_password_link(&self, token_hash: &str, password_hash: &str) -> DbResult<i64> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let used: Option<(i64,)> = sqlx::query_as(
            "UPDATE password_links SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let (user_id,) = used.ok_or(DbError::NotFound)?;
        let updated = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2 \
             WHERE id = $3 AND disabled_at IS NULL",
        )
        .bind(password_hash.to_owned())
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        // A new password signs out whoever held the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// The first enabled admin: who keys made by the command line and by
    /// `SCANLOOP_INITIAL_API_KEY` belong to unless another user is named.
    pub async fn first_admin(&self) -> DbResult<i64> {
        let found: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL \
             ORDER BY id LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        found.map(|(id,)| id).ok_or(DbError::NotFound)
    }
}

impl UserRow {
    fn into_user(self, store_ids: Vec<i64>) -> User {
        User {
            id: self.id,
            email: self.email,
            role: self.role,
            store_ids,
            has_password: self.has_password != 0,
            created_at: self.created_at,
            updated_at: self.updated_at,
            disabled_at: self.disabled_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An admin's change must not fail because another connection committed a write
    /// between the change's first read and its first write (SQLite's BUSY_SNAPSHOT,
    /// which its busy timeout never waits out).
    #[tokio::test]
    async fn a_user_change_beside_other_writers_never_fails() {
        let file = std::env::temp_dir().join(format!("scanloop-users-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let new = |email: &str, role| NewUser {
            email: Email::parse(email).unwrap(),
            role,
            password_hash: None,
            store_ids: Vec::new(),
        };
        db.create_user(new("root@brand.example", Role::Admin))
            .await
            .unwrap();
        let ana = db
            .create_user(new("ana@brand.example", Role::Analyst))
            .await
            .unwrap();
        let writer = {
            let db = db.clone();
            tokio::spawn(async move {
                for at in 0.. {
                    sqlx::query("UPDATE users SET updated_at = $1 WHERE id = 1")
                        .bind(at)
                        .execute(db.pool())
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        for round in 0..200 {
            let change = UserChange {
                disabled: Some(round % 2 == 0),
                ..UserChange::default()
            };
            if let Err(err) = db.update_user(ana.id, change).await {
                panic!("change {round} failed: {err}");
            }
        }
        writer.abort();
        let _ = std::fs::remove_file(&file);
    }
}
