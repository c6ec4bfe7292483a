//! Photo sharing: a consumer's upload through the plain form, moderation through the API,
//! the gallery nearest first with cities only, deleting one's own photo, and every way an
//! upload can be refused, in the consumer's language, with nothing left behind.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::geo::spawn_with_cities;
use crate::helpers::{API_KEY, PHONE, TestApp};
use crate::landing::{contains, page, phone_photo};

pub const BOUNDARY: &str = "scanloopformboundary";

/// A form's photo part: its file name and bytes.
pub type Form<'a> = Option<(&'a str, &'a [u8])>;

/// A multipart form body as a browser sends the upload form.
pub fn form(photo: Form, caption: &str) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some((name, bytes)) = photo {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n{caption}\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
    body
}

struct Phone<'a> {
    app: &'a TestApp,
    visitor: Option<String>,
    address: &'a str,
    language: &'a str,
}

impl<'a> Phone<'a> {
    fn new(app: &'a TestApp, address: &'a str) -> Self {
        Self {
            app,
            visitor: None,
            address,
            language: "en",
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("user-agent", PHONE)
            .header("x-forwarded-for", self.address)
            .header("accept-language", self.language);
        if let Some(visitor) = &self.visitor {
            request = request.header("cookie", format!("sl_vid={visitor}"));
        }
        request
    }

    /// Sends the form; keeps the cookie it is given.
    async fn upload(&mut self, path: &str, body: Vec<u8>) -> reqwest::Response {
        let response = self
            .request(reqwest::Method::POST, path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        if let Some(cookie) = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("sl_vid="))
        {
            self.visitor = Some(cookie.split(';').next().unwrap().to_owned());
        }
        response
    }

    async fn html(&self, path: &str) -> String {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }
}

async fn api(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_photo_shared_from_a_scan_waits_for_approval_then_shows_without_metadata() {
    let (app, _geo) = spawn_with_cities().await;
    let (_, _, batch) = app
        .seed(json!({"name": "Tea", "slug": "tea"}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();

    let landing = page(&app, &format!("/c/tea?code={token}")).await;
    assert!(
        landing.contains(&format!(
            r#"href="/c/tea/go/photos?code={token}">Share a photo<"#
        )),
        "{landing}"
    );
    let click = app
        .client
        .get(app.url(&format!("/c/tea/go/photos?code={token}")))
        .header("user-agent", PHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(click.status(), StatusCode::FOUND);
    let photos_page = click.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(photos_page, format!("/c/tea/photos?code={token}"));

    let mut sharer = Phone::new(&app, "81.2.69.142"); // London
    let sent = sharer
        .upload(
            &photos_page,
            form(
                Some(("IMG_0001.JPG", &phone_photo())),
                "Cheers <script>alert(1)</script>",
            ),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sent.headers()["location"],
        format!("/c/tea/photos?code={token}&sent=pending").as_str()
    );
    assert!(
        sharer.visitor.is_some(),
        "a form post without a cookie gets one"
    );

    let queue: Value = api(&app, reqwest::Method::GET, "/api/v1/photos?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let photo = &queue["items"][0];
    assert_eq!(photo["city"], "London");
    assert_eq!(photo["channel_id"], batch["channel_id"]);
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(200), Some(300)),
        "upright"
    );
    let file = app
        .client
        .get(photo["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        !contains(&file, b"Exif"),
        "GPS and all EXIF are gone from the stored file"
    );

    let stranger = Phone::new(&app, "175.16.199.1");
    let html = stranger.html("/c/tea/photos").await;
    assert!(
        !html.contains(
            photo["thumbnail_url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        )
    );
    let own = sharer
        .html(&format!("/c/tea/photos?code={token}&sent=pending"))
        .await;
    assert!(own.contains("will appear here once it has been checked"));
    assert!(
        own.contains("Waiting to be checked") && own.contains(">Delete<"),
        "{own}"
    );

    let id = photo["id"].as_i64().unwrap();
    let approved: Value = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/photos/{id}/approve"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(approved["status"], "approved");
    let html = stranger.html("/c/tea/photos").await;
    assert!(
        html.contains("Cheers &#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains(r#"<p class="place">London</p>"#));
    assert!(
        !html.contains("51.5") && !html.contains(">Delete<"),
        "no coordinates, no delete for others"
    );

    let db = app.db().await;
    let (kind, code_id): (String, Option<i64>) =
        sqlx::query_as("SELECT kind, code_id FROM events WHERE kind = 'photo'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), code_id.is_some()), ("photo", true));
}

#[tokio::test]
async fn the_gallery_shows_the_nearest_photos_first() {
    let (app, _geo) = spawn_with_cities().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "landing": {"photo_auto_approve": true}}),
    )
    .await;
    let mut london = Phone::new(&app, "81.2.69.142");
    let sent = london
        .upload(
            "/c/tea/photos",
            form(Some(("a.jpg", &phone_photo())), "shared-in-London"),
        )
        .await;
    assert_eq!(sent.headers()["location"], "/c/tea/photos?sent=live");
    let mut changchun = Phone::new(&app, "175.16.199.7");
    changchun
        .upload(
            "/c/tea/photos",
            form(Some(("b.jpg", &phone_photo())), "shared-in-Changchun"),
        )
        .await;

    let order = |html: &str| {
        html.find("shared-in-London").unwrap() < html.find("shared-in-Changchun").unwrap()
    };
    let viewer_in_changchun = Phone::new(&app, "175.16.199.99");
    assert!(!order(&viewer_in_changchun.html("/c/tea/photos").await));
    let viewer_in_london = Phone::new(&app, "81.2.69.1");
    assert!(order(&viewer_in_london.html("/c/tea/photos").await));
    // The browser's own position wins over the network's city, and is a consent event.
    assert!(order(
        &viewer_in_changchun
            .html("/c/tea/photos?near=51.51,-0.09")
            .await
    ));
    let db = app.db().await;
    let mut consents = 0;
    for _ in 0..50 {
        consents = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'location'")
            .fetch_one(&db)
            .await
            .unwrap();
        if consents > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(consents, 1);
}

#[tokio::test]
async fn uploads_that_are_not_usable_photos_are_refused_in_the_consumers_language() {
    let app = TestApp::spawn().await;
    app.create("/api/v1/campaigns", json!({"name": "Tea", "slug": "tea"}))
        .await;
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let big = vec![0xffu8; 16 * 1024 * 1024];
    let long_caption = "长".repeat(141);
    let cases: [(Form, &str, StatusCode, &str); 5] = [
        (
            Some(("doc.pdf", b"%PDF-1.7")),
            "",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "这个文件不是照片",
        ),
        (
            Some(("cut.png", &png[..png.len() - 20])),
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
            "无法读取这张照片",
        ),
        (
            None,
            "only words",
            StatusCode::UNPROCESSABLE_ENTITY,
            "请先选择要分享的照片",
        ),
        (
            Some(("ok.png", &png)),
            &long_caption,
            StatusCode::UNPROCESSABLE_ENTITY,
            "说明太长了",
        ),
        (
            Some(("huge.jpg", &big)),
            "",
            StatusCode::PAYLOAD_TOO_LARGE,
            "照片太大了",
        ),
    ];
    for (photo, caption, status, says) in cases {
        let mut phone = Phone::new(&app, "10.0.0.1");
        phone.language = "zh-CN";
        let response = phone.upload("/c/tea/photos", form(photo, caption)).await;
        assert_eq!(response.status(), status, "{says}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(says) && html.contains(r#"<html lang="zh">"#),
            "{html}"
        );
        if status == StatusCode::UNPROCESSABLE_ENTITY && !caption.is_empty() {
            assert!(
                html.contains(&format!(r#"value="{caption}""#)),
                "what they typed is kept"
            );
        }
    }
    // An upload cut off mid-way: the form never ends.
    let whole = form(Some(("a.jpg", &phone_photo())), "");
    let cut = whole[..whole.len() / 2].to_vec();
    let response = Phone::new(&app, "10.0.0.1")
        .upload("/c/tea/photos", cut)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("could not read this photo")
    );
    let listed: Value = api(&app, reqwest::Method::GET, "/api/v1/photos")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]), "nothing stored");
    let media = app.dir.0.join("data").join("media");
    let files: Vec<_> = std::fs::read_dir(media).unwrap().collect();
    assert!(files.is_empty(), "no file left behind: {files:?}");
    let missing = Phone::new(&app, "10.0.0.1")
        .request(reqwest::Method::GET, "/c/nope/photos")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_visitor_shares_a_few_then_is_asked_to_wait_and_may_delete_their_own() {
    let app = TestApp::spawn().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "landing": {"photo_auto_approve": true}}),
    )
    .await;
    let mut phone = Phone::new(&app, "10.0.0.2");
    for _ in 0..5 {
        let sent = phone
            .upload("/c/tea/photos", form(Some(("a.jpg", &phone_photo())), ""))
            .await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    }
    let sixth = phone
        .upload("/c/tea/photos", form(Some(("a.jpg", &phone_photo())), ""))
        .await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        sixth
            .text()
            .await
            .unwrap()
            .contains("try again in a few minutes")
    );

    let listed: Value = api(&app, reqwest::Method::GET, "/api/v1/photos")
        .await
        .json()
        .await
        .unwrap();
    let first = listed["items"][0]["id"].as_i64().unwrap();
    let thumb = listed["items"][0]["thumbnail_url"]
        .as_str()
        .unwrap()
        .to_owned();

    let stranger = Phone::new(&app, "10.0.0.3");
    let refused = stranger
        .request(
            reqwest::Method::POST,
            &format!("/c/tea/photos/{first}/delete"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::NOT_FOUND,
        "only the sharer deletes"
    );
    let deleted = phone
        .request(
            reqwest::Method::POST,
            &format!("/c/tea/photos/{first}/delete"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(deleted.headers()["location"], "/c/tea/photos?sent=deleted");
    let listed: Value = api(&app, reqwest::Method::GET, "/api/v1/photos")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);
    // The same picture five times is one file pair: it stays while others show it.
    assert_eq!(
        app.client.get(&thumb).send().await.unwrap().status(),
        StatusCode::OK
    );
    for item in listed["items"].as_array().unwrap() {
        let id = item["id"].as_i64().unwrap();
        let gone = api(
            &app,
            reqwest::Method::DELETE,
            &format!("/api/v1/photos/{id}"),
        )
        .await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(
        app.client.get(&thumb).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let unknown = api(&app, reqwest::Method::POST, "/api/v1/photos/999/approve").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad_status = api(&app, reqwest::Method::GET, "/api/v1/photos?status=new").await;
    assert_eq!(bad_status.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_campaign_without_photo_sharing_has_no_photo_page() {
    let app = TestApp::spawn().await;
    app.create(
        "/api/v1/campaigns",
        json!({"name": "Tea", "slug": "tea", "landing": {"photo_sharing": false}}),
    )
    .await;
    assert!(!page(&app, "/c/tea").await.contains("Share a photo"));
    let response = app
        .client
        .get(app.url("/c/tea/photos"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let go = app
        .client
        .get(app.url("/c/tea/go/photos"))
        .send()
        .await
        .unwrap();
    assert_eq!(go.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_says_how_many_people_nearby_scanned_never_fewer_than_five() {
    let (app, _geo) = spawn_with_cities().await;
    let (_, _, batch) = app
        .seed(
            json!({"name": "Tea", "slug": "tea", "landing": {"photo_auto_approve": true}}),
            "shared",
            1,
        )
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    // Six people in London, three in Changchun; a bot and a returning visitor add nobody.
    for (address, people) in [("81.2.69.10", 6), ("175.16.199.10", 3)] {
        for _ in 0..people {
            let scan = app
                .client
                .get(app.url(&format!("/s/{token}")))
                .header("user-agent", PHONE)
                .header("x-forwarded-for", address)
                .send()
                .await
                .unwrap();
            assert_eq!(scan.status(), StatusCode::FOUND);
        }
    }
    app.client
        .get(app.url(&format!("/s/{token}")))
        .header("user-agent", "Googlebot/2.1")
        .header("x-forwarded-for", "81.2.69.10")
        .send()
        .await
        .unwrap();
    let mut london = Phone::new(&app, "81.2.69.99");
    london
        .upload(
            "/c/tea/photos",
            form(Some(("a.jpg", &phone_photo())), "tea time"),
        )
        .await;

    let mut html = String::new();
    for _ in 0..100 {
        html = london.html("/c/tea/photos").await;
        if html.contains("people scanned this in London") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        html.contains("6 people scanned this in London this week."),
        "{html}"
    );
    assert!(
        !html.contains("Photos nearby from"),
        "the viewer's own city is not 'nearby'"
    );

    let changchun = Phone::new(&app, "175.16.199.99");
    let html = changchun.html("/c/tea/photos").await;
    assert!(
        html.contains("A few people scanned this in Changchun this week."),
        "{html}"
    );
    assert!(!html.contains("3 people"));
    assert!(html.contains("Photos nearby from London."), "{html}");
    let mut in_chinese = Phone::new(&app, "175.16.199.99");
    in_chinese.language = "zh-CN";
    assert!(
        in_chinese
            .html("/c/tea/photos")
            .await
            .contains("本周Changchun有几位朋友扫了这个码。")
    );
}
