//! Print-ready exports of a batch: its codes' images in a ZIP with a manifest, streamed
//! (`zip.rs` writes the archive front to back, `images.rs` renders pages of codes on every
//! core).

pub mod images;
pub mod zip;
