//! Proxies: the environment's proxy variables never carry a request past the private-address
//! check, and a proxy named in the config gets only targets that passed it.

use std::process::{Command, Output};

use crate::support::server::{Reply, TestServer};
use crate::support::temp_dir;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Via proxy</title>
<item><title>One</title><link>https://example.com/1</link></item></channel></rss>"#;

/// A "proxy" that answers every request with a feed, and records what it was asked for.
async fn fake_proxy() -> TestServer {
    TestServer::start(|_| Reply::ok("application/rss+xml", FEED)).await
}

fn braid(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.current_dir(dir)
        .env_remove("BRAID_DB")
        .env_remove("BRAID_ALLOW_PRIVATE_NETWORKS")
        .env("BRAID_LOG", "warn")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run braid")
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_proxies_are_ignored() {
    let proxy = fake_proxy().await;
    let dir = temp_dir();
    let proxy_url = proxy.url("");
    let env: Vec<(&'static str, String)> = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .map(|k| (*k, proxy_url.clone()))
    .collect();
    // `localhost` resolves to loopback: refused by Braid's resolver, which a proxy would skip.
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            braid(
                &dir,
                &["source", "add", "http://localhost:9/feed.xml"],
                &env,
            )
        }
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "added through the proxy: {err}");
    assert!(err.contains("private or reserved address"), "{err}");
    assert!(
        proxy.seen.lock().unwrap().is_empty(),
        "the environment's proxy was used"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_proxy_gets_only_checked_targets() {
    let proxy = fake_proxy().await;
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("braid.toml"),
        format!("[fetch]\nproxy = \"{}\"\n", proxy.url("")),
    )
    .unwrap();
    for target in [
        "http://localhost:9/feed.xml",
        "http://127.0.0.1:9/feed.xml",
        "http://[::1]:9/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
    ] {
        let out = tokio::task::spawn_blocking({
            let dir = dir.path().to_owned();
            move || braid(&dir, &["source", "add", target], &[])
        })
        .await
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{target} added through the proxy");
        assert!(
            err.contains("private or reserved address"),
            "{target}: {err}"
        );
    }
    assert!(
        proxy.seen.lock().unwrap().is_empty(),
        "a private target reached the proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_proxy_setting_is_one_clear_line_without_the_password() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("braid.toml"),
        "[fetch]\nproxy = \"socks9://user:s3cret@proxy.example:1080\"\n",
    )
    .unwrap();
    let out = braid(dir.path(), &["source", "list"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("fetch.proxy"), "{err}");
    assert!(!err.contains("s3cret"), "the password was shown: {err}");
}
