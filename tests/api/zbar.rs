//! Exports read by decoders nobody here wrote: zbarimg (ZBar), with SVG rasterised by
//! rsvg-convert (librsvg) and PDF by pdftoppm (poppler). `.ci/run` installs them
//! (zbar-tools, librsvg2-bin, poppler-utils); on a machine without them these tests say
//! so and pass, except under CI, where they fail.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::exports::unzip;
use crate::helpers::{TempDir, TestApp};

pub fn tools_present() -> bool {
    let found = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let present = found("zbarimg") && found("rsvg-convert") && found("pdftoppm");
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install zbar-tools, librsvg2-bin and poppler-utils"
        );
        eprintln!("zbarimg, rsvg-convert or pdftoppm missing: third-party decoding not checked");
    }
    present
}

/// What zbarimg reads from the images, one line per file, in order.
pub fn zbar(files: &[std::path::PathBuf]) -> Vec<String> {
    let output = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .args(files)
        .output()
        .expect("zbarimg runs");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rasterise(svg: &Path) -> std::path::PathBuf {
    let png = svg.with_extension("svg.png");
    let status = Command::new("rsvg-convert")
        .args(["-z", "4", "-b", "white", "-o"])
        .arg(&png)
        .arg(svg)
        .status()
        .expect("rsvg-convert runs");
    assert!(status.success());
    png
}

/// Exports the batch with `query`, and asserts zbarimg reads every image as its manifest
/// URL (the third column).
pub async fn assert_zbar_reads_export(app: &TestApp, batch_id: &serde_json::Value, query: &str) {
    let dir = TempDir::new();
    let response = app
        .get(&format!("/api/v1/batches/{batch_id}/export.zip?{query}"))
        .await;
    let files = unzip(response.bytes().await.unwrap().to_vec());
    let manifest = String::from_utf8(files[0].1.clone()).unwrap();
    let urls: Vec<&str> = manifest
        .lines()
        .skip(1)
        .map(|row| row.split(',').nth(2).unwrap())
        .collect();
    let mut images = Vec::new();
    for (name, bytes) in &files[1..] {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        images.push(if name.ends_with(".svg") {
            rasterise(&path)
        } else {
            path
        });
    }
    assert_eq!(zbar(&images), urls, "{query}");
}

#[tokio::test]
async fn zbar_reads_every_exported_image_as_its_manifest_url() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Zbar"}), "unique", 3).await;
    for ecc in ["L", "M", "Q", "H"] {
        for (format, extra) in [
            ("svg", "&module_mm=0.5"),
            ("png", "&module_mm=0.4&dpi=300&fg=1a1a1a&bg=fffdf0"),
        ] {
            let query = format!("format={format}&ecc={ecc}{extra}");
            assert_zbar_reads_export(&app, &batch["id"], &query).await;
        }
    }
}

#[tokio::test]
async fn zbar_reads_gs1_digital_links() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (campaign, channel, _) = app.seed(json!({"name": "Zbar GS1"}), "shared", 1).await;
    let batch = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "GS1",
                   "mode": "unique", "quantity": 3, "gtin": "09506000134352", "lot": "A/1b"}),
        )
        .await;
    for ecc in ["L", "H"] {
        for format in ["svg", "png"] {
            let query = format!("format={format}&ecc={ecc}&module_mm=0.4");
            assert_zbar_reads_export(&app, &batch["id"], &query).await;
        }
    }
}
