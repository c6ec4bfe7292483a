//! `scanloop batch export`: the same files as the API, written whole or not at all.

use std::process::Output;

use serde_json::json;

use crate::exports::unzip;
use crate::helpers::{TempDir, TestApp};

async fn export(app: &TestApp, args: &[&str]) -> Output {
    let args = [
        &["batch", "export"],
        args,
        &["--public-url", "https://go.example.com"],
    ]
    .concat();
    app.command(&args, "").await
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_cli_writes_what_the_api_serves() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, _, batch) = app.seed(json!({"name": "CLI"}), "unique", 30).await;
    let id = batch["id"].to_string();
    let dir = TempDir::new();

    let csv = dir.0.join("codes.csv");
    let output = export(
        &app,
        &[&id, "--format", "csv", "--out", csv.to_str().unwrap()],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("wrote 30 codes"));
    let from_api = app
        .get(&format!("/api/v1/batches/{id}/codes.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), from_api);

    let zip = dir.0.join("labels.zip");
    let output = export(
        &app,
        &[
            &id,
            "--format",
            "png",
            "--module-mm",
            "0.5",
            "--out",
            zip.to_str().unwrap(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let files = unzip(std::fs::read(&zip).unwrap());
    assert_eq!(files.len(), 31, "a manifest and 30 images");
    assert!(files[1].0.ends_with("0000001.png"));

    let pdf = dir.0.join("sheet.pdf");
    let output = export(
        &app,
        &[
            &id,
            "--format",
            "pdf",
            "--page",
            "letter",
            "--crop-marks",
            "--out",
            pdf.to_str().unwrap(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn the_cli_refuses_with_the_reason_and_leaves_no_file() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "CLI"}), "unique", 2).await;
    let id = batch["id"].to_string();
    let dir = TempDir::new();
    let out = dir.0.join("out.pdf");
    let out = out.to_str().unwrap();
    for (args, says) in [
        (vec!["999999", "--format", "csv"], "no batch has id 999999"),
        (
            vec![&id, "--format", "pdf", "--size", "8"],
            "--size is for screens",
        ),
        (vec![&id, "--format", "svg", "--fg", "777777"], "contrast"),
        (
            vec![
                &id,
                "--format",
                "pdf",
                "--label-mm",
                "100x100",
                "--cols",
                "3",
            ],
            "do not fit",
        ),
        (vec![&id, "--format", "pdf", "--page", "A5"], "page must be"),
    ] {
        let mut args = args.clone();
        args.extend(["--out", out]);
        let output = export(&app, &args).await;
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0, "{args:?}");
    }
    let missing_dir = dir.0.join("no/such/dir/out.csv");
    let output = export(
        &app,
        &[
            &id,
            "--format",
            "csv",
            "--out",
            missing_dir.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot create"),
        "{}",
        stderr(&output)
    );
}
