//! Every rendered symbol decodes back to exactly its URL.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

pub fn decode(image: image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR symbol in the image");
    grids[0].decode().expect("the symbol decodes").1
}

pub fn rasterize_svg(svg: &str) -> image::GrayImage {
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    image::GrayImage::from_fn(size.width(), size.height(), |x, y| {
        let p = pixmap.pixel(x, y).unwrap();
        image::Luma([if p.alpha() == 0 { 255 } else { p.red() }])
    })
}

#[tokio::test]
async fn png_and_svg_decode_to_the_short_url_at_every_ecc_level() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "QR"}), "unique", 1).await;
    let (_, token, url) = app.codes(&batch["id"]).await.remove(0);
    for ecc in ["L", "M", "Q", "H"] {
        let png = app
            .get(&format!("/api/v1/codes/{token}/qr.png?ecc={ecc}&size=6"))
            .await;
        assert_eq!(png.status(), StatusCode::OK);
        assert_eq!(png.headers()["content-type"], "image/png");
        let image = image::load_from_memory(&png.bytes().await.unwrap())
            .unwrap()
            .to_luma8();
        assert_eq!(decode(image), url, "PNG at ECC {ecc}");

        let svg = app
            .get(&format!(
                "/api/v1/codes/{}/qr.svg?ecc={ecc}",
                token.to_lowercase()
            ))
            .await;
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert_eq!(
            decode(rasterize_svg(&svg.text().await.unwrap())),
            url,
            "SVG at ECC {ecc}"
        );
    }
}

#[tokio::test]
async fn size_and_margin_set_the_png_edge() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "QR"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await.remove(0).1;
    // Version 2 is 25 modules wide: (25 + 2 x 2) x 10 = 290 pixels.
    let png = app
        .get(&format!("/api/v1/codes/{token}/qr.png?size=10&margin=2"))
        .await;
    let image = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (290, 290));
}

#[tokio::test]
async fn uppercase_links_make_a_smaller_symbol_than_lowercase_ones() {
    use scanloop::qr::Matrix;
    let upper = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = upper.seed(json!({"name": "Up"}), "shared", 1).await;
    let (_, token, url) = upper.codes(&batch["id"]).await.remove(0);
    assert_eq!(url, format!("HTTPS://GO.EXAMPLE.COM/S/{token}"));
    let lowercase = url.to_lowercase();
    for ecc in [
        scanloop::qr::Ecc::L,
        scanloop::qr::Ecc::M,
        scanloop::qr::Ecc::Q,
        scanloop::qr::Ecc::H,
    ] {
        let (big, small) = (
            Matrix::encode(&lowercase, ecc).unwrap(),
            Matrix::encode(&url, ecc).unwrap(),
        );
        assert!(
            small.version < big.version,
            "{ecc:?}: uppercase v{} vs lowercase v{}",
            small.version,
            big.version
        );
    }
    let lower = TestApp::spawn_with(|c| {
        c.public_url = Some("https://go.example.com".into());
        c.lowercase_links = true;
    })
    .await;
    let (_, _, batch) = lower.seed(json!({"name": "Low"}), "shared", 1).await;
    let (_, token, url) = lower.codes(&batch["id"]).await.remove(0);
    assert_eq!(
        url,
        format!("https://go.example.com/s/{}", token.to_lowercase())
    );
}

#[tokio::test]
async fn invalid_render_options_get_a_400() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "QR"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await.remove(0).1;
    for (query, part) in [
        ("ecc=X", "ecc"),
        ("size=0", "size"),
        ("size=abc", "size"),
        ("margin=-1", "margin"),
        ("size=100&margin=40", "limit"),
    ] {
        let response = app
            .get(&format!("/api/v1/codes/{token}/qr.png?{query}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, part).await;
    }
    assert_error(
        app.get("/api/v1/codes/ZZZZZZZZZZZZZ/qr.svg").await,
        StatusCode::NOT_FOUND,
        "code",
    )
    .await;
}

#[tokio::test]
async fn colours_and_print_sizes_still_decode() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Print"}), "unique", 1).await;
    let (_, token, url) = app.codes(&batch["id"]).await.remove(0);

    let svg = app
        .get(&format!(
            "/api/v1/codes/{token}/qr.svg?module_mm=2&fg=1a1a1a&bg=%23fffdf0"
        ))
        .await;
    assert_eq!(svg.status(), StatusCode::OK);
    let svg = svg.text().await.unwrap();
    // Version 2 (25 modules) with the 4-module quiet zone: 33 modules of 2 mm.
    assert!(svg.contains(r#"width="66mm" height="66mm""#), "{svg}");
    assert!(svg.contains(r##"fill="#1a1a1a""##) && svg.contains(r##"fill="#fffdf0""##));
    assert_eq!(decode(rasterize_svg(&svg)), url, "coloured SVG in mm");

    let png = app
        .get(&format!(
            "/api/v1/codes/{token}/qr.png?module_mm=0.5&dpi=600&fg=003366"
        ))
        .await;
    assert_eq!(png.status(), StatusCode::OK);
    let bytes = png.bytes().await.unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(&bytes))
        .read_info()
        .unwrap();
    let info = reader.info();
    // 0.5 mm at 600 dpi rounds to 12 px a module; the file says 24,000 px a metre, so
    // it prints at exactly 0.5 mm a module.
    assert_eq!((info.width, info.height), (33 * 12, 33 * 12));
    let dims = info.pixel_dims.expect("a print PNG carries its resolution");
    assert_eq!((dims.xppu, dims.unit), (24_000, png::Unit::Meter));
    let image = image::load_from_memory(&bytes).unwrap().to_luma8();
    assert_eq!(decode(image), url, "coloured print PNG");
}

#[tokio::test]
async fn options_that_would_not_scan_get_a_422_that_says_why() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "QR"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await.remove(0).1;
    for (query, says) in [
        ("fg=777777", "contrast"),
        ("fg=ffffff&bg=000000", "lighter"),
        ("margin=1", "quiet zone"),
        ("module_mm=0.2", "0.25 mm"),
        ("size_mm=8", "0.25 mm"),
    ] {
        for format in ["svg", "png"] {
            let response = app
                .get(&format!("/api/v1/codes/{token}/qr.{format}?{query}"))
                .await;
            assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, says).await;
        }
    }
    let inverted = app
        .get(&format!(
            "/api/v1/codes/{token}/qr.svg?fg=ffffff&bg=000000&invert=allow"
        ))
        .await;
    assert_eq!(inverted.status(), StatusCode::OK, "inversion on request");
    for (query, option) in [
        ("fg=blue", "fg"),
        ("dpi=9999", "dpi"),
        ("module_mm=abc", "module_mm"),
        ("size=8&size_mm=40", "one of"),
        ("invert=maybe", "invert"),
    ] {
        let response = app
            .get(&format!("/api/v1/codes/{token}/qr.png?{query}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, option).await;
    }
}
