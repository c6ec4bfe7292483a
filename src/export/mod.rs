//! Print-ready exports of a batch, streamed (`batch.rs` writes each kind into a sink, an
//! HTTP body or a file): its codes' images in a ZIP with a manifest
//! (`zip.rs` writes the archive front to back, `images.rs` renders pages of codes on every
//! core), and label sheets as PDF (`sheet.rs` lays labels out and draws them, `pdf.rs`
//! writes the file a page at a time).

pub mod batch;
pub mod command;
pub mod images;
pub mod pdf;
pub mod sheet;
pub mod zip;
