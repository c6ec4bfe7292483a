//! Every status an operation can answer, in the OpenAPI document. Most come from what all
//! operations share (the key check and the role check, the query and path parsers, the time limit, the body
//! parser and validation), so they are added here once instead of on each handler.

use axum::http::Method;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

use crate::http::access::{Access, access};

pub fn document(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                add_shared_errors(operation);
                note_who_may_call(operation, &method, path);
            }
        }
    }
}

/// The roles that may make the operation, at the end of its description, from the same
/// rule the server applies (`http::access`).
fn note_who_may_call(operation: &mut Operation, method: &Method, path: &str) {
    let who = match access(method, path) {
        Access::Read => "admins and analysts",
        Access::StoreRead => "admins and analysts; retailers, limited to their own stores",
        Access::StoreRecord => "admins; retailers, for purchases at their own stores (store_code)",
        Access::Change | Access::Accounts => "admins",
        Access::OwnKeys => "every user, for their own keys (admins for anyone's)",
    };
    let described = operation.description.take().unwrap_or_default();
    let sep = if described.is_empty() { "" } else { "\n\n" };
    operation.description = Some(format!("{described}{sep}Who may call: {who}."));
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
        ("403", "The caller's role may not make this operation"),
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
