//! georep's server: the axum binary's library (config, service, store, gluster, REST edge).
pub mod admin;
pub mod api;
pub mod config;
pub mod domain;
pub mod gluster;
pub mod limits;
pub mod metrics;
pub mod security;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod tls;
pub mod web;
pub mod xml;
