//! Every status an operation can answer, in the OpenAPI document. Most come from what all
//! operations share (the key check, the query and path parsers, the time limit, the body
//! parser and validation), so they are added here once instead of on each handler.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

pub fn document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            add_shared_errors(operation);
        }
    }
}

fn add_shared_errors(operation: &mut Operation) {
    let has_path_parameter = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Path);
    let mut statuses = vec![
        ("400", "The query string or path could not be read"),
        ("401", "Missing or unknown API key"),
        ("408", "The request took too long"),
    ];
    if has_path_parameter {
        statuses.push(("404", "No such record"));
    }
    if operation.request_body.is_some() {
        statuses.push(("413", "The body is larger than 64 KiB"));
        statuses.push(("422", "A field is invalid; the message names it"));
    }
    for (status, description) in statuses {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}
