//! Who may make which API operation, decided in one place from the caller's role and the
//! route's template, before any handler runs. A route is placed by its path and method:
//! the users and keys routes and the reads open to retailers are the exceptions, a read is
//! `GET`, anything else is a change. So a new route is at worst admin-only for changes and analyst-readable for
//! reads, never open to a role by accident; the access matrix test walks the OpenAPI
//! document, which is built from the same route list, to hold every route to it.

use axum::http::Method;

use super::auth::Caller;
use super::error::AppError;
use crate::domain::Role;

/// What kind of operation a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading the brand's campaigns, codes and numbers: admins and analysts.
    Read,
    /// Reading what a retailer may see too, limited in the data layer to their stores
    /// (`Caller::scope`): admins and analysts see all of it.
    StoreRead,
    /// Recording purchases: admins, and retailers at their own stores (the handler checks
    /// the store).
    StoreRecord,
    /// Changing anything: admins.
    Change,
    /// Users and their roles and stores, read or changed: admins.
    Accounts,
    /// The caller's own API keys: anyone signed in (an admin manages everyone's).
    OwnKeys,
}

/// Purchases a retailer may record, at their stores.
const STORE_RECORDS: [&str; 2] = ["/api/v1/conversions", "/api/v1/conversions/import"];

/// The reads open to retailers, each limited to their stores where it reads.
const STORE_READS: [&str; 21] = [
    "/api/v1/stores",
    "/api/v1/stores/{id}",
    "/api/v1/batches",
    "/api/v1/batches/{id}",
    "/api/v1/batches/{id}/codes.csv",
    "/api/v1/batches/{id}/export.zip",
    "/api/v1/batches/{id}/sheet.pdf",
    "/api/v1/codes/{token}",
    "/api/v1/codes/{token}/qr.svg",
    "/api/v1/codes/{token}/qr.png",
    "/api/v1/conversions",
    "/api/v1/conversions/{id}",
    "/api/v1/reports/channels",
    "/api/v1/reports/batches",
    "/api/v1/reports/stores",
    "/api/v1/reports/devices",
    "/api/v1/reports/regions",
    "/api/v1/reports/time",
    "/api/v1/reports/daily",
    "/api/v1/reports/funnel",
    "/api/v1/scans/live",
];

pub fn access(method: &Method, route: &str) -> Access {
    let under = |prefix: &str| {
        route
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api/v1/keys") {
        Access::OwnKeys
    } else if under("/api/v1/users") {
        Access::Accounts
    } else if method == Method::GET && STORE_READS.contains(&route) {
        Access::StoreRead
    } else if method == Method::POST && STORE_RECORDS.contains(&route) {
        Access::StoreRecord
    } else if method == Method::GET || method == Method::HEAD {
        Access::Read
    } else {
        Access::Change
    }
}

/// Whether `caller` may make `method` on `route`; 403 saying why when not.
pub fn allowed(caller: &Caller, method: &Method, route: &str) -> Result<(), AppError> {
    let access = access(method, route);
    let refusal = match (caller.role, access) {
        (Role::Admin, _)
        | (_, Access::OwnKeys | Access::StoreRead)
        | (Role::Analyst, Access::Read)
        | (Role::Retailer, Access::StoreRecord) => return Ok(()),
        (_, Access::Accounts) => "only admins manage users",
        (Role::Analyst, _) => "analysts read and change nothing: ask an admin to make this change",
        (Role::Retailer, _) => {
            "retailer accounts see their own stores, their batches and codes, their \
             purchases and reports within their stores, and record purchases there; this \
             operation is not open to them"
        }
    };
    Err(AppError::Forbidden(refusal.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_placed_by_their_path_and_method() {
        assert_eq!(access(&Method::GET, "/api/v1/campaigns"), Access::Read);
        assert_eq!(
            access(&Method::GET, "/api/v1/stores/{id}"),
            Access::StoreRead
        );
        assert_eq!(
            access(&Method::PATCH, "/api/v1/batches/{id}"),
            Access::Change
        );
        assert_eq!(access(&Method::POST, "/api/v1/campaigns"), Access::Change);
        assert_eq!(
            access(&Method::POST, "/api/v1/conversions"),
            Access::StoreRecord
        );
        assert_eq!(
            access(&Method::POST, "/api/v1/conversions/{id}/refunds"),
            Access::Change
        );
        assert_eq!(
            access(&Method::PATCH, "/api/v1/codes/{token}"),
            Access::Change
        );
        assert_eq!(access(&Method::GET, "/api/v1/users/{id}"), Access::Accounts);
        assert_eq!(
            access(&Method::DELETE, "/api/v1/keys/{id}"),
            Access::OwnKeys
        );
        // A prefix alone does not place a route.
        assert_eq!(access(&Method::POST, "/api/v1/keysets"), Access::Change);
    }
}
