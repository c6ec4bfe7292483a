//! Validated types and pure rules: no HTTP, no SQL.

pub mod batch;
pub mod channel_kind;
pub mod gtin;
pub mod language;
pub mod schedule;
pub mod slug;
pub mod status;
pub mod target_url;
pub mod token;
pub mod visitor_sketch;

pub use batch::{BatchMode, Generation};
pub use channel_kind::ChannelKind;
pub use gtin::Gtin;
pub use language::Language;
pub use schedule::Schedule;
pub use slug::Slug;
pub use status::Status;
pub use target_url::TargetUrl;
pub use token::{Token, TokenFamily};
pub use visitor_sketch::VisitorSketch;
