//! The landing page's content through the API: calls to action, brand colours, and a hero
//! image uploaded as a phone would take it (EXIF orientation and GPS position), served
//! upright, in two sizes, without any metadata, and cached by its content name.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TestApp, assert_error};

/// A 300 x 200 JPEG (left half red, right half blue) as a phone camera writes one: EXIF
/// with orientation 6 (turn 90° clockwise to show) and a GPS position.
pub fn phone_photo() -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = image::RgbImage::from_fn(300, 200, |x, _| {
        if x < 150 {
            image::Rgb([220, 0, 0])
        } else {
            image::Rgb([0, 0, 220])
        }
    });
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
    encoder.set_exif_metadata(exif_with_gps(6)).unwrap();
    encoder
        .write_image(pixels.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(contains(&jpeg, b"Exif") && contains(&jpeg, b"N\0"));
    jpeg
}

/// Little-endian TIFF: IFD0 with the orientation and a pointer to a GPS IFD holding the
/// latitude reference "N" and the latitude 31/1, 14/1, 0/1 (Shanghai).
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut exif = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value);
        e
    };
    // IFD0 at 8: 2 + 2 * 12 + 4 = 30 bytes, so the GPS IFD starts at 38.
    exif.extend_from_slice(&2u16.to_le_bytes());
    let o = orientation.to_le_bytes();
    exif.extend(entry(0x0112, 3, 1, [o[0], o[1], 0, 0]));
    exif.extend(entry(0x8825, 4, 1, 38u32.to_le_bytes()));
    exif.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 38: 2 + 2 * 12 + 4 = 30 bytes, so the latitude's rationals start at 68.
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    exif.extend(entry(0x0002, 5, 3, 68u32.to_le_bytes()));
    exif.extend_from_slice(&0u32.to_le_bytes());
    for (numerator, denominator) in [(31u32, 1u32), (14, 1), (0, 1)] {
        exif.extend_from_slice(&numerator.to_le_bytes());
        exif.extend_from_slice(&denominator.to_le_bytes());
    }
    exif
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn post_hero(app: &TestApp, id: &Value, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/campaigns/{id}/hero")))
        .bearer_auth(API_KEY)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn put_landing(app: &TestApp, id: &Value, landing: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/campaigns/{id}/landing")))
        .bearer_auth(API_KEY)
        .json(&landing)
        .send()
        .await
        .unwrap()
}

pub async fn page(app: &TestApp, path: &str) -> String {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn landing_content_is_set_replaced_and_shown_with_readable_colours() {
    let app = TestApp::spawn().await;
    let campaign = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Tea", "slug": "tea", "landing": {
                "title": "Thanks for scanning", "cta_url": "https://shop.example.com/tea",
                "store_finder_url": "https://shop.example.com/stores",
                "brand_color": "#FFD700", "background_color": "112233"}}),
        )
        .await;
    let landing = &campaign["landing"];
    assert_eq!(landing["brand_color"], "#ffd700");
    assert_eq!(landing["background_color"], "#112233");
    assert_eq!(landing["hero"], Value::Null);

    let html = page(&app, "/c/tea").await;
    // Gold wants black text; the dark blue background wants white.
    assert!(
        html.contains(":root{--brand:#ffd700;--on-brand:#000000;--bg:#112233;--fg:#ffffff;}"),
        "{html}"
    );
    // Calls to action lead through the click link, which records them.
    assert!(html.contains(r#"class="cta primary" href="/c/tea/go/buy">Buy online<"#));
    assert!(html.contains(r#"href="/c/tea/go/stores">Find a store<"#));
    assert!(!html.contains("Join"), "no join URL, no join button");
    let html = app
        .client
        .get(app.url("/c/tea"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(">在线购买<") && html.contains(">查找门店<"),
        "{html}"
    );

    let id = &campaign["id"];
    let response = put_landing(
        &app,
        id,
        json!({"title": "Summer", "join_url": "https://club.example.com", "cta_label": "Buy 6"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let replaced: Value = response.json().await.unwrap();
    assert_eq!(replaced["landing"]["title"], "Summer");
    assert_eq!(
        replaced["landing"]["brand_color"],
        Value::Null,
        "replaced, not merged"
    );
    let html = page(&app, "/c/tea").await;
    assert!(!html.contains(":root{--brand"), "colours removed: {html}");
    assert!(html.contains(r#"href="/c/tea/go/join">Join<"#), "{html}");
    assert!(
        !html.contains("Buy 6"),
        "no shop URL and no destination: no buy button"
    );

    for (landing, field) in [
        (json!({"brand_color": "gold"}), "landing.brand_color"),
        (
            json!({"background_color": "#12345"}),
            "landing.background_color",
        ),
        (json!({"join_url": "ftp://club"}), "landing.join_url"),
        (json!({"hero_alt": "a\u{0}b"}), "landing.hero_alt"),
    ] {
        assert_error(
            put_landing(&app, id, landing).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }
    let unknown = put_landing(&app, id, json!({"colour": "#fff"})).await;
    assert_error(unknown, StatusCode::BAD_REQUEST, "colour").await;
    let missing = put_landing(&app, &json!(999), json!({})).await;
    assert_error(missing, StatusCode::NOT_FOUND, "campaign").await;
    // Nothing of the refused changes was stored.
    let stored: Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["landing"], replaced["landing"]);
}

#[tokio::test]
async fn a_hero_image_is_stored_upright_without_metadata_in_two_sizes() {
    let app = TestApp::spawn().await;
    let campaign = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Tea", "slug": "tea", "landing": {"hero_alt": "A bottle on a beach"}}),
        )
        .await;
    let id = &campaign["id"];
    let response = post_hero(&app, id, phone_photo()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    let hero = &updated["landing"]["hero"];
    // Turned upright: 300 x 200 shown rotated is 200 x 300.
    assert_eq!(
        (hero["width"].as_i64(), hero["height"].as_i64()),
        (Some(200), Some(300))
    );

    let url = hero["url"].as_str().unwrap();
    let path = url.strip_prefix(&app.address).unwrap();
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let jpeg = response.bytes().await.unwrap();
    assert!(
        !contains(&jpeg, b"Exif"),
        "EXIF (and its GPS position) must be gone"
    );
    let shown = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (200, 300));
    assert!(
        shown.get_pixel(100, 20).0[0] > 150,
        "red on top once upright"
    );

    let again = app
        .client
        .get(app.url(path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let html = page(&app, "/c/tea").await;
    let small = hero["small_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.address)
        .unwrap();
    assert!(
        html.contains(&format!(r#"srcset="{small} 200w, {path} 200w""#)),
        "{html}"
    );
    assert!(
        html.contains(r#"width="200" height="300" alt="A bottle on a beach""#),
        "{html}"
    );

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/campaigns/{id}/hero")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(body["landing"]["hero"], Value::Null);
    let gone = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(
        gone.status(),
        StatusCode::NOT_FOUND,
        "the unused file is removed"
    );
    assert!(!page(&app, "/c/tea").await.contains("<img"));
}

#[tokio::test]
async fn what_is_not_a_usable_picture_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn().await;
    let campaign = app
        .create("/api/v1/campaigns", json!({"name": "Tea", "slug": "tea"}))
        .await;
    let id = &campaign["id"];
    let photo = phone_photo();
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 64, image::Rgb([1, 2, 3]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for (body, status, message) in [
        (
            b"%PDF-1.7 not a picture".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not a JPEG, PNG or WebP",
        ),
        (
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not a JPEG, PNG or WebP",
        ),
        (
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "send the picture as the request body",
        ),
        (
            png[..png.len() - 20].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "could not be read",
        ),
        (
            photo[..300].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "could not be read",
        ),
        (
            vec![0xff; 16 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 15 MiB",
        ),
    ] {
        assert_error(post_hero(&app, id, body).await, status, message).await;
    }
    let stored: Value = app
        .get(&format!("/api/v1/campaigns/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["landing"]["hero"], Value::Null);
    assert_error(
        post_hero(&app, &json!(999), photo).await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;
    let bad_name = app
        .client
        .get(app.url("/media/..%2Fscanloop.db"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_name.status(), StatusCode::NOT_FOUND);
}
