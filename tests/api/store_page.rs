//! The store dashboard a retailer signs in to: their stores' week, never another store's
//! name or numbers, and the till purchase form.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, PHONE, TestApp};
use crate::report_filters::shop;
use crate::report_page::LAYOUT;
use crate::webdriver::{Browser, browser_present};

/// The page's form token.
fn csrf(page: &str) -> String {
    page.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form token")
        .to_owned()
}

async fn post_purchase(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/store/purchases"))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_store_manager_sees_their_stores_week_and_records_a_till_purchase() {
    let s = shop().await;
    let app = &s.app;
    app.user("rui@shop.example", "retailer", &[s.mine]).await;
    let cookie = app.sign_in("rui@shop.example", "/store").await;

    let (status, page) = app.page("/store", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Their store: 2 scans, one till purchase, second of the two stores with scans.
    assert!(page.contains("Mine"), "{page}");
    assert!(page.contains("#2 of 2"), "{page}");
    assert!(page.contains("10.00 CNY"), "{page}");
    assert!(page.contains("M-ORDER"), "{page}");
    // Never the other store, its order or its sales.
    for theirs in ["Theirs", "T-1", "T-ORDER", "50.00"] {
        assert!(!page.contains(theirs), "{theirs} shows: {page}");
    }

    // A purchase from the form lands in the dashboard.
    let token = csrf(&page);
    let answer = post_purchase(
        app,
        &cookie,
        &[
            ("csrf", &token),
            ("store_code", "M-1"),
            ("order_id", "FORM-1"),
            ("amount", "12,50"),
            ("currency", "cny"),
            ("items", "2"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("/store?recorded="), "{back}");
    let (_, page) = app.page(&back, &cookie).await;
    assert!(page.contains("recorded"), "{page}");
    assert!(
        page.contains("FORM-1") && page.contains("12.50 CNY"),
        "{page}"
    );

    // A mistake keeps what was typed and says what to fix, next to the field.
    let answer = post_purchase(
        app,
        &cookie,
        &[
            ("csrf", &token),
            ("store_code", "M-1"),
            ("order_id", "FORM-2"),
            ("amount", "twelve"),
            ("currency", "CNY"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer.text().await.unwrap();
    assert!(page.contains("is not an amount"), "{page}");
    assert!(page.contains(r#"value="FORM-2""#), "{page}");
    // Another store's code is refused, as in the API; so is a form without its token.
    for (fields, status, message) in [
        (
            vec![("csrf", token.as_str()), ("store_code", "T-1")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "their own stores",
        ),
        (
            vec![("csrf", "forged"), ("store_code", "M-1")],
            StatusCode::FORBIDDEN,
            "expired",
        ),
    ] {
        let mut fields = fields;
        fields.extend([("order_id", "FORM-3"), ("amount", "1"), ("currency", "CNY")]);
        let answer = post_purchase(app, &cookie, &fields).await;
        assert_eq!(answer.status(), status);
        let page = answer.text().await.unwrap();
        assert!(page.contains(message), "{page}");
    }
    let (_, page) = app.page("/store", &cookie).await;
    assert!(!page.contains("FORM-3"), "nothing recorded: {page}");

    // The week as CSV: their store alone.
    let (status, csv) = app.page("/store/report.csv", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("store_code,store,city,scans_7d"),
        "{csv}"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("M-1,Mine,,2,0,2,"), "{csv}");

    // The brand's people are sent to the brand's reports.
    app.user("ana@brand.example", "analyst", &[]).await;
    let analyst = app.sign_in("ana@brand.example", "/reports").await;
    let answer = app
        .client
        .get(app.url("/store"))
        .header("cookie", &analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/reports");
}

#[tokio::test]
async fn a_till_purchase_typed_as_the_session_ended_comes_back_after_signing_in() {
    let s = shop().await;
    let app = &s.app;
    app.user("rui@shop.example", "retailer", &[s.mine]).await;
    let fields = [
        ("csrf", "from-the-old-session"),
        ("store_code", "M-1"),
        ("order_id", "LATE-1"),
        ("amount", "8.80"),
        ("currency", "CNY"),
        ("items", "2"),
    ];
    let answer = post_purchase(app, "sl_session=ended", &fields).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let to = answer.headers()["location"].to_str().unwrap().to_owned();
    let next: String = url::form_urlencoded::parse(to.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .into_owned();
    assert!(
        next.starts_with("/store/purchases?") && !next.contains("csrf"),
        "{next}"
    );
    let cookie = app.sign_in("rui@shop.example", &next).await;
    // The form's address goes to the dashboard with the form filled in; nothing recorded.
    let back = app
        .client
        .get(app.url(&next))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let dashboard = back.headers()["location"].to_str().unwrap().to_owned();
    let (status, page) = app.page(&dashboard, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"value="LATE-1""#) && page.contains(r#"value="8.80""#),
        "{page}"
    );
    assert!(page.contains("Your session had ended"));
    let conversions: serde_json::Value = app.get("/api/v1/conversions").await.json().await.unwrap();
    assert!(
        !conversions.to_string().contains("LATE-1"),
        "nothing recorded before it is sent again"
    );
}

#[tokio::test]
async fn the_store_dashboard_reads_on_a_phone_and_a_laptop() {
    if !browser_present() {
        return;
    }
    let s = shop().await;
    let app = &s.app;
    let email = "rui@shop.example";
    app.user(email, "retailer", &[s.mine]).await;
    for (width, name) in [(390, "phone"), (1280, "laptop")] {
        let browser = Browser::phone(width, PHONE, "en-US").await;
        browser.open(&app.url("/store")).await;
        browser.wait_for_url(&app.url("/login?next=%2Fstore")).await;
        browser.type_into("input[name=email]", email).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.tap("button[type=submit]").await;
        browser.wait_for_url(&app.url("/store")).await;
        let layout = browser.run(LAYOUT, json!([])).await;
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "no sideways scrolling at {width}: {layout}"
        );
        assert!(
            layout["smallest_tap"].as_f64().unwrap() >= 44.0,
            "controls big enough to tap at {width}: {layout}"
        );
        assert_eq!(layout["charts"], 1, "the two weeks' chart");
        let text = layout["text"].as_str().unwrap();
        assert!(text.contains("Mine") && !text.contains("Theirs"), "{text}");
        browser.screenshot(&format!("store-{name}.png")).await;
        browser.close().await;
    }
}
