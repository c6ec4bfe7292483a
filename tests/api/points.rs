//! Points: a unique code's first-scan points go to the first member who claims it, within
//! the campaign's 24-hour cap; tiers follow the points earned; the brand spends points
//! but never more than the balance; two members claiming one code at once on two
//! instances get one winner.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, location};
use crate::members::Browser;

/// Joins on `browser` with `contact` from `page` (a code's page or none), using the code
/// the development mode shows; returns where the phone was sent after.
pub async fn join(app: &TestApp, browser: &mut Browser, page: &str, contact: &str) -> String {
    let query = page
        .split_once('?')
        .map_or(String::new(), |(_, q)| format!("?{q}"));
    let sent = browser
        .post(
            app,
            &format!("/c/tea/join{query}"),
            &[("contact", contact), ("consent", "yes")],
        )
        .await;
    let text = sent.text().await.unwrap();
    let code = text.split("your code is ").nth(1).expect(&text)[..6].to_owned();
    let joined = browser
        .post(
            app,
            &format!("/c/tea/join/code{query}"),
            &[("contact", contact), ("code", &code)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    location(&joined)
}

/// The claim form's token on a code's page.
fn claim_token(page: &str) -> String {
    page.split(r#"name="token" value=""#)
        .nth(1)
        .unwrap_or_else(|| panic!("no claim form: {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn claim(app: &TestApp, browser: &mut Browser, token: &str) -> Response {
    let page = browser
        .get(app, &format!("/c/tea?code={token}"))
        .await
        .text()
        .await
        .unwrap();
    let form_token = claim_token(&page);
    browser
        .post(
            app,
            &format!("/c/tea/claim?code={token}"),
            &[("token", &form_token)],
        )
        .await
}

async fn seed(app: &TestApp, quantity: i64) -> (Value, Vec<String>) {
    let (campaign, _, batch) = app
        .seed(json!({"name": "Tea", "slug": "tea"}), "unique", quantity)
        .await;
    app.wait_for_batch(&batch["id"], "ready").await;
    let tokens = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    (campaign, tokens)
}

#[tokio::test]
async fn a_codes_points_go_to_the_first_member_and_caps_tiers_and_balances_hold() {
    let app = TestApp::spawn_with(|c| c.show_one_time_codes = true).await;
    let (campaign, tokens) = seed(&app, 3).await;
    let rules = format!("/api/v1/campaigns/{}/points-rules", campaign["id"]);
    let unset: Value = app.get(&rules).await.json().await.unwrap();
    assert_eq!(
        (&unset["first_scan"], &unset["per_yuan"], &unset["tiers"]),
        (&json!(0), &json!(0), &json!([])),
        "nothing earns points until the rules are set: {unset}"
    );
    for (body, field, expected) in [
        (
            json!({"first_scan": -5}),
            "first_scan",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"first_scan": 5, "tiers": [{"name": "Gold", "min_points": 50}, {"name": "Silver", "min_points": 10}]}),
            "tiers[1].min_points",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"first_scan": 5, "bonus": 1}),
            "unknown field `bonus`",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let answer = app
            .send_as(
                Some(crate::helpers::API_KEY),
                reqwest::Method::PUT,
                &rules,
                Some(body),
            )
            .await;
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, expected, "{text}");
        assert!(text.contains(field), "{field}: {text}");
    }
    let set = app
        .send_as(
            Some(crate::helpers::API_KEY),
            reqwest::Method::PUT,
            &rules,
            Some(json!({"first_scan": 10, "daily_cap": 15, "network_daily_claims": 10,
                        "tiers": [{"name": "Silver", "min_points": 10}, {"name": "Gold", "min_points": 100}]})),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);

    // Not a member yet: the code's page offers its points and the join page; joining
    // from it comes back to it, where the points are claimed.
    let mut ana = Browser::opening(&app, "tea").await;
    let page = ana
        .get(&app, &format!("/c/tea?code={}", tokens[0]))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("worth 10 points"), "{page}");
    assert!(
        page.contains(&format!("/c/tea/join?code={}", tokens[0])),
        "{page}"
    );
    let back = join(
        &app,
        &mut ana,
        &format!("/c/tea?code={}", tokens[0]),
        "13800000001",
    )
    .await;
    assert_eq!(back, format!("/c/tea?code={}", tokens[0]));
    let won = claim(&app, &mut ana, &tokens[0]).await;
    assert_eq!(location(&won), "/me?claimed=10");
    let me = ana.get(&app, "/me?claimed=10").await.text().await.unwrap();
    assert!(me.contains("You earned 10 points"), "{me}");
    assert!(me.contains(r#"id="balance">10<"#));
    assert!(
        me.contains("Tier: Silver") && me.contains("90 more points to Gold"),
        "{me}"
    );
    assert!(me.contains("+10"));

    // Another member finds the code claimed.
    let mut bo = Browser::opening(&app, "tea").await;
    join(&app, &mut bo, "/c/tea", "13800000002").await;
    let page = bo
        .get(&app, &format!("/c/tea?code={}", tokens[0]))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("points were claimed on"), "{page}");
    let form_token = claim_token(
        &bo.get(&app, &format!("/c/tea?code={}", tokens[1]))
            .await
            .text()
            .await
            .unwrap(),
    );
    let taken = bo
        .post(
            &app,
            &format!("/c/tea/claim?code={}", tokens[0]),
            &[("token", &form_token)],
        )
        .await;
    assert_eq!(
        location(&taken),
        format!("/c/tea?code={}&claim=taken", tokens[0])
    );
    let forged = bo
        .post(
            &app,
            &format!("/c/tea/claim?code={}", tokens[1]),
            &[("token", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // The 24-hour cap of 15: 5 of the next code's 10, then nothing, and the third code
    // stays unclaimed for later.
    assert_eq!(
        location(&claim(&app, &mut ana, &tokens[1]).await),
        "/me?claimed=5"
    );
    let capped = claim(&app, &mut ana, &tokens[2]).await;
    assert_eq!(
        location(&capped),
        format!("/c/tea?code={}&claim=capped", tokens[2])
    );
    let page = ana
        .get(&app, &location(&capped))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("reached today"), "{page}");
    let db = app.db().await;
    let (claims,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM code_claims")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(claims, 2);

    // The ledger, and spends: never more than the balance.
    let members: Value = app.get("/api/v1/members").await.json().await.unwrap();
    let ana_id = members["items"][0]["id"].clone();
    let ledger: Value = app
        .get(&format!("/api/v1/members/{ana_id}/points"))
        .await
        .json()
        .await
        .unwrap();
    let points: Vec<i64> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .collect();
    assert_eq!(points, [10, 5]);
    assert_eq!(ledger["items"][1]["reason"], "first_scan");
    let spend = format!("/api/v1/members/{ana_id}/points");
    let too_much = app
        .post(&spend, json!({"points": -20, "note": "tea set"}))
        .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_much.text().await.unwrap().contains("has 15 points"));
    assert_eq!(
        app.post(&spend, json!({"points": 0})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let spent: Value = app
        .create(&spend, json!({"points": -15, "note": "tea set"}))
        .await;
    assert_eq!(
        (spent["balance_after"].as_i64(), spent["reason"].as_str()),
        (Some(0), Some("spend"))
    );
    let member: Value = app
        .get(&format!("/api/v1/members/{ana_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            member["points_balance"].as_i64(),
            member["points_earned"].as_i64()
        ),
        (Some(0), Some(15))
    );
    let data: Value = ana.get(&app, "/me/data").await.json().await.unwrap();
    assert_eq!(data["points_history"].as_array().unwrap().len(), 3);

    // Deleting the membership forfeits the balance, in the ledger too.
    app.post(&spend, json!({"points": 7})).await;
    let page = ana.get(&app, "/me").await.text().await.unwrap();
    let form_token = page
        .split(r#"name="token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let deleted = ana
        .post(
            &app,
            "/me/delete",
            &[("token", &form_token), ("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    let member: Value = app
        .get(&format!("/api/v1/members/{ana_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(member["points_balance"], 0);
    let last = entries(&app, &ana_id).await.pop().unwrap();
    assert_eq!(last, ("deleted".to_owned(), -7));
}

#[tokio::test]
async fn two_members_claiming_one_code_at_once_on_two_instances_get_one_winner() {
    let first = TestApp::spawn_with(|c| c.show_one_time_codes = true).await;
    let second =
        TestApp::spawn_on_with(&first.database_url, |c| c.show_one_time_codes = true).await;
    let (campaign, tokens) = seed(&first, 4).await;
    first
        .send_as(
            Some(crate::helpers::API_KEY),
            reqwest::Method::PUT,
            &format!("/api/v1/campaigns/{}/points-rules", campaign["id"]),
            Some(json!({"first_scan": 10})),
        )
        .await;
    let mut ana = Browser::opening(&first, "tea").await;
    join(&first, &mut ana, "/c/tea", "13800000011").await;
    let mut bo = Browser::opening(&second, "tea").await;
    join(&second, &mut bo, "/c/tea", "13800000012").await;
    for token in &tokens {
        let code_page = format!("/c/tea?code={token}");
        let ana_token = claim_token(&ana.get(&first, &code_page).await.text().await.unwrap());
        let bo_token = claim_token(&bo.get(&second, &code_page).await.text().await.unwrap());
        let path = format!("/c/tea/claim?code={token}");
        let ana_form = [("token", ana_token.as_str())];
        let bo_form = [("token", bo_token.as_str())];
        let (a, b) = tokio::join!(
            ana.post(&first, &path, &ana_form),
            bo.post(&second, &path, &bo_form),
        );
        let winners = [location(&a), location(&b)]
            .iter()
            .filter(|to| to.starts_with("/me?claimed=10"))
            .count();
        assert_eq!(winners, 1, "{} / {}", location(&a), location(&b));
    }
    let db = first.db().await;
    let (claims, entries, points): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM code_claims), (SELECT COUNT(*) FROM points_ledger), \
         (SELECT CAST(SUM(points_balance) AS BIGINT) FROM members)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((claims, entries, points), (4, 4, 40));
}

/// A purchase by the browser's visitor, as a shop reports it.
async fn buy(app: &TestApp, browser: &Browser, order: &str, amount_cents: i64) -> Value {
    app.create(
        "/api/v1/conversions",
        json!({"order_id": order, "amount_cents": amount_cents, "currency": "CNY",
               "source": "tmall", "visitor_id": browser.visitor()}),
    )
    .await
}

async fn entries(app: &TestApp, member: &Value) -> Vec<(String, i64)> {
    let ledger: Value = app
        .get(&format!("/api/v1/members/{member}/points"))
        .await
        .json()
        .await
        .unwrap();
    ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["reason"].as_str().unwrap().to_owned(),
                e["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn purchases_photos_and_friends_brought_by_a_share_link_earn_points() {
    let app = TestApp::spawn_with(|c| c.show_one_time_codes = true).await;
    let (campaign, _, batch) = app
        .seed(json!({"name": "Tea", "slug": "tea"}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    app.send_as(
        Some(crate::helpers::API_KEY),
        reqwest::Method::PUT,
        &format!("/api/v1/campaigns/{}/points-rules", campaign["id"]),
        Some(
            json!({"per_yuan": 1, "photo_approved": 5, "referral_join": 20,
                    "referral_purchase": 30}),
        ),
    )
    .await;

    // Ana scans, joins and buys for 129.99 yuan: 129 points.
    let mut ana = Browser::opening(&app, "tea").await;
    ana.get(&app, &format!("/s/{token}")).await;
    join(&app, &mut ana, "/c/tea", "13800000021").await;
    let members: Value = app.get("/api/v1/members").await.json().await.unwrap();
    let ana_id = members["items"][0]["id"].clone();
    let bought = buy(&app, &ana, "T-1", 12_999).await;
    assert_eq!(bought["attributed"], true, "{bought}");
    assert_eq!(entries(&app, &ana_id).await, [("purchase".into(), 129)]);

    // Her photo earns 5 once approved, once however often it is approved.
    let upload = app
        .client
        .post(app.url(&format!("/c/tea/photos?code={token}")))
        .header("user-agent", crate::helpers::PHONE)
        .header("cookie", ana.header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={}", crate::photos::BOUNDARY),
        )
        .body(crate::photos::form(
            Some(("IMG_1.JPG", &crate::landing::phone_photo())),
            "",
        ))
        .send()
        .await
        .unwrap();
    assert!(upload.status().is_success() || upload.status().is_redirection());
    let photos: Value = app
        .get("/api/v1/photos?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let photo = photos["items"][0]["id"].clone();
    for review in ["approve", "reject", "approve"] {
        let answer = app
            .post(&format!("/api/v1/photos/{photo}/{review}"), json!({}))
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert_eq!(
        entries(&app, &ana_id).await.last().unwrap(),
        &("photo".into(), 5)
    );
    assert_eq!(entries(&app, &ana_id).await.len(), 2);

    // Her share link brings Bo, who joins (20 to Ana) and buys twice (30 once).
    let me = ana.get(&app, "/me").await.text().await.unwrap();
    let link = me
        .split(r#"id="share-link" href=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(me.contains(r#"class="share-qr""#), "the link as a QR code");
    let path = link.strip_prefix(&app.url("")).unwrap().to_owned();
    assert_eq!(
        ana.get(&app, &path).await.status(),
        StatusCode::FOUND,
        "the member's own browser is not a referral"
    );
    let mut bo = Browser { cookies: vec![] };
    let followed = bo.get(&app, &path).await;
    assert_eq!(location(&followed), "/c/tea");
    assert_eq!(
        bo.get(&app, "/r/NOSUCHCODE").await.status(),
        StatusCode::NOT_FOUND
    );
    bo.get(&app, &format!("/s/{token}")).await;
    join(&app, &mut bo, "/c/tea", "13800000022").await;
    buy(&app, &bo, "T-2", 5_000).await;
    buy(&app, &bo, "T-3", 5_000).await;
    let ana_points = entries(&app, &ana_id).await;
    assert_eq!(
        ana_points[2..],
        [
            ("referral_join".into(), 20),
            ("referral_purchase".into(), 30)
        ]
    );
    let members: Value = app.get("/api/v1/members").await.json().await.unwrap();
    let bo_view = &members["items"][1];
    assert_eq!(bo_view["referred_by"], ana_id);
    assert_eq!(bo_view["points_balance"], 100);
    let report: Value = app
        .get(&format!(
            "/api/v1/reports/referrals?campaign_id={}",
            campaign["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &report["sharers"],
            &report["visits"],
            &report["joins"],
            &report["buyers"],
            &report["members"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1), &json!(2)),
        "{report}"
    );
    assert_eq!(report["new_members_per_member"], 1.0);
}
