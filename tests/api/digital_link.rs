//! GS1 Digital Link: batches with a GTIN print Digital Link URIs, and the gateway answers
//! them as a conformant resolver (scans recorded, fallback upwards, linksets, link types,
//! languages, CORS, syntax errors), with products registered through the API.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};
use crate::qr::{decode, rasterize_svg};

const GTIN: &str = "09506000134352";
const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

/// A campaign sending scans to a destination, and a unique batch of `GTIN` lot `L26`.
async fn gs1_batch(app: &TestApp, quantity: i64) -> (Value, Value) {
    let campaign = app
        .create(
            "/api/v1/campaigns",
            json!({"name": "Risotto", "destination_url": "https://brand.example.com/risotto"}),
        )
        .await;
    let channel = app
        .create(
            "/api/v1/channels",
            json!({"name": "Pack", "kind": "packaging"}),
        )
        .await;
    let batch = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "Run",
                   "mode": "unique", "quantity": quantity, "gtin": "9506000134352", "lot": "L26"}),
        )
        .await;
    (campaign, batch)
}

async fn product(app: &TestApp) -> Value {
    app.create(
        "/api/v1/products",
        json!({"gtin": GTIN, "name": "Dal Giardino Risotto", "links": [
            {"link_type": "gs1:pip", "href": "https://brand.example.com/pip", "title": "Product",
             "hreflang": "en", "type": "text/html", "default": true},
            {"link_type": "gs1:recipeInfo", "href": "https://brand.example.com/recipes/en",
             "title": "Recipes", "hreflang": "en"},
            {"link_type": "https://gs1.org/voc/recipeInfo",
             "href": "https://brand.example.com/recipes/zh", "title": "食谱", "hreflang": "zh-CN"},
            {"link_type": "gs1:recipeInfo", "href": "https://brand.example.com/recipes/tw",
             "title": "食譜", "hreflang": "zh-TW"},
        ]}),
    )
    .await
}

/// A phone's request of the resolver, without the API key: it is public.
async fn resolve(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path)).header("user-agent", PHONE);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn location(headers: &HeaderMap) -> &str {
    headers["location"].to_str().unwrap()
}

async fn scans(app: &TestApp, campaign: &Value) -> i64 {
    app.report(&campaign["id"]).await["rows"][0]["scans"]
        .as_i64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_gs1_batch_prints_digital_links_that_scan_like_short_links() {
    let app = TestApp::spawn().await;
    let (campaign, batch) = gs1_batch(&app, 3).await;
    assert_eq!(batch["gtin"], GTIN, "held as GTIN-14");
    let codes = app.codes(&batch["id"]).await;
    let (_, token, url) = &codes[0];
    let port = app.address.rsplit(':').next().unwrap();
    assert_eq!(
        url,
        &format!("HTTP://127.0.0.1:{port}/01/{GTIN}/10/L26/21/{token}")
    );
    let svg = app
        .get(&format!("/api/v1/codes/{token}/qr.svg"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        &decode(rasterize_svg(&svg)),
        url,
        "the symbol holds the Digital Link"
    );

    let path = format!("/01/{GTIN}/10/L26/21/{token}?utm_content=box");
    let response = resolve(&app, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(
        location(response.headers()).starts_with("https://brand.example.com/risotto?"),
        "{:?}",
        response.headers()
    );
    assert!(location(response.headers()).ends_with("&utm_content=box"));
    let link = response.headers()["link"].to_str().unwrap();
    assert!(link.contains(&format!("/01/{GTIN}/10/L26/21/{token}?linkType=linkset>")));
    assert!(link.contains("rel=\"linkset\""));
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(scans(&app, &campaign).await, 1, "recorded like a /s/ scan");

    // Lowercase token, a trailing slash, no lot: the same code.
    let lower = token.to_ascii_lowercase();
    for path in [
        format!("/01/{GTIN}/10/L26/21/{lower}/"),
        format!("/01/{GTIN}/21/{token}"),
        format!("/01/9506000134352/10/L26/21/{token}"),
    ] {
        let response = resolve(&app, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert!(location(response.headers()).starts_with("https://brand.example.com/risotto"));
    }
    assert_eq!(scans(&app, &campaign).await, 4);

    // HEAD is answered (and counted as a bot, as on /s/).
    let head = app
        .client
        .head(app.url(&format!("/01/{GTIN}/21/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(scans(&app, &campaign).await, 4);
}

#[tokio::test]
async fn unknown_lots_and_serials_of_a_known_gtin_fall_back_to_the_product() {
    let app = TestApp::spawn().await;
    let (campaign, batch) = gs1_batch(&app, 1).await;
    let token = &app.codes(&batch["id"]).await[0].1;

    // Without a product, only the exact code resolves.
    let unknown = format!("/01/{GTIN}/10/L26/21/NOSUCHSERIAL");
    assert_error(
        resolve(&app, &unknown, &[]).await,
        StatusCode::NOT_FOUND,
        "product",
    )
    .await;
    assert_error(
        resolve(&app, "/01/04006381333931", &[]).await,
        StatusCode::NOT_FOUND,
        "POST /api/v1/products",
    )
    .await;

    product(&app).await;
    for path in [
        unknown.clone(),
        format!("/01/{GTIN}/10/OTHERLOT"),
        format!("/01/{GTIN}"),
        format!("/01/{GTIN}/"),
        format!("/01/{GTIN}/22/2A/10/L26/21/{token}"),
        // A serial of this GTIN under a lot it was not printed with.
        format!("/01/{GTIN}/10/OTHERLOT/21/{token}"),
    ] {
        let response = resolve(&app, &format!("{path}?src=x"), &[]).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(
            location(response.headers()),
            "https://brand.example.com/pip?src=x",
            "{path}"
        );
    }
    assert_eq!(
        scans(&app, &campaign).await,
        0,
        "no code of ours was scanned"
    );
}

#[tokio::test]
async fn a_shared_batch_prints_gtin_and_lot_and_owns_that_path() {
    let app = TestApp::spawn().await;
    let (campaign, channel, _) = app.seed(json!({"name": "Poster"}), "shared", 1).await;
    let body = json!({"campaign_id": campaign["id"], "channel_id": channel["id"], "name": "Shelf",
                      "mode": "shared", "gtin": GTIN, "lot": "A/1"});
    let batch = app.create("/api/v1/batches", body.clone()).await;
    let codes = app.codes(&batch["id"]).await;
    assert!(
        codes[0].2.ends_with(&format!("/01/{GTIN}/10/A%2F1")),
        "{}",
        codes[0].2
    );

    let response = resolve(&app, &format!("/01/{GTIN}/10/A%2F1"), &[]).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        location(response.headers()),
        format!(
            "/c/{}?code={}",
            campaign["slug"].as_str().unwrap(),
            codes[0].1
        )
    );
    assert_eq!(scans(&app, &campaign).await, 1);

    assert_error(
        app.post("/api/v1/batches", body).await,
        StatusCode::CONFLICT,
        "lot of its own",
    )
    .await;
}

#[tokio::test]
async fn linksets_list_every_link_with_full_link_type_uris() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let (_, batch) = gs1_batch(&app, 1).await;
    let token = &app.codes(&batch["id"]).await[0].1;
    product(&app).await;

    for (path, headers) in [
        (format!("/01/{GTIN}?linkType=linkset"), vec![]),
        (format!("/01/{GTIN}?linkType=all"), vec![]),
        (
            format!("/01/{GTIN}"),
            vec![("accept", "application/linkset+json")],
        ),
    ] {
        let response = resolve(&app, &path, &headers).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/linkset+json"
        );
        assert!(response.headers().contains_key("link"));
        let body: Value = response.json().await.unwrap();
        let context = &body["linkset"][0];
        assert_eq!(
            context["anchor"],
            format!("https://go.example.com/01/{GTIN}")
        );
        assert_eq!(
            context["https://gs1.org/voc/defaultLink"][0]["href"],
            "https://brand.example.com/pip"
        );
        assert_eq!(
            context["https://gs1.org/voc/pip"][0]["hreflang"],
            json!(["en"])
        );
        assert_eq!(
            context["https://gs1.org/voc/recipeInfo"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        for (relation, targets) in context.as_object().unwrap() {
            if relation == "anchor" {
                continue;
            }
            assert!(relation.starts_with("https://gs1.org/voc/"), "{relation}");
            for target in targets.as_array().unwrap() {
                for key in target.as_object().unwrap().keys() {
                    assert!(
                        [
                            "href", "title", "type", "hreflang", "context", "fwqs", "public"
                        ]
                        .contains(&key.as_str()),
                        "{key}"
                    );
                }
            }
        }
    }

    // For one of our codes the default link is where its campaign sends the scan.
    let response = resolve(
        &app,
        &format!("/01/{GTIN}/21/{token}?linkType=linkset"),
        &[],
    )
    .await;
    let body: Value = response.json().await.unwrap();
    let context = &body["linkset"][0];
    assert_eq!(
        context["anchor"],
        format!("https://go.example.com/01/{GTIN}/21/{token}")
    );
    assert!(
        context["https://gs1.org/voc/defaultLink"][0]["href"]
            .as_str()
            .unwrap()
            .starts_with("https://brand.example.com/risotto")
    );
}

#[tokio::test]
async fn link_types_and_languages_pick_one_link_or_list_the_ties() {
    let app = TestApp::spawn().await;
    product(&app).await;
    let base = format!("/01/{GTIN}");
    for (query, language, expected) in [
        ("linkType=gs1:pip", "zh-CN", "https://brand.example.com/pip"),
        (
            "linkType=gs1%3ArecipeInfo",
            "zh-CN,en;q=0.5",
            "https://brand.example.com/recipes/zh",
        ),
        (
            "linkType=https://gs1.org/voc/recipeInfo",
            "en-GB",
            "https://brand.example.com/recipes/en",
        ),
        (
            "linkType=gs1:recipeInfo&x=1",
            "zh-TW",
            "https://brand.example.com/recipes/tw?x=1",
        ),
        (
            "linkType=gs1:defaultLink",
            "fr",
            "https://brand.example.com/pip",
        ),
    ] {
        let response = resolve(
            &app,
            &format!("{base}?{query}"),
            &[("accept-language", language)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{query}");
        assert_eq!(location(response.headers()), expected, "{query}");
    }

    let tie = resolve(
        &app,
        &format!("{base}?linkType=gs1:recipeInfo"),
        &[("accept-language", "zh")],
    )
    .await;
    assert_eq!(tie.status(), StatusCode::MULTIPLE_CHOICES);
    let body: Value = tie.json().await.unwrap();
    assert_eq!(
        body["linkset"][0]["https://gs1.org/voc/recipeInfo"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let missing = resolve(&app, &format!("{base}?linkType=gs1:allergenInfo"), &[]).await;
    assert!(missing.headers().contains_key("link"));
    assert_error(missing, StatusCode::NOT_FOUND, "link of this type").await;
    assert_error(
        resolve(&app, &format!("{base}?linkType=schema:url"), &[]).await,
        StatusCode::BAD_REQUEST,
        "not a GS1 link type",
    )
    .await;
}

#[tokio::test]
async fn syntax_errors_answer_400_with_the_reason() {
    let app = TestApp::spawn().await;
    product(&app).await;
    for (path, reason) in [
        ("/01/09506000134353", "check digit"),
        (&format!("/01/{GTIN}/99/X") as &str, "AI 99"),
        (&format!("/01/{GTIN}/21/S/10/L"), "must come before"),
        (
            &format!("/01/{GTIN}/foo"),
            "not a GS1 application identifier",
        ),
        (
            &format!("/01/{GTIN}/10/ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            "at most 20",
        ),
        (&format!("/01/{GTIN}/21/caf%C3%A9"), "character set 82"),
        (&format!("/01/{GTIN}/21/a%20b"), "character set 82"),
    ] {
        assert_error(
            resolve(&app, path, &[]).await,
            StatusCode::BAD_REQUEST,
            reason,
        )
        .await;
    }
    // A browser gets the friendly page, still a 400.
    let page = resolve(&app, "/01/09506000134353", &[("accept", "text/html")]).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn cors_options_and_the_resolver_description() {
    let app = TestApp::spawn_with(|c| c.public_url = Some("https://go.example.com".into())).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(&format!("/01/{GTIN}")))
        .header("origin", "https://shop.example.net")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("HEAD")
    );

    let response = resolve(&app, "/.well-known/gs1resolver", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let description: Value = response.json().await.unwrap();
    assert_eq!(description["resolverRoot"], "https://go.example.com");
    assert_eq!(description["supportedPrimaryKeys"], json!(["01"]));
    assert_eq!(description["linkTypeDefaultCanBeLinkset"], true);
    assert_eq!(description["supportedLinkType"][0]["prefix"], "gs1:");
}

#[tokio::test]
async fn products_are_validated_listed_and_updated() {
    let app = TestApp::spawn().await;
    let link = |default: bool| json!({"link_type": "gs1:pip", "href": "https://b.example.com/p", "title": "P", "default": default});
    for (body, field) in [
        (
            json!({"gtin": "09506000134353", "name": "X", "links": [link(true)]}),
            "gtin",
        ),
        (
            json!({"gtin": GTIN, "name": " ", "links": [link(true)]}),
            "name",
        ),
        (json!({"gtin": GTIN, "name": "X", "links": []}), "links"),
        (
            json!({"gtin": GTIN, "name": "X", "links": [link(false)]}),
            "exactly one",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [link(true), link(true)]}),
            "exactly one",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [{"link_type": "pip", "href": "https://b.example.com", "title": "P", "default": true}]}),
            "links[0].link_type",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [{"link_type": "gs1:defaultLink", "href": "https://b.example.com", "title": "P", "default": true}]}),
            "its own type",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [{"link_type": "gs1:pip", "href": "ftp://b.example.com", "title": "P", "default": true}]}),
            "links[0].href",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [{"link_type": "gs1:pip", "href": "https://b.example.com", "title": "P", "hreflang": "english", "default": true}]}),
            "links[0].hreflang",
        ),
        (
            json!({"gtin": GTIN, "name": "X", "links": [{"link_type": "gs1:pip", "href": "https://b.example.com", "title": "P", "type": "html", "default": true}]}),
            "links[0].type",
        ),
    ] {
        assert_error(
            app.post("/api/v1/products", body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
        )
        .await;
    }

    let created = app
        .create(
            "/api/v1/products",
            json!({"gtin": "9506000134352", "name": "Risotto", "links": [link(true)]}),
        )
        .await;
    assert_eq!(created["gtin"], GTIN);
    assert!(
        created["digital_link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/01/{GTIN}"))
    );
    assert_error(
        app.post(
            "/api/v1/products",
            json!({"gtin": GTIN, "name": "Again", "links": [link(true)]}),
        )
        .await,
        StatusCode::CONFLICT,
        "already exists",
    )
    .await;

    let id = &created["id"];
    let updated: Value = app
        .patch(
            &format!("/api/v1/products/{id}"),
            json!({"links": [{"link_type": "https://gs1.org/voc/pip", "href": "https://b.example.com/new", "title": "New", "default": true}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["name"], "Risotto");
    assert_eq!(updated["links"][0]["link_type"], "gs1:pip");
    assert_eq!(updated["links"][0]["href"], "https://b.example.com/new");
    let response = resolve(&app, &format!("/01/{GTIN}"), &[]).await;
    assert_eq!(location(response.headers()), "https://b.example.com/new");

    assert_error(
        app.patch(&format!("/api/v1/products/{id}"), json!({}))
            .await,
        StatusCode::BAD_REQUEST,
        "nothing to change",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/products/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    let list: Value = app.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let anonymous = app
        .client
        .get(app.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
