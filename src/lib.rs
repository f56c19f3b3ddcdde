//! Braid: one merged, searchable timeline of feeds and social accounts, and a bridge between
//! them. The pipeline, one folder a stage:
//!
//! fetch (`connectors/*`, through [`connectors`]) → normalize (`connectors/*/src/convert.rs`)
//! → prepare ([`ingest`]) → store ([`store`]) — driven by [`scheduler`] — → serve ([`web`]).
//! [`cli`] and [`config`] sit around it.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod followers;
pub mod hosted;
pub mod ingest;
pub mod kept;
pub mod listeners;
pub mod opml;
pub mod outbox;
pub mod publish;
pub mod routes;
pub mod scheduler;
pub mod site;
pub mod store;
pub mod subscribe;
pub mod web;
