//! The built `braid` binary, as a person runs it: clear one-sentence errors, non-zero exits,
//! and the add → sync → timeline path end to end against a local server.

use std::process::{Command, Output};

use crate::support::server::{Reply, TestServer};
use crate::support::temp_dir;

fn braid(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(dir)
        .env_remove("BRAID_DB")
        .env_remove("BRAID_LISTEN")
        .env_remove("BRAID_ALLOW_PRIVATE_NETWORKS")
        .env("BRAID_LOG", "warn")
        .args(args)
        .output()
        .expect("run braid")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_clean_failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "expected failure, got success: {}",
        stdout(o)
    );
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    err
}

#[test]
fn help_explains_commands() {
    let dir = temp_dir();
    let out = braid(dir.path(), &["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for word in [
        "run",
        "sync",
        "source",
        "opml",
        "timeline",
        "braid.toml",
        "BRAID_DB",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
}

#[test]
fn bad_config_names_the_key() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("braid.toml"), "[fetch]\ntimeout = 3\n").expect("write");
    let err = assert_clean_failure(&braid(dir.path(), &["source", "list"]));
    assert!(
        err.contains("timeout") && err.contains("braid.toml") && err.contains("line 2"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("braid.toml"),
        "[scheduler]\ndefault_schedule = \"often\"\n",
    )
    .expect("write");
    let err = assert_clean_failure(&braid(dir.path(), &["source", "list"]));
    assert!(
        err.contains("scheduler.default_schedule") && err.contains("*/15 * * * *"),
        "{err}"
    );

    let err = assert_clean_failure(&braid(
        dir.path(),
        &["--config", "missing.toml", "source", "list"],
    ));
    assert!(err.contains("missing.toml"), "{err}");
}

/// A number serde accepts but Braid cannot use stops every command at start, on one line
/// naming the key and the range, instead of panicking inside every poll.
#[test]
fn out_of_range_numbers_are_refused_at_start() {
    let dir = temp_dir();
    for (toml, line) in [
        (
            "[fetch]\ntimeout_secs = 99999999999\n",
            "error: config: fetch.timeout_secs = 99999999999 is out of range (1..=3600)\n",
        ),
        (
            "[scheduler]\nbackoff_max_secs = 0\n",
            "error: config: scheduler.backoff_max_secs = 0 is out of range (1..=2592000)\n",
        ),
        (
            "[retention.sources.\"Blog\"]\nmax_age_days = 4000000000\n",
            "error: config: retention.sources.\"Blog\".max_age_days = 4000000000 is out of range (0..=36500)\n",
        ),
    ] {
        std::fs::write(dir.path().join("braid.toml"), toml).expect("write");
        for args in [&["sync"][..], &["run", "--no-web"], &["timeline"]] {
            let out = braid(dir.path(), args);
            assert_clean_failure(&out);
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(stderr(&out), line, "{args:?}");
        }
    }
}

#[test]
fn unknown_source_is_a_clear_error() {
    let dir = temp_dir();
    let err = assert_clean_failure(&braid(dir.path(), &["sync", "--source", "nope"]));
    assert!(err.contains("no source named \"nope\""), "{err}");
    let err = assert_clean_failure(&braid(dir.path(), &["source", "remove", "nope"]));
    assert!(err.contains("braid source list"), "{err}");
}

#[test]
fn unreachable_url_is_a_clear_error() {
    let dir = temp_dir();
    // Port 9 (discard) on loopback: nothing listens there.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    let out = cmd
        .current_dir(dir.path())
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .env("BRAID_LOG", "warn")
        .args(["source", "add", "http://127.0.0.1:9/feed.xml"])
        .output()
        .expect("run");
    let err = assert_clean_failure(&out);
    assert!(err.contains("could not connect"), "{err}");
}

#[test]
fn private_address_refused_by_default() {
    let dir = temp_dir();
    let err = assert_clean_failure(&braid(
        dir.path(),
        &["source", "add", "http://127.0.0.1:9/feed.xml"],
    ));
    assert!(err.contains("private or reserved address"), "{err}");
    // The rule `braid opml import` shares: only http and https are ever subscribed to.
    for url in ["file:///etc/passwd", "gopher://old.example/1"] {
        let err = assert_clean_failure(&braid(dir.path(), &["source", "add", url]));
        assert!(err.contains("only http and https feeds"), "{err}");
    }
}

/// A feed read in part is not an unremarked "ok": `sync` and `source list` say what was lost.
#[tokio::test(flavor = "multi_thread")]
async fn sync_and_source_list_show_what_a_poll_could_not_read() {
    let server = TestServer::start(|_| {
        Reply::ok(
            "application/feed+json",
            r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
                {"id": "1", "url": "https://j.example/1", "content_text": "one"}, 42]}"#,
        )
    })
    .await;
    let dir = temp_dir();
    let path = dir.path().to_path_buf();
    let url = server.url("/feed.json");
    let out = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_braid"))
                .current_dir(&path)
                .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
                .env("BRAID_LOG", "warn")
                .args(args)
                .output()
                .expect("run")
        };
        let add = run(&["source", "add", &url, "--name", "jf"]);
        assert!(add.status.success(), "{}", stderr(&add));
        (run(&["sync"]), run(&["source", "list"]))
    })
    .await
    .unwrap();
    let (sync, list) = out;
    assert!(sync.status.success(), "{}", stderr(&sync));
    assert!(
        stdout(&sync).contains("jf: read with losses: feed: JSON Feed item 2 skipped"),
        "{}",
        stdout(&sync)
    );
    let list = stdout(&list);
    assert!(list.contains("partial"), "{list}");
    assert!(
        list.contains("read with losses: feed: JSON Feed item 2 skipped"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn add_sync_timeline_and_opml() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/" => Reply::ok(
            "text/html",
            r#"<!doctype html><html><head><title>Site</title><link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml"></head><body>hi</body></html>"#,
        ),
        _ => Reply::ok(
            "application/rss+xml",
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Site Posts</title><link>https://site.example/</link><description>d</description>
<item><guid>1</guid><title>Hello braid</title><link>https://site.example/1</link><description>first post</description><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>
<item><guid>2</guid><title>Second</title><link>https://site.example/2</link><description>searchable zebra</description><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"#,
        ),
    })
    .await;
    let dir = temp_dir();
    let site = server.url("/");
    let path = dir.path().to_path_buf();
    let run = move |args: Vec<String>| {
        let path = path.clone();
        let args: Vec<String> = args;
        std::thread::spawn(move || {
            Command::new(env!("CARGO_BIN_EXE_braid"))
                .current_dir(&path)
                .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
                .env("BRAID_LOG", "warn")
                .args(&args)
                .output()
                .expect("run")
        })
        .join()
        .expect("join")
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    let out = run(s(&["source", "add", &site, "--category", "Blogs"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("feed.xml"), "{}", stdout(&out));

    let out = run(s(&["sync"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 new"), "{}", stdout(&out));

    let out = run(s(&["timeline", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let items: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("timeline --json is JSON");
    let items = items.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Second");
    assert_eq!(items[0]["url"], "https://site.example/2");

    let out = run(s(&["timeline", "--search", "zebra"]));
    assert!(
        stdout(&out).contains("Second") && !stdout(&out).contains("Hello braid"),
        "{}",
        stdout(&out)
    );

    let out = run(s(&["source", "list", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(list[0]["name"], "Site Posts");
    assert_eq!(list[0]["item_count"], 2);
    assert!(list[0]["last_success"].is_string());

    let out = run(s(&["source", "list"]));
    assert!(
        stdout(&out).contains("Site Posts") && stdout(&out).contains(" ok "),
        "{}",
        stdout(&out)
    );

    let out = run(s(&["opml", "export"]));
    let opml = stdout(&out);
    assert!(
        opml.contains("Blogs") && opml.contains("feed.xml"),
        "{opml}"
    );

    // Import into a fresh database: the category survives the round trip.
    std::fs::write(dir.path().join("subs.opml"), &opml).expect("write");
    let out = run(s(&["--db", "other.db", "opml", "import", "subs.opml"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(s(&["--db", "other.db", "source", "list", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(list[0]["category"], "Blogs");
    assert_eq!(list[0]["url"], server.url("/feed.xml"));
}

#[test]
fn run_refuses_non_loopback_listen() {
    let dir = temp_dir();
    let err = assert_clean_failure(&braid(dir.path(), &["run", "--listen", "0.0.0.0:8080"]));
    assert!(
        err.contains("0.0.0.0:8080") && err.contains("loopback"),
        "{err}"
    );
}

/// The daemon end to end: `braid run` polls a due source on its own, serves what it stored,
/// and stops cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_polls_serves_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let server = TestServer::start(|_| {
        Reply::ok(
            "application/rss+xml",
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Daemon</title><link>https://d.example/</link><description>d</description>
<item><guid>d1</guid><title>Polled by the daemon</title><link>https://d.example/1</link><description>x</description></item></channel></rss>"#,
        )
    })
    .await;
    let dir = temp_dir();
    let feed = server.url("/feed.xml");
    let path = dir.path().to_path_buf();
    let addr = tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_braid"))
            .current_dir(&path)
            .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
            .args(["source", "add", &feed])
            .output()
            .expect("add");
        assert!(out.status.success(), "{}", stderr(&out));
        let token = Command::new(env!("CARGO_BIN_EXE_braid"))
            .current_dir(&path)
            .args(["token", "create", "cli-test"])
            .output()
            .expect("token");
        assert!(token.status.success(), "{}", stderr(&token));
        let token = String::from_utf8(token.stdout)
            .expect("utf-8")
            .trim()
            .to_owned();
        assert!(token.starts_with("braid_"), "{token}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .current_dir(&path)
            .env("BRAID_LOG", "info")
            .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
            .args(["run", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut line).expect("read");
        // No owner yet: the one-time setup link follows.
        let mut setup = String::new();
        stdout.read_line(&mut setup).expect("read");
        assert!(setup.contains("no owner yet"), "{setup:?}");
        setup.clear();
        stdout.read_line(&mut setup).expect("read");
        let setup = setup.trim().to_owned();
        assert!(setup.contains("/setup?token="), "{setup:?}");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        (addr, child, token, setup)
    })
    .await
    .expect("join");
    let (addr, child, token, setup) = addr;

    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    };
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    let setup_path = setup.split_once(&addr).map(|(_, p)| p).unwrap_or_default();
    assert!(get(setup_path).starts_with("HTTP/1.1 200"), "{setup}");
    // The source is due at once: the scheduler polls it within a few ticks.
    let mut found = false;
    for _ in 0..100 {
        if get("/api/timeline").contains("Polled by the daemon") {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the daemon never polled the due source");

    let status = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {log}", out.status);
    assert!(
        log.contains("scheduler: stopped") && log.contains("braid: stopped"),
        "{log}"
    );
}

mod manners;
