//! How the binary behaves in a shell: pipes closed early, a full disk, logs on stderr in a
//! pipe, long listings.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use crate::support::server::{Reply, TestServer};
use crate::support::temp_dir;

/// A database in `dir` holding one feed with `n` items, polled once.
async fn db_with_items(n: usize) -> (tempfile::TempDir, TestServer) {
    let mut feed = String::from(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title><link>https://many.example/</link><description>d</description>"#,
    );
    for i in 0..n {
        // One item a minute back from a fixed time, so the expected order is known.
        let t = chrono::DateTime::from_timestamp(1_790_000_000 - 60 * i as i64, 0).unwrap();
        feed.push_str(&format!(
            "<item><guid>g{i}</guid><title>Item {i}</title><link>https://many.example/{i}</link><description>text of item {i}</description><pubDate>{}</pubDate></item>",
            t.to_rfc2822()
        ));
    }
    feed.push_str("</channel></rss>");
    let server = TestServer::start(move |_| Reply::ok("application/rss+xml", feed.clone())).await;
    let dir = temp_dir();
    let url = server.url("/feed.xml");
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        for args in [vec!["source", "add", url.as_str()], vec!["sync"]] {
            let out = braid(&path).args(&args).output().expect("run");
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        }
    })
    .await
    .unwrap();
    (dir, server)
}

/// The binary as a script runs it: no BRAID_LOG, stdout and stderr piped.
fn braid(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.current_dir(dir)
        .env_remove("BRAID_DB")
        .env_remove("BRAID_LOG")
        .env_remove("NO_COLOR")
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .stdin(Stdio::null());
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `braid timeline | head -1`: read one line, close the pipe; braid ends quietly.
fn read_one_line_then_close(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut child = braid(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // The reader (and with it the pipe) is dropped here, long before braid wrote everything:
    // the listing is several times larger than a pipe's buffer.
    assert!(!line.is_empty(), "braid printed nothing");
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_pipe_ends_quietly_and_full_disk_is_one_line() {
    let (dir, _server) = db_with_items(600).await;
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        for args in [
            &["timeline", "--limit", "600"][..],
            &["timeline", "--json", "--limit", "600"],
        ] {
            let out = read_one_line_then_close(&path, args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                text(&out.stderr)
            );
            assert_eq!(text(&out.stderr), "", "{args:?}");
        }

        for args in [
            &["timeline", "--limit", "600"][..],
            &["opml", "export"],
            &["source", "list"],
        ] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            let out = braid(&path).args(args).stdout(full).output().unwrap();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.starts_with("error: could not write the output: No space left on device"),
                "{args:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn one_shot_commands_log_plain_warnings_only_by_default() {
    // A poll logs at INFO what it fetched; by default a one-shot command must not.
    let (dir, _server) = db_with_items(3).await;
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = braid(&path).arg("sync").output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(!err.contains("INFO"), "INFO in a pipe by default: {err}");
        assert!(!err.contains('\u{1b}'), "ANSI escape in a pipe: {err:?}");

        for raise in [
            braid(&path).args(["--log-level", "info", "sync"]).output(),
            braid(&path).env("BRAID_LOG", "info").arg("sync").output(),
        ] {
            let out = raise.unwrap();
            let err = text(&out.stderr);
            assert!(err.contains("INFO"), "--log-level info shows INFO: {err}");
            assert!(!err.contains('\u{1b}'), "ANSI escape in a pipe: {err:?}");
        }

        let out = braid(&path).args(["--log-level", "bogus", "sync"]).output().unwrap();
        let err = text(&out.stderr);
        assert!(!out.status.success(), "bogus level accepted");
        assert!(
            err.contains("bogus") && err.contains("off, error, warn, info, debug, trace"),
            "{err}"
        );
        let out = braid(&path).env("BRAID_LOG", "bogus").arg("sync").output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.starts_with("error: config: BRAID_LOG=\"bogus\": not a log level; use one of off, error, warn, info, debug, trace"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn timeline_json_honours_limits_past_one_store_page() {
    let (dir, _server) = db_with_items(1203).await;
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        for (limit, expected) in [("100000", 1203), ("1001", 1001), ("3", 3)] {
            let out = braid(&path)
                .args(["timeline", "--json", "--limit", limit])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            let items: Vec<serde_json::Value> =
                serde_json::from_slice(&out.stdout).expect("one JSON array");
            let titles: Vec<String> = items
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_owned())
                .collect();
            let want: Vec<String> = (0..expected).map(|i| format!("Item {i}")).collect();
            assert_eq!(titles.len(), expected, "--limit {limit}");
            assert!(
                titles == want,
                "--limit {limit}: not newest first, or an item twice"
            );
        }
        // The text listing pages the same way.
        let out = braid(&path)
            .args(["timeline", "--limit", "700"])
            .output()
            .unwrap();
        let listing = text(&out.stdout);
        assert!(listing.contains("Item 699\n") && !listing.contains("Item 700\n"));

        let out = braid(&path)
            .args(["timeline", "--limit", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(
            err.contains("'0' for '--limit <LIMIT>': give a whole number of items, at least 1"),
            "{err}"
        );
    })
    .await
    .unwrap();
}

/// `braid sync | head -1` with a failing source: nobody reads the report, but the exit code
/// still says a source failed.
#[tokio::test(flavor = "multi_thread")]
async fn sync_failure_survives_a_closed_pipe() {
    let server = TestServer::start(|_| Reply::status(500)).await;
    let dir = temp_dir();
    let url = server.url("/feed.xml");
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = braid(&path)
            .args(["--log-level", "off", "opml", "import", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let opml = format!(
                    r#"<opml version="2.0"><head/><body><outline text="Down" xmlUrl="{url}"/></body></opml>"#
                );
                child.stdin.take().unwrap().write_all(opml.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));

        let mut child = braid(&path)
            .args(["--log-level", "error", "sync"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the pipe before braid has polled, so its report hits a closed pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "error: 1 of 1 sources failed\n");
    })
    .await
    .unwrap();
}
