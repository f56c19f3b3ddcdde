//! Braid's integration tests: one binary, a module per area, real peers on 127.0.0.1.
//! `tests/run.sh` installs the peers (Python feedparser and mastodon-mock, xmllint, chromium with
//! playwright-core for the browser tests, Fedify on Node 22 for the ActivityPub tests) and runs
//! `cargo test --workspace`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod accounts;
mod activitypub;
mod cli;
mod crash;
mod fedify;
mod feeds;
mod kept;
mod listener;
mod mastodon;
mod opml;
mod outbox;
mod proxy;
mod routes;
mod secrets;
mod structure;
mod support;
mod upgrade;
mod web;
