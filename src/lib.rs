//! scanloop: a self-hosted QR-code campaign gateway.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod geo;
pub mod http;
pub mod qr;
pub mod scans;
pub mod startup;
pub mod store;
