//! Reports narrowed to a channel, batch, store or country, and a retailer's reports and
//! purchases kept within their stores.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::geo::spawn_with_cities;
use crate::helpers::{API_KEY, PHONE, TempDir, TestApp, assert_error};

const LONDON: &str = "81.2.69.142";
const CHANGCHUN: &str = "175.16.199.20";
const PASSWORD: &str = "violet tractor mango harbour";

/// A campaign scanned in two stores, on a poster and on the metro, in London and
/// Changchun, with a till purchase in each store.
pub struct Shop {
    pub app: TestApp,
    _cities: TempDir,
    pub campaign: i64,
    shelf_channel: i64,
    metro_channel: i64,
    pub mine: i64,
    pub theirs: i64,
    /// Batches: my store's shelf, their store's shelf, the poster, the metro.
    pub batches: [i64; 4],
    /// The till purchase at their store.
    their_purchase: i64,
}

pub async fn shop() -> Shop {
    let (app, cities) = spawn_with_cities().await;
    let mine = app
        .create("/api/v1/stores", json!({"name": "Mine", "code": "M-1"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let theirs = app
        .create("/api/v1/stores", json!({"name": "Theirs", "code": "T-1"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let (campaign, channel, poster) = app.seed(json!({"name": "Tea"}), "shared", 1).await;
    let metro_channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Metro", "slug": "metro", "kind": "poster"}),
        )
        .await;
    let batch = async |channel: &Value, store: Option<i64>, name: &str| {
        let body = json!({"campaign_id": campaign["id"], "channel_id": channel["id"],
                          "store_id": store, "name": name, "mode": "shared"});
        app.create("/api/v1/batches", body).await["id"]
            .as_i64()
            .unwrap()
    };
    let batches = [
        batch(&channel, Some(mine), "my shelf").await,
        batch(&channel, Some(theirs), "their shelf").await,
        poster["id"].as_i64().unwrap(),
        batch(&metro_channel, None, "metro").await,
    ];
    // 2 scans at my shelf and 1 at the poster in London; 3 at their shelf and 1 on the
    // metro in Changchun; each by someone new.
    for (batch, ip, scans) in [
        (batches[0], LONDON, 2),
        (batches[1], CHANGCHUN, 3),
        (batches[2], LONDON, 1),
        (batches[3], CHANGCHUN, 1),
    ] {
        let token = app.codes(&json!(batch)).await[0].1.clone();
        for _ in 0..scans {
            let answer = app
                .client
                .get(app.url(&format!("/s/{token}")))
                .header("user-agent", PHONE)
                .header("x-forwarded-for", ip)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::FOUND);
        }
    }
    let till = |order: &str, store: &str, cents: i64| {
        json!({"order_id": order, "amount_cents": cents, "currency": "CNY",
               "source": "pos", "store_code": store})
    };
    let answer = app
        .post("/api/v1/conversions", till("M-ORDER", "M-1", 1_000))
        .await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let answer = app
        .post("/api/v1/conversions", till("T-ORDER", "T-1", 5_000))
        .await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let their_purchase = answer.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    Shop {
        campaign: campaign["id"].as_i64().unwrap(),
        shelf_channel: channel["id"].as_i64().unwrap(),
        metro_channel: metro_channel["id"].as_i64().unwrap(),
        app,
        _cities: cities,
        mine,
        theirs,
        batches,
        their_purchase,
    }
}

impl Shop {
    /// A report as `key` sees it: its status and body.
    async fn report(&self, key: &str, report: &str, filter: &str) -> (StatusCode, Value) {
        let path = format!(
            "/api/v1/reports/{report}?campaign_id={}{filter}",
            self.campaign
        );
        let answer = self.app.send_as(Some(key), Method::GET, &path, None).await;
        (answer.status(), answer.json().await.unwrap())
    }

    async fn ok(&self, key: &str, report: &str, filter: &str) -> Value {
        let (status, body) = self.report(key, report, filter).await;
        assert_eq!(status, StatusCode::OK, "{report}{filter}: {body}");
        body
    }

    /// A retailer of my store and their key.
    pub async fn retailer(&self) -> String {
        let user = self
            .app
            .create(
                "/api/v1/users",
                json!({"email": "rui@shop.example", "password": PASSWORD,
                       "role": "retailer", "store_ids": [self.mine]}),
            )
            .await;
        let key = self
            .app
            .create(
                "/api/v1/keys",
                json!({"name": "till", "user_id": user["user"]["id"]}),
            )
            .await;
        key["key"].as_str().unwrap().to_owned()
    }
}

fn ids(report: &Value, field: &str) -> Vec<i64> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_i64().unwrap())
        .collect()
}

fn sum(report: &Value, field: &str) -> i64 {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_i64().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn filters_narrow_every_report_to_a_channel_a_batch_a_store_or_a_country() {
    let s = shop().await;
    let [my_shelf, their_shelf, poster, metro] = s.batches;
    let whole = s.ok(API_KEY, "channels", "").await;
    assert_eq!(whole["total"]["scans"], 7);
    assert_eq!(whole["total"]["unique_visitors"], 7);
    assert_eq!(whole["total"]["conversions"], 2.0);

    // A store: its scans, the purchases its scans led to, and no visitor count (visitors
    // are counted per channel).
    let store = format!("&store_id={}", s.mine);
    let channels = s.ok(API_KEY, "channels", &store).await;
    assert_eq!(channels["total"]["scans"], 2);
    assert_eq!(channels["total"]["conversions"], 1.0);
    assert_eq!(channels["total"]["revenue_cents"], 1_000);
    assert!(channels["total"].get("unique_visitors").is_none());
    assert_eq!(ids(&channels, "channel_id"), [s.shelf_channel]);
    assert!(channels["rows"][0]["unique_visitors"].is_null());
    // The stores' scans and the rest add up to the campaign.
    let theirs = s
        .ok(API_KEY, "channels", &format!("&store_id={}", s.theirs))
        .await;
    assert_eq!(theirs["total"]["scans"], 3);
    assert_eq!(theirs["total"]["revenue_cents"], 5_000);
    for (report, field) in [("time", "scans"), ("devices", "scans")] {
        let narrowed = s.ok(API_KEY, report, &store).await;
        assert_eq!(sum(&narrowed, field), 2, "{report}: {narrowed}");
    }
    let batches = s.ok(API_KEY, "batches", &store).await;
    assert_eq!(ids(&batches, "id"), [my_shelf]);
    let stores = s.ok(API_KEY, "stores", &store).await;
    assert_eq!(ids(&stores, "id"), [s.mine]);
    assert_eq!(stores["rows"][0]["scans"], 2);
    let funnel = s.ok(API_KEY, "funnel", &store).await;
    let steps: Vec<&str> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "scans",
            "landing_views",
            "cta_clicks",
            "conversions",
            "repeat_purchasers"
        ]
    );
    assert_eq!(funnel["steps"][0]["count"], 2.0);

    // A batch, a channel.
    let metro_only = s
        .ok(API_KEY, "channels", &format!("&batch_id={metro}"))
        .await;
    assert_eq!(metro_only["total"]["scans"], 1);
    assert_eq!(ids(&metro_only, "channel_id"), [s.metro_channel]);
    let shelves = s
        .ok(
            API_KEY,
            "channels",
            &format!("&channel_id={}", s.shelf_channel),
        )
        .await;
    assert_eq!(shelves["total"]["scans"], 6);
    assert_eq!(shelves["total"]["unique_visitors"], 6, "{shelves}");
    let batches = s
        .ok(
            API_KEY,
            "batches",
            &format!("&channel_id={}", s.shelf_channel),
        )
        .await;
    assert_eq!(ids(&batches, "id"), [poster, my_shelf, their_shelf]);

    // A country, alone or with a store; its cities.
    let gb = s.ok(API_KEY, "channels", "&country=gb").await;
    assert_eq!(gb["total"]["scans"], 3);
    assert_eq!(gb["total"]["conversions"], 1.0);
    let cities = s.ok(API_KEY, "regions", "&country=CN&level=city").await;
    assert_eq!(sum(&cities, "scans"), 4);
    assert_eq!(cities["rows"][0]["city"], "Changchun");
    let none = s
        .ok(API_KEY, "channels", &format!("{store}&country=CN"))
        .await;
    assert_eq!(none["total"]["scans"], 0);
    assert_eq!(none["total"]["conversions"], 0.0);

    // What a filter cannot be, or cannot be answered with.
    for (report, filter, status, message) in [
        ("channels", "&country=China", 400, "country code"),
        ("channels", "&store_id=999999", 404, "store"),
        ("channels", "&channel_id=999999", 404, "channel"),
        ("channels", "&batch_id=999999", 404, "batch"),
        (
            "regions",
            &format!("{store}&level=city"),
            400,
            "level=country",
        ),
        ("cohorts", &store, 400, "whole campaign"),
    ] {
        let path = format!(
            "/api/v1/reports/{report}?campaign_id={}{filter}",
            s.campaign
        );
        let answer = s.app.get(&path).await;
        assert_error(answer, StatusCode::from_u16(status).unwrap(), message).await;
    }
    let (other, _, other_batch) = s.app.seed(json!({"name": "Other"}), "shared", 1).await;
    assert!(other["id"] != s.campaign);
    let path = format!(
        "/api/v1/reports/channels?campaign_id={}&batch_id={}",
        s.campaign, other_batch["id"]
    );
    assert_error(
        s.app.get(&path).await,
        StatusCode::BAD_REQUEST,
        "belongs to campaign",
    )
    .await;
}

#[tokio::test]
async fn a_retailer_s_reports_and_purchases_stay_within_their_stores() {
    let s = shop().await;
    let key = s.retailer().await;
    let [my_shelf, their_shelf, poster, _] = s.batches;

    // Every report is of their store, without asking.
    let channels = s.ok(&key, "channels", "").await;
    assert_eq!(channels["total"]["scans"], 2);
    assert_eq!(channels["total"]["revenue_cents"], 1_000);
    assert_eq!(channels["total"]["unattributed"], 0);
    assert_eq!(ids(&channels, "channel_id"), [s.shelf_channel]);
    let stores = s.ok(&key, "stores", "").await;
    assert_eq!(ids(&stores, "id"), [s.mine]);
    let batches = s.ok(&key, "batches", "").await;
    assert_eq!(ids(&batches, "id"), [my_shelf]);
    let time = s.ok(&key, "time", "").await;
    assert_eq!(sum(&time, "scans"), 2);
    let countries = s.ok(&key, "regions", "").await;
    assert_eq!(sum(&countries, "scans"), 2);
    assert_eq!(countries["rows"][0]["country"], "GB");
    // Another store, its batch and the brand's poster are not found; cohorts are the
    // brand's.
    for filter in [
        format!("&store_id={}", s.theirs),
        format!("&batch_id={their_shelf}"),
        format!("&batch_id={poster}"),
    ] {
        let (status, body) = s.report(&key, "channels", &filter).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{filter}: {body}");
    }
    let (status, _) = s.report(&key, "cohorts", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Their purchases: recorded at their store only, listed and read alone.
    let record = async |body: Value| {
        s.app
            .send_as(Some(&key), Method::POST, "/api/v1/conversions", Some(body))
            .await
    };
    let till = |order: &str, key: &str, value: &str| {
        json!({"order_id": order, "amount_cents": 700, "currency": "CNY",
               "source": "pos", key: value})
    };
    let answer = record(till("M-2", "store_code", "M-1")).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    for refused in [
        till("M-3", "store_code", "T-1"),
        till("M-3", "store_code", "NOPE"),
        till("M-3", "visitor_id", "someone"),
    ] {
        let answer = record(refused).await;
        assert_error(answer, StatusCode::UNPROCESSABLE_ENTITY, "their own stores").await;
    }
    let answer = record(till("T-ORDER", "store_code", "M-1")).await;
    assert_error(answer, StatusCode::CONFLICT, "another store").await;
    let listed: Value = s
        .app
        .send_as(Some(&key), Method::GET, "/api/v1/conversions", None)
        .await
        .json()
        .await
        .unwrap();
    let orders: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, ["M-ORDER", "M-2"]);
    let path = format!("/api/v1/conversions/{}", s.their_purchase);
    let answer = s.app.send_as(Some(&key), Method::GET, &path, None).await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);

    // A till's file: their store's rows taken, the rest refused row by row.
    let csv = "order_id,amount_cents,currency,source,store_code,token\n\
               M-4,100,CNY,pos,M-1,\n\
               M-5,100,CNY,pos,T-1,\n\
               M-6,100,CNY,pos,,ABCDEFGHJK\n";
    let answer = s
        .app
        .client
        .post(s.app.url("/api/v1/conversions/import"))
        .bearer_auth(&key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let result: Value = answer.json().await.unwrap();
    assert_eq!(
        (&result["accepted"], &result["rejected"]),
        (&json!(1), &json!(2)),
        "{result}"
    );
    assert!(
        result["rows"][1]["error"]
            .as_str()
            .unwrap()
            .contains("their own stores"),
        "{result}"
    );
}
