//! Members: a consumer joins with a phone number and the one-time code the `member.code`
//! webhook handed to the brand's provider; the same number on a second phone is the same
//! member; the member page shows, exports and deletes what is kept. Wrong codes lock the
//! number; bad input is refused with a message and stores nothing.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PHONE, TestApp, location};
use crate::webhooks::{Receiver, deliveries};

/// A phone's browser: the cookies it keeps.
pub struct Browser {
    pub cookies: Vec<String>,
}

impl Browser {
    /// A phone that opened the campaign's join page, and so has its visitor cookie.
    pub async fn opening(app: &TestApp, slug: &str) -> Self {
        let mut browser = Self { cookies: vec![] };
        let page = browser.get(app, &format!("/c/{slug}/join")).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(browser.cookies.len(), 1, "the visitor cookie is set");
        browser
    }

    fn keep(&mut self, answer: &Response) {
        for set in answer.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let name = pair.split('=').next().unwrap().to_owned();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            if !pair.ends_with('=') {
                self.cookies.push(pair);
            }
        }
    }

    /// The visitor id the browser's cookie holds.
    pub fn visitor(&self) -> String {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix("sl_vid="))
            .expect("a visitor cookie")
            .to_owned()
    }

    pub fn header(&self) -> String {
        self.cookies.join("; ")
    }

    pub async fn get(&mut self, app: &TestApp, path: &str) -> Response {
        let answer = app
            .client
            .get(app.url(path))
            .header("user-agent", PHONE)
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.keep(&answer);
        answer
    }

    pub async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Response {
        let answer = app
            .client
            .post(app.url(path))
            .header("user-agent", PHONE)
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&answer);
        answer
    }
}

async fn text(answer: Response) -> (StatusCode, String) {
    (answer.status(), answer.text().await.unwrap())
}

/// The code the last `member.code` delivery handed off to `to`.
fn handed_off(bodies: &[(axum::http::HeaderMap, String)], to: &str) -> String {
    bodies
        .iter()
        .rev()
        .map(|(_, body)| serde_json::from_str::<Value>(body).unwrap())
        .find(|body| body["to"] == to && body["code"].is_string())
        .unwrap_or_else(|| panic!("no code handed off to {to}"))["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_phone_number_joins_once_and_a_second_phone_signs_in_as_the_same_member() {
    let receiver = Receiver::default();
    let hook = receiver.start(&[]).await;
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let webhook = app
        .create(
            "/api/v1/webhooks",
            json!({"url": hook, "events": ["member.code", "member.joined"]}),
        )
        .await;
    app.create("/api/v1/campaigns", json!({"name": "Tea", "slug": "tea"}))
        .await;

    let mut first = Browser::opening(&app, "tea").await;
    let (status, page) = text(
        first
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "138 1234 5678"), ("consent", "yes")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("+86 138****5678"),
        "the page names where the code went"
    );
    assert!(
        !page.contains("shown-code"),
        "codes are not shown by default"
    );
    let bodies = receiver.wait_for(1).await;
    let code = handed_off(&bodies, "+8613812345678");
    assert_eq!(code.len(), 6);
    let hand_off: Value = serde_json::from_str(&bodies[0].1).unwrap();
    assert_eq!(hand_off["channel"], "phone");
    assert_eq!(hand_off["language"], "en");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, page) = text(
        first
            .post(
                &app,
                "/c/tea/join/code",
                &[("contact", "+8613812345678"), ("code", wrong)],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("4 tries left"), "{page}");

    let joined = first
        .post(
            &app,
            "/c/tea/join/code",
            &[("contact", "+8613812345678"), ("code", &code)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&joined), "/me?welcome=joined");
    assert!(first.header().contains("sl_member="), "{}", first.header());
    let (status, page) = text(first.get(&app, "/me?welcome=joined").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("You are now a member"), "{page}");
    assert!(page.contains("+86 138****5678"));
    assert!(page.contains(r#"id="balance">0<"#));

    // The same number on another phone: a code, then the same member with both browsers.
    let mut second = Browser::opening(&app, "tea").await;
    let sent = second
        .post(
            &app,
            "/c/tea/join",
            &[("contact", "+86 138-1234-5678"), ("consent", "yes")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let code = handed_off(&receiver.wait_for(2).await, "+8613812345678");
    let back = second
        .post(
            &app,
            "/c/tea/join/code",
            &[("contact", "+8613812345678"), ("code", &code)],
        )
        .await;
    assert_eq!(location(&back), "/me?welcome=back");

    let members: Value = app.get("/api/v1/members").await.json().await.unwrap();
    let items = members["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{members}");
    let id = items[0]["id"].clone();
    assert_eq!(items[0]["contact_hint"], "+86 138****5678");
    let member: Value = app
        .get(&format!("/api/v1/members/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["visitors"].as_array().unwrap().len(), 2, "{member}");
    assert!(!member.to_string().contains("13812345678"), "{member}");

    // One member.joined, naming no phone; the log hides the codes it handed off.
    let bodies = receiver.wait_for(3).await;
    let joins: Vec<Value> = bodies
        .iter()
        .map(|(_, b)| serde_json::from_str::<Value>(b).unwrap())
        .filter(|b| b.get("member_id").is_some())
        .collect();
    assert_eq!(joins.len(), 1, "{bodies:?}");
    assert_eq!(joins[0]["member_id"], id);
    assert!(!joins[0].to_string().contains("1381234"), "{}", joins[0]);
    let log = deliveries(&app, &webhook).await;
    assert_eq!(log.len(), 3);
    for delivery in log.iter().filter(|d| d["event"] == "member.code") {
        assert_eq!(delivery["payload"]["code"], "[redacted]");
        assert_eq!(delivery["payload"]["to"], "+86 138****5678");
    }

    // The member's own data, then deleting it: the contact goes, the row stays.
    let data = first.get(&app, "/me/data").await;
    assert_eq!(data.status(), StatusCode::OK);
    let data: Value = data.json().await.unwrap();
    assert_eq!(data["phone"], "+8613812345678");
    assert_eq!(data["browsers"].as_array().unwrap().len(), 2);
    for browser in data["browsers"].as_array().unwrap() {
        let kept = &browser["campaigns"][0];
        assert!(
            kept["stage"].is_string(),
            "what each browser did: {browser}"
        );
        assert!(kept["first_seen"].is_string());
    }
    let page = text(first.get(&app, "/me").await).await.1;
    let token = page
        .split(r#"name="token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let forged = first
        .post(
            &app,
            "/me/delete",
            &[("token", "forged"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let unconfirmed = first.post(&app, "/me/delete", &[("token", &token)]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, page) = text(
        first
            .post(&app, "/me/delete", &[("token", &token), ("confirm", "yes")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Your membership was deleted"), "{page}");
    assert!(!first.header().contains("sl_member="));
    let page = text(second.get(&app, "/me").await).await.1;
    assert!(
        page.contains("You are not signed in"),
        "the other phone is signed out too"
    );
    let member: Value = app
        .get(&format!("/api/v1/members/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(member["deleted_at"].is_string(), "{member}");
    assert!(member["contact_hint"].is_null());
    assert_eq!(member["visitors"], json!([]));
    let db = app.db().await;
    let (kept,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM members WHERE phone IS NOT NULL OR email IS NOT NULL")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn bad_input_and_wrong_codes_are_refused_with_a_reason_and_store_nothing() {
    let app = TestApp::spawn_with(|c| c.show_one_time_codes = true).await;
    app.create("/api/v1/campaigns", json!({"name": "Tea", "slug": "tea"}))
        .await;
    let db = app.db().await;
    let codes = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM one_time_codes")
            .fetch_one(&db)
            .await
            .unwrap();
        n
    };

    // No cookie kept: the page says so (and sets one for the next try).
    let mut cookieless = Browser { cookies: vec![] };
    let (status, page) = text(
        cookieless
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "13812345678"), ("consent", "yes")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("did not keep our cookie"), "{page}");
    let bot = app
        .client
        .post(app.url("/c/tea/join"))
        .header("user-agent", "curl/8.5.0")
        .form(&[("contact", "13812345678"), ("consent", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(bot.status(), StatusCode::FORBIDDEN);

    let mut phone = Browser::opening(&app, "tea").await;
    for (form, message) in [
        (
            vec![("contact", " "), ("consent", "yes")],
            "Enter your mobile number or email",
        ),
        (
            vec![("contact", "12345"), ("consent", "yes")],
            "mainland mobile number (11 digits)",
        ),
        (vec![("contact", "13812345678")], "Tick the box to agree"),
    ] {
        let (status, page) = text(phone.post(&app, "/c/tea/join", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(page.contains(message), "{form:?}: {page}");
    }
    assert_eq!(codes().await, 0, "nothing stored for bad input");
    let missing = app.get("/c/nope/join").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // Development mode shows the code; a second ask within the minute waits.
    let (status, page) = text(
        phone
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "ana@brand.example"), ("consent", "yes")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let code = page
        .split("your code is ")
        .nth(1)
        .expect("the code is shown in development")[..6]
        .to_owned();
    let (status, page) = text(
        phone
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "Ana@Brand.example"), ("consent", "yes")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Wait"), "{page}");

    // Five wrong codes lock the address, the right code included, and new codes too.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        let (status, page) = text(
            phone
                .post(
                    &app,
                    "/c/tea/join/code",
                    &[("contact", "ana@brand.example"), ("code", wrong)],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains(&format!("{left} tries left")), "{page}");
    }
    for code in [wrong, code.as_str()] {
        let (status, page) = text(
            phone
                .post(
                    &app,
                    "/c/tea/join/code",
                    &[("contact", "ana@brand.example"), ("code", code)],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("Try again in 15 minutes"), "{page}");
    }
    sqlx::query("UPDATE one_time_codes SET sent_at = sent_at - 120000")
        .execute(&db)
        .await
        .unwrap();
    let (status, page) = text(
        phone
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "ana@brand.example"), ("consent", "yes")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many wrong codes"), "{page}");

    // Once the lock is over a new code works; an expired one does not.
    sqlx::query("UPDATE one_time_codes SET locked_until = 1")
        .execute(&db)
        .await
        .unwrap();
    let page = text(
        phone
            .post(
                &app,
                "/c/tea/join",
                &[("contact", "ana@brand.example"), ("consent", "yes")],
            )
            .await,
    )
    .await
    .1;
    let code = page.split("your code is ").nth(1).unwrap()[..6].to_owned();
    sqlx::query("UPDATE one_time_codes SET expires_at = 1")
        .execute(&db)
        .await
        .unwrap();
    let (status, page) = text(
        phone
            .post(
                &app,
                "/c/tea/join/code",
                &[("contact", "ana@brand.example"), ("code", &code)],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("This code has expired"), "{page}");
    let (members,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM members")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(members, 0);
}
