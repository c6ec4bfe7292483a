//! The live scan feed: every scan once and in order, resumed after `Last-Event-ID`, within
//! a retailer's stores, across two instances, and on the signed-in page.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PASSWORD, PHONE, TestApp, assert_error};
use crate::report_filters::shop;
use crate::webdriver::{Browser, browser_present};

/// An open feed, read event by event.
struct Feed {
    response: reqwest::Response,
    buffer: String,
    /// A gzipped feed's inflater, and how much of the gzip header is still to skip.
    gzip: Option<(flate2::Decompress, usize)>,
}

/// One server-sent event.
#[derive(Debug)]
struct SseEvent {
    name: String,
    id: i64,
    data: Value,
}

impl Feed {
    async fn open(app: &TestApp, key: &str, last_event_id: Option<i64>) -> Self {
        Self::open_with(app, key, last_event_id, "identity").await
    }

    /// A feed asked for gzipped, as browsers ask; it must come gzipped.
    async fn open_gzip(app: &TestApp, key: &str) -> Self {
        let mut feed = Self::open_with(app, key, None, "gzip, deflate, br").await;
        assert_eq!(feed.response.headers()["content-encoding"], "gzip");
        // The 10-byte header, then raw deflate.
        feed.gzip = Some((flate2::Decompress::new(false), 10));
        feed
    }

    async fn open_with(
        app: &TestApp,
        key: &str,
        last_event_id: Option<i64>,
        accept_encoding: &str,
    ) -> Self {
        let mut request = app
            .client
            .get(app.url("/api/v1/scans/live"))
            .header("accept-encoding", accept_encoding)
            .bearer_auth(key);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
            gzip: None,
        }
    }

    /// The next event (comments skipped), within `limit`.
    async fn next(&mut self, limit: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut id, mut data) = (String::new(), 0, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().unwrap();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if name.is_empty() {
                    continue;
                }
                let data = serde_json::from_str(&data).unwrap();
                return Some(SseEvent { name, id, data });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            let text = match &mut self.gzip {
                None => chunk.to_vec(),
                Some((inflate, header)) => {
                    let skip = (*header).min(chunk.len());
                    *header -= skip;
                    let mut out = Vec::with_capacity(chunk.len() * 20 + 1024);
                    let mut input = &chunk[skip..];
                    while !input.is_empty() {
                        let before = inflate.total_in();
                        out.reserve(input.len() * 20 + 1024);
                        inflate
                            .decompress_vec(input, &mut out, flate2::FlushDecompress::Sync)
                            .unwrap();
                        input = &input[(inflate.total_in() - before) as usize..];
                    }
                    out
                }
            };
            self.buffer.push_str(std::str::from_utf8(&text).unwrap());
        }
    }

    /// The scans of the events that come within `limit`, until `count` have come.
    async fn scans(&mut self, count: usize, limit: Duration) -> Vec<Value> {
        let mut scans = Vec::new();
        while scans.len() < count {
            let Some(event) = self.next(limit).await else {
                break;
            };
            assert_eq!(event.name, "scans", "{event:?}");
            let batch = event.data.as_array().unwrap();
            // The id is the last scan the event covers: its own last scan, or a later one
            // of another store that a retailer's feed passed over.
            assert!(
                event.id >= batch.last().unwrap()["id"].as_i64().unwrap(),
                "an event's id is where to resume after it: {event:?}"
            );
            scans.extend(batch.iter().cloned());
        }
        scans
    }
}

fn ids(scans: &[Value]) -> Vec<i64> {
    scans.iter().map(|s| s["id"].as_i64().unwrap()).collect()
}

async fn scan(app: &TestApp, token: &str) {
    assert_eq!(app.scan(token, PHONE).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn the_feed_sends_every_scan_once_in_order_and_resumes_after_the_last_event() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app.seed(json!({"name": "Live"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    // Scans before the feed opens are not sent to a feed that starts at now.
    scan(&app, &token).await;
    let mut feed = Feed::open(&app, API_KEY, None).await;
    for _ in 0..3 {
        scan(&app, &token).await;
    }
    let first = feed.scans(3, Duration::from_secs(2)).await;
    assert_eq!(first.len(), 3, "three scans within 2 s: {first:?}");
    let seen = ids(&first);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    let one = &first[0];
    assert_eq!(one["campaign_id"], campaign["id"]);
    assert_eq!(one["batch_id"], batch["id"]);
    assert_eq!(one["device"], "mobile");
    assert_eq!(one["outcome"], "landing");
    for private in ["visitor_id", "ip_prefix", "latitude", "longitude"] {
        assert!(one.get(private).is_none(), "{private} in {one}");
    }
    assert!(
        feed.next(Duration::from_millis(600)).await.is_none(),
        "nothing twice"
    );
    drop(feed);

    // Two more while away: a reconnect after the last event gets exactly those, then
    // what comes next.
    scan(&app, &token).await;
    scan(&app, &token).await;
    let last = *seen.last().unwrap();
    let mut again = Feed::open(&app, API_KEY, Some(last)).await;
    let missed = again.scans(2, Duration::from_secs(2)).await;
    assert_eq!(ids(&missed), [last + 1, last + 2]);
    scan(&app, &token).await;
    let next = again.scans(1, Duration::from_secs(2)).await;
    assert_eq!(ids(&next), [last + 3]);

    // What cannot be resumed from.
    let answer = app
        .client
        .get(app.url("/api/v1/scans/live"))
        .bearer_auth(API_KEY)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_error(answer, StatusCode::BAD_REQUEST, "Last-Event-ID").await;
    let answer = app
        .send_as(
            Some(API_KEY),
            Method::GET,
            "/api/v1/scans/live?after=-1",
            None,
        )
        .await;
    assert_error(answer, StatusCode::BAD_REQUEST, "after").await;
}

#[tokio::test]
async fn a_retailer_s_feed_carries_only_their_stores_scans() {
    let s = shop().await;
    let key = s.retailer().await;
    let [mine, theirs, poster, _] = s.batches;
    let token = async |batch: i64| s.app.codes(&json!(batch)).await[0].1.clone();
    let (mine, theirs, poster) = (token(mine).await, token(theirs).await, token(poster).await);
    let mut feed = Feed::open(&s.app, &key, None).await;
    // The brand's feed gzipped, as a browser asks for it: the same events.
    let mut brand = Feed::open_gzip(&s.app, API_KEY).await;
    for token in [&theirs, &mine, &poster, &mine] {
        scan(&s.app, token).await;
    }
    let all = brand.scans(4, Duration::from_secs(2)).await;
    assert_eq!(all.len(), 4);
    let theirs_only = feed.scans(2, Duration::from_secs(2)).await;
    assert_eq!(theirs_only.len(), 2, "{theirs_only:?}");
    assert!(
        theirs_only
            .iter()
            .all(|scan| scan["store_id"] == json!(s.mine))
    );
    assert!(feed.next(Duration::from_millis(600)).await.is_none());
    // Resuming from the start replays their scans alone too: the two made before (in
    // the shop's setup) and these two.
    let mut replay = Feed::open(&s.app, &key, Some(0)).await;
    let replayed = replay.scans(4, Duration::from_secs(2)).await;
    assert_eq!(replayed.len(), 4, "{replayed:?}");
    assert!(
        replayed
            .iter()
            .all(|scan| scan["store_id"] == json!(s.mine))
    );
    assert_eq!(ids(&replayed)[2..], ids(&theirs_only));
}

#[tokio::test]
async fn a_feed_on_one_instance_carries_the_scans_of_another() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (_, _, batch) = first.seed(json!({"name": "Twice"}), "shared", 1).await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    let mut feed = Feed::open(&second, API_KEY, None).await;
    let scans = (0..20).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.scan(&token, PHONE)
    });
    for response in futures_util::future::join_all(scans).await {
        assert_eq!(response.status(), StatusCode::FOUND);
    }
    let got = feed.scans(20, Duration::from_secs(3)).await;
    let mut seen = ids(&got);
    assert_eq!(seen.len(), 20, "{seen:?}");
    let sorted = {
        seen.sort();
        seen.dedup();
        seen
    };
    assert_eq!(sorted.len(), 20, "no scan twice");
}

#[tokio::test]
async fn the_live_page_shows_a_scan_within_two_seconds() {
    if !browser_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let (_, _, batch) = app.seed(json!({"name": "Live"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let email = "ana@brand.example";
    app.user(email, "analyst", &[]).await;
    for (width, name) in [(390, "phone"), (1280, "laptop")] {
        let browser = Browser::phone(width, PHONE, "en-US").await;
        browser.open(&app.url("/live")).await;
        browser.wait_for_url(&app.url("/login?next=%2Flive")).await;
        browser.type_into("input[name=email]", email).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.tap("button[type=submit]").await;
        browser.wait_for_url(&app.url("/live")).await;
        let live = "return document.getElementById('status').textContent";
        let mut connected = false;
        for _ in 0..20 {
            if browser
                .run(live, json!([]))
                .await
                .as_str()
                .unwrap()
                .starts_with("Live")
            {
                connected = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(connected, "the page connects to its feed");
        scan(&app, &token).await;
        let rows = "return document.querySelectorAll('#scans tr:not(.empty)').length";
        let mut shown = 0;
        for _ in 0..20 {
            shown = browser.run(rows, json!([])).await.as_i64().unwrap();
            if shown > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(shown, 1, "the scan shows within 2 s at {width}");
        let text = browser
            .run("return document.body.innerText", json!([]))
            .await;
        assert!(text.as_str().unwrap().contains("Live"), "{text}");
        browser.screenshot(&format!("live-{name}.png")).await;
        browser.close().await;
    }
}
