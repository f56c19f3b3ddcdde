#![allow(clippy::unwrap_used, clippy::expect_used)]

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
        },
        fetch: FetchConfig {
            allow_private_networks: true,
            user_agent: "ua".into(),
            connect_timeout_secs: 1,
            timeout_secs: 1,
            max_body_bytes: 1,
            max_redirects: 1,
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
            level: "info".into(),
            format: LogFormat::Json,
        },
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
