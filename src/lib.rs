//! scanloop: a self-hosted QR-code campaign gateway.

pub mod accounts;
pub mod cli;
pub mod config;
pub mod conversions;
pub mod db;
pub mod demo;
pub mod domain;
pub mod events;
pub mod experiments;
pub mod export;
pub mod geo;
pub mod group_commit;
pub mod heavy;
pub mod http;
pub mod jobs;
pub mod live;
pub mod media;
pub mod members;
pub mod metrics;
pub mod qr;
pub mod scans;
pub mod server;
pub mod startup;
pub mod webhooks;
