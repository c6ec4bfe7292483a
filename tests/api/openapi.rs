use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn document(app: &TestApp) -> serde_json::Value {
    let response = app.client.get(app.url("/api/v1/openapi.json")).send().await;
    response.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn every_documented_path_is_routed_and_the_contract_is_documented() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/channels",
        "/api/v1/channels/{id}",
        "/api/v1/stores",
        "/api/v1/stores/{id}",
        "/api/v1/batches",
        "/api/v1/batches/{id}",
        "/api/v1/batches/{id}/codes.csv",
        "/api/v1/codes/{token}",
        "/api/v1/codes/{token}/qr.svg",
        "/api/v1/codes/{token}/qr.png",
        "/api/v1/reports/channels",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is missing from the OpenAPI document"
        );
    }
    // Each documented operation is answered by the router: without a key it is a 401, never a 404/405.
    for (path, operations) in paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{token}", "ABCDEFGHJKMNP");
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_document_states_error_statuses_enums_and_limits() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let statuses = |path: &str, method: &str| -> Vec<String> {
        let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
        responses.keys().cloned().collect()
    };
    for status in ["201", "400", "401", "408", "413", "422"] {
        let post = statuses("/api/v1/campaigns", "post");
        assert!(
            post.contains(&status.to_owned()),
            "POST campaigns lacks {status}: {post:?}"
        );
    }
    assert!(statuses("/api/v1/campaigns/{id}", "get").contains(&"404".to_owned()));
    assert!(!statuses("/api/v1/campaigns", "get").contains(&"413".to_owned()));
    let error = &doc["paths"]["/api/v1/campaigns/{id}"]["patch"]["responses"]["422"];
    assert_eq!(
        error["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );

    let schemas = &doc["components"]["schemas"];
    // A property is inline or a `$ref` to a named schema.
    let resolve = |property: &serde_json::Value| match property["$ref"].as_str() {
        Some(reference) => schemas[reference.trim_start_matches("#/components/schemas/")].clone(),
        None => property.clone(),
    };
    assert_eq!(
        resolve(&schemas["StatusChange"]["properties"]["status"])["enum"],
        serde_json::json!(["active", "disabled"])
    );
    let kinds = resolve(&schemas["CreateChannel"]["properties"]["kind"])["enum"].clone();
    assert_eq!(kinds.as_array().unwrap().len(), 7, "{kinds}");
    let batch = &schemas["CreateBatch"]["properties"];
    assert_eq!(batch["quantity"]["maximum"], 10_000_000);
    assert_eq!(
        resolve(&batch["mode"])["enum"],
        serde_json::json!(["shared", "unique"])
    );
    assert_eq!(
        schemas["CreateCampaign"]["properties"]["name"]["maxLength"],
        200
    );
}

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
