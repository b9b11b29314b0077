//! 滿意 manyi: satisfaction surveys, complaint register and feedback analytics
//! for Taiwan's household registration offices (戶政事務所).

pub mod admin;
pub mod analytics;
pub mod auth;
pub mod calendar;
pub mod cases;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod forms;
mod newtype;
pub mod offices;
pub mod plans;
pub mod reports;
pub mod startup;
pub mod survey;
pub mod tabular;
pub mod telemetry;
pub mod warehouse;
pub mod web;
