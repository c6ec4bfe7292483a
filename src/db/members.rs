//! Members, the browsers they signed in from, their sessions, and the one-time codes they
//! join with. Sending a code and checking one each happen in one transaction with what
//! they lead to: the `member.code` hand-off, or the member, the browser's link, the
//! session and the `member.joined` webhook. A phone or email is only ever read here for
//! the member themselves and the hand-off.

use sqlx::Any;

use super::visitors::{self, Sighting};
use super::{Db, DbError, DbResult, Page, points, webhooks};
use crate::domain::Contact;
use crate::domain::time::to_rfc3339;
use crate::domain::webhook_event::WebhookEvent;
use crate::members::{LOCK_MS, MAX_WRONG_CODES, RESEND_AFTER_MS, new_referral_code};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent_version: String,
    pub consented_at: i64,
    pub joined_at: i64,
    pub campaign_id: Option<i64>,
    pub referral_code: String,
    pub referred_by: Option<i64>,
    pub points_balance: i64,
    pub points_earned: i64,
    pub deleted_at: Option<i64>,
}

impl Member {
    /// Their phone or email; `None` once deleted.
    pub fn contact(&self) -> Option<Contact> {
        self.phone
            .as_deref()
            .or(self.email.as_deref())
            .and_then(|raw| Contact::parse(raw).ok())
    }
}

const MEMBER: &str = "id, phone, email, consent_version, consented_at, joined_at, campaign_id, \
     referral_code, referred_by, points_balance, points_earned, deleted_at";

/// A one-time code to send, its hand-off already written as the webhook's payload.
#[derive(Debug, Clone)]
pub struct CodeRequest<'a> {
    pub contact: &'a Contact,
    pub code_hash: String,
    pub consent_version: &'a str,
    pub campaign_id: i64,
    pub visitor_id: &'a str,
    pub expires_at: i64,
    pub hand_off: String,
}

/// Why no code was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSent {
    /// Too many wrong codes: nothing is sent to the contact before `until`.
    Locked { until: i64 },
    /// A code went a moment ago; the next may go at `at`.
    TooSoon { at: i64 },
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No code was asked for this contact (or it was used).
    NoCode,
    Expired,
    Locked {
        until: i64,
    },
    Wrong {
        tries_left: i64,
    },
}

/// A code accepted: the member, and whether they joined just now.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub member: Member,
    pub joined: bool,
}

/// A session to start once a code is accepted.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub expires_at: i64,
}

impl Db {
    /// Stores a new code for `request.contact` (replacing one sent before) and hands it to
    /// the `member.code` webhooks, unless the contact is locked or was sent one a moment
    /// ago.
    pub async fn send_one_time_code(
        &self,
        request: &CodeRequest<'_>,
        now: i64,
    ) -> DbResult<Result<(), NotSent>> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let before: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT sent_at, locked_until FROM one_time_codes WHERE contact = $1")
                .bind(request.contact.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((sent_at, locked_until)) = before {
            if let Some(until) = locked_until.filter(|&until| until > now) {
                return Ok(Err(NotSent::Locked { until }));
            }
            if sent_at + RESEND_AFTER_MS > now {
                return Ok(Err(NotSent::TooSoon {
                    at: sent_at + RESEND_AFTER_MS,
                }));
            }
        }
        sqlx::query(
            "INSERT INTO one_time_codes (contact, code_hash, consent_version, campaign_id, \
             visitor_id, sent_at, expires_at, failures, locked_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL) \
             ON CONFLICT (contact) DO UPDATE SET code_hash = $2, consent_version = $3, \
             campaign_id = $4, visitor_id = $5, sent_at = $6, expires_at = $7, failures = 0, \
             locked_until = NULL",
        )
        .bind(request.contact.as_str())
        .bind(&request.code_hash)
        .bind(request.consent_version)
        .bind(request.campaign_id)
        .bind(request.visitor_id)
        .bind(now)
        .bind(request.expires_at)
        .execute(&mut *tx)
        .await?;
        webhooks::enqueue(
            &mut tx,
            WebhookEvent::MemberCode.as_str(),
            &request.hand_off,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Checks a code for `contact`. A right one is used up, and signs `visitor_id` in as
    /// the contact's member, joining them (with the consent given when the code was asked
    /// for) if there is none; a wrong one counts towards the lock.
    pub async fn use_one_time_code(
        &self,
        contact: &Contact,
        code_hash: &str,
        visitor_id: &str,
        session: &NewSession,
        now: i64,
    ) -> DbResult<Result<SignedIn, Refused>> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let sent: Option<(String, String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT code_hash, consent_version, campaign_id, expires_at, locked_until \
             FROM one_time_codes WHERE contact = $1",
        )
        .bind(contact.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((right_hash, consent, campaign_id, expires_at, locked_until)) = sent else {
            return Ok(Err(Refused::NoCode));
        };
        if let Some(until) = locked_until.filter(|&until| until > now) {
            return Ok(Err(Refused::Locked { until }));
        }
        if code_hash != right_hash {
            // Counted in the row, so tries at once on several instances all count.
            let (failures,): (i64,) = sqlx::query_as(
                "UPDATE one_time_codes SET failures = failures + 1, \
                 locked_until = CASE WHEN failures + 1 >= $2 THEN $3 ELSE locked_until END \
                 WHERE contact = $1 RETURNING failures",
            )
            .bind(contact.as_str())
            .bind(MAX_WRONG_CODES)
            .bind(now + LOCK_MS)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            let lock = (failures >= MAX_WRONG_CODES).then_some(now + LOCK_MS);
            return Ok(Err(match lock {
                Some(until) => Refused::Locked { until },
                None => Refused::Wrong {
                    tries_left: MAX_WRONG_CODES - failures,
                },
            }));
        }
        if expires_at <= now {
            return Ok(Err(Refused::Expired));
        }
        // The code is used up here: of two uses at once (a form sent twice), the second
        // finds it gone.
        let used = sqlx::query("DELETE FROM one_time_codes WHERE contact = $1 AND code_hash = $2")
            .bind(contact.as_str())
            .bind(code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if used == 0 {
            return Ok(Err(Refused::NoCode));
        }
        let column = contact_column(contact);
        let existing: Option<Member> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER} FROM members WHERE {column} = $1"
        )))
        .bind(contact.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let joined = existing.is_none();
        let member = match existing {
            Some(member) => member,
            None => {
                let referral: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT r.member_id, r.campaign_id FROM referral_visits r \
                     JOIN members m ON m.id = r.member_id \
                     WHERE r.visitor_id = $1 AND m.deleted_at IS NULL",
                )
                .bind(visitor_id)
                .fetch_optional(&mut *tx)
                .await?;
                let member = insert_member(
                    &mut tx,
                    contact,
                    &consent,
                    campaign_id,
                    referral.map(|r| r.0),
                    now,
                )
                .await?;
                if let Some((referrer, campaign)) = referral {
                    points::earn_for_referral(&mut tx, referrer, member.id, campaign, now).await?;
                }
                member
            }
        };
        sqlx::query(
            "INSERT INTO member_visitors (visitor_id, member_id, linked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (visitor_id) DO UPDATE SET member_id = $2, linked_at = $3",
        )
        .bind(visitor_id)
        .bind(member.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO member_sessions (token_hash, member_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.token_hash)
        .bind(member.id)
        .bind(now)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        if joined {
            let payload = serde_json::json!({
                "member_id": member.id,
                "joined_at": to_rfc3339(member.joined_at),
                "campaign_id": member.campaign_id,
                "visitor_ids": [visitor_id],
                "referred_by": member.referred_by,
            });
            webhooks::enqueue(
                &mut tx,
                WebhookEvent::MemberJoined.as_str(),
                &payload.to_string(),
            )
            .await?;
        }
        let intent = Sighting {
            intending_at: Some(now),
            ..Sighting::at(campaign_id, visitor_id, now)
        };
        visitors::note(&mut tx, self.backend(), vec![intent]).await?;
        tx.commit().await?;
        Ok(Ok(SignedIn { member, joined }))
    }

    /// The member a session cookie's hash signs in, while it lasts and they are not
    /// deleted.
    pub async fn member_by_session(&self, token_hash: &str, now: i64) -> DbResult<Option<Member>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM members m JOIN member_sessions s ON s.member_id = m.id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.deleted_at IS NULL",
            qualified("m")
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn end_member_session(&self, token_hash: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM member_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn member(&self, id: i64) -> DbResult<Member> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER} FROM members WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(DbError::NotFound)
    }

    /// A page of members in the order they joined.
    pub async fn members(&self, page: Page) -> DbResult<Vec<Member>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER} FROM members WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The browsers a member signed in from, first linked first.
    pub async fn member_visitors(&self, member_id: i64) -> DbResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT visitor_id, linked_at FROM member_visitors WHERE member_id = $1 \
             ORDER BY linked_at, visitor_id",
        )
        .bind(member_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Forgets who a member is: the contact, the browsers, the sessions and any code
    /// waiting. The row stays, without them, so counts stay whole.
    pub async fn delete_member(&self, id: i64, now: i64) -> DbResult<()> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let contact: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT phone, email FROM members WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((phone, email)) = contact else {
            return Err(DbError::NotFound);
        };
        for contact in [phone, email].into_iter().flatten() {
            sqlx::query("DELETE FROM one_time_codes WHERE contact = $1")
                .bind(contact)
                .execute(&mut *tx)
                .await?;
        }
        points::forfeit(&mut tx, id, now).await?;
        for table in ["member_sessions", "member_visitors"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE member_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE members SET phone = NULL, email = NULL, deleted_at = COALESCE(deleted_at, $2) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_member(
    tx: &mut sqlx::Transaction<'_, Any>,
    contact: &Contact,
    consent: &str,
    campaign_id: i64,
    referred_by: Option<i64>,
    now: i64,
) -> DbResult<Member> {
    let column = contact_column(contact);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO members ({column}, consent_version, consented_at, joined_at, campaign_id, \
         referral_code, referred_by) VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING {MEMBER}"
    )))
    .bind(contact.as_str())
    .bind(consent)
    .bind(now)
    .bind(campaign_id)
    .bind(new_referral_code())
    .bind(referred_by)
    .fetch_one(&mut **tx)
    .await?)
}

fn contact_column(contact: &Contact) -> &'static str {
    match contact {
        Contact::Phone(_) => "phone",
        Contact::Email(_) => "email",
    }
}

fn qualified(alias: &str) -> String {
    MEMBER
        .split(", ")
        .map(|column| format!("{alias}.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}
