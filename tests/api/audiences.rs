//! Audiences: saved filters over a campaign's visitors, counted when read, downloaded as
//! CSV and handed to a webhook in parts; bad filters refused with the field to fix.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::stages::three_people;
use crate::webhooks::Receiver;

async fn csv(app: &TestApp, audience: &Value) -> Vec<String> {
    let answer = app
        .get(&format!("/api/v1/audiences/{}/members.csv", audience["id"]))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    answer
        .text()
        .await
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_audience_is_counted_downloaded_and_sent_to_the_brands_crm() {
    let app = TestApp::spawn_with(|c| {
        c.show_one_time_codes = true;
        c.webhook_allow_private = true;
    })
    .await;
    let (campaign, channel, [passer, joiner, buyer]) = three_people(&app).await;
    let id = &campaign["id"];
    let rules = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{id}/points-rules")))
        .bearer_auth(crate::helpers::API_KEY)
        .json(
            &json!({"first_scan": 10, "tiers": [{"name": "Green", "min_points": 0},
                                                   {"name": "Gold", "min_points": 500}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        rules.status(),
        StatusCode::OK,
        "{}",
        rules.text().await.unwrap()
    );

    let everyone = app
        .create(
            "/api/v1/audiences",
            json!({"name": "Everyone", "campaign_id": id}),
        )
        .await;
    assert_eq!(everyone["size"], 3);
    let buyers = app
        .create(
            "/api/v1/audiences",
            json!({"name": "Buyers this week", "campaign_id": id,
                   "stages": ["customer", "loyal"], "channel_ids": [channel["id"]],
                   "seen_within_days": 7}),
        )
        .await;
    assert_eq!(buyers["size"], 1);
    assert_eq!(buyers["stages"], json!(["customer", "loyal"]));
    let green = app
        .create(
            "/api/v1/audiences",
            json!({"name": "Green members", "campaign_id": id, "tiers": ["Green"]}),
        )
        .await;
    assert_eq!(green["size"], 1, "{green}");
    let gold = app
        .create(
            "/api/v1/audiences",
            json!({"name": "Gold", "campaign_id": id, "tiers": ["Gold"], "cities": ["Nowhere"]}),
        )
        .await;
    assert_eq!(gold["size"], 0);

    // Counted again when read: the passer comes back and buys.
    app.create(
        "/api/v1/conversions",
        json!({"order_id": "P-1", "amount_cents": 900, "currency": "CNY",
               "source": "tmall", "visitor_id": passer.visitor()}),
    )
    .await;
    let again: Value = app
        .get(&format!("/api/v1/audiences/{}", buyers["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["size"], 2);
    let listed: Value = app.get("/api/v1/audiences").await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);
    assert_eq!(
        listed["items"][0]["size"],
        Value::Null,
        "a list does not count"
    );

    let lines = csv(&app, &everyone).await;
    assert_eq!(
        lines[0],
        "visitor_id,member_id,stage,tier,channel_id,country,city,first_seen,last_seen,scans,\
         purchases,points_balance"
    );
    assert_eq!(lines.len(), 4);
    let row_of = |visitor: String| {
        lines
            .iter()
            .find(|l| l.starts_with(&visitor))
            .unwrap_or_else(|| panic!("{visitor} in {lines:?}"))
            .clone()
    };
    let joined = row_of(joiner.visitor());
    assert!(joined.contains(",intending,Green,"), "{joined}");
    assert!(row_of(buyer.visitor()).contains(",loyal,,"));
    assert!(
        !lines.concat().contains("138"),
        "no phone number: {lines:?}"
    );
    assert_eq!(csv(&app, &gold).await.len(), 1, "the header alone");

    // Sent to the CRM: no subscriber is a conflict; then parts of 500.
    let refused = app
        .post(
            &format!("/api/v1/audiences/{}/send", everyone["id"]),
            json!({}),
        )
        .await;
    assert_error(refused, StatusCode::CONFLICT, "no webhook subscribes").await;
    let receiver = Receiver::default();
    let url = receiver.start(&[]).await;
    app.create(
        "/api/v1/webhooks",
        json!({"url": url, "events": ["audience.members"]}),
    )
    .await;
    let sent = app
        .post(
            &format!("/api/v1/audiences/{}/send", everyone["id"]),
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(
        (sent["people"].as_i64(), sent["parts"].as_i64()),
        (Some(3), Some(1))
    );
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].0["x-scanloop-event"], "audience.members");
    let body: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(
        (body["part"].as_i64(), body["parts"].as_i64()),
        (Some(1), Some(1))
    );
    let people = body["people"].as_array().unwrap();
    assert_eq!(people.len(), 3);
    assert!(
        people
            .iter()
            .any(|p| p["member_id"].is_i64() && p["tier"] == "Green")
    );
    assert!(!got[0].1.contains("138"), "no phone number");
}

#[tokio::test]
async fn bad_audiences_are_refused_with_the_field_to_fix() {
    let app = TestApp::spawn().await;
    let (campaign, _, _) = app.seed(json!({"name": "Tea"}), "shared", 1).await;
    let id = campaign["id"].clone();
    for (body, field, message) in [
        (
            json!({"name": " ", "campaign_id": id}),
            "name",
            "must not be empty",
        ),
        (
            json!({"name": "A", "campaign_id": 999}),
            "campaign_id",
            "no record with id 999",
        ),
        (
            json!({"name": "A", "campaign_id": id, "stages": ["lead"]}),
            "stages",
            "\"lead\" is not a stage",
        ),
        (
            json!({"name": "A", "campaign_id": id, "channel_ids": [999]}),
            "channel_ids",
            "no channel with id 999",
        ),
        (
            json!({"name": "A", "campaign_id": id, "tiers": ["Gold"]}),
            "tiers",
            "no tiers",
        ),
        (
            json!({"name": "A", "campaign_id": id, "seen_within_days": 0}),
            "seen_within_days",
            "from 1 to 3650",
        ),
        (
            json!({"name": "A", "campaign_id": id, "cities": [""]}),
            "cities",
            "must not be empty",
        ),
    ] {
        let answer = app.post("/api/v1/audiences", body.clone()).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error: Value = answer.json().await.unwrap();
        let said = error["error"]["message"].as_str().unwrap();
        assert!(
            said.contains(field) && said.contains(message),
            "{body}: {said}"
        );
    }
    for path in ["/api/v1/audiences/999", "/api/v1/audiences/999/members.csv"] {
        assert_error(app.get(path).await, StatusCode::NOT_FOUND, "audience").await;
    }
    let missing = app.post("/api/v1/audiences/999/send", json!({})).await;
    assert_error(missing, StatusCode::NOT_FOUND, "audience").await;
}
