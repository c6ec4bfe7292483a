use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn every_documented_path_is_routed_and_the_contract_is_documented() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
async fn health_answers_when_the_database_does() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
