//! Sane bounds for every duration and count in the config, checked once at load time.
//!
//! Why: a value serde accepts can still break Braid far from the config file. A huge
//! `fetch.timeout_secs` overflowed `Instant + Duration` inside every poll, so every source
//! failed and would have been disabled after `max_failures`. Refusing it at load time, with the
//! key and the accepted range on one line, puts the error where the owner can fix it.
//!
//! To add a key: one line in [`Config::numeric_settings`]. Values set through `BRAID_*`
//! variables or flags land in the same fields, so they are checked the same way.

use std::ops::RangeInclusive;

use super::{Config, ConfigError};

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
const MIB: u64 = 1024 * 1024;

/// One numeric setting: its key as written in the file, its value and the accepted range.
pub(crate) struct Bounded {
    pub key: String,
    pub value: u64,
    pub range: RangeInclusive<u64>,
}

fn b(key: impl Into<String>, value: impl TryInto<u64>, range: RangeInclusive<u64>) -> Bounded {
    Bounded {
        key: key.into(),
        // Every field is an unsigned integer of at most 64 bits, so this cannot fail; a
        // value that somehow did not fit is reported as out of range, never accepted.
        value: value.try_into().unwrap_or(u64::MAX),
        range,
    }
}

impl Config {
    /// Every duration and count, with the range Braid accepts for it.
    pub(crate) fn numeric_settings(&self) -> Vec<Bounded> {
        let (f, s, r) = (&self.fetch, &self.scheduler, &self.retention);
        let mut all = vec![
            b(
                "fetch.connect_timeout_secs",
                f.connect_timeout_secs,
                1..=5 * MINUTE,
            ),
            b("fetch.timeout_secs", f.timeout_secs, 1..=HOUR),
            b("fetch.max_body_bytes", f.max_body_bytes, 1024..=1024 * MIB),
            b("fetch.max_redirects", f.max_redirects, 0..=20),
            b(
                "web.max_listener_body_bytes",
                self.web.max_listener_body_bytes,
                1024..=64 * MIB,
            ),
            b("web.session_days", self.web.session_days, 1..=3650),
            b(
                "web.max_connections",
                self.web.max_connections,
                16..=100_000,
            ),
            b(
                "web.header_timeout_secs",
                self.web.header_timeout_secs,
                1..=HOUR,
            ),
            b(
                "web.body_timeout_secs",
                self.web.body_timeout_secs,
                1..=HOUR,
            ),
            b(
                "web.max_upload_bytes",
                self.web.max_upload_bytes,
                64 * 1024..=1024 * MIB,
            ),
            b("scheduler.max_concurrency", s.max_concurrency, 1..=1024),
            b("scheduler.max_per_host", s.max_per_host, 1..=64),
            b("scheduler.max_failures", s.max_failures, 1..=10_000),
            b("scheduler.backoff_base_secs", s.backoff_base_secs, 1..=DAY),
            b(
                "scheduler.backoff_max_secs",
                s.backoff_max_secs,
                1..=30 * DAY,
            ),
            // 0 means "no limit" for the retention settings.
            b("retention.max_age_days", r.max_age_days, 0..=36_500),
            b(
                "retention.max_items_per_source",
                r.max_items_per_source,
                0..=100_000_000,
            ),
            b(
                "opml.max_file_bytes",
                self.opml.max_file_bytes,
                1024..=1024 * MIB,
            ),
            b("opml.max_outlines", self.opml.max_outlines, 1..=1_000_000),
            b("outbox.max_attempts", self.outbox.max_attempts, 1..=1000),
            b(
                "outbox.backoff_base_secs",
                self.outbox.backoff_base_secs,
                1..=DAY,
            ),
            b(
                "outbox.backoff_max_secs",
                self.outbox.backoff_max_secs,
                1..=7 * DAY,
            ),
            // Below a few KiB even ordinary posts would be cut; above 64 MiB one item could
            // fill memory on every page that shows it.
            b(
                "storage.max_content_bytes",
                self.storage.max_content_bytes,
                4 * 1024..=64 * MIB,
            ),
        ];
        for (name, rule) in &r.sources {
            let key = |field: &str| format!("retention.sources.{name:?}.{field}");
            all.push(b(key("max_age_days"), rule.max_age_days, 0..=36_500));
            all.push(b(key("max_items"), rule.max_items, 0..=100_000_000));
        }
        all
    }

    /// The first setting outside its range, as one line naming the key and the range.
    pub(crate) fn check_bounds(&self) -> Result<(), ConfigError> {
        match self
            .numeric_settings()
            .into_iter()
            .find(|s| !s.range.contains(&s.value))
        {
            Some(s) => Err(ConfigError::Invalid(format!(
                "{} = {} is out of range ({}..={})",
                s.key,
                s.value,
                s.range.start(),
                s.range.end()
            ))),
            None => Ok(()),
        }
    }
}
