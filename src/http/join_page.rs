//! `/c/{slug}/join`: a consumer becomes a member from a campaign's page. They type a mobile
//! number or email and agree to the consent text; scanloop stores a one-time code and hands
//! it to the brand's SMS or mail provider through the `member.code` webhook (it sends
//! nothing itself; `SCANLOOP_SHOW_ONE_TIME_CODES` shows it on the page in development).
//! The right code signs the phone in as the member, joining them if the contact is new:
//! the same phone number twice is one member, and a second phone is linked to them.
//! Bots and browsers that keep no cookie cannot ask for codes.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::error::AppError;
use super::extract::Path;
use super::member_page::after_sign_in;
use super::member_session::{MaybeMember, member_cookie, with_cookie};
use super::pages::{PageError, render, see_other};
use super::strings::{JoinStrings, strings};
use super::visiting::{Asker, PageHead, Visiting};
use crate::accounts::secret::new_secret;
use crate::db::{CodeRequest, NewSession, NotSent, Refused, now_ms};
use crate::domain::time::to_rfc3339;
use crate::domain::{Contact, ContactError};
use crate::members::{CODE_TTL_MS, CONSENT_VERSION, SESSION_MS, code_hash, new_code};

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    lang: &'static str,
    text: &'static JoinStrings,
    head: PageHead,
    send_action: String,
    code_action: String,
    /// The second step: a code was sent to `contact`.
    asking_code: bool,
    contact: String,
    consented: bool,
    notice: Option<String>,
    refused: bool,
    /// The code itself, in development.
    shown_code: Option<String>,
}

/// What a page shows after a step.
struct Outcome {
    status: StatusCode,
    asking_code: bool,
    contact: String,
    consented: bool,
    notice: Option<String>,
    shown_code: Option<String>,
}

impl Outcome {
    fn asking_contact(status: StatusCode, contact: String, notice: Option<String>) -> Self {
        Self {
            status,
            asking_code: false,
            contact,
            consented: false,
            notice,
            shown_code: None,
        }
    }

    fn asking_code(status: StatusCode, contact: &Contact, notice: String) -> Self {
        Self {
            status,
            asking_code: true,
            contact: contact.as_str().to_owned(),
            consented: true,
            notice: Some(notice),
            shown_code: None,
        }
    }
}

fn draw(state: &AppState, visiting: &Visiting, outcome: Outcome) -> Response {
    let language = visiting.choice.language;
    let text = &strings(language).join_page;
    let base = visiting.base(state);
    let code_only = visiting.code_only();
    let page = JoinPage {
        lang: language.code(),
        text,
        head: visiting.head(state),
        send_action: format!("{base}/join{code_only}"),
        code_action: format!("{base}/join/code{code_only}"),
        asking_code: outcome.asking_code,
        contact: outcome.contact,
        consented: outcome.consented,
        refused: !outcome.status.is_success(),
        notice: outcome.notice,
        shown_code: outcome.shown_code,
    };
    visiting.finish(state, render(outcome.status, page))
}

/// The form; a phone already signed in goes to its member page.
pub(super) async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeMember(member): MaybeMember,
    asker: Asker,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    if member.is_some() {
        return Ok(see_other(&format!("{}/me", state.settings.path_prefix())));
    }
    Ok(draw(
        &state,
        &visiting,
        Outcome::asking_contact(StatusCode::OK, String::new(), None),
    ))
}

#[derive(Deserialize)]
pub(super) struct SendForm {
    #[serde(default)]
    contact: String,
    consent: Option<String>,
}

/// Sends a code: checks the contact, the consent and the limits, stores the code and hands
/// it off, then asks for it.
pub(super) async fn send(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
    form: Result<Form<SendForm>, FormRejection>,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let text = &strings(visiting.choice.language).join_page;
    let Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let refuse = |status, notice: &str| {
        let outcome = Outcome {
            consented: form.consent.is_some(),
            ..Outcome::asking_contact(status, form.contact.clone(), Some(notice.to_owned()))
        };
        Ok(draw(&state, &visiting, outcome))
    };
    let Some(visitor_id) = returning_visitor(&visiting)? else {
        return refuse(StatusCode::BAD_REQUEST, text.need_cookie);
    };
    let contact = match Contact::parse(&form.contact) {
        Ok(contact) => contact,
        Err(ContactError::Empty) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, text.empty_contact);
        }
        Err(ContactError::Unrecognised) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, text.bad_contact);
        }
    };
    if form.consent.is_none() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, text.need_consent);
    }
    if !state.code_limits.allow(&visiting.visit.ip_prefix) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, text.slow_down);
    }
    let now = now_ms();
    let code = new_code();
    let expires_at = now + CODE_TTL_MS;
    let hand_off = serde_json::json!({
        "channel": contact.kind(),
        "to": contact.as_str(),
        "code": code,
        "expires_at": to_rfc3339(expires_at),
        "language": visiting.choice.language.code(),
        "campaign_id": visiting.campaign.id,
        "campaign_name": visiting.campaign.name,
    });
    let request = CodeRequest {
        contact: &contact,
        code_hash: code_hash(&contact, &code),
        consent_version: CONSENT_VERSION,
        campaign_id: visiting.campaign.id,
        visitor_id: &visitor_id,
        expires_at,
        hand_off: hand_off.to_string(),
    };
    let outcome = match state.db.send_one_time_code(&request, now).await? {
        Ok(()) => Outcome {
            shown_code: state.settings.show_one_time_codes.then_some(code),
            ..Outcome::asking_code(
                StatusCode::OK,
                &contact,
                text.code_sent.replace("{contact}", &contact.hint()),
            )
        },
        Err(NotSent::TooSoon { at }) => Outcome::asking_code(
            StatusCode::TOO_MANY_REQUESTS,
            &contact,
            text.too_soon
                .replace("{n}", &((at - now + 999) / 1000).to_string()),
        ),
        Err(NotSent::Locked { until }) => {
            return refuse(StatusCode::TOO_MANY_REQUESTS, &locked(text, until, now));
        }
    };
    Ok(draw(&state, &visiting, outcome))
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    code: String,
}

/// Checks a code: the right one signs the phone in (joining the member if new) and goes
/// to the member page.
pub(super) async fn check_code(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    asker: Asker,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let visiting = Visiting::of(&state, &slug, asker).await?;
    let text = &strings(visiting.choice.language).join_page;
    let Form(form) = form.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let Some(visitor_id) = returning_visitor(&visiting)? else {
        let outcome = Outcome::asking_contact(
            StatusCode::BAD_REQUEST,
            form.contact,
            Some(text.need_cookie.into()),
        );
        return Ok(draw(&state, &visiting, outcome));
    };
    let Ok(contact) = Contact::parse(&form.contact) else {
        let outcome = Outcome::asking_contact(
            StatusCode::UNPROCESSABLE_ENTITY,
            form.contact,
            Some(text.no_code.into()),
        );
        return Ok(draw(&state, &visiting, outcome));
    };
    let now = now_ms();
    let (secret, token_hash) = new_secret();
    let session = NewSession {
        token_hash,
        expires_at: now + SESSION_MS,
    };
    let used = state
        .db
        .use_one_time_code(
            &contact,
            &code_hash(&contact, &form.code),
            &visitor_id,
            &session,
            now,
        )
        .await?;
    let refusal = match used {
        Ok(signed_in) => {
            let cookie = member_cookie(&state.settings, &secret, SESSION_MS / 1000);
            // Joined from a code's page: back to it, where its points can be claimed.
            let to_page = match &visiting.code {
                Some(_) => see_other(&format!(
                    "{}{}",
                    visiting.base(&state),
                    visiting.code_only()
                )),
                None => after_sign_in(&state, signed_in.joined),
            };
            return Ok(visiting.finish(&state, with_cookie(to_page, cookie)));
        }
        Err(refusal) => refusal,
    };
    let outcome = match refusal {
        Refused::NoCode => Outcome::asking_contact(
            StatusCode::UNPROCESSABLE_ENTITY,
            form.contact,
            Some(text.no_code.into()),
        ),
        Refused::Expired => Outcome::asking_code(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact,
            text.expired.into(),
        ),
        Refused::Wrong { tries_left } => Outcome::asking_code(
            StatusCode::UNPROCESSABLE_ENTITY,
            &contact,
            text.wrong.replace("{n}", &tries_left.to_string()),
        ),
        Refused::Locked { until } => Outcome::asking_code(
            StatusCode::TOO_MANY_REQUESTS,
            &contact,
            locked(text, until, now),
        ),
    };
    Ok(draw(&state, &visiting, outcome))
}

/// The visitor's id if their browser sent the cookie back: a browser that keeps none would
/// be a new visitor each time, and a bot may not join at all.
fn returning_visitor(visiting: &Visiting) -> Result<Option<String>, PageError> {
    if visiting.visit.is_bot {
        return Err(AppError::Forbidden("automated clients cannot join".into()).into());
    }
    Ok(visiting
        .visitor
        .id
        .clone()
        .filter(|_| !visiting.visitor.is_new))
}

fn locked(text: &JoinStrings, until: i64, now: i64) -> String {
    let minutes = ((until - now) + 59_999) / 60_000;
    text.locked.replace("{n}", &minutes.max(1).to_string())
}
