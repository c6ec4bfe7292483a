//! HTML pages: failures are friendly pages with the right status, in the visitor's language;
//! wrong methods answer 405 as JSON on the API and as a page elsewhere.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{API_KEY, TestApp, assert_error};

async fn page(app: &TestApp, path: &str, accept_language: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn failure_pages_speak_the_visitors_language() {
    let app = TestApp::spawn().await;
    for path in ["/s/ABCDEFGHJKMNP", "/c/no-such-campaign", "/no/such/page"] {
        let (status, html) = page(&app, path, "zh-CN,zh;q=0.9,en;q=0.8").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains(r#"<html lang="zh">"#), "{path}: {html}");
        assert!(html.contains("找不到这个二维码"), "{path}");

        let (status, html) = page(&app, path, "fr-FR,en;q=0.5").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains(r#"<html lang="en">"#), "{path}");
        assert!(html.contains("could not find this code"), "{path}");
    }
}

#[tokio::test]
async fn the_landing_page_speaks_the_visitors_language() {
    let app = TestApp::spawn().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "ends_at": "2001-01-01T00:00:00Z"}),
    )
    .await;
    let (status, html) = page(&app, "/c/tea", "zh").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("此活动已结束"), "{html}");
    let (_, html) = page(&app, "/c/tea", "en").await;
    assert!(html.contains("has ended"), "{html}");
}

#[tokio::test]
async fn the_landing_text_keeps_its_formatting_and_escapes_the_rest() {
    let app = TestApp::spawn().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "landing": {
            "body": "Cold **brewed**.\n\n<script>alert(1)</script> [farm](https://tea.example.com/farm) [x](javascript:alert(1))"
        }}),
    )
    .await;
    let (_, html) = page(&app, "/c/tea", "en").await;
    assert!(
        html.contains("<p>Cold <strong>brewed</strong>.</p>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains(r#"<a href="https://tea.example.com/farm" rel="noopener">farm</a>"#));
    assert!(html.contains("[x](javascript:alert(1))"), "{html}");
}

#[tokio::test]
async fn a_campaign_not_running_says_why_and_leads_to_its_fallback() {
    let app = TestApp::spawn().await;
    let fallback = "https://brand.example.com/";
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Later", "slug": "later", "starts_at": "2099-06-01T00:00:00Z",
               "fallback_url": fallback}),
    )
    .await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Over", "slug": "over", "ends_at": "2001-01-01T00:00:00Z",
               "fallback_url": fallback}),
    )
    .await;
    let paused = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Paused", "slug": "paused"}),
        )
        .await;
    let response = app
        .patch(
            &format!("/api/v1/campaigns/{}", paused["id"]),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for (path, language, says) in [
        ("/c/later", "en", "This campaign starts on 1 June 2099."),
        ("/c/later", "zh", "此活动将于2099年6月1日开始。"),
        ("/c/over", "en", "This campaign has ended."),
        ("/c/over", "zh", "此活动已结束。"),
        ("/c/paused", "en", "not running right now"),
    ] {
        let (status, html) = page(&app, path, language).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(says), "{path} in {language}: {html}");
        let link = format!(r#"<a class="cta primary" href="{fallback}">"#);
        assert_eq!(html.contains(&link), path != "/c/paused", "{path}: {html}");
    }
}

#[tokio::test]
async fn a_language_switch_is_remembered_over_accept_language() {
    let app = TestApp::spawn().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "ends_at": "2001-01-01T00:00:00Z"}),
    )
    .await;
    let (_, html) = page(&app, "/c/tea", "en").await;
    assert!(
        html.contains(r#"<a href="?lang=zh" hreflang="zh" lang="zh">中文</a>"#),
        "{html}"
    );

    let switched = app
        .client
        .get(app.url("/c/tea?lang=zh"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let cookie = switched.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("sl_lang=zh; Max-Age=31536000; Path=/"),
        "{cookie}"
    );
    let html = switched.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh">"#) && html.contains("此活动已结束"));
    assert!(html.contains(r#"<a href="?lang=en" hreflang="en" lang="en">English</a>"#));

    // The cookie wins over Accept-Language, on the landing page and on failure pages.
    for (path, says) in [("/c/tea", "此活动已结束"), ("/c/none", "找不到这个二维码")]
    {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-language", "en")
            .header("cookie", "sl_vid=x; sl_lang=zh")
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
        assert!(response.text().await.unwrap().contains(says), "{path}");
    }
    // Compressed for phones that accept it; cached only per language.
    let compressed = app
        .client
        .get(app.url("/c/tea"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let vary: Vec<_> = compressed.headers().get_all("vary").iter().collect();
    assert!(
        format!("{vary:?}").contains("Accept-Language, Cookie"),
        "{vary:?}"
    );
    // An unknown choice is ignored.
    let (_, html) = page(&app, "/c/tea?lang=xx", "en").await;
    assert!(html.contains("has ended"));
}

#[tokio::test]
async fn wrong_methods_answer_405_in_the_form_of_the_route() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/campaigns", "/api/v1/openapi.json"] {
        let response = app
            .client
            .delete(app.url(path))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("allow"), "{path}");
        assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "DELETE is not allowed",
        )
        .await;
    }
    for path in ["/s/ABCDEFGHJKMNP", "/healthz", "/c/tea"] {
        let response = app
            .client
            .post(app.url(path))
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(response.headers()["allow"], "GET,HEAD", "{path}");
        assert!(response.text().await.unwrap().contains("<h1>"), "{path}");
    }
}

/// Bytes of a page as a phone that accepts gzip receives it.
async fn gzipped_size(app: &TestApp, path: &str) -> usize {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .header("user-agent", crate::helpers::PHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()["content-encoding"], "gzip", "{path}");
    response.bytes().await.unwrap().len()
}

#[tokio::test]
async fn consumer_pages_weigh_far_less_than_30_kb_on_the_wire() {
    let app = TestApp::spawn().await;
    let body = "Cold-brewed for **summer**. ".repeat(300);
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "landing": {
            "title": "Thanks for scanning", "body": body, "cta_url": "https://shop.example.com",
            "store_finder_url": "https://shop.example.com/stores", "join_url": "https://club.example.com",
            "brand_color": "#2e7d32"}}),
    )
    .await;
    // HTML, stylesheet and script together (pages inline them), a long text included.
    let landing = gzipped_size(&app, "/c/tea").await;
    let photos = gzipped_size(&app, "/c/tea/photos").await;
    assert!(
        landing < 30 * 1024 && photos < 30 * 1024,
        "{landing} {photos}"
    );
    eprintln!("gzipped: landing {landing} bytes, photo page {photos} bytes");
}
