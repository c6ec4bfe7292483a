//! Validated types and pure rules: no HTTP, no SQL.

pub mod attribution;
pub mod batch;
pub mod channel_kind;
pub mod colour;
pub mod digital_link;
pub mod event;
pub mod gtin;
pub mod hreflang;
pub mod language;
pub mod link_type;
pub mod place;
pub mod rich_text;
pub mod schedule;
pub mod signature;
pub mod slug;
pub mod status;
pub mod target_url;
pub mod targets;
pub mod time;
pub mod token;
pub mod visitor_sketch;

pub use batch::{BatchMode, Generation};
pub use channel_kind::ChannelKind;
pub use colour::Colour;
pub use digital_link::{DigitalLink, LinkStyle};
pub use event::{Action, EventKind};
pub use gtin::Gtin;
pub use language::Language;
pub use link_type::LinkType;
pub use place::Point;
pub use schedule::{Phase, Schedule};
pub use slug::Slug;
pub use status::Status;
pub use target_url::TargetUrl;
pub use token::{Token, TokenFamily};
pub use visitor_sketch::VisitorSketch;
