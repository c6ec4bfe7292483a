//! Limited offers: the first N scanners (people, or unique codes) go to the offer, the
//! rest to its fallback; winners keep their place; bots take none; exact with two
//! instances and many scanners at once; bad offers are refused with what to fix.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PHONE, TestApp, assert_error, location, visitor_cookie};

const SHOP: &str = "https://shop.example/tea";
const OFFER: &str = "https://shop.example/free-bottle";
const SORRY: &str = "https://shop.example/next-time";
const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn offer(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/offers/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_visitors_get_the_offer_and_keep_it_and_the_rest_get_the_fallback() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let path = format!("/api/v1/campaigns/{}/offers", campaign["id"]);
    let created = app
        .create(
            &path,
            json!({"limit": 3, "url": OFFER, "fallback_url": SORRY}),
        )
        .await;
    assert_eq!(created["counts"], "visitors");
    assert_eq!(created["remaining"], 3);
    assert_eq!(created["status"], "standing");

    // Six new people, one after another: three offers, three fallbacks.
    let mut cookies = Vec::new();
    for person in 0..6 {
        let scan = app.scan_as(&token, None).await;
        assert_eq!(scan.status(), StatusCode::FOUND);
        let expected = if person < 3 { OFFER } else { SORRY };
        assert_eq!(location(&scan), expected, "person {person}");
        cookies.push(visitor_cookie(&scan));
    }
    // A winner scanning again keeps their place; a latecomer stays late; a bot takes no
    // place and goes where the campaign sends everyone.
    assert_eq!(
        location(&app.scan_as(&token, Some(&cookies[1])).await),
        OFFER
    );
    assert_eq!(
        location(&app.scan_as(&token, Some(&cookies[4])).await),
        SORRY
    );
    assert!(location(&app.scan(&token, BOT).await).starts_with(SHOP));

    let now = offer(&app, &created["id"]).await;
    assert_eq!(
        (now["claimed"].as_i64(), now["remaining"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(now["status"], "used_up");
    let outcomes: Vec<(String,)> = sqlx::query_as("SELECT outcome FROM scans ORDER BY id")
        .fetch_all(&app.db().await)
        .await
        .unwrap();
    let outcomes: Vec<&str> = outcomes.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "offer",
            "offer",
            "offer",
            "offer_over",
            "offer_over",
            "offer_over",
            "offer",
            "offer_over",
            "destination"
        ]
    );

    // The console's campaign page shows the places taken and left.
    app.user("ada@brand.example", "analyst", &[]).await;
    let cookie = app.sign_in("ada@brand.example", "/console").await;
    let (status, page) = app
        .page(&format!("/console/campaigns/{}", campaign["id"]), &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Limited offers"), "{page}");
    assert!(
        page.contains(r#"<td class="n">3 / 3</td><td class="n">0</td>"#),
        "{page}"
    );

    // Ended: scans go to the campaign again; the offer is kept; ending twice is refused.
    let ended = app
        .send_as(
            Some(API_KEY),
            Method::DELETE,
            &format!("/api/v1/offers/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(ended.status(), StatusCode::OK);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(ended["status"], "ended");
    assert!(location(&app.scan_as(&token, Some(&cookies[0])).await).starts_with(SHOP));
    let again = app
        .send_as(
            Some(API_KEY),
            Method::DELETE,
            &format!("/api/v1/offers/{}", created["id"]),
            None,
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "already ended").await;
    let listed: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_offer_counting_codes_gives_each_printed_item_one_place() {
    let app = TestApp::spawn().await;
    let (campaign, _, batch) = app
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "unique", 4)
        .await;
    let codes = app.codes(&batch["id"]).await;
    let path = format!("/api/v1/campaigns/{}/offers", campaign["id"]);
    let created = app
        .create(
            &path,
            json!({"limit": 2, "counts": "codes", "url": OFFER, "batch_id": batch["id"]}),
        )
        .await;
    assert_eq!(created["batch_id"], batch["id"]);
    // Item 1 twice (by two people), item 2, then item 3: two places, and without a
    // fallback of its own the rest go where the campaign sends them.
    assert_eq!(location(&app.scan(&codes[0].1, PHONE).await), OFFER);
    assert_eq!(location(&app.scan(&codes[0].1, PHONE).await), OFFER);
    assert_eq!(location(&app.scan(&codes[1].1, PHONE).await), OFFER);
    assert!(location(&app.scan(&codes[2].1, PHONE).await).starts_with(SHOP));
    let now = offer(&app, &created["id"]).await;
    assert_eq!(now["claimed"], 2);
}

#[tokio::test]
async fn two_instances_and_many_scanners_at_once_never_give_one_place_too_many() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first.database_url).await;
    let (campaign, _, batch) = first
        .seed(
            json!({"name": "Rush", "destination_url": SHOP}),
            "shared",
            1,
        )
        .await;
    let token = first.codes(&batch["id"]).await[0].1.clone();
    let created = first
        .create(
            &format!("/api/v1/campaigns/{}/offers", campaign["id"]),
            json!({"limit": 25, "url": OFFER, "fallback_url": SORRY}),
        )
        .await;
    // Neither instance had the code in memory before the offer: both read it with it.
    let scans = (0..120).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.scan_as(&token, None)
    });
    let answers = join_all(scans).await;
    let mut won = 0;
    for answer in &answers {
        assert_eq!(answer.status(), StatusCode::FOUND);
        match location(answer).as_str() {
            OFFER => won += 1,
            SORRY => {}
            other => panic!("went to {other}"),
        }
    }
    assert_eq!(won, 25);
    let now = offer(&first, &created["id"]).await;
    assert_eq!(
        (now["claimed"].as_i64(), now["remaining"].as_i64()),
        (Some(25), Some(0))
    );
    let (claims,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM offer_claims")
        .fetch_one(&first.db().await)
        .await
        .unwrap();
    assert_eq!(claims, 25);
}

#[tokio::test]
async fn bad_offers_are_refused_with_what_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, shared) = app
        .seed(json!({"name": "Tea", "destination_url": SHOP}), "shared", 1)
        .await;
    let path = format!("/api/v1/campaigns/{}/offers", campaign["id"]);
    let refusals = [
        (json!({"limit": 0, "url": OFFER}), "limit: must be from 1"),
        (
            json!({"limit": 5, "url": OFFER, "counts": "people"}),
            "counts",
        ),
        (json!({"limit": 5, "url": "ftp://shop.example/"}), "url"),
        (
            json!({"limit": 5, "url": OFFER, "fallback_url": "later"}),
            "fallback_url",
        ),
        (
            json!({"limit": 5, "url": OFFER, "batch_id": 999}),
            "not one of this campaign's",
        ),
        (
            json!({"limit": 5, "url": OFFER, "counts": "codes", "batch_id": shared["id"]}),
            "count visitors",
        ),
    ];
    for (body, message) in refusals {
        let refused = app.post(&path, body).await;
        assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let listed: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(listed, json!([]), "nothing was stored");

    app.create(&path, json!({"limit": 5, "url": OFFER})).await;
    let second = app.post(&path, json!({"limit": 9, "url": OFFER})).await;
    assert_error(
        second,
        StatusCode::CONFLICT,
        "already stands for the whole campaign",
    )
    .await;

    let unknown = app
        .post(
            "/api/v1/campaigns/999/offers",
            json!({"limit": 5, "url": OFFER}),
        )
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "campaign").await;
    let quiet = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Wine", "tracking": "none"}),
        )
        .await;
    let refused = app
        .post(
            &format!("/api/v1/campaigns/{}/offers", quiet["id"]),
            json!({"limit": 5, "url": OFFER}),
        )
        .await;
    assert_error(refused, StatusCode::CONFLICT, "does not track").await;
    let missing = app.get("/api/v1/offers/999").await;
    assert_error(missing, StatusCode::NOT_FOUND, "offer").await;
}
