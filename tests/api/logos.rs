//! Logos in the centre of codes: uploaded per campaign or batch (PNG or SVG), drawn with
//! error correction H in every renderer, and still read by rqrr and by ZBar.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, TempDir, TestApp, assert_error};
use crate::qr::decode;
use crate::sheets::{Grid, render_label};
use crate::zbar::{assert_zbar_reads_export, tools_present, zbar};

/// A dark logo, the hardest kind for a reader: black and red stripes on a transparent
/// canvas with a wide transparent border (trimmed on upload).
fn striped_logo() -> Vec<u8> {
    let image = image::RgbaImage::from_fn(300, 200, |x, y| {
        let inside = (50..250).contains(&x) && (50..150).contains(&y);
        match (inside, (x / 10) % 2) {
            (false, _) => image::Rgba([0, 0, 0, 0]),
            (true, 0) => image::Rgba([0, 0, 0, 255]),
            (true, _) => image::Rgba([200, 20, 20, 255]),
        }
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

const SVG_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40">
  <circle cx="20" cy="20" r="18" fill="#0b5"/><path d="M12 20h16" stroke="#fff" stroke-width="4"/>
</svg>"##;

async fn put_logo(app: &TestApp, path: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(API_KEY)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, path: &str) -> StatusCode {
    app.client
        .delete(app.url(path))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .status()
}

async fn qr_svg(app: &TestApp, token: &str, query: &str) -> String {
    let response = app
        .get(&format!("/api/v1/codes/{token}/qr.svg?{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_logo_is_drawn_on_its_codes_which_still_scan() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (campaign, _, batch) = app.seed(json!({"name": "Logo"}), "unique", 2).await;
    let (_, token, url) = app.codes(&batch["id"]).await.remove(0);
    let campaign_logo = format!("/api/v1/campaigns/{}/logo", campaign["id"]);

    let response = put_logo(&app, &campaign_logo, striped_logo()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    assert_eq!(
        (&info["width"], &info["height"]),
        (&json!(200), &json!(100))
    );
    let stored = app.get(&campaign_logo).await;
    assert_eq!(stored.headers()["content-type"], "image/png");
    let stored = image::load_from_memory(&stored.bytes().await.unwrap()).unwrap();
    assert_eq!((stored.width(), stored.height()), (200, 100));

    // The PNG is drawn in colour with the logo in the middle, and reads as the code.
    let png = app
        .get(&format!("/api/v1/codes/{token}/qr.png?size=8"))
        .await;
    assert_eq!(png.status(), StatusCode::OK);
    let image = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    let centre = image
        .to_rgb8()
        .get_pixel(image.width() / 2, image.height() / 2)
        .0;
    assert!(
        centre == [0, 0, 0] || centre[0] > 150 && centre[1] < 60,
        "the logo is at the centre: {centre:?}"
    );
    assert_eq!(decode(image.to_luma8()), url, "the PNG with its logo reads");

    let svg = qr_svg(&app, &token, "").await;
    assert!(svg.contains("<image") && svg.contains("data:image/png;base64,"));
    assert!(!qr_svg(&app, &token, "logo=none").await.contains("<image"));

    // A logo needs error correction H; without the logo any level will do.
    assert_error(
        app.get(&format!("/api/v1/codes/{token}/qr.png?ecc=L"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "logo=none",
    )
    .await;
    let plain = app
        .get(&format!("/api/v1/codes/{token}/qr.png?ecc=L&logo=none"))
        .await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_error(
        app.get(&format!("/api/v1/codes/{token}/qr.png?logo=maybe"))
            .await,
        StatusCode::BAD_REQUEST,
        "logo must be auto or none",
    )
    .await;

    // A batch's own logo wins over its campaign's; removing it brings the campaign's back.
    let batch_logo = format!("/api/v1/batches/{}/logo", batch["id"]);
    let response = put_logo(&app, &batch_logo, SVG_LOGO.as_bytes().to_vec()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    // Drawn at 512 px across its 40-unit view box, trimmed to the 36-unit circle.
    assert_eq!(info["width"], info["height"]);
    assert!(
        (455..=465).contains(&info["width"].as_i64().unwrap()),
        "{info}"
    );
    let with_batch_logo = qr_svg(&app, &token, "").await;
    assert_ne!(with_batch_logo, svg);
    let png = app.get(&format!("/api/v1/codes/{token}/qr.png")).await;
    let image = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert_eq!(
        decode(image.to_luma8()),
        url,
        "the PNG with the SVG logo reads"
    );
    assert_eq!(delete(&app, &batch_logo).await, StatusCode::NO_CONTENT);
    assert_eq!(qr_svg(&app, &token, "").await, svg);
    assert_eq!(delete(&app, &batch_logo).await, StatusCode::NOT_FOUND);
    assert_eq!(delete(&app, &campaign_logo).await, StatusCode::NO_CONTENT);
    assert!(!qr_svg(&app, &token, "").await.contains("<image"));
    assert_eq!(
        app.get(&campaign_logo).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn what_is_not_a_usable_logo_is_refused() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app.seed(json!({"name": "Bad logos"}), "shared", 1).await;
    let path = format!("/api/v1/campaigns/{}/logo", campaign["id"]);
    for (body, status, says) in [
        (Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "request body"),
        (
            b"GIF89a\x01\x00".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "PNG or an SVG",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00garbage".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be read",
        ),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><rect".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "SVG cannot be read",
        ),
        (
            vec![b' '; 1024 * 1024 + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 1024 KiB",
        ),
    ] {
        assert_error(put_logo(&app, &path, body).await, status, says).await;
    }
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_error(
        put_logo(&app, "/api/v1/campaigns/999999/logo", striped_logo()).await,
        StatusCode::NOT_FOUND,
        "campaign",
    )
    .await;
    assert_error(
        put_logo(&app, "/api/v1/batches/999999/logo", striped_logo()).await,
        StatusCode::NOT_FOUND,
        "batch",
    )
    .await;
}

#[tokio::test]
async fn zbar_reads_every_export_with_a_logo() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (campaign, channel, short) = app.seed(json!({"name": "Zbar logo"}), "unique", 3).await;
    // A GS1 Digital Link with a long lot makes a larger symbol, with a larger logo.
    let gs1 = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "GS1",
                   "mode": "unique", "quantity": 3, "gtin": "09506000134352",
                   "lot": "LOT-2026-11-30-LINE4"}),
        )
        .await;
    let response = put_logo(
        &app,
        &format!("/api/v1/campaigns/{}/logo", campaign["id"]),
        striped_logo(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    for batch in [&short, &gs1] {
        for query in [
            "format=svg&module_mm=0.5",
            "format=png&module_mm=0.4&dpi=300&fg=1a1a1a&bg=fffdf0",
        ] {
            assert_zbar_reads_export(&app, &batch["id"], query).await;
        }
        let response = app
            .get(&format!("/api/v1/batches/{}/sheet.pdf", batch["id"]))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let dir = TempDir::new();
        let pdf = dir.0.join("labels.pdf");
        std::fs::write(&pdf, response.bytes().await.unwrap()).unwrap();
        let grid = Grid {
            label: (40.0, 48.0),
            margin: 10.0,
            gap: 2.0,
            cols: 4,
            per_page: 20,
        };
        for (index, (serial, _, url)) in app.codes(&batch["id"]).await.iter().enumerate() {
            let label = render_label(&pdf, &grid, index, 300);
            assert_eq!(
                zbar(&[label]).as_slice(),
                std::slice::from_ref(url),
                "label {serial} of batch {}",
                batch["id"]
            );
        }
    }
}
