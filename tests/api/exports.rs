//! Batch exports: a ZIP of every code's image and a manifest, each image decoding to the
//! manifest's URL; refusals before the first byte; a client that leaves stops the work.

use std::io::{Cursor, Read};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, assert_error, metrics, sample};
use crate::qr::{decode, rasterize_svg};

pub fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().into_owned(), content)
        })
        .collect()
}

#[tokio::test]
async fn every_image_decodes_to_its_manifest_url() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Export"}), "unique", 5).await;
    let id = &batch["id"];
    let codes = app.codes(id).await;
    for (format, query) in [
        ("svg", "format=svg&fg=1a1a1a"),
        ("png", "format=png&size=4"),
    ] {
        let response = app
            .get(&format!("/api/v1/batches/{id}/export.zip?{query}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/zip");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("batch-{id}-{format}.zip"))
        );
        let files = unzip(response.bytes().await.unwrap().to_vec());
        assert_eq!(files.len(), 6, "a manifest and five images");
        let manifest = String::from_utf8(files[0].1.clone()).unwrap();
        assert_eq!(files[0].0, "manifest.csv");
        let rows: Vec<&str> = manifest.lines().collect();
        assert_eq!(rows[0], "serial,token,url");
        for (i, (serial, token, url)) in codes.iter().enumerate() {
            assert_eq!(rows[i + 1], format!("{serial},{token},{url}"));
            let (name, image) = &files[i + 1];
            assert_eq!(name, &format!("{serial:07}.{format}"));
            let decoded = match format {
                "svg" => decode(rasterize_svg(std::str::from_utf8(image).unwrap())),
                _ => decode(image::load_from_memory(image).unwrap().to_luma8()),
            };
            assert_eq!(&decoded, url, "{name}");
        }
    }
}

#[tokio::test]
async fn a_gs1_batch_lists_its_gtin_and_lot() {
    let app = TestApp::spawn().await;
    let campaign = app
        .create("/api/v1/campaigns", json!({"name": "GS1"}))
        .await;
    let channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Pack", "kind": "packaging"}),
        )
        .await;
    let batch = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "Lot",
                   "mode": "unique", "quantity": 2, "gtin": "09506000134352", "lot": "A1,B"}),
        )
        .await;
    let response = app
        .get(&format!("/api/v1/batches/{}/export.zip", batch["id"]))
        .await;
    let files = unzip(response.bytes().await.unwrap().to_vec());
    let manifest = String::from_utf8(files[0].1.clone()).unwrap();
    let rows: Vec<&str> = manifest.lines().collect();
    assert_eq!(rows[0], "serial,token,url,gtin,lot,gs1_serial");
    let token = rows[1].split(',').nth(1).unwrap();
    assert!(
        rows[1].ends_with(&format!(
            "/01/09506000134352/10/A1%2CB/21/{token},09506000134352,\"A1,B\",{token}"
        )),
        "{}",
        rows[1]
    );
    let image = &files[1].1;
    let url = rows[1].split(',').nth(2).unwrap();
    assert_eq!(
        decode(rasterize_svg(std::str::from_utf8(image).unwrap())),
        url
    );
}

#[tokio::test]
async fn bad_options_are_refused_before_the_first_byte() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Export"}), "unique", 2).await;
    let id = &batch["id"];
    for (query, status, says) in [
        ("format=gif", StatusCode::BAD_REQUEST, "format"),
        ("fg=777777", StatusCode::UNPROCESSABLE_ENTITY, "contrast"),
        ("size_mm=8", StatusCode::UNPROCESSABLE_ENTITY, "0.25 mm"),
        (
            "format=png&size=100&margin=40",
            StatusCode::BAD_REQUEST,
            "limit",
        ),
    ] {
        let response = app
            .get(&format!("/api/v1/batches/{id}/export.zip?{query}"))
            .await;
        assert_error(response, status, says).await;
    }
    assert_error(
        app.get("/api/v1/batches/999999/export.zip").await,
        StatusCode::NOT_FOUND,
        "batch",
    )
    .await;
}

#[tokio::test]
async fn a_client_that_goes_away_stops_the_rendering() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Big"}), "shared", 1).await;
    let created = app
        .post(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "Run",
                   "mode": "unique", "quantity": 20_000}),
        )
        .await;
    let created: serde_json::Value = created.json().await.unwrap();
    let batch = app.wait_for_batch(&created["id"], "ready").await;
    let mut response = app
        .get(&format!(
            "/api/v1/batches/{}/export.zip?format=png&size=10",
            batch["id"]
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Take a little, then hang up.
    let mut received = 0;
    while received < 200_000 {
        received += response.chunk().await.unwrap().expect("more bytes").len();
    }
    drop(response);
    let rendered = || async { sample(&metrics(&app).await, "scanloop_export_codes_total") };
    // The page being rendered when the client left is finished, then nothing more: the
    // count settles (on a busy machine a page may take a few seconds) well short of the
    // batch, which would take far longer to render whole.
    let mut last = rendered().await;
    let mut settled = false;
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = rendered().await;
        if now == last {
            settled = true;
            break;
        }
        last = now;
    }
    assert!(settled, "rendering went on after the client left: {last}");
    assert!(
        last < 20_000.0,
        "only part of the batch was rendered: {last}"
    );
    // The turn is handed back: the next export starts (at once on an idle machine; a
    // page still finishing on a busy one may hold it a few seconds more, answered 429).
    let mut again = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..30 {
        let answer = app
            .get(&format!(
                "/api/v1/batches/{}/export.zip?format=svg",
                batch["id"]
            ))
            .await;
        again = answer.status();
        if again != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(again, StatusCode::OK);
}
