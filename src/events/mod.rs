//! Events: what a scanned visitor did next on the campaign's pages (landing views, clicks
//! on calls to action), written in groups by their own writer.

mod writer;

pub use writer::{EventWriter, NotStored};
