//! One integration-test binary. Storage tests run on SQLite and on PostgreSQL
//! (see `helpers::Engine`); PostgreSQL must be reachable or they fail.

mod fixtures;
mod helpers;

mod acceptance;
mod access;
mod analysis_page;
mod analytics;
mod api;
mod backup;
mod bad_input;
mod browser;
mod calendar;
mod cases;
mod cli;
mod console;
mod demo;
mod export;
mod imports;
mod instances;
mod metrics;
mod register;
mod reports;
mod responses;
mod scale;
mod security;
mod setup;
mod storage;
mod tallies;
mod words;
