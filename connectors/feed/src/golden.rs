//! Golden conversion tests: captured real-world feeds in `testdata/<format>/<name>.<ext>` (see
//! `testdata/SOURCES.md`) beside `<name>.golden.json`, the normalized items Braid makes of them.
//! One table drives them all; nothing touches the network (the converter takes bytes).
//!
//! After an intended change in conversion, regenerate with
//! `BRAID_BLESS=1 cargo test -p braid-feed golden` and review the diff by eye.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use url::Url;

use crate::parse_feed;

/// (fixture under `testdata/`, the URL it is pretended to have been fetched from). The URL is
/// the base for relative links, so it is the publisher's own where the fixture names it.
const CASES: &[(&str, &str)] = &[
    ("rss0/rss_0.91_spec_1.xml", "http://writetheweb.com/rss.xml"),
    (
        "rss0/rss_0.92_spec_1.xml",
        "http://www.scripting.com/rss.xml",
    ),
    (
        "rss0/rss_0.91_missing_id.xml",
        "https://feeds.feedburner.com/ingreso_dival",
    ),
    ("rss0/rss_0.93.xml", "http://www.scripting.example/rss"),
    ("rss0/rss_0.94.xml", "http://www.scripting.example/rss"),
    ("rss1/rss_1.0_spec_1.xml", "http://xml.com/pub/rss.rdf"),
    ("rss1/rss_1.0_rdf_about.xml", "https://about.example/rss"),
    ("rss1/rss_1.0_iso8859.xml", "https://rss.golem.de/rss.php"),
    ("rss2/rss_2.0_heated.xml", "https://heated.world/feed"),
    (
        "rss2/rss_2.0_relurl_1.xml",
        "https://insanity.industries/index.xml",
    ),
    (
        "rss2/rss_2.0_relurl_2.xml",
        "https://kryogenix.org/random/relurleg.xml",
    ),
    (
        "rss2/rss_2.0_spiegel.xml",
        "https://www.spiegel.de/thema/spiegel-update/index.rss",
    ),
    (
        "rss2/rss_2.0_nightvale.xml",
        "http://nightvale.libsyn.com/rss",
    ),
    (
        "rss2/rss_2.0_example_6.xml",
        "https://trailers.apple.com/trailers/home/rss/newtrailers.rss",
    ),
    ("rss2/rss_2.0_no_ids.xml", "https://noids.example/feed"),
    ("rss2/rss_2.0_dc_fields.xml", "https://dc.example/feed"),
    (
        "rss2/rss_2.0_unescaped_html.xml",
        "https://raw.example/feed",
    ),
    (
        "atom/atom_example_xhtml.xml",
        "https://www.redblobgames.com/blog/posts.xml",
    ),
    (
        "atom/atom_relative.xml",
        "https://example.com/blog/feed.xml",
    ),
    ("atom/atom_xml_base.xml", "https://numi.st/feed.xml"),
    ("atom/atom_0.3.xml", "https://old.example/atom.xml"),
    ("atom/atom_content_types.xml", "https://types.example/atom"),
    ("atom/atom_id_as_url.xml", "https://ids.example/atom"),
    ("atom/atom_no_ids.xml", "https://noids.example/atom"),
    (
        "atom/atom_mediarss_youtube_1.xml",
        "https://www.youtube.com/feeds/videos.xml?channel_id=UC7_gcs09iThXybpVgjHZ_7g",
    ),
    (
        "jsonfeed/jsonfeed_spec_1.json",
        "https://jsonfeed.org/feed.json",
    ),
    (
        "jsonfeed/jsonfeed_elastic_1.1.json",
        "https://www.influxdata.com/blog/feed.json",
    ),
    (
        "jsonfeed/jsonfeed_bad_items.json",
        "https://json.example/feed.json",
    ),
];

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn golden_path(fixture: &Path) -> PathBuf {
    let stem = fixture.file_stem().unwrap().to_string_lossy().into_owned();
    fixture.with_file_name(format!("{stem}.golden.json"))
}

#[test]
fn golden_conversions() {
    let bless = std::env::var_os("BRAID_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (name, feed_url) in CASES {
        let path = testdata().join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let feed_url = Url::parse(feed_url).unwrap();
        let parsed = parse_feed(&bytes, &feed_url).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!parsed.items.is_empty(), "{name}: no items");
        let actual = serde_json::to_string_pretty(&parsed.items).unwrap() + "\n";

        // Properties every golden must have, checked even while blessing.
        for item in &parsed.items {
            let id = item.remote_id.as_str();
            assert!(!id.is_empty(), "{name}: empty id");
            // A UUID id must be the publisher's own, not feed-rs's random fallback.
            assert!(
                !is_uuid(id) || String::from_utf8_lossy(&bytes).contains(id),
                "{name}: random id {id}"
            );
            for url in item
                .url
                .iter()
                .chain(item.attachments.iter().map(|a| &a.url))
            {
                assert!(Url::parse(url).is_ok(), "{name}: relative URL {url}");
            }
            // HTML fields only: plain text may well say "<script>" (escaped when shown).
            for html in item.content_html.iter().chain(&item.summary) {
                for bad in [
                    "<script",
                    "javascript:",
                    " onerror=",
                    " onclick=",
                    "<iframe",
                ] {
                    assert!(!html.contains(bad), "{name}: {bad} survived in {html}");
                }
            }
        }
        let again = parse_feed(&bytes, &feed_url).unwrap();
        assert_eq!(again.items, parsed.items, "{name}: not deterministic");

        let golden = golden_path(&path);
        if bless {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(expected) if expected == actual => {}
            Ok(_) => failures.push(format!(
                "{name}: output differs from {} (BRAID_BLESS=1 to regenerate)",
                golden.display()
            )),
            Err(e) => failures.push(format!("{name}: {} ({e})", golden.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// feed-rs's fallback id is a bare v4 UUID.
fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// Every fixture in `testdata/` is in the table, so none is silently skipped.
#[test]
fn every_fixture_is_in_the_table() {
    for dir in std::fs::read_dir(testdata()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let rel = file
                .strip_prefix(testdata())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.ends_with(".golden.json") {
                continue;
            }
            assert!(
                CASES.iter().any(|(name, _)| *name == rel),
                "{rel} is not in golden::CASES"
            );
        }
    }
}
