//! End to end in headless Chromium at a phone's size (390 pixels, and 360 in Chinese): scan a code, read the landing page
//! (no sideways scrolling, buttons big enough to tap), tap "Share a photo", upload a photo
//! carrying EXIF GPS through the real form, approve it through the API, and see it in the
//! gallery; the stored file has no EXIF; the page in Chinese for zh-CN. Screenshots are
//! kept in target/browser-screenshots.

use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp};
use crate::landing::{contains, phone_photo};
use crate::webdriver::{Browser, browser_present};

/// Layout checks run in the page: sideways scrolling, the smallest button, the language.
const LAYOUT: &str = "return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    width: window.innerWidth,
    smallest_tap: Math.min(...[...document.querySelectorAll('a.cta, button.cta')]
        .map(e => e.getBoundingClientRect().height)),
    lang: document.documentElement.lang,
    text: document.body.innerText
};";

async fn layout(browser: &Browser, width: u32) -> Value {
    let layout = browser.run(LAYOUT, json!([])).await;
    assert_eq!(layout["width"], width, "a phone's viewport");
    assert!(
        layout["overflow"].as_f64().unwrap() <= 0.0,
        "no sideways scrolling: {layout}"
    );
    assert!(
        layout["smallest_tap"].as_f64().unwrap() >= 44.0,
        "tap targets: {layout}"
    );
    layout
}

#[tokio::test]
async fn a_phone_scans_shares_a_photo_and_sees_it_in_the_gallery() {
    if !browser_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let (_, _, batch) = app
        .seed(
            json!({"name": "Jasmine Tea", "slug": "tea", "landing": {
                "title": "Thanks for scanning our Jasmine Tea",
                "body": "Share a photo with your bottle and see what people **nearby** shared.",
                "cta_url": "https://shop.example.com/tea", "brand_color": "#2e7d32"}}),
            "unique",
            2,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let browser = Browser::phone(390, PHONE, "en-US").await;

    browser.open(&app.url(&format!("/s/{token}"))).await;
    assert_eq!(
        browser.url().await,
        app.url(&format!("/c/tea?code={token}"))
    );
    let landing = layout(&browser, 390).await;
    assert_eq!(landing["lang"], "en");
    assert!(landing["text"].as_str().unwrap().contains("Share a photo"));
    browser.screenshot("landing-en.png").await;

    browser.tap("a[href*='/go/photos']").await;
    browser
        .wait_for_url(&app.url(&format!("/c/tea/photos?code={token}")))
        .await;
    layout(&browser, 390).await;

    let photo = app.dir.0.join("IMG_0001.JPG");
    std::fs::write(&photo, phone_photo()).unwrap();
    browser
        .type_into("input[name=photo]", photo.to_str().unwrap())
        .await;
    browser
        .type_into("input[name=caption]", "Cheers from the beach")
        .await;
    browser.tap("form.upload button[type=submit]").await;
    browser
        .wait_for_url(&app.url(&format!("/c/tea/photos?code={token}&sent=pending")))
        .await;
    let waiting = layout(&browser, 390).await;
    assert!(
        waiting["text"]
            .as_str()
            .unwrap()
            .contains("once it has been checked")
    );
    browser.screenshot("photos-sent.png").await;

    let queue: Value = app
        .client
        .get(app.url("/api/v1/photos?status=pending"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = queue["items"][0]["id"]
        .as_i64()
        .expect("the upload waits for review");
    let stored = app
        .client
        .get(queue["items"][0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(!contains(&stored, b"Exif"), "the stored photo has no EXIF");
    let approved = app
        .client
        .post(app.url(&format!("/api/v1/photos/{id}/approve")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), reqwest::StatusCode::OK);

    browser
        .open(&app.url(&format!("/c/tea/photos?code={token}")))
        .await;
    let shown = browser
        .run(
            "const img = document.querySelector('.gallery img');
             return img && img.complete ? img.naturalWidth : 0;",
            json!([]),
        )
        .await;
    assert!(
        shown.as_i64().unwrap() > 0,
        "the approved photo is shown: {shown}"
    );
    let gallery = layout(&browser, 390).await;
    assert!(
        gallery["text"]
            .as_str()
            .unwrap()
            .contains("Cheers from the beach")
    );
    browser.screenshot("photos-gallery.png").await;
    browser.close().await;

    // The narrowest phones still in use are 360 pixels wide.
    let chinese = Browser::phone(360, PHONE, "zh-CN").await;
    chinese.open(&app.url(&format!("/s/{token}"))).await;
    let page = layout(&chinese, 360).await;
    assert_eq!(page["lang"], "zh");
    assert!(
        page["text"].as_str().unwrap().contains("分享照片"),
        "{page}"
    );
    chinese.screenshot("landing-zh-360.png").await;
    chinese.tap("a[href*='/go/photos']").await;
    chinese
        .wait_for_url(&app.url(&format!("/c/tea/photos?code={token}")))
        .await;
    let photos = layout(&chinese, 360).await;
    assert!(
        photos["text"].as_str().unwrap().contains("大家分享的照片"),
        "{photos}"
    );
    chinese.screenshot("photos-zh-360.png").await;
    chinese.close().await;

    let db = app.db().await;
    let kinds: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT kind FROM events ORDER BY kind")
        .fetch_all(&db)
        .await
        .unwrap();
    let kinds: Vec<&str> = kinds.iter().map(|(k,)| k.as_str()).collect();
    assert_eq!(kinds, ["click", "photo", "view"]);
}
