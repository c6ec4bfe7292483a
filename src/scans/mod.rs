//! The scan pipeline: resolve a code from memory, describe the visit and the visitor, store
//! it through the group-commit writer.

pub mod client;
pub mod code_cache;
pub mod device;
mod generations;
pub mod outcome;
pub mod visit;
pub mod visitor;
pub mod writer;

pub use code_cache::CodeCache;
pub use device::DeviceParser;
pub use outcome::{Outcome, RoutedCode, StandingOffer};
pub use visit::{Visit, VisitContext};
pub use visitor::Visitor;
pub use writer::ScanWriter;
