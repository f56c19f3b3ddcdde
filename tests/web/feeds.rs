//! The served feeds (Atom, RSS 2.0, JSON Feed) read back by parsers Braid did not write:
//! Python feedparser, jsonfeed-util and xmllint, on the site [`super::start`] serves.

use std::process::{Command, Stdio};

use serde_json::Value;

use super::{at, start, BULK, HOSTILE_TITLE, UNICODE_TITLE};
use crate::support;

/// Atom and RSS through Python feedparser, the parser most feed readers' behaviour is
/// measured against. `bozo` is feedparser's flag for anything not well-formed.
const FEEDPARSER: &str = r#"
import sys, json, calendar, datetime, feedparser
# The content type as served: feedparser tells JSON Feed from XML by it.
d = feedparser.parse(sys.stdin.buffer.read(), response_headers={"content-type": sys.argv[1]})
def ts(t):
    return datetime.datetime.fromtimestamp(calendar.timegm(t), datetime.timezone.utc).isoformat() if t else None
def body(e):
    if e.get("content"):
        return e.content[0].value
    return e.get("summary")
print(json.dumps({
    "bozo": int(bool(d.bozo)),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "title": d.feed.get("title"),
    "self": [l.get("href") for l in d.feed.get("links", []) if l.get("rel") == "self"],
    "entries": [{
        "title": e.get("title"),
        "link": e.get("link"),
        "id": e.get("id"),
        "published": ts(e.get("published_parsed")),
        "updated": ts(e.get("updated_parsed")),
        "content": body(e),
        "enclosures": [x.get("href") for x in e.get("enclosures", [])],
    } for e in d.entries],
}))
"#;

/// feedparser 6.0 (the release on PyPI) reads no JSON Feed, so JSON Feed goes through
/// `jsonfeed-util` (its own parser, which enforces the required fields) plus the spec's rules
/// it leaves out, checked here: the version URL, string ids, absolute URLs, RFC 3339 dates with
/// a zone, and a body on every item. Same output shape as [`FEEDPARSER`].
const JSONFEED: &str = r#"
import sys, json, datetime, urllib.parse, jsonfeed
raw = sys.stdin.buffer.read()
problems = []
def check(ok, what):
    if not ok:
        problems.append(what)
def date(s, what):
    if s is None:
        return None
    try:
        t = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        problems.append(what + " is not RFC 3339: " + s)
        return None
    check(t.tzinfo is not None, what + " has no time zone")
    return t.astimezone(datetime.timezone.utc).isoformat()
def absolute(u, what):
    check(u is None or urllib.parse.urlparse(u).scheme in ("http", "https"), what + " is not absolute: " + str(u))
try:
    doc = json.loads(raw)
    feed = jsonfeed.Feed.parse(doc)
except Exception as e:
    print(json.dumps({"bozo": 1, "bozo_exception": repr(e)}))
    sys.exit(0)
check(doc.get("version") == "https://jsonfeed.org/version/1.1", "version")
# The spec's required top-level fields, read from the document itself (the library defaults
# missing ones): version, title, items.
for key in ("version", "title", "items"):
    check(key in doc, "no top-level " + key)
absolute(feed.feed_url, "feed_url")
absolute(feed.home_page_url, "home_page_url")
entries = []
for i, (it, rawit) in enumerate(zip(feed.items, doc["items"])):
    # Required on every item: id, and content_html or content_text (either may be empty).
    check(isinstance(rawit.get("id"), str), "item %d id is missing or not a string" % i)
    check(isinstance(rawit.get("content_html"), str) or isinstance(rawit.get("content_text"), str),
          "item %d has neither content_html nor content_text" % i)
    absolute(it.url, "item %d url" % i)
    entries.append({
        "title": it.title,
        "link": it.url,
        "id": it.id,
        "published": date(it.date_published, "item %d date_published" % i),
        "updated": date(it.date_modified, "item %d date_modified" % i),
        "content": it.content_html or it.content_text,
        "enclosures": [a.url for a in it.attachments],
    })
print(json.dumps({
    "bozo": int(bool(problems)),
    "bozo_exception": "; ".join(problems),
    "version": "json11",
    "title": feed.title,
    "self": [feed.feed_url],
    "entries": entries,
}))
"#;

/// Parses a served feed with an independent parser and returns what it understood, as JSON.
pub(crate) fn parse_feed(body: &[u8], content_type: &str) -> Value {
    use std::io::Write;
    let script = if content_type.contains("json") {
        JSONFEED
    } else {
        FEEDPARSER
    };
    let mut child = Command::new(support::python())
        .args(["-c", script, content_type])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the feed parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("feedparser JSON")
}

#[tokio::test]
async fn served_feeds_parse_in_independent_parsers() {
    if !support::python_has("feedparser") {
        support::missing_peer("python feedparser", "pip install feedparser");
        return;
    }
    if !support::python_has("jsonfeed") {
        support::missing_peer("python jsonfeed-util", "pip install jsonfeed-util");
        return;
    }
    let site = start().await;
    for (path, content_type, version) in [
        ("/feed.atom", "application/atom+xml", "atom10"),
        ("/feed.rss", "application/rss+xml", "rss20"),
        ("/feed.json", "application/feed+json", "json11"),
    ] {
        // The merged feed: every item (fewer than the 50 limit).
        let all = site.get(path).await;
        assert_eq!(all.status(), 200, "{path}");
        assert!(
            all.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let parsed = parse_feed(&all.bytes().await.unwrap(), content_type);
        assert_eq!(parsed["bozo"], 0, "{path}: {}", parsed["bozo_exception"]);
        assert_eq!(parsed["version"], version, "{path}");
        assert_eq!(
            parsed["entries"].as_array().map(Vec::len),
            Some(4 + BULK),
            "{path}"
        );
        assert_eq!(parsed["title"], "Test Braid", "{path}");
        assert_eq!(
            parsed["self"][0],
            format!("{}{path}", site.base),
            "{path}: self link"
        );

        // One source's view, field by field. Newest first: episode, unicode, hostile.
        let body = site
            .get(&format!("{path}?source={}", site.blog.0))
            .await
            .bytes()
            .await
            .unwrap();
        let parsed = parse_feed(&body, content_type);
        assert_eq!(parsed["bozo"], 0, "{path}: {}", parsed["bozo_exception"]);
        let entries = parsed["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 3, "{path}");
        let expect = [
            (
                "Episode 1",
                "https://blog.example/ep1",
                at(3, 10),
                "Our first episode",
            ),
            (
                UNICODE_TITLE,
                "https://blog.example/gruesse",
                at(2, 10),
                "ünïcödé",
            ),
            (
                HOSTILE_TITLE,
                "https://blog.example/hello",
                at(1, 10),
                "<em>post</em>",
            ),
        ];
        for (entry, (title, link, published, content)) in entries.iter().zip(expect) {
            assert_eq!(entry["title"], title, "{path}");
            assert_eq!(entry["link"], link, "{path}");
            assert_eq!(entry["published"], published.to_rfc3339(), "{path}");
            assert!(
                entry["content"].as_str().unwrap_or("").contains(content),
                "{path}: {entry}"
            );
        }
        assert_eq!(
            entries[0]["enclosures"][0], "https://cdn.example/ep1.mp3",
            "{path}"
        );
        if path == "/feed.atom" {
            assert!(
                entries.iter().all(|e| e["updated"].is_string()),
                "atom entries need <updated>"
            );
        }
    }
    site.stop().await;
}

#[tokio::test]
async fn served_xml_feeds_are_well_formed() {
    if !support::command_exists("xmllint") {
        support::missing_peer("xmllint", "apt-get install libxml2-utils");
        return;
    }
    let site = start().await;
    let dir = support::temp_dir();
    for path in ["/feed.atom", "/feed.rss", "/feed.atom?q=butler"] {
        let body = site.get(path).await.bytes().await.unwrap();
        let file = dir.path().join("feed.xml");
        std::fs::write(&file, &body).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{path}: xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    site.stop().await;
}

/// JSON Feed 1.1 requires `content_html` or `content_text` on every item, also for items that
/// have no body at all (a title-only entry, a bare link).
#[tokio::test]
async fn json_feed_items_without_content_still_carry_content() {
    if !support::python_has("jsonfeed") {
        support::missing_peer("python jsonfeed-util", "pip install jsonfeed-util");
        return;
    }
    let dir = support::temp_dir();
    let store = braid::store::Store::open(&dir.path().join("braid.db")).unwrap();
    let bare = |id: &str, title: Option<&str>| braid_core::Item {
        remote_id: braid_core::RemoteId::from(id),
        title: title.map(str::to_owned),
        url: Some(format!("https://bare.example/{id}")),
        ..braid_core::Item::default()
    };
    let source = super::add(
        &store,
        "bare",
        vec![bare("titled", Some("Only a title")), bare("nothing", None)],
    )
    .await;
    let site = super::serve(store, dir, source, source).await;
    let body = site.get("/feed.json").await.bytes().await.unwrap();
    let parsed = parse_feed(&body, "application/feed+json");
    assert_eq!(parsed["bozo"], 0, "{}", parsed["bozo_exception"]);
    assert_eq!(parsed["entries"].as_array().map(Vec::len), Some(2));
    site.stop().await;
}
