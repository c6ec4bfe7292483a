//! The brand console: admins change campaigns, batches, channels and stores through forms
//! checked like the API; analysts read; retailers are sent to their dashboard; a refused
//! form keeps what was typed, and a form sent after the session ended comes back filled in.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, PHONE, TestApp, location};
use crate::webdriver::{Browser, browser_present};

/// The page's form token.
pub fn csrf(page: &str) -> String {
    page.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form token")
        .to_owned()
}

pub async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn an_admin_creates_a_campaign_its_batch_and_downloads_the_codes() {
    let app = TestApp::spawn().await;
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let (status, home) = app.page("/console", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("Get started"),
        "an empty console says where to start"
    );
    let token = csrf(&home);

    let channel = post(
        &app,
        "/console/channels",
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Metro posters"),
            ("kind", "poster"),
        ],
    )
    .await;
    assert_eq!(channel.status(), StatusCode::SEE_OTHER);
    let (_, channels) = app.page("/console/channels?saved=1", &cookie).await;
    assert!(channels.contains("Metro posters") && channels.contains("Channel added"));

    let created = post(
        &app,
        "/console/campaigns/new",
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Autumn tea"),
            ("slug", ""),
            ("destination_url", "https://shop.example.com/autumn"),
            ("currency", "CNY"),
            ("starts_at", "2026-01-01"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let campaign_page = location(&created);
    assert!(
        campaign_page.starts_with("/console/campaigns/"),
        "{campaign_page}"
    );
    let id: i64 = campaign_page["/console/campaigns/".len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let campaign: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(campaign["slug"], "autumn-tea");
    assert_eq!(campaign["starts_at"], "2026-01-01T00:00:00.000Z");

    let (_, list) = app.page("/console/campaigns?q=AUTUMN", &cookie).await;
    assert!(list.contains("Autumn tea"), "search ignores case");
    let (_, none) = app.page("/console/campaigns?q=summer", &cookie).await;
    assert!(none.contains("No campaign matches"));

    let channels: serde_json::Value = app.get("/api/v1/channels").await.json().await.unwrap();
    let channel_id = channels["items"][0]["id"].to_string();
    let batch = post(
        &app,
        &format!("/console/campaigns/{id}/batches/new"),
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Bottles"),
            ("channel_id", &channel_id),
            ("store_id", ""),
            ("mode", "unique"),
            ("quantity", "25"),
            ("cost", "120.50"),
        ],
    )
    .await;
    assert_eq!(batch.status(), StatusCode::SEE_OTHER);
    let batch_page = location(&batch);
    let batch_id = batch_page["/console/batches/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, page) = app.page(&batch_page, &cookie).await;
    assert!(
        page.contains("120.50") && page.contains("codes.csv"),
        "{page}"
    );
    let csv = app
        .client
        .get(app.url(&format!("/console/batches/{batch_id}/files/codes.csv")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 26, "a header and 25 codes: {csv}");
    assert!(csv.starts_with("serial,token,url"));
    // Options the API refuses are refused here with its message.
    for (file, message) in [
        ("codes.zip?format=gif", "format must be svg or png"),
        ("sheet.pdf?page=b5", "page"),
    ] {
        let (status, page) = app
            .page(
                &format!("/console/batches/{batch_id}/files/{file}"),
                &cookie,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{file}");
        assert!(page.contains(message), "{file}: {page}");
    }

    // Settings: a new destination for codes already printed.
    let saved = post(
        &app,
        &format!("/console/campaigns/{id}/settings"),
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Autumn tea"),
            ("destination_url", "https://shop.example.com/new"),
            ("starts_at", "2026-01-01"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let campaign: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(campaign["destination_url"], "https://shop.example.com/new");

    // Landing page, then disabling the campaign.
    let landing = post(
        &app,
        &format!("/console/campaigns/{id}/landing"),
        &cookie,
        &[
            ("csrf", &token),
            ("title", "Hello autumn"),
            ("brand_color", "#aa3300"),
            ("photo_sharing", "on"),
        ],
    )
    .await;
    assert_eq!(landing.status(), StatusCode::SEE_OTHER);
    let (status, preview) = app
        .page(&format!("/console/campaigns/{id}/preview"), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains("Hello autumn") && preview.contains("#aa3300"));
    let off = post(
        &app,
        &format!("/console/campaigns/{id}/status"),
        &cookie,
        &[("csrf", &token), ("status", "disabled")],
    )
    .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let campaign: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(campaign["status"], "disabled");
    assert_eq!(campaign["landing"]["title"], "Hello autumn");
}

#[tokio::test]
async fn a_refused_form_keeps_what_was_typed_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let (_, page) = app.page("/console/campaigns/new", &cookie).await;
    let token = csrf(&page);

    let refused = post(
        &app,
        "/console/campaigns/new",
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Winter <b>"),
            ("destination_url", "ftp://nope"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"value="Winter &#60;b&#62;""#)
            || html.contains(r#"value="Winter &lt;b&gt;""#),
        "kept and escaped: {html}"
    );
    assert!(html.contains(r#"value="ftp://nope""#));
    assert!(
        html.contains(r#"id="e-destination_url""#),
        "the error is next to its field"
    );
    assert_eq!(count(&app, "campaigns").await, 0);

    // The same slug twice: the second is refused at the slug.
    for expected in [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY] {
        let answer = post(
            &app,
            "/console/campaigns/new",
            &cookie,
            &[("csrf", &token), ("name", "Spring"), ("currency", "CNY")],
        )
        .await;
        assert_eq!(answer.status(), expected);
        if expected == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(answer.text().await.unwrap().contains(r#"id="e-slug""#));
        }
    }
    let duplicate_code = |code: &'static str| {
        [
            ("csrf", token.clone()),
            ("name", "Shop".to_owned()),
            ("code", code.to_owned()),
            ("latitude", "31.2".to_owned()),
        ]
    };
    let store = post(
        &app,
        "/console/stores",
        &cookie,
        &[("csrf", &token), ("name", "Shop"), ("code", "S1")],
    )
    .await;
    assert_eq!(store.status(), StatusCode::SEE_OTHER);
    let fields = duplicate_code("S1");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let again = post(&app, "/console/stores", &cookie, &fields).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = again.text().await.unwrap();
    assert!(
        html.contains(r#"id="e-code""#) || html.contains(r#"id="e-longitude""#),
        "{html}"
    );

    // A wrong or missing token: 403, nothing changed.
    let before = count(&app, "campaigns").await;
    for fields in [
        vec![("csrf", "forged"), ("name", "Forged")],
        vec![("name", "Forged")],
    ] {
        let forged = post(&app, "/console/campaigns/new", &cookie, &fields).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(forged.text().await.unwrap().contains("nothing was changed"));
    }
    assert_eq!(count(&app, "campaigns").await, before);
}

#[tokio::test]
async fn a_form_sent_after_the_session_ended_comes_back_filled_in() {
    let app = TestApp::spawn().await;
    app.user("ada@brand.example", "admin", &[]).await;
    let gone = "sl_session=ended-long-ago";
    let answer = post(
        &app,
        "/console/campaigns/new",
        gone,
        &[
            ("csrf", "old"),
            ("name", "Night market"),
            ("destination_url", "https://shop.example.com/night"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let to = location(&answer);
    assert!(to.starts_with("/login?next="), "{to}");
    assert!(to.contains("ended=1"));
    assert!(!to.contains("csrf"), "the old token does not travel: {to}");
    assert_eq!(count(&app, "campaigns").await, 0);

    let next: String = url::form_urlencoded::parse(to.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .into_owned();
    let cookie = app.sign_in("ada@brand.example", &next).await;
    let (status, form) = app.page(&next, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"value="Night market""#), "{form}");
    assert!(form.contains(r#"value="https://shop.example.com/night""#));
    assert!(form.contains("Your session had ended"));
}

#[tokio::test]
async fn analysts_read_the_console_and_retailers_go_to_their_stores() {
    let app = TestApp::spawn().await;
    let store = app
        .create("/api/v1/stores", json!({"name": "Mine", "code": "M1"}))
        .await;
    app.create("/api/v1/campaigns", json!({"name": "Tea"}))
        .await;
    app.user("ann@brand.example", "analyst", &[]).await;
    app.user(
        "rui@shop.example",
        "retailer",
        &[store["id"].as_i64().unwrap()],
    )
    .await;

    let analyst = app.sign_in("ann@brand.example", "/console").await;
    let (status, page) = app.page("/console/campaigns", &analyst).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Tea") && !page.contains("New campaign"),
        "no forms for analysts"
    );
    let token = csrf(&page);
    let refused = post(
        &app,
        "/console/campaigns/new",
        &analyst,
        &[("csrf", &token), ("name", "Mine now")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("only admins change"));
    assert_eq!(count(&app, "campaigns").await, 1);
    // The refusal in the console's language.
    let refused = post(
        &app,
        "/console/campaigns/new?lang=zh",
        &analyst,
        &[("csrf", &token), ("name", "Mine now")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains(r#"<html lang="zh">"#)
            && page.contains("只有管理员可以更改")
            && page.contains("返回"),
        "{page}"
    );

    let retailer = app.sign_in("rui@shop.example", "/console").await;
    let answer = app
        .client
        .get(app.url("/console"))
        .header("cookie", &retailer)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/store");
    let (status, _) = app.page("/console/campaigns", &retailer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// No sideways scrolling, and every control (a checkbox's label) big enough to tap.
const LAYOUT: &str = "return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    smallest_tap: Math.min(...[...document.querySelectorAll('main button, main input:not([type=hidden]):not([type=checkbox]), main select, a.button, label.check')]
        .map(e => e.getBoundingClientRect().height)),
    text: document.body.innerText
};";

#[tokio::test]
async fn the_console_works_in_a_browser_on_a_phone_and_a_laptop() {
    if !browser_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let email = "ada@brand.example";
    app.user(email, "admin", &[]).await;
    for (width, name) in [(390, "phone"), (1280, "laptop")] {
        let browser = Browser::phone(width, PHONE, "en-US").await;
        browser.open(&app.url("/console")).await;
        browser
            .wait_for_url(&app.url("/login?next=%2Fconsole"))
            .await;
        browser.type_into("input[name=email]", email).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.tap("button[type=submit]").await;
        browser.wait_for_url(&app.url("/console")).await;
        browser
            .screenshot(&format!("console-home-{name}.png"))
            .await;

        // The channel the batch will name, added on the channels page.
        browser.open(&app.url("/console/channels")).await;
        browser
            .type_into("input[name=name]", &format!("Bottle labels {name}"))
            .await;
        browser
            .run(
                "document.querySelector('select[name=kind]').value = 'packaging'",
                json!([]),
            )
            .await;
        browser.tap("form.form button[type=submit]").await;
        browser
            .wait_for_url(&app.url("/console/channels?saved=1"))
            .await;
        let listed = browser
            .run("return document.body.innerText", json!([]))
            .await;
        assert!(
            listed
                .as_str()
                .unwrap()
                .contains(&format!("Bottle labels {name}")),
            "{listed}"
        );

        // A mistake: the form comes back with what was typed and the error beside it.
        browser.open(&app.url("/console/campaigns/new")).await;
        browser
            .type_into("input[name=name]", &format!("Launch {name}"))
            .await;
        browser
            .type_into("input[name=destination_url]", "shop.example.com")
            .await;
        browser.tap("form.form button[type=submit]").await;
        for _ in 0..100 {
            let shown = browser
                .run(
                    "return !!document.querySelector('#e-destination_url')",
                    json!([]),
                )
                .await;
            if shown == true {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let kept = browser
            .run("return [document.querySelector('input[name=name]').value, document.querySelector('#e-destination_url') && document.querySelector('#e-destination_url').innerText]", json!([]))
            .await;
        assert_eq!(kept[0], format!("Launch {name}"), "{kept}");
        assert!(
            kept[1].as_str().unwrap_or_default().contains("http"),
            "{kept}"
        );
        let layout = browser.run(LAYOUT, json!([])).await;
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "no sideways scrolling at {width}: {layout}"
        );
        assert!(
            layout["smallest_tap"].as_f64().unwrap() >= 44.0,
            "tap targets at {width}: {layout}"
        );
        browser
            .screenshot(&format!("console-form-error-{name}.png"))
            .await;

        browser.run("document.querySelector('input[name=destination_url]').value = 'https://shop.example.com/launch'", json!([])).await;
        browser.tap("form.form button[type=submit]").await;
        for _ in 0..100 {
            if browser.url().await.contains("saved=created") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let campaign_url = browser.url().await;
        assert!(campaign_url.contains("saved=created"), "{campaign_url}");
        browser.tap("a[href$='/batches/new']").await;
        for _ in 0..100 {
            if browser.url().await.ends_with("/batches/new") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        browser.type_into("input[name=name]", "First run").await;
        browser.type_into("input[name=quantity]", "12").await;
        browser.tap("form.form button[type=submit]").await;
        for _ in 0..100 {
            if browser.url().await.contains("/console/batches/") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let csv = browser
            .run(
                "const done = arguments[0]; return fetch(document.querySelector('a[href$=\"codes.csv\"]').href).then(r => r.text());",
                json!([]),
            )
            .await;
        let csv = csv.as_str().unwrap_or_default().to_owned();
        assert_eq!(
            csv.lines().count(),
            13,
            "the codes.csv link gives 12 codes: {csv}"
        );
        let layout = browser.run(LAYOUT, json!([])).await;
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "batch page at {width}: {layout}"
        );
        browser
            .screenshot(&format!("console-batch-{name}.png"))
            .await;
        browser.open(&campaign_url).await;
        let layout = browser.run(LAYOUT, json!([])).await;
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "campaign page at {width}: {layout}"
        );
        assert!(layout["text"].as_str().unwrap().contains("First run"));
        browser
            .screenshot(&format!("console-campaign-{name}.png"))
            .await;
        browser.close().await;
    }
}

#[tokio::test]
async fn an_admin_moderates_shared_photos_from_the_console() {
    let app = TestApp::spawn().await;
    app.create("/api/v1/campaigns", json!({"name": "Tea", "slug": "tea"}))
        .await;
    let shared = app
        .client
        .post(app.url("/c/tea/photos"))
        .header("user-agent", PHONE)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={}", crate::photos::BOUNDARY),
        )
        .body(crate::photos::form(
            Some(("IMG_0001.JPG", &crate::landing::phone_photo())),
            "With my tea",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::SEE_OTHER);
    app.user("ada@brand.example", "admin", &[]).await;
    app.user("ann@brand.example", "analyst", &[]).await;

    let analyst = app.sign_in("ann@brand.example", "/console").await;
    let (_, queue) = app.page("/console/photos", &analyst).await;
    assert!(
        queue.contains("With my tea") && !queue.contains(">Approve<"),
        "analysts look, admins decide"
    );
    let refused = post(
        &app,
        "/console/photos/1/approve",
        &analyst,
        &[("csrf", &csrf(&queue))],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let admin = app.sign_in("ada@brand.example", "/console").await;
    let (_, home) = app.page("/console", &admin).await;
    assert!(
        home.contains("Photos to review"),
        "the home page says a photo waits"
    );
    let (_, queue) = app.page("/console/photos", &admin).await;
    assert!(queue.contains("/media/") && queue.contains(">Approve<"));
    let approved = post(
        &app,
        "/console/photos/1/approve",
        &admin,
        &[("csrf", &csrf(&queue))],
    )
    .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let photos: serde_json::Value = app.get("/api/v1/photos").await.json().await.unwrap();
    assert_eq!(photos["items"][0]["status"], "approved");
    let (_, waiting) = app.page("/console/photos", &admin).await;
    assert!(waiting.contains("No photos waiting"));
}

#[tokio::test]
async fn an_admin_adds_people_and_everyone_makes_their_own_keys() {
    let app = TestApp::spawn().await;
    app.create("/api/v1/stores", json!({"name": "Mine", "code": "SH-001"}))
        .await;
    app.user("ada@brand.example", "admin", &[]).await;
    app.user("ann@brand.example", "analyst", &[]).await;
    let admin = app.sign_in("ada@brand.example", "/console").await;
    let (_, page) = app.page("/console/users", &admin).await;
    let token = csrf(&page);

    let unknown = post(
        &app,
        "/console/users",
        &admin,
        &[
            ("csrf", &token),
            ("email", "rui@shop.example"),
            ("role", "retailer"),
            ("stores", "SH-404"),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unknown.text().await.unwrap();
    assert!(
        html.contains(r#"id="e-stores""#) && html.contains("SH-404"),
        "{html}"
    );
    assert!(html.contains(r#"value="rui@shop.example""#));

    let added = post(
        &app,
        "/console/users",
        &admin,
        &[
            ("csrf", &token),
            ("email", "rui@shop.example"),
            ("role", "retailer"),
            ("stores", "SH-001"),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let html = added.text().await.unwrap();
    assert!(
        html.contains("/password/"),
        "the set-password link, shown once: {html}"
    );
    let users: serde_json::Value = app.get("/api/v1/users").await.json().await.unwrap();
    let rui = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "rui@shop.example")
        .unwrap();
    assert_eq!(rui["role"], "retailer");
    assert_eq!(rui["store_ids"].as_array().unwrap().len(), 1);

    let off = post(
        &app,
        &format!("/console/users/{}/disable", rui["id"]),
        &admin,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let rui: serde_json::Value = app
        .get(&format!("/api/v1/users/{}", rui["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rui["disabled"], true);

    // An analyst: no people page, but their own keys.
    let analyst = app.sign_in("ann@brand.example", "/console").await;
    let (status, _) = app.page("/console/users", &analyst).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, keys) = app.page("/console/keys", &analyst).await;
    let made = post(
        &app,
        "/console/keys",
        &analyst,
        &[("csrf", &csrf(&keys)), ("name", "BI export")],
    )
    .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let html = made.text().await.unwrap();
    let key = html
        .split(r#"class="copy" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the key, shown once")
        .to_owned();
    let with_key = |key: String| {
        app.client
            .get(app.url("/api/v1/campaigns"))
            .header("authorization", format!("Bearer {key}"))
            .send()
    };
    assert_eq!(
        with_key(key.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    let (_, keys) = app.page("/console/keys", &analyst).await;
    assert!(
        keys.contains("BI export") && !keys.contains(&key),
        "the key itself is shown once only"
    );
    let id = keys
        .split("/console/keys/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let revoked = post(
        &app,
        &format!("/console/keys/{id}/revoke"),
        &analyst,
        &[("csrf", &csrf(&keys))],
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        with_key(key).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_console_speaks_chinese_when_asked_and_remembers_it() {
    let app = TestApp::spawn().await;
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let switched = app
        .client
        .get(app.url("/console/campaigns?lang=zh"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), StatusCode::OK);
    let remembered = switched
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sl_lang=zh"))
        .expect("the choice is remembered");
    let html = switched.text().await.unwrap();
    assert!(
        html.contains(r#"<html lang="zh">"#) && html.contains("新建活动"),
        "{html}"
    );
    let both = format!("{cookie}; {}", remembered.split(';').next().unwrap());
    let (_, form) = app.page("/console/campaigns/new", &both).await;
    assert!(form.contains("创建活动") && form.contains("名称"), "{form}");
    // A browser that asks for Chinese gets it without the switch.
    let asked = app
        .client
        .get(app.url("/console"))
        .header("cookie", &cookie)
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(asked.text().await.unwrap().contains("开始使用"));
    let (_, english) = app.page("/console", &cookie).await;
    assert!(english.contains("Get started"));
}

#[tokio::test]
async fn an_admin_edits_a_channel_and_a_store() {
    let app = TestApp::spawn().await;
    let channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Posters", "kind": "poster"}),
        )
        .await;
    let store = app
        .create("/api/v1/stores", json!({"name": "Shop", "code": "S-1"}))
        .await;
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let path = format!("/console/channels/{}", channel["id"]);
    let (status, page) = app.page(&path, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"value="Posters""#));
    let token = csrf(&page);
    let saved = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Metro posters"),
            ("kind", "media"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.page("/console/channels", &cookie).await;
    assert!(list.contains("Metro posters"));

    let path = format!("/console/stores/{}", store["id"]);
    let refused = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Shop"),
            ("city", "Suzhou"),
            ("latitude", "31.3"),
            ("longitude", ""),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"id="e-longitude""#) && html.contains(r#"value="Suzhou""#),
        "{html}"
    );
    let saved = post(
        &app,
        &path,
        &cookie,
        &[
            ("csrf", &token),
            ("name", "Shop"),
            ("city", "Suzhou"),
            ("latitude", "31.3"),
            ("longitude", "120.6"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let store: serde_json::Value = app
        .get(&format!("/api/v1/stores/{}", store["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(store["city"], "Suzhou");
    assert_eq!(store["code"], "S-1");

    // Retiring both: the switch on each page, and the new-batch form no longer offers them.
    let campaign = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Spring", "destination_url": "https://shop.example/"}),
        )
        .await;
    let new_batch = format!("/console/campaigns/{}/batches/new", campaign["id"]);
    let (_, form) = app.page(&new_batch, &cookie).await;
    assert!(
        form.contains("Metro posters (") && form.contains("Shop (S-1)"),
        "offered while enabled: {form}"
    );
    for path in [
        format!("/console/channels/{}", channel["id"]),
        format!("/console/stores/{}", store["id"]),
    ] {
        let (_, page) = app.page(&path, &cookie).await;
        assert!(
            page.contains(&format!(r#"action="{path}/status""#)),
            "{page}"
        );
        let off = post(
            &app,
            &format!("{path}/status"),
            &cookie,
            &[("csrf", &token), ("status", "disabled")],
        )
        .await;
        assert_eq!(off.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.page(&location(&off), &cookie).await;
        assert!(page.contains("no longer offered for new batches"), "{page}");
        assert!(page.contains(r#"name="status" value="active""#), "{page}");
    }
    let (_, form) = app.page(&new_batch, &cookie).await;
    assert!(
        !form.contains("Metro posters (") && !form.contains("Shop (S-1)"),
        "{form}"
    );
    let (_, list) = app.page("/console/stores", &cookie).await;
    assert!(list.contains(r#"<span class="pill disabled">"#), "{list}");
    let store: serde_json::Value = app
        .get(&format!("/api/v1/stores/{}", store["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(store["status"], "disabled");
    assert_eq!(store["city"], "Suzhou", "only the status changed");
}

#[tokio::test]
async fn an_admin_puts_up_a_recall_notice_and_lifts_it_from_the_batch_page() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example/"}),
            "unique",
            20,
        )
        .await;
    let token = app.codes(&batch["id"]).await[9].1.clone();
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let batch_page = format!("/console/batches/{}", batch["id"]);
    let (_, page) = app.page(&batch_page, &cookie).await;
    assert!(page.contains("None standing"), "{page}");
    let form = format!("{batch_page}/notices");
    let (status, page) = app.page(&form, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let token_field = csrf(&page);

    // A refusal keeps what was typed, with the message by its field.
    let refused = post(
        &app,
        &form,
        &cookie,
        &[
            ("csrf", &token_field),
            ("from_serial", "5"),
            ("to_serial", "30"),
            ("title.en", "Recall: lot 7"),
            ("text.en", "Do not drink it."),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"id="e-from_serial""#) && html.contains("serials are 1 to 20"),
        "{html}"
    );
    assert!(html.contains(r#"value="Recall: lot 7""#));

    let put_up = post(
        &app,
        &form,
        &cookie,
        &[
            ("csrf", &token_field),
            ("from_serial", "5"),
            ("to_serial", "15"),
            ("title.en", "Recall: lot 7"),
            ("text.en", "Do not drink it."),
        ],
    )
    .await;
    assert_eq!(put_up.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&location(&put_up), &cookie).await;
    assert!(
        page.contains("Notice put up") && page.contains("5–15"),
        "{page}"
    );
    let scan = app.scan(&token, PHONE).await;
    assert!(location(&scan).starts_with("/notices/"));

    let id = location(&scan).rsplit('/').next().unwrap().to_owned();
    let lifted = post(
        &app,
        &format!("/console/notices/{id}/lift"),
        &cookie,
        &[("csrf", &token_field)],
    )
    .await;
    assert_eq!(lifted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&lifted), format!("{batch_page}?saved=lifted"));
    let scan = app.scan(&token, PHONE).await;
    assert!(location(&scan).starts_with("https://shop.example/"));
}

#[tokio::test]
async fn an_admin_starts_a_limited_offer_and_ends_it_from_the_campaign_page() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example/"}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    app.user("ada@brand.example", "admin", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let campaign_page = format!("/console/campaigns/{}", campaign["id"]);
    let (_, page) = app.page(&campaign_page, &cookie).await;
    assert!(page.contains("None yet: the first N scanners"), "{page}");
    let form = format!("{campaign_page}/offers");
    let (status, page) = app.page(&form, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let token_field = csrf(&page);
    let fields = |limit: &'static str| {
        vec![
            ("csrf", token_field.clone()),
            ("limit", limit.to_owned()),
            ("counts", "visitors".to_owned()),
            ("url", "https://shop.example/gift".to_owned()),
            ("fallback_url", String::new()),
            ("batch_id", String::new()),
        ]
    };

    // A refusal keeps what was typed, with the message by its field.
    let refused = app
        .client
        .post(app.url(&form))
        .header("cookie", &cookie)
        .form(&fields("0"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"id="e-limit""#) && html.contains("must be from 1"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="https://shop.example/gift""#),
        "{html}"
    );

    let started = app
        .client
        .post(app.url(&form))
        .header("cookie", &cookie)
        .form(&fields("2"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&location(&started), &cookie).await;
    assert!(
        page.contains("Offer started") && page.contains("0 / 2"),
        "{page}"
    );
    assert_eq!(
        location(&app.scan(&token, PHONE).await),
        "https://shop.example/gift"
    );

    let id: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{}/offers", campaign["id"]))
        .await
        .json()
        .await
        .unwrap();
    let id = &id[0]["id"];
    let ended = post(
        &app,
        &format!("/console/offers/{id}/end"),
        &cookie,
        &[("csrf", &token_field)],
    )
    .await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&ended),
        format!("{campaign_page}?saved=offer-ended")
    );
    assert!(location(&app.scan(&token, PHONE).await).starts_with("https://shop.example/?"));
}
