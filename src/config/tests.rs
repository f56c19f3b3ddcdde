#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::collections::BTreeSet;

const EXAMPLE: &str = include_str!("../../config.example.toml");

/// Every key path (`web.listen`) in a TOML value.
fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let toml::Value::Table(t) = value {
        for (k, v) in t {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_table() {
                key_paths(v, &path, out);
            } else {
                out.insert(path);
            }
        }
    }
}

/// The example with its commented-out optional settings switched on.
fn example_uncommented() -> String {
    EXAMPLE
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let body = t.strip_prefix("# ").unwrap_or("");
            let is_setting = body.starts_with('[')
                || body.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if is_setting {
                body.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A config with every field set, written as struct literals without `..Default::default()`,
/// so adding a field to any config struct fails to compile here until the test (and with it
/// the example) is updated.
fn every_field() -> Config {
    Config {
        storage: StorageConfig {
            db: "x.db".into(),
            max_content_bytes: 1,
        },
        web: WebConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 1)),
            title: "t".into(),
            base_url: "https://x.example/".into(),
            allowed_hosts: vec!["192.168.1.5".into()],
            owner_name: "o".into(),
            trust_proxy_headers: true,
            session_days: 1,
            max_connections: 1,
            header_timeout_secs: 1,
            body_timeout_secs: 1,
            max_upload_bytes: 1,
            max_listener_body_bytes: 1,
        },
        fetch: FetchConfig {
            allow_private_networks: true,
            user_agent: "ua".into(),
            connect_timeout_secs: 1,
            timeout_secs: 1,
            max_body_bytes: 1,
            max_redirects: 1,
            proxy: "http://proxy.example:3128".into(),
            blocked_domains: vec!["spam.example".into()],
        },
        scheduler: SchedulerConfig {
            default_schedule: "* * * * *".into(),
            max_concurrency: 1,
            max_per_host: 1,
            max_failures: 1,
            backoff_base_secs: 1,
            backoff_max_secs: 1,
            retention_schedule: "* * * * *".into(),
        },
        retention: RetentionConfig {
            max_age_days: 1,
            max_items_per_source: 1,
            sources: BTreeMap::from([(
                "Example Blog".to_owned(),
                SourceRetention {
                    max_age_days: 1,
                    max_items: 1,
                },
            )]),
        },
        log: LogConfig {
            level: Some("info".into()),
            format: LogFormat::Json,
        },
        opml: OpmlConfig {
            max_file_bytes: 1,
            max_outlines: 1,
        },
        outbox: OutboxConfig {
            max_attempts: 1,
            backoff_base_secs: 1,
            backoff_max_secs: 1,
        },
        route: vec![ConfigRoute {
            name: "blog-to-mastodon".into(),
            from: vec!["Example Blog".into()],
            to: vec!["me".into()],
            ..ConfigRoute::default()
        }],
        channel: vec![ConfigChannel {
            name: "links".into(),
            ..ConfigChannel::default()
        }],
    }
}

#[test]
fn example_parses_and_equals_defaults() {
    let parsed = Config::from_toml(EXAMPLE).expect("config.example.toml must parse");
    assert_eq!(
        parsed,
        Config::default(),
        "config.example.toml shows values that are not the defaults"
    );
}

#[test]
fn example_documents_every_option() {
    let uncommented = example_uncommented();
    Config::from_toml(&uncommented)
        .expect("commented options in config.example.toml must be valid");
    let mut documented = BTreeSet::new();
    key_paths(&toml::from_str(&uncommented).unwrap(), "", &mut documented);
    let mut fields = BTreeSet::new();
    key_paths(
        &toml::Value::try_from(every_field()).unwrap(),
        "",
        &mut fields,
    );
    assert_eq!(
        documented, fields,
        "config.example.toml and the Config struct have drifted"
    );
}

#[test]
fn unknown_key_is_named() {
    let err = Config::from_toml("[fetch]\ntimeout_sec = 3\n").unwrap_err();
    assert!(err.contains("timeout_sec"), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn env_overrides() {
    let mut c = Config::default();
    c.apply_env(|k| match k {
        "BRAID_DB" => Some("/tmp/x.db".into()),
        "BRAID_LISTEN" => Some("127.0.0.1:9999".into()),
        "BRAID_ALLOW_PRIVATE_NETWORKS" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.storage.db, PathBuf::from("/tmp/x.db"));
    assert_eq!(c.web.listen.port(), 9999);
    assert!(c.fetch.allow_private_networks);
    let mut c = Config::default();
    assert!(c
        .apply_env(|k| (k == "BRAID_LISTEN").then(|| "nope".into()))
        .is_err());
}

#[test]
fn bad_cron_is_reported() {
    let mut c = Config::default();
    c.scheduler.default_schedule = "every day".into();
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("scheduler.default_schedule"), "{err}");
    assert!(err.contains("*/15 * * * *"), "{err}");
}

/// Every duration and count: its largest accepted value passes, one more is refused with the
/// key and the range named, and so is a value below the minimum where there is one.
#[test]
fn every_number_is_bounded_and_named() {
    type Setter = fn(&mut Config, u64);
    let set: &[(&str, Setter)] = &[
        ("fetch.connect_timeout_secs", |c, v| {
            c.fetch.connect_timeout_secs = v
        }),
        ("fetch.timeout_secs", |c, v| c.fetch.timeout_secs = v),
        ("fetch.max_body_bytes", |c, v| c.fetch.max_body_bytes = v),
        ("fetch.max_redirects", |c, v| {
            c.fetch.max_redirects = v as usize
        }),
        ("web.max_listener_body_bytes", |c, v| {
            c.web.max_listener_body_bytes = v
        }),
        ("scheduler.max_concurrency", |c, v| {
            c.scheduler.max_concurrency = v as usize
        }),
        ("scheduler.max_per_host", |c, v| {
            c.scheduler.max_per_host = v as usize
        }),
        ("scheduler.max_failures", |c, v| {
            c.scheduler.max_failures = v as u32
        }),
        ("scheduler.backoff_base_secs", |c, v| {
            c.scheduler.backoff_base_secs = v
        }),
        ("scheduler.backoff_max_secs", |c, v| {
            c.scheduler.backoff_max_secs = v
        }),
        ("retention.max_age_days", |c, v| {
            c.retention.max_age_days = v as u32
        }),
        ("retention.max_items_per_source", |c, v| {
            c.retention.max_items_per_source = v as u32
        }),
        ("opml.max_file_bytes", |c, v| c.opml.max_file_bytes = v),
        ("web.session_days", |c, v| c.web.session_days = v),
        ("web.max_connections", |c, v| c.web.max_connections = v),
        ("web.header_timeout_secs", |c, v| {
            c.web.header_timeout_secs = v
        }),
        ("web.body_timeout_secs", |c, v| c.web.body_timeout_secs = v),
        ("web.max_upload_bytes", |c, v| c.web.max_upload_bytes = v),
        ("opml.max_outlines", |c, v| c.opml.max_outlines = v),
        ("outbox.max_attempts", |c, v| {
            c.outbox.max_attempts = v as u32
        }),
        ("outbox.backoff_base_secs", |c, v| {
            c.outbox.backoff_base_secs = v
        }),
        ("outbox.backoff_max_secs", |c, v| {
            c.outbox.backoff_max_secs = v
        }),
        ("storage.max_content_bytes", |c, v| {
            c.storage.max_content_bytes = v as usize
        }),
        ("retention.sources.\"Blog\".max_age_days", |c, v| {
            c.retention
                .sources
                .entry("Blog".into())
                .or_default()
                .max_age_days = v as u32
        }),
        ("retention.sources.\"Blog\".max_items", |c, v| {
            c.retention
                .sources
                .entry("Blog".into())
                .or_default()
                .max_items = v as u32
        }),
    ];
    let bounds: BTreeMap<String, (u64, u64)> = {
        let mut c = Config::default();
        c.retention
            .sources
            .insert("Blog".into(), SourceRetention::default());
        c.numeric_settings()
            .into_iter()
            .map(|s| (s.key, (*s.range.start(), *s.range.end())))
            .collect()
    };
    assert_eq!(
        bounds.keys().cloned().collect::<BTreeSet<_>>(),
        set.iter()
            .map(|(k, _)| k.to_string())
            .collect::<BTreeSet<_>>(),
        "a numeric setting has no bound, or this table misses one"
    );
    Config::default()
        .validate()
        .expect("the defaults are in range");
    for (key, setter) in set {
        let (min, max) = bounds[*key];
        let mut c = Config::default();
        setter(&mut c, max);
        c.validate()
            .unwrap_or_else(|e| panic!("{key} = {max} is the maximum, yet: {e}"));
        let mut values = vec![max + 1];
        if min > 0 {
            values.push(min - 1);
        }
        for v in values {
            let mut c = Config::default();
            setter(&mut c, v);
            let err = c.validate().unwrap_err().to_string();
            assert_eq!(
                err,
                format!("config: {key} = {v} is out of range ({min}..={max})"),
                "{key}"
            );
        }
    }
}

#[test]
fn huge_timeout_in_the_file_is_refused_with_its_range() {
    let c = Config::from_toml("[fetch]\ntimeout_secs = 99999999999\n").unwrap();
    assert_eq!(
        c.validate().unwrap_err().to_string(),
        "config: fetch.timeout_secs = 99999999999 is out of range (1..=3600)"
    );
}

#[test]
fn log_levels_are_checked_wherever_they_come_from() {
    for good in [
        "warn",
        "INFO",
        "off",
        "braid=debug",
        "braid::scheduler=trace,warn",
    ] {
        assert!(log_level::check(good).is_ok(), "{good}");
    }
    for bad in ["bogus", "", "braid", "braid=loud", "info,", "=info"] {
        let err = log_level::check(bad).unwrap_err();
        assert!(
            err.contains("error, warn, info, debug, trace"),
            "{bad}: {err}"
        );
    }
    let mut c = Config::default();
    let err = c
        .apply_env(|k| (k == "BRAID_LOG").then(|| "bogus".into()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("config: BRAID_LOG=\"bogus\": not a log level"),
        "{err}"
    );
    let mut c = Config::default();
    c.log.level = Some("verbose".into());
    let err = c.validate().unwrap_err().to_string();
    assert!(err.starts_with("config: log.level = \"verbose\""), "{err}");
}
