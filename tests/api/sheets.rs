//! Label sheets as PDF: every label's symbol read back by ZBar from poppler's rendering,
//! the serials and tokens in the text, vectors not images, crop marks, and refusals.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TempDir, TestApp, assert_error};
use crate::zbar::{tools_present, zbar};

/// Writes the PDF and renders each page to a PNG at `dpi`; returns the pages' paths.
fn render_pages(dir: &TempDir, name: &str, pdf: &[u8], dpi: u32) -> Vec<PathBuf> {
    let path = dir.0.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png", "-gray"])
        .arg(&path)
        .arg(dir.0.join(name))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success(), "poppler reads the PDF");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let file = p.file_name().unwrap().to_str().unwrap();
            file.starts_with(&format!("{name}-")) && file.ends_with(".png")
        })
        .collect();
    pages.sort();
    pages
}

/// Where the labels are: what the query asked for.
pub struct Grid {
    pub label: (f64, f64),
    pub margin: f64,
    pub gap: f64,
    pub cols: usize,
    pub per_page: usize,
}

/// Renders one label of the PDF, cut out of its page by poppler at `dpi`.
pub fn render_label(pdf: &Path, grid: &Grid, index: usize, dpi: u32) -> PathBuf {
    let (page, at) = (index / grid.per_page + 1, index % grid.per_page);
    let (col, row) = ((at % grid.cols) as f64, (at / grid.cols) as f64);
    let px = |mm: f64| ((mm / 25.4 * f64::from(dpi)).round() as i64).to_string();
    let out = pdf.with_file_name(format!("label-{dpi}-{index}"));
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-png", "-singlefile"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .args(["-x", &px(grid.margin + col * (grid.label.0 + grid.gap))])
        .args(["-y", &px(grid.margin + row * (grid.label.1 + grid.gap))])
        .args(["-W", &px(grid.label.0), "-H", &px(grid.label.1)])
        .arg(pdf)
        .arg(&out)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    out.with_extension("png")
}

fn poppler(tool: &str, pdf: &Path) -> String {
    let output = Command::new(tool)
        .arg(pdf)
        .arg("-")
        .output()
        .expect("poppler runs");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn every_label_scans_as_its_code_and_shows_its_serial_and_token() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "Sheet"}), "unique", 25).await;
    let codes = app.codes(&batch["id"]).await;
    let dir = TempDir::new();
    let a4 = Grid {
        label: (40.0, 48.0),
        margin: 10.0,
        gap: 2.0,
        cols: 4,
        per_page: 20,
    };
    let small = Grid {
        label: (30.0, 36.0),
        margin: 4.0,
        gap: 0.0,
        cols: 3,
        per_page: 9,
    };
    for (name, query, grid) in [
        ("a4", "crop_marks=true&fg=1a1a1a", a4),
        (
            "small",
            "page=100x150&label_mm=30x36&sheet_margin_mm=4&gap_mm=0&ecc=H",
            small,
        ),
    ] {
        let response = app
            .get(&format!(
                "/api/v1/batches/{}/sheet.pdf?{query}",
                batch["id"]
            ))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let pdf = response.bytes().await.unwrap();
        let pages = render_pages(&dir, name, &pdf, 72);
        assert_eq!(pages.len(), 25usize.div_ceil(grid.per_page), "{query}");

        // Each label, in serial order, at a 300 dpi and a 203 dpi label printer's resolution.
        let file = dir.0.join(format!("{name}.pdf"));
        for dpi in [300, 203] {
            for (index, (serial, _, url)) in codes.iter().enumerate() {
                let label = render_label(&file, &grid, index, dpi);
                assert_eq!(
                    zbar(&[label]).as_slice(),
                    std::slice::from_ref(url),
                    "label {serial} of {query} at {dpi} dpi"
                );
            }
        }

        let text = poppler("pdftotext", &file);
        for (serial, token, _) in &codes {
            assert!(
                text.contains(&format!("{serial:07} {token}")),
                "{serial} in {text}"
            );
        }
        let images = Command::new("pdfimages")
            .arg("-list")
            .arg(&file)
            .output()
            .unwrap();
        let listing = String::from_utf8(images.stdout).unwrap();
        assert_eq!(
            listing.lines().count(),
            2,
            "no raster images, only a header: {listing}"
        );
    }
}

#[tokio::test]
async fn crop_marks_are_drawn_in_the_margin_only_when_asked() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Marks"}), "unique", 2).await;
    let dir = TempDir::new();
    let mut dark_in_margin = Vec::new();
    for (name, crop) in [("plain", "false"), ("marked", "true")] {
        let response = app
            .get(&format!(
                "/api/v1/batches/{}/sheet.pdf?crop_marks={crop}",
                batch["id"]
            ))
            .await;
        let pages = render_pages(&dir, name, &response.bytes().await.unwrap(), 72);
        let page = image::open(&pages[0]).unwrap().to_luma8();
        // The top margin (10 mm, about 28 px at 72 dpi), above the first row.
        let dark = (0..page.width())
            .flat_map(|x| (2..26).map(move |y| (x, y)))
            .filter(|&(x, y)| page.get_pixel(x, y).0[0] < 128)
            .count();
        dark_in_margin.push(dark);
    }
    assert_eq!(dark_in_margin[0], 0);
    assert!(dark_in_margin[1] > 0, "crop marks above the labels");
}

#[tokio::test]
async fn sheets_that_would_not_print_are_refused_before_the_first_byte() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Refused"}), "unique", 2).await;
    let id = &batch["id"];
    for (query, status, says) in [
        ("size=8", StatusCode::BAD_REQUEST, "size is for screens"),
        ("page=A5", StatusCode::BAD_REQUEST, "page must be"),
        ("label_mm=40", StatusCode::BAD_REQUEST, "label_mm must be"),
        ("cols=0", StatusCode::BAD_REQUEST, "cols must be"),
        ("crop_marks=maybe", StatusCode::BAD_REQUEST, "crop_marks"),
        (
            "label_mm=100x100&cols=3",
            StatusCode::UNPROCESSABLE_ENTITY,
            "do not fit",
        ),
        (
            "label_mm=20x25&module_mm=1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "does not fit",
        ),
        ("label_mm=8x10", StatusCode::UNPROCESSABLE_ENTITY, "0.25 mm"),
        ("fg=777777", StatusCode::UNPROCESSABLE_ENTITY, "contrast"),
        (
            "crop_marks=true&sheet_margin_mm=2",
            StatusCode::UNPROCESSABLE_ENTITY,
            "sheet_margin_mm",
        ),
    ] {
        let response = app
            .get(&format!("/api/v1/batches/{id}/sheet.pdf?{query}"))
            .await;
        assert_error(response, status, says).await;
    }
    assert_error(
        app.get("/api/v1/batches/999999/sheet.pdf").await,
        StatusCode::NOT_FOUND,
        "batch",
    )
    .await;
}
