//! Signing in and out of the pages: sessions kept hashed, their expiry, CSRF on changes,
//! and limits on sign-in attempts.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, location};

const NO_MATCH: &str = "That email and password do not match an account that can sign in.";

async fn sign_out(app: &TestApp, cookie: &str, csrf: &str, everywhere: bool) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    if everywhere {
        form.push(("everywhere", "1"));
    }
    app.client
        .post(app.url("/logout"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The sign-out form's token on a page.
fn csrf_of(html: &str) -> String {
    html.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a sign-out form")
        .to_owned()
}

#[tokio::test]
async fn people_sign_in_with_a_password_and_out_with_the_page_s_token() {
    let app = TestApp::spawn().await;
    let store = app
        .create("/api/v1/stores", json!({"name": "A", "code": "A-1"}))
        .await;
    app.user("ana@brand.example", "analyst", &[]).await;
    app.user(
        "rui@shop.example",
        "retailer",
        &[store["id"].as_i64().unwrap()],
    )
    .await;

    // A wrong password and an unknown email get the same answer.
    for (email, password) in [
        ("ana@brand.example", "not the password at all"),
        ("nobody@brand.example", PASSWORD),
    ] {
        let refused = app.sign_in_answer(email, password, "/reports").await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(
            refused
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("sl_session=")),
            "no session for a refused sign-in"
        );
        let html = refused.text().await.unwrap();
        assert!(html.contains(NO_MATCH), "{html}");
        assert!(
            html.contains(&format!(r#"value="{email}""#)),
            "what was typed stays"
        );
    }
    // Without the form's cookie (another site posting the form) nothing happens.
    let forged = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "ana@brand.example"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let cookie = app.sign_in("ana@brand.example", "/reports").await;
    let (status, html) = app.page("/reports", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ana@brand.example"));
    let csrf = csrf_of(&html);
    let stored: Vec<(String,)> = sqlx::query_as("SELECT id_hash FROM sessions")
        .fetch_all(&app.db().await)
        .await
        .unwrap();
    let secret = cookie.trim_start_matches("sl_session=");
    assert!(
        stored
            .iter()
            .all(|(hash,)| hash != secret && hash.len() == 64),
        "kept hashed"
    );

    // A retailer signs in to their stores' dashboard; the brand's reports are not theirs.
    let retailer = app.sign_in("rui@shop.example", "/reports").await;
    let home = app
        .client
        .get(app.url("/reports"))
        .header("cookie", &retailer)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(home.headers()["location"], "/store");
    let (status, page) = app.page("/store", &retailer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Your stores"), "{page}");
    let (status, _) = app.page("/reports/campaigns/1", &retailer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signing out needs the page's token: without it nothing changes.
    let forged = sign_out(&app, &cookie, "forged", false).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.page("/reports", &cookie).await.0, StatusCode::OK);
    let out = sign_out(&app, &cookie, &csrf, false).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/login?signed_out=1");
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("sl_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let after = app
        .client
        .get(app.url("/reports"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&after), "/login?next=%2Freports&ended=1");

    // Signing out everywhere ends the other browsers' sessions too.
    let laptop = app.sign_in("ana@brand.example", "/reports").await;
    let phone = app.sign_in("ana@brand.example", "/reports").await;
    let (_, html) = app.page("/reports", &laptop).await;
    let out = sign_out(&app, &laptop, &csrf_of(&html), true).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.page("/reports", &phone).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_too_old_or_their_user_is_disabled() {
    let app = TestApp::spawn().await;
    let id = app.user("ana@brand.example", "analyst", &[]).await;
    let db = app.db().await;
    let page = "/reports?from=a";
    let cookie = app.sign_in("ana@brand.example", page).await;
    assert_eq!(app.page(page, &cookie).await.0, StatusCode::OK);

    // Idle past the setting (8 hours): back to signing in, with a note, then back here.
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 8 * 3600000 - 1000")
        .execute(&db)
        .await
        .unwrap();
    let ended = app
        .client
        .get(app.url(page))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    let to = location(&ended);
    assert_eq!(to, "/login?next=%2Freports%3Ffrom%3Da&ended=1");
    let (_, form) = app.page(&to, "").await;
    assert!(form.contains("Your session ended"), "{form}");
    assert!(
        form.contains(r#"name="next" value="/reports?from=a""#),
        "{form}"
    );

    // Past its absolute end, however busy.
    let cookie = app.sign_in("ana@brand.example", page).await;
    sqlx::query("UPDATE sessions SET expires_at = created_at")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(app.page(page, &cookie).await.0, StatusCode::SEE_OTHER);

    // Disabled: the session stops at once and signing in is refused like a wrong password.
    let cookie = app.sign_in("ana@brand.example", page).await;
    let path = format!("/api/v1/users/{id}");
    assert_eq!(
        app.patch(&path, json!({"disabled": true})).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.page(page, &cookie).await.0, StatusCode::SEE_OTHER);
    let refused = app
        .sign_in_answer("ana@brand.example", PASSWORD, page)
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.text().await.unwrap().contains(NO_MATCH));
    let enabled = app.patch(&path, json!({"disabled": false})).await;
    assert_eq!(
        enabled.status(),
        StatusCode::OK,
        "{:?}",
        enabled.text().await
    );

    // A new password set through a link signs out whoever held the old one.
    let cookie = app.sign_in("ana@brand.example", page).await;
    let link: Value = app
        .create(&format!("{path}/password-link"), json!({}))
        .await;
    let new = "emerald kettle parsnip lighthouse";
    let set = app
        .client
        .post(link["url"].as_str().unwrap())
        .form(&[("password", new), ("again", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(app.page(page, &cookie).await.0, StatusCode::SEE_OTHER);
    let answer = app.sign_in_answer("ana@brand.example", new, page).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_and_per_network() {
    let app = TestApp::spawn().await;
    app.user("ana@brand.example", "analyst", &[]).await;
    app.user("mia@brand.example", "analyst", &[]).await;
    for _ in 0..10 {
        let refused = app
            .sign_in_answer("ana@brand.example", "wrong guess 1234", "/reports")
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app
        .sign_in_answer("ana@brand.example", PASSWORD, "/reports")
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited
            .text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );
    // Another account from the same network is not held back by ana's.
    let other = app
        .sign_in_answer("mia@brand.example", PASSWORD, "/reports")
        .await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    // A network trying many accounts is held back too (30 at once; 12 are used).
    let mut statuses = Vec::new();
    for n in 0..19 {
        let email = format!("guess{n}@brand.example");
        statuses.push(
            app.sign_in_answer(&email, PASSWORD, "/reports")
                .await
                .status(),
        );
    }
    assert!(
        statuses[..18]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
