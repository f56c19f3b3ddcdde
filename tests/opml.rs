//! `braid opml import` through the binary: the same URL rules as `braid source add`, reported
//! per outline, and limits on the file checked before it is parsed.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::temp_dir;

fn braid(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(dir)
        .env_remove("BRAID_DB")
        .env_remove("BRAID_LOG")
        .env_remove("BRAID_ALLOW_PRIVATE_NETWORKS")
        .args(args)
        .output()
        .expect("run braid")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn opml(outlines: &[(&str, &str)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>"#,
    );
    for (title, url) in outlines {
        s.push_str(&format!(
            r#"<outline text="{title}" type="rss" xmlUrl="{url}"/>"#
        ));
    }
    s.push_str("</body></opml>");
    s
}

fn source_urls(dir: &Path) -> Vec<String> {
    let out = braid(dir, &["source", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn import_applies_the_source_add_rules_per_outline() {
    let dir = temp_dir();
    let file = dir.path().join("subs.opml");
    std::fs::write(
        &file,
        opml(&[
            ("Good", "https://good.example/feed.xml"),
            ("Passwd", "file:///etc/passwd"),
            ("Gopher", "gopher://old.example/1"),
            ("Metadata", "http://169.254.169.254/latest/meta-data/"),
            ("Loopback", "http://[::1]:8080/feed"),
            ("Also good", "http://other.example/rss"),
            ("Good again", "https://good.example/feed.xml"),
        ]),
    )
    .unwrap();
    let out = braid(dir.path(), &["opml", "import", "subs.opml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines.last().copied(),
        Some("opml: imported 2, skipped 5 (2 not http/https, 2 private addresses, 1 already subscribed). Run `braid sync` to fetch them."),
        "{report}"
    );
    for (title, url, reason) in [
        ("Passwd", "file:///etc/passwd", "only http and https"),
        ("Gopher", "gopher://old.example/1", "only http and https"),
        (
            "Metadata",
            "http://169.254.169.254/latest/meta-data/",
            "private or reserved address",
        ),
        (
            "Loopback",
            "http://[::1]:8080/feed",
            "private or reserved address",
        ),
        (
            "Good again",
            "https://good.example/feed.xml",
            "already subscribed",
        ),
    ] {
        assert!(
            lines.iter().any(
                |l| l.starts_with(&format!("opml: skipped {title:?} ({url}): "))
                    && l.contains(reason)
            ),
            "no line for {title}: {report}"
        );
    }
    assert_eq!(
        source_urls(dir.path()),
        ["http://other.example/rss", "https://good.example/feed.xml"]
    );

    // Private addresses are allowed where `source add` allows them.
    std::fs::write(&file, opml(&[("Home", "http://192.168.1.10/feed")])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(dir.path())
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .args(["opml", "import", "subs.opml"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("opml: imported 1, skipped 0"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn import_refuses_files_over_the_limits_before_parsing() {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("braid.toml"),
        "[opml]\nmax_file_bytes = 2048\nmax_outlines = 3\n",
    )
    .unwrap();
    let one_line_error = |out: &Output| {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };

    // An endless file: only a read that stops at the cap ever returns.
    let err = one_line_error(&braid(dir.path(), &["opml", "import", "/dev/zero"]));
    assert_eq!(
        err,
        "error: opml: /dev/zero is larger than opml.max_file_bytes (2048 bytes); raise that \
         setting to import it\n"
    );

    let many: Vec<(String, String)> = (0..4)
        .map(|i| (format!("F{i}"), format!("https://f{i}.example/feed")))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    std::fs::write(dir.path().join("four.opml"), opml(&many)).unwrap();
    let err = one_line_error(&braid(dir.path(), &["opml", "import", "four.opml"]));
    assert_eq!(
        err,
        "error: opml: four.opml lists more than opml.max_outlines (3) feeds; raise that \
         setting to import it\n"
    );
    assert!(
        source_urls(dir.path()).is_empty(),
        "a refused file imported feeds"
    );

    std::fs::write(dir.path().join("three.opml"), opml(&many[..3])).unwrap();
    let out = braid(dir.path(), &["opml", "import", "three.opml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(source_urls(dir.path()).len(), 3);
}
