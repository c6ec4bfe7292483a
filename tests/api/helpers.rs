//! `TestApp`: the real server on 127.0.0.1:0 with a fresh database (SQLite file, or a new
//! PostgreSQL database when SCANLOOP_TEST_POSTGRES_URL is set), and a client that does not
//! follow redirects.

use std::path::PathBuf;
use std::sync::Once;

use reqwest::{Method, Response, StatusCode};
use scanloop::config::Config;
use scanloop::startup::App;
use serde_json::{Value, json};
use sqlx::AnyPool;
use tokio::sync::oneshot;

pub const API_KEY: &str = "test-key-0123456789abcdef";
/// The password test users get: long and uncommon enough to be accepted.
pub const PASSWORD: &str = "violet tractor mango harbour";
pub const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN";

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    /// Dropping it (when the test ends) shuts the server down.
    _stop: oneshot::Sender<()>,
    /// The test's directory: the SQLite file, and `data/` (SCANLOOP_DATA_DIR).
    pub dir: TempDir,
}

/// A directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("scanloop-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nothing listens on now, for a server binary started by a test.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn random_suffix() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info,sqlx=warn")
                .init();
        }
    });
}

/// A fresh database URL for one test.
pub async fn fresh_database(dir: &TempDir) -> String {
    match std::env::var("SCANLOOP_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            sqlx::any::install_default_drivers();
            let admin = AnyPool::connect(&base)
                .await
                .expect("connect to test PostgreSQL");
            let name = format!("scanloop_t_{}", random_suffix());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .expect("create test database");
            admin.close().await;
            let mut url = url::Url::parse(&base).expect("SCANLOOP_TEST_POSTGRES_URL is a URL");
            url.set_path(&name);
            url.to_string()
        }
        _ => format!("sqlite://{}/scanloop.db", dir.0.display()),
    }
}

pub fn config(database_url: &str) -> Config {
    Config {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        geoip_db: None,
        trusted_proxies: String::new(),
        initial_api_key: Some(API_KEY.to_owned()),
        data_dir: PathBuf::from("data"),
        lowercase_links: false,
        retention_days: None,
        metrics_token: None,
        header_timeout_secs: 10,
        idle_timeout_secs: 60,
        api_timeout_secs: 30,
        max_connections: 4096,
        session_idle_minutes: 480,
        session_max_hours: 168,
        webhook_allow_private: false,
        show_one_time_codes: false,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the default test configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = TempDir::new();
        let database_url = fresh_database(&dir).await;
        let mut config = config(&database_url);
        adjust(&mut config);
        Self::start(config, dir).await
    }

    /// Starts one more server on an existing database (a second instance).
    pub async fn spawn_on(database_url: &str) -> Self {
        Self::spawn_on_with(database_url, |_| {}).await
    }

    /// A second instance, its configuration changed by `adjust`.
    pub async fn spawn_on_with(database_url: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = config(database_url);
        adjust(&mut config);
        Self::start(config, TempDir::new()).await
    }

    async fn start(mut config: Config, dir: TempDir) -> Self {
        init_logs();
        config.data_dir = dir.0.join("data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::build_with_listener(&config, listener)
            .await
            .expect("app builds");
        let address = format!("http://{}", app.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            address,
            database_url: config.database_url,
            client,
            _stop: stop,
            dir,
        }
    }

    /// Runs the `scanloop` command on this server's database, `stdin` typed into it. The
    /// wait is async on purpose: the server shares the test's runtime, and a blocking wait
    /// froze it, sometimes in the middle of a write transaction, so the command waited out
    /// SQLite's busy timeout for a lock that could not be released ("database is locked").
    pub async fn command(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::process::Stdio;
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scanloop"))
            .args(args)
            .args(["--database-url", &self.database_url])
            .env_remove("SCANLOOP_LOG_FORMAT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the scanloop binary");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        child.wait_with_output().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// An API call with the test key and, when given, a JSON body.
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.send_as(Some(API_KEY), method, path, body).await
    }

    /// An API call with `key` (none: anonymous) and, when given, a JSON body.
    pub async fn send_as(
        &self,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// POSTs and returns the created record, asserting a 201.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A campaign, a channel and a batch; returns (campaign, channel, batch).
    pub async fn seed(&self, campaign: Value, mode: &str, quantity: i64) -> (Value, Value, Value) {
        let campaign = self.create("/api/v1/campaigns", campaign).await;
        let channel = self
            .create(
                "/api/v1/channels",
                json!({"name": format!("Poster {}", random_suffix()), "kind": "poster"}),
            )
            .await;
        let batch = self
            .create(
                "/api/v1/batches",
                json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "run 1",
                       "mode": mode, "quantity": quantity, "cost_cents": 1500}),
            )
            .await;
        (campaign, channel, batch)
    }

    /// The batch's codes CSV as (serial, token, url) rows.
    pub async fn codes(&self, batch_id: &Value) -> Vec<(i64, String, String)> {
        let response = self
            .get(&format!("/api/v1/batches/{batch_id}/codes.csv"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("serial,token,url"));
        lines
            .map(|line| {
                let cols: Vec<&str> = line.split(',').collect();
                (
                    cols[0].parse().unwrap(),
                    cols[1].to_owned(),
                    cols[2].to_owned(),
                )
            })
            .collect()
    }

    /// Polls the batch until its status is `status` (60 s at most) and returns it.
    pub async fn wait_for_batch(&self, id: &Value, status: &str) -> Value {
        for _ in 0..600 {
            let batch: Value = self
                .get(&format!("/api/v1/batches/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if batch["status"] == status {
                return batch;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("batch {id} did not become {status}");
    }

    pub async fn scan(&self, token: &str, agent: &str) -> Response {
        self.client
            .get(self.url(&format!("/s/{token}")))
            .header("user-agent", agent)
            .send()
            .await
            .unwrap()
    }

    /// A phone's scan of `token`, with the visitor's cookie when given.
    pub async fn scan_as(&self, token: &str, cookie: Option<&str>) -> Response {
        let mut request = self
            .client
            .get(self.url(&format!("/s/{token}")))
            .header("user-agent", PHONE);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn report(&self, campaign_id: &Value) -> Value {
        let response = self
            .get(&format!(
                "/api/v1/reports/channels?campaign_id={campaign_id}"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Each of `reports` (a report's path under `/api/v1/reports/`, with its own query if
    /// any) with `query` added, each answered 200.
    pub async fn reports(&self, reports: &[&str], query: &str) -> Vec<Value> {
        let mut answers = Vec::new();
        for report in reports {
            let separator = if report.contains('?') { '&' } else { '?' };
            let response = self
                .get(&format!("/api/v1/reports/{report}{separator}{query}"))
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{report}: {body}");
            answers.push(body);
        }
        answers
    }

    /// A user with `role` (and a retailer's `stores`) and the password [`PASSWORD`];
    /// answers their id.
    pub async fn user(&self, email: &str, role: &str, stores: &[i64]) -> i64 {
        let created = self
            .create(
                "/api/v1/users",
                json!({"email": email, "password": PASSWORD, "role": role, "store_ids": stores}),
            )
            .await;
        created["user"]["id"].as_i64().unwrap()
    }

    /// The sign-in form's token and cookie, as a browser gets them with the form.
    pub async fn login_form(&self) -> (String, String) {
        let form = self.client.get(self.url("/login")).send().await.unwrap();
        let cookie = form.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let html = form.text().await.unwrap();
        let token = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the form's token")
            .to_owned();
        (token, cookie)
    }

    /// Signs in through the form; answers the sign-in's answer (a redirect on success).
    pub async fn sign_in_answer(&self, email: &str, password: &str, next: &str) -> Response {
        let (token, cookie) = self.login_form().await;
        self.client
            .post(self.url("/login"))
            .header("cookie", cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("next", next),
                ("csrf", &token),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs in; answers the session cookie (`sl_session=...`) pages take.
    pub async fn sign_in(&self, email: &str, next: &str) -> String {
        let answer = self.sign_in_answer(email, PASSWORD, next).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(answer.headers()["location"], next);
        let session = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|c| c.starts_with("sl_session="))
            .expect("a session cookie")
            .to_owned();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/;"] {
            assert!(session.contains(part), "{session}");
        }
        session.split(';').next().unwrap().to_owned()
    }

    /// A page with `cookie`: its status and text.
    pub async fn page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let answer = self
            .client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (answer.status(), answer.text().await.unwrap())
    }

    /// A direct connection to the app's database, to check what was stored.
    pub async fn db(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&self.database_url).await.unwrap()
    }
}

/// Epoch milliseconds as the API's RFC 3339 times.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Asserts an error answer: the status and the `{"error": {"code", "message"}}` shape.
pub async fn assert_error(response: Response, status: StatusCode, message_part: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error body");
    let message = body["error"]["message"].as_str().expect("error.message");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(
        message.contains(message_part),
        "{message:?} should mention {message_part:?}"
    );
}

/// The value of the sample `name{labels}` (labels exactly as rendered), or 0.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

pub async fn metrics(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The `sl_vid` cookie a redirect set, as a `Cookie` header value.
pub fn visitor_cookie(response: &Response) -> String {
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A redirect's `Location`.
pub fn location(answer: &Response) -> String {
    answer.headers()["location"].to_str().unwrap().to_owned()
}
