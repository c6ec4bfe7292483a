//! Validated types and pure rules: no HTTP, no SQL.

pub mod gtin;
pub mod slug;
pub mod target_url;
pub mod token;
pub mod visitor_sketch;

pub use gtin::Gtin;
pub use slug::Slug;
pub use target_url::TargetUrl;
pub use token::Token;
pub use visitor_sketch::VisitorSketch;
