use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PHONE, TestApp, location};

#[tokio::test]
async fn a_scan_redirects_to_the_destination_with_utm_tags_and_is_stored() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app
        .seed(
            json!({"name": "Tea", "destination_url": "https://shop.example.com/tea?ref=qr"}),
            "unique",
            2,
        )
        .await;
    let codes = app.codes(&batch["id"]).await;
    let response = app.scan(&codes[0].1, PHONE).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let expected = format!(
        "https://shop.example.com/tea?ref=qr&utm_source={}&utm_medium=qr&utm_campaign={}",
        channel["slug"].as_str().unwrap(),
        campaign["slug"].as_str().unwrap()
    );
    assert_eq!(location(&response), expected);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("sl_vid="));
    for attribute in ["Max-Age=31536000", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http public URL: no Secure flag"
    );

    let db = app.db().await;
    let row: (String, String, i64, i64, String) =
        sqlx::query_as("SELECT device, browser, is_bot, is_new_visitor, ip_prefix FROM scans")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        row,
        (
            "mobile".into(),
            "WeChat".into(),
            0,
            1,
            "127.0.0.0/24".into()
        )
    );
}

#[tokio::test]
async fn brand_set_utm_tags_are_kept() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app
        .seed(json!({"name": "Tagged", "destination_url": "https://x.example/?utm_source=tv&utm_medium=print&utm_campaign=own"}), "shared", 1)
        .await;
    let token = &app.codes(&batch["id"]).await[0].1;
    let response = app.scan(token, PHONE).await;
    assert_eq!(
        location(&response),
        "https://x.example/?utm_source=tv&utm_medium=print&utm_campaign=own"
    );
}

#[tokio::test]
async fn tokens_resolve_in_any_case_on_both_path_spellings() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(json!({"name": "No destination"}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let landing = format!("/c/{}?code={token}", campaign["slug"].as_str().unwrap());
    for path in [
        format!("/s/{token}"),
        format!("/S/{token}"),
        format!("/s/{}", token.to_lowercase()),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .header("user-agent", PHONE)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{path}");
        assert_eq!(location(&response), landing);
    }
    let page = app.client.get(app.url(&landing)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("No destination"));
}

#[tokio::test]
async fn unknown_or_malformed_tokens_get_a_404_page_and_record_nothing() {
    let app = TestApp::spawn().await;
    app.seed(json!({"name": "X"}), "shared", 1).await;
    for path in [
        "/s/0000000000000",
        "/s/short",
        "/s/%FF%FE",
        "/S/ABCDEFGHJKMNU",
        "/s/ABC%2F..%2Fetc",
    ] {
        let response = app
            .scan(
                path.trim_start_matches("/s/").trim_start_matches("/S/"),
                PHONE,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.headers().get("location").is_none());
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("could not find this code")
        );
    }
    let db = app.db().await;
    let (scans,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scans")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(scans, 0);
}

#[tokio::test]
async fn disabled_codes_batches_and_campaigns_go_to_the_fallback() {
    let app = TestApp::spawn().await;
    let fallback = "https://brand.example.com/thanks";
    let (campaign, _, batch) = app
        .seed(json!({"name": "F", "destination_url": "https://shop.example.com", "fallback_url": fallback}), "unique", 3)
        .await;
    let codes = app.codes(&batch["id"]).await;
    let (a, b) = (&codes[0].1, &codes[1].1);
    assert!(location(&app.scan(a, PHONE).await).starts_with("https://shop.example.com"));

    let patched = app
        .patch(&format!("/api/v1/codes/{a}"), json!({"status": "disabled"}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(location(&app.scan(a, PHONE).await), fallback);
    assert!(location(&app.scan(b, PHONE).await).starts_with("https://shop.example.com"));

    app.patch(
        &format!("/api/v1/batches/{}", batch["id"]),
        json!({"status": "disabled"}),
    )
    .await;
    assert_eq!(location(&app.scan(b, PHONE).await), fallback);
    app.patch(
        &format!("/api/v1/batches/{}", batch["id"]),
        json!({"status": "active"}),
    )
    .await;
    app.patch(
        &format!("/api/v1/campaigns/{}", campaign["id"]),
        json!({"status": "disabled"}),
    )
    .await;
    assert_eq!(location(&app.scan(b, PHONE).await), fallback);

    let bad = app
        .patch(&format!("/api/v1/codes/{a}"), json!({"status": "gone"}))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let db = app.db().await;
    let (fallbacks,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM scans WHERE outcome = 'fallback'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        fallbacks, 3,
        "scans that went to the fallback are still recorded"
    );
}

#[tokio::test]
async fn a_campaign_outside_its_dates_goes_to_the_fallback() {
    let app = TestApp::spawn().await;
    let (_, _, ended) = app
        .seed(json!({"name": "Ended", "destination_url": "https://shop.example.com", "fallback_url": "https://brand.example.com/over",
                     "starts_at": "2020-01-01", "ends_at": "2020-02-01"}), "shared", 1)
        .await;
    let token = &app.codes(&ended["id"]).await[0].1;
    assert_eq!(
        location(&app.scan(token, PHONE).await),
        "https://brand.example.com/over"
    );
    let (_, _, future) = app
        .seed(json!({"name": "Future", "destination_url": "https://shop.example.com", "starts_at": "2999-01-01"}), "shared", 1)
        .await;
    let token = &app.codes(&future["id"]).await[0].1;
    assert_eq!(
        location(&app.scan(token, PHONE).await),
        format!("/c/future?code={token}"),
        "no fallback: the landing page says it is not running"
    );
}

#[tokio::test]
async fn a_code_disabled_on_one_instance_stops_redirecting_on_another_within_five_seconds() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (_, _, batch) = first
        .seed(json!({"name": "Multi", "destination_url": "https://shop.example.com", "fallback_url": "https://brand.example.com/off"}), "shared", 1)
        .await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    assert!(
        location(&second.scan(&token, PHONE).await).starts_with("https://shop.example.com"),
        "warms the second cache"
    );
    first
        .patch(
            &format!("/api/v1/codes/{token}"),
            json!({"status": "disabled"}),
        )
        .await;
    let started = Instant::now();
    loop {
        if location(&second.scan(&token, PHONE).await) == "https://brand.example.com/off" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the second instance still redirects after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn bots_previewers_and_head_requests_are_flagged_and_get_no_cookie() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Bots"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    for agent in [
        "curl/8.5.0",
        "WhatsApp/2.23.20.0",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
    ] {
        let response = app.scan(&token, agent).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert!(response.headers().get("set-cookie").is_none(), "{agent}");
    }
    let head = app
        .client
        .head(app.url(&format!("/s/{token}")))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);
    app.scan(&token, PHONE).await;
    let report = app.report(&campaign["id"]).await;
    let row = &report["rows"][0];
    assert_eq!(row["bot_scans"], 5);
    assert_eq!(row["scans"], 1);
    assert_eq!(row["unique_visitors"], 1);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let trusted = TestApp::spawn_with(|c| c.trusted_proxies = "127.0.0.1/32".into()).await;
    let untrusted = TestApp::spawn().await;
    for (app, expected) in [(&trusted, "81.2.69.0/24"), (&untrusted, "127.0.0.0/24")] {
        let (_, _, batch) = app.seed(json!({"name": "Proxy"}), "shared", 1).await;
        let token = app.codes(&batch["id"]).await[0].1.clone();
        app.client
            .get(app.url(&format!("/s/{token}")))
            .header("user-agent", PHONE)
            .header("x-forwarded-for", "81.2.69.142")
            .send()
            .await
            .unwrap();
        let db = app.db().await;
        let (prefix,): (String,) = sqlx::query_as("SELECT ip_prefix FROM scans")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(prefix, expected);
    }
}

#[tokio::test]
async fn an_https_public_url_makes_the_cookie_secure() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Secure"}), "shared", 1).await;
    let (_, token, url) = app.codes(&batch["id"]).await.remove(0);
    assert_eq!(url, format!("HTTPS://GO.EXAMPLE.COM/S/{token}"));
    let response = app.scan(&token, PHONE).await;
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn the_referrer_host_and_language_are_stored_with_the_scan_and_a_bad_cookie_is_replaced() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Heard"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let response = app
        .client
        .get(app.url(&format!("/s/{token}")))
        .header("user-agent", PHONE)
        .header("referer", "https://weixin.qq.com/s/article?from=timeline")
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .header("cookie", "sl_vid=not-a-valid-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let issued = cookie
        .strip_prefix("sl_vid=")
        .and_then(|c| c.split(';').next())
        .unwrap();
    assert_eq!(issued.len(), 32, "a malformed cookie is replaced: {cookie}");
    let stored: (Option<String>, Option<String>, Option<String>, i64) =
        sqlx::query_as("SELECT referrer_host, language, visitor_id, is_new_visitor FROM scans")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(
        stored,
        (
            Some("weixin.qq.com".into()),
            Some("zh-cn".into()),
            Some(issued.to_owned()),
            1
        )
    );
}

#[tokio::test]
async fn a_public_url_with_a_path_prefix_is_kept_in_links_and_the_landing_redirect() {
    // A proxy serves https://go.example.com/qr/... from this server's /...
    let app =
        TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com/qr".into())).await;
    let (campaign, _, batch) = app.seed(json!({"name": "Prefixed"}), "shared", 1).await;
    assert_eq!(
        campaign["landing_url"],
        "https://go.example.com/qr/c/prefixed"
    );
    let (_, token, url) = app.codes(&batch["id"]).await[0].clone();
    assert_eq!(url, format!("HTTPS://GO.EXAMPLE.COM/qr/S/{token}"));
    assert_eq!(
        location(&app.scan(&token, PHONE).await),
        format!("/qr/c/prefixed?code={token}")
    );
    for path in ["/c/prefixed", "/c/prefixed/photos"] {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        let html = page.text().await.unwrap();
        let links: Vec<&str> = ["href=\"/", "src=\"/", "action=\"/"]
            .iter()
            .flat_map(|attr| {
                html.match_indices(attr)
                    .map(|(i, a)| &html[i + a.len() - 1..])
            })
            .collect();
        assert!(!links.is_empty(), "{path}: {html}");
        for link in links {
            assert!(
                link.starts_with("/qr/"),
                "{path}: a link skips the prefix: {link}"
            );
        }
    }
}

#[tokio::test]
async fn an_edited_campaign_sends_printed_codes_somewhere_new() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Spring", "destination_url": "https://shop.example.com/old"}),
            "shared",
            1,
        )
        .await;
    let path = format!("/api/v1/campaigns/{}", campaign["id"]);
    let token = app.codes(&batch["id"]).await[0].1.clone();
    assert!(location(&app.scan(&token, PHONE).await).starts_with("https://shop.example.com/old"));

    let edited = app
        .patch(
            &path,
            json!({"name": "Spring sale", "destination_url": "https://shop.example.com/new"}),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: serde_json::Value = edited.json().await.unwrap();
    assert_eq!(edited["name"], "Spring sale");
    assert_eq!(edited["slug"], campaign["slug"], "the slug stays");
    assert_eq!(edited["status"], "active");
    assert!(location(&app.scan(&token, PHONE).await).starts_with("https://shop.example.com/new"));

    // null removes the destination: scans go to the landing page.
    let cleared = app.patch(&path, json!({"destination_url": null})).await;
    assert_eq!(cleared.status(), StatusCode::OK);
    assert!(location(&app.scan(&token, PHONE).await).starts_with("/c/spring?code="));

    // A bad change changes nothing, the good fields beside it included.
    for (body, field) in [
        (
            json!({"name": "Kept?", "ends_at": "2020-01-01", "starts_at": "2021-01-01"}),
            "ends_at",
        ),
        (json!({"destination_url": "ftp://x"}), "destination_url"),
        (json!({"name": "  "}), "name"),
        (json!({}), "send at least one"),
    ] {
        let answer = app.patch(&path, body).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.text().await.unwrap().contains(field), "{field}");
    }
    let now: serde_json::Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(now["name"], "Spring sale");
    assert_eq!(
        app.patch(&path, json!({"slug": "other"})).await.status(),
        StatusCode::BAD_REQUEST
    );
}
