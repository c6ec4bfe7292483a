//! Exports read by decoders nobody here wrote: zbarimg (ZBar), with SVG rasterised by
//! rsvg-convert (librsvg). `.ci/run` installs them (zbar-tools, librsvg2-bin); on a
//! machine without them these tests say so and pass, except under CI, where they fail.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::exports::unzip;
use crate::helpers::{TempDir, TestApp};

fn tools_present() -> bool {
    let found = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let present = found("zbarimg") && found("rsvg-convert");
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install zbar-tools and librsvg2-bin"
        );
        eprintln!("zbarimg or rsvg-convert missing: third-party decoding not checked");
    }
    present
}

/// What zbarimg reads from the images, one line per file, in order.
fn zbar(files: &[std::path::PathBuf]) -> Vec<String> {
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

#[tokio::test]
async fn zbar_reads_every_exported_image_as_its_manifest_url() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Zbar"}), "unique", 3).await;
    let dir = TempDir::new();
    for ecc in ["L", "M", "Q", "H"] {
        for (format, extra) in [
            ("svg", "&module_mm=0.5"),
            ("png", "&module_mm=0.4&dpi=300&fg=1a1a1a&bg=fffdf0"),
        ] {
            let response = app
                .get(&format!(
                    "/api/v1/batches/{}/export.zip?format={format}&ecc={ecc}{extra}",
                    batch["id"]
                ))
                .await;
            let files = unzip(response.bytes().await.unwrap().to_vec());
            let manifest = String::from_utf8(files[0].1.clone()).unwrap();
            let urls: Vec<&str> = manifest
                .lines()
                .skip(1)
                .map(|row| row.rsplit(',').next().unwrap())
                .collect();
            let mut images = Vec::new();
            for (name, bytes) in &files[1..] {
                let path = dir.0.join(format!("{ecc}-{name}"));
                std::fs::write(&path, bytes).unwrap();
                images.push(if format == "svg" {
                    rasterise(&path)
                } else {
                    path
                });
            }
            assert_eq!(zbar(&images), urls, "{format} at ECC {ecc}");
        }
    }
}
