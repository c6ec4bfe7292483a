//! Post-purchase feedback: a buyer's purchase opens the feedback page (linked from the
//! campaign's page) for one rating; a low rating opens a remedy the brand works through;
//! the report places ratings by the purchase's last scan.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::members::Browser;

#[tokio::test]
async fn a_buyer_rates_their_purchase_once_and_a_low_rating_opens_a_remedy() {
    let app = TestApp::spawn().await;
    let (campaign, channel, batch) = app
        .seed(json!({"name": "Tea", "slug": "tea"}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let mut buyer = Browser::opening(&app, "tea").await;
    buyer.get(&app, &format!("/s/{token}")).await;
    let landing = buyer.get(&app, "/c/tea").await.text().await.unwrap();
    assert!(
        !landing.contains("How was your purchase"),
        "nothing bought yet"
    );
    let page = buyer
        .get(&app, "/c/tea/feedback")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("could not find a recent purchase"), "{page}");

    let bought = app
        .create(
            "/api/v1/conversions",
            json!({"order_id": "T-1", "amount_cents": 12_900, "currency": "CNY", "source": "tmall",
                   "visitor_id": buyer.visitor()}),
        )
        .await;
    let link = bought["feedback_url"]
        .as_str()
        .expect("a feedback link")
        .to_owned();
    let landing = buyer.get(&app, "/c/tea").await.text().await.unwrap();
    assert!(
        landing.contains(r#"href="/c/tea/feedback">How was your purchase?"#),
        "{landing}"
    );
    let page = buyer
        .get(&app, "/c/tea/feedback")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your purchase of 129.00 CNY"), "{page}");

    let unrated = buyer
        .post(&app, "/c/tea/feedback", &[("comment", "hm")])
        .await;
    assert_eq!(unrated.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unrated.text().await.unwrap().contains("Choose a rating"));
    let long = "x".repeat(1001);
    let too_long = buyer
        .post(
            &app,
            "/c/tea/feedback",
            &[("rating", "4"), ("comment", &long)],
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = app
        .client
        .post(app.url("/c/tea/feedback"))
        .header("user-agent", crate::helpers::PHONE)
        .form(&[("rating", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        stranger.status(),
        StatusCode::NOT_FOUND,
        "no purchase, no rating"
    );
    let db = app.db().await;
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM feedback")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let sent = buyer
        .post(
            &app,
            "/c/tea/feedback",
            &[("rating", "2"), ("comment", "The seal was broken")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("We are sorry"));
    let path = link.strip_prefix(&app.url("")).unwrap();
    let mut other_phone = Browser { cookies: vec![] };
    let follow = other_phone.get(&app, path).await;
    assert_eq!(follow.status(), StatusCode::SEE_OTHER);
    let page = other_phone
        .get(&app, &crate::helpers::location(&follow))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("could not find a recent purchase"),
        "rated already: {page}"
    );
    let forged = format!("{path}x");
    assert_eq!(
        other_phone.get(&app, &forged).await.status(),
        StatusCode::NOT_FOUND
    );
    let again = buyer
        .get(&app, "/c/tea/feedback")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        again.contains("could not find a recent purchase"),
        "rated once only"
    );
    assert!(
        !buyer
            .get(&app, "/c/tea")
            .await
            .text()
            .await
            .unwrap()
            .contains("How was your")
    );

    let feedback: Value = app
        .get(&format!(
            "/api/v1/feedback?campaign_id={}&max_rating=2",
            campaign["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    let item = &feedback["items"][0];
    assert_eq!(
        (&item["rating"], &item["low"]),
        (&json!(2), &json!(true)),
        "{feedback}"
    );
    assert_eq!(item["channel_id"], channel["id"]);
    assert_eq!(item["comment"], "The seal was broken");
    let open: Value = app
        .get("/api/v1/remedies?status=open")
        .await
        .json()
        .await
        .unwrap();
    let remedy = open["items"][0].clone();
    assert_eq!(remedy["feedback_id"], item["id"]);
    // The console's list, for people who make it right.
    app.user("ada@brand.example", "admin", &[]).await;
    let admin = app.sign_in("ada@brand.example", "/console").await;
    let (status, list) = app.page("/console/remedies", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("The seal was broken") && list.contains("2 ★"),
        "{list}"
    );
    let started = crate::console::post(
        &app,
        &format!("/console/remedies/{}", remedy["id"]),
        &admin,
        &[
            ("csrf", &crate::console::csrf(&list)),
            ("status", "in_progress"),
            ("note", "Calling"),
        ],
    )
    .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .page("/console/remedies?status=in_progress", &admin)
        .await;
    assert!(
        list.contains("ada@brand.example") && list.contains("Calling"),
        "{list}"
    );
    let path = format!("/api/v1/remedies/{}", remedy["id"]);
    assert_eq!(
        app.patch(&path, json!({"status": "fixed"})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done: Value = app
        .patch(&path, json!({"status": "done", "note": "Sent a new box"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&done["status"], &done["note"]),
        (&json!("done"), &json!("Sent a new box"))
    );
    assert!(done["handled_by"].is_i64());
    let open: Value = app
        .get("/api/v1/remedies?status=open")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["items"], json!([]));

    // The shop's link works on a phone that never scanned: the order's own page.
    let other = app
        .create(
            "/api/v1/conversions",
            json!({"order_id": "T-2", "amount_cents": 5_000, "currency": "CNY", "source": "tmall",
                   "visitor_id": buyer.visitor()}),
        )
        .await;
    let path = other["feedback_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.url(""))
        .unwrap()
        .to_owned();
    let mut fresh = Browser { cookies: vec![] };
    let follow = fresh.get(&app, &path).await;
    let order_page = crate::helpers::location(&follow);
    assert!(
        order_page.starts_with("/c/tea/feedback?order="),
        "{order_page}"
    );
    let page = fresh.get(&app, &order_page).await.text().await.unwrap();
    assert!(page.contains("Your purchase of 50.00 CNY"), "{page}");
    let rated = fresh.post(&app, &order_page, &[("rating", "5")]).await;
    assert!(
        rated
            .text()
            .await
            .unwrap()
            .contains("Thank you for telling us")
    );
    let report: Value = app
        .get(&format!(
            "/api/v1/reports/feedback?campaign_id={}",
            campaign["id"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["total"]["ratings"], 2);
    assert_eq!(report["channels"][0]["id"], channel["id"]);
    assert_eq!(report["channels"][0]["average_rating"], 3.5);
    assert_eq!(report["batches"][0]["low"], 1);
}

/// The feedback form as the page sends it: multipart, with a photo part when given.
fn multipart(rating: &str, comment: &str, photo: Option<&[u8]>) -> Vec<u8> {
    let boundary = crate::photos::BOUNDARY;
    let mut body = Vec::new();
    for (name, value) in [("rating", rating), ("comment", comment)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(photo) = photo {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; \
                 filename=\"box.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(photo);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

async fn send_form(app: &TestApp, buyer: &Browser, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url("/c/tea/feedback"))
        .header("user-agent", crate::helpers::PHONE)
        .header("cookie", buyer.header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={}", crate::photos::BOUNDARY),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_photo_sent_with_a_rating_is_kept_without_metadata_and_a_bad_one_is_refused() {
    let app = TestApp::spawn().await;
    let (_, _, batch) = app
        .seed(json!({"name": "Tea", "slug": "tea"}), "shared", 1)
        .await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    let mut buyer = Browser::opening(&app, "tea").await;
    buyer.get(&app, &format!("/s/{token}")).await;
    app.create(
        "/api/v1/conversions",
        json!({"order_id": "T-9", "amount_cents": 5_900, "currency": "CNY", "source": "tmall",
               "visitor_id": buyer.visitor()}),
    )
    .await;
    let page = buyer
        .get(&app, "/c/tea/feedback")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"enctype="multipart/form-data""#) && page.contains(r#"name="photo""#),
        "{page}"
    );

    let not_a_photo = send_form(
        &app,
        &buyer,
        multipart("1", "Box was crushed", Some(b"%PDF-1.4")),
    )
    .await;
    assert_eq!(not_a_photo.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let page = not_a_photo.text().await.unwrap();
    assert!(page.contains("This file is not a photo"), "{page}");
    assert!(
        page.contains("Box was crushed"),
        "the comment is kept: {page}"
    );
    let listed: Value = app.get("/api/v1/feedback").await.json().await.unwrap();
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );

    let photo = crate::landing::phone_photo();
    assert!(crate::landing::contains(&photo, b"Exif"));
    let sent = send_form(
        &app,
        &buyer,
        multipart("1", "Box was crushed", Some(&photo)),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("We are sorry"));
    let listed: Value = app.get("/api/v1/feedback").await.json().await.unwrap();
    let rated = &listed["items"][0];
    assert_eq!(rated["rating"], 1);
    let url = rated["photo_url"].as_str().expect("a photo");
    assert!(rated["photo_thumb_url"].is_string());
    let path = url.split_once("/media/").unwrap().1;
    let file = app
        .client
        .get(app.url(&format!("/media/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let bytes = file.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert!(
        !crate::landing::contains(&bytes, b"Exif"),
        "no metadata kept"
    );
    let remedies: Value = app.get("/api/v1/remedies").await.json().await.unwrap();
    assert_eq!(remedies["items"][0]["photo_url"], url);
}
