//! A small WebDriver client (the W3C protocol, JSON over HTTP) driving Debian's chromium
//! through chromium-driver: enough to open pages, tap, type, pick a file, run a line of
//! script and take screenshots. No browser is downloaded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::free_port;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether chromium and chromium-driver are installed; CI must have them.
pub fn browser_present() -> bool {
    let found = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let present = found("chromium") && found("chromedriver");
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver"
        );
        eprintln!("chromium or chromedriver missing: the browser tests did not run");
    }
    present
}

/// Where screenshots are kept for people to look at: `target/browser-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: crate::helpers::TempDir,
}

impl Browser {
    /// A headless phone `width` CSS pixels wide (844 tall, 3x) with `user_agent`, asking
    /// for `language` first, with a fresh profile and no outside network.
    pub async fn phone(width: u32, user_agent: &str, language: &str) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = crate::helpers::TempDir::new();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", profile.0.display()),
            &format!("--lang={language}"),
            &format!("--accept-lang={language}"),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": {"intl.accept_languages": language},
                "mobileEmulation": {
                    "deviceMetrics": {"width": width, "height": 844, "pixelRatio": 3.0, "touch": true, "mobile": true},
                    "userAgent": user_agent
                }
            }
        }}});
        let mut browser = Self {
            driver,
            base,
            session: String::new(),
            http,
            _profile: profile,
        };
        let answer = browser
            .call(reqwest::Method::POST, "/session", capabilities)
            .await;
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        browser
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_null() {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, &self.at("/url"), json!({"url": url}))
            .await;
    }

    pub async fn url(&self) -> String {
        let url = self
            .call(reqwest::Method::GET, &self.at("/url"), Value::Null)
            .await;
        url.as_str().unwrap().to_owned()
    }

    /// The page's URL once it is `expected` (a tap that submits a form returns before the
    /// next page has loaded); panics after 10 s.
    pub async fn wait_for_url(&self, expected: &str) {
        let mut now = String::new();
        for _ in 0..200 {
            now = self.url().await;
            let ready = self.run("return document.readyState", json!([])).await;
            if now == expected && ready == "complete" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the browser is at {now}, not {expected}");
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            &self.at("/execute/sync"),
            json!({"script": script, "args": args}),
        )
        .await
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                &self.at("/element"),
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn tap(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &self.at(&format!("/element/{element}/click")),
            json!({}),
        )
        .await;
    }

    /// Types into a field; for a file input, `text` is the file's path.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &self.at(&format!("/element/{element}/value")),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .call(reqwest::Method::GET, &self.at("/screenshot"), Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let path = screenshot_dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Browser {
    /// Ends the session (chromium exits) and stops the driver.
    pub async fn close(mut self) {
        let session = self.at("");
        let _ = self
            .http
            .delete(format!("{}{session}", self.base))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// A test that failed half-way still stops the driver.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
