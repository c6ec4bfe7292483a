//! One integration-test binary: the real server over HTTP, on SQLite, or on PostgreSQL
//! when SCANLOOP_TEST_POSTGRES_URL is set.

mod accounts;
mod batches;
mod breakdowns;
mod browser;
mod campaigns;
mod cli_export;
mod cohorts;
mod connections;
mod conversions;
mod credit_tier;
mod digital_link;
mod durability;
mod events;
mod exports;
mod funnel;
mod geo;
mod helpers;
mod history;
mod landing;
mod logos;
mod logs;
mod openapi;
mod operations;
mod pages;
mod photos;
mod qr;
mod redirect;
mod report_page;
mod reports;
mod retention;
mod rollups;
mod sheets;
mod suspicious;
mod webdriver;
mod zbar;
