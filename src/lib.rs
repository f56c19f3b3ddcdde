//! Braid: one merged, searchable timeline of feeds and social accounts, and a bridge between
//! them. The pipeline, one folder a stage:
//!
//! fetch (`connectors/*`) → normalize (`connectors/*/convert.rs`) → store ([`store`]) via
//! [`ingest`] → schedule ([`scheduler`]) → serve ([`web`]).

pub mod store;
