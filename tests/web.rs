//! The web frontend on 127.0.0.1:0 against a real store: pages, pagination, search, the JSON
//! API, security headers and error statuses; then the served feeds checked by independent
//! parsers (Python feedparser, xmllint).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use braid::store::{NewSource, PollSuccess, Store};
use braid::web::{self, WebContext, WebError};
use braid_core::{Attachment, Author, Item, ItemKind, RemoteId, SourceId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::support;

const HOSTILE_TITLE: &str = r#"Hello <script>alert("x")</script> & <b>friends</b>"#;
const UNICODE_TITLE: &str = "Grüße aus Köln — 日本語 🎉";
/// Items in the "bulk" source: more than one HTML page (30) so "Older" must be followed.
const BULK: usize = 33;

struct Site {
    base: String,
    client: reqwest::Client,
    blog: SourceId,
    social: SourceId,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), WebError>>,
    _dir: tempfile::TempDir,
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).single().expect("valid date")
}

fn item(remote_id: &str, title: Option<&str>, html: &str, text: &str, published: DateTime<Utc>) -> Item {
    Item {
        remote_id: RemoteId::from(remote_id),
        kind: if title.is_some() { ItemKind::Article } else { ItemKind::Note },
        title: title.map(str::to_owned),
        content_html: Some(html.to_owned()),
        content_text: Some(text.to_owned()),
        published: Some(published),
        url: Some(format!("https://blog.example/{}", remote_id.rsplit('/').next().unwrap_or(""))),
        ..Item::default()
    }
}

async fn add(store: &Store, name: &str, items: Vec<Item>) -> SourceId {
    let id = store
        .add_source(NewSource {
            name: name.to_owned(),
            kind: "feed".to_owned(),
            url: format!("https://{name}.example/feed.xml"),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
        })
        .await
        .expect("add source");
    store
        .record_poll_success(id, items, vec![], PollSuccess::default())
        .await
        .expect("record poll");
    id
}

async fn start() -> Site {
    let dir = support::temp_dir();
    let store = Store::open(&dir.path().join("braid.db")).expect("open store");

    let mut hello = item("https://blog.example/hello", Some(HOSTILE_TITLE), "<p>First <em>post</em></p>", "First post", at(1, 10));
    hello.author = Some(Author { name: Some("Ann <Author>".into()), ..Author::default() });
    hello.tags = vec!["intro".into()];
    let unicode = item("https://blog.example/gruesse", Some(UNICODE_TITLE), "<p>Unicode body ünïcödé</p>", "Unicode body ünïcödé", at(2, 10));
    let mut episode = item("https://blog.example/ep1", Some("Episode 1"), "<p>Our first episode</p>", "Our first episode", at(3, 10));
    episode.attachments = vec![Attachment {
        url: "https://cdn.example/ep1.mp3".into(),
        media_type: Some("audio/mpeg".into()),
        alt: None,
        size: Some(12_345),
    }];
    let blog = add(&store, "blog", vec![hello, unicode, episode]).await;

    let mut note = item("note-1", None, "<p>The butler did it</p>", "The butler did it", at(4, 10));
    note.content_warning = Some("Spoilers <for> the film".into());
    note.url = None;
    // The same post as the blog's "hello", seen again through another network (same URL):
    // the merged timeline shows it once, with "also in social".
    let mut reshare = item("share-1", None, "<p>Look at this</p>", "Look at this", at(1, 12));
    reshare.url = Some("https://blog.example/hello".into());
    let social = add(&store, "social", vec![note, reshare]).await;

    let bulk: Vec<Item> = (0..BULK)
        .map(|n| {
            let t = at(1, 0) - Duration::hours(n as i64 + 1);
            item(&format!("https://bulk.example/{n}"), Some(&format!("Bulk {n}")), "<p>filler</p>", "filler", t)
        })
        .collect();
    add(&store, "bulk", bulk).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let ctx = WebContext { store, site_title: "Test Braid".into(), base_url: None };
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(web::serve(ctx, listener, async {
        let _ = rx.await;
    }));
    Site {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        blog,
        social,
        shutdown: Some(tx),
        task,
        _dir: dir,
    }
}

impl Site {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request")
    }
    async fn text(&self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }
    async fn json(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }
    /// Stops the server and checks it shut down cleanly and promptly.
    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.task)
            .await
            .expect("server stops within 10 s")
            .expect("server task");
        assert!(result.is_ok(), "serve returned {result:?}");
    }
}

/// `id="item-N"` anchors in a timeline page, in order.
fn item_ids(html: &str) -> Vec<String> {
    html.split("id=\"item-").skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned).collect()
}

/// `s` as askama's HTML escaper writes it (numeric character references).
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// The "Older" link's href, unescaped.
fn older_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\" href=\"")?;
    let rest = &html[at + "rel=\"next\" href=\"".len()..];
    Some(rest.split('"').next()?.replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test]
async fn timeline_page_escapes_pages_and_searches() {
    let site = start().await;
    let resp = site.get("/").await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "CSP: {csp}");
    assert_eq!(resp.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    assert_eq!(resp.headers().get("referrer-policy").and_then(|v| v.to_str().ok()), Some("no-referrer"));
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = resp.text().await.unwrap();

    // The hostile title is shown as text, never as markup; the sanitized body is markup.
    assert!(!html.contains("<script>"), "a title's <script> reached the page");
    assert!(html.contains(&escaped(HOSTILE_TITLE)), "escaped title missing");
    assert!(html.contains("<em>post</em>"), "sanitized content should render as HTML");
    assert!(html.contains(UNICODE_TITLE));
    assert!(html.contains("Also in <span>social</span>"), "cross-source link missing");
    assert!(html.contains(&escaped("Ann <Author>")));
    assert!(!html.contains("style=") && !html.contains("<script"), "no inline style or script");
    // Content warning as <details>, the enclosure as an audio player.
    assert!(html.contains(&format!("<summary>{}</summary>", escaped("Spoilers <for> the film"))));
    assert!(html.contains("src=\"https://cdn.example/ep1.mp3\""));
    // A full first page, newest first: the note (May 4) leads.
    let ids = item_ids(&html);
    assert_eq!(ids.len(), 30);
    assert!(html.find("butler") < html.find("Episode 1"), "newest first");

    // Following "Older" shows every item exactly once.
    let mut seen: Vec<String> = ids;
    let mut next = older_link(&html);
    while let Some(href) = next {
        let (status, page) = site.text(&href).await;
        assert_eq!(status, 200, "{href}");
        seen.extend(item_ids(&page));
        next = older_link(&page);
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 4 + BULK, "every item once: {seen:?}");
    assert_eq!(unique.len(), seen.len());

    // Search and source filter.
    let (_, found) = site.text("/?q=butler").await;
    assert_eq!(item_ids(&found).len(), 1);
    assert!(found.contains("The butler did it"));
    let (_, only_blog) = site.text(&format!("/?source={}", site.blog.0)).await;
    assert_eq!(item_ids(&only_blog).len(), 3);

    let (status, sources) = site.text("/sources").await;
    assert_eq!(status, 200);
    for name in ["blog", "social", "bulk", "https://blog.example/feed.xml"] {
        assert!(sources.contains(name), "sources page lacks {name}");
    }
    let css = site.get("/static/braid.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("prefers-color-scheme"));
    site.stop().await;
}

#[tokio::test]
async fn api_shapes_pagination_and_errors() {
    let site = start().await;
    // Page through with a small limit: each item once, `next` null at the end.
    let mut ids = Vec::new();
    let mut path = "/api/timeline?limit=7".to_owned();
    loop {
        let (status, page) = site.json(&path).await;
        assert_eq!(status, 200);
        let items = page["items"].as_array().expect("items array");
        ids.extend(items.iter().map(|i| i["id"].as_i64().expect("id")));
        match page["next"].as_str() {
            Some(key) => path = format!("/api/timeline?limit=7&before={key}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), 4 + BULK);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());

    let (_, first) = site.json("/api/timeline?limit=1").await;
    let newest = &first["items"][0];
    assert_eq!(newest["source_name"], "social");
    assert_eq!(newest["content_warning"], "Spoilers <for> the film");
    let (_, search) = site.json("/api/timeline?q=K%C3%B6ln").await;
    assert_eq!(search["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(search["items"][0]["title"], UNICODE_TITLE);
    let (_, social) = site.json(&format!("/api/timeline?source={}", site.social.0)).await;
    assert_eq!(social["items"].as_array().map(Vec::len), Some(2), "a source's view keeps its copies");
    let (_, hello) = site.json("/api/timeline?q=friends").await;
    assert_eq!(hello["items"][0]["also_in"], serde_json::json!(["social"]));

    let (status, sources) = site.json("/api/sources").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = sources.as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["blog", "bulk", "social"]);
    assert_eq!(sources[0]["item_count"], 3);
    assert!(sources[0].get("settings").is_none(), "settings may hold secrets");

    // Bad parameters: 400 with a message saying which one.
    for (path, word) in [
        ("/api/timeline?before=yesterday", "before"),
        ("/api/timeline?source=nope", "nope"),
        ("/api/timeline?limit=0", "limit"),
    ] {
        let (status, body) = site.json(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["error"].as_str().unwrap_or("").contains(word), "{path}: {body}");
    }
    let (status, page) = site.text("/?before=garbage").await;
    assert_eq!(status, 400);
    assert!(page.contains("before"));
    let (status, _) = site.text("/?source=999999").await;
    assert_eq!(status, 400);
    let (status, _) = site.text("/feed.atom?source=nope").await;
    assert_eq!(status, 400);

    let (status, page) = site.text("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(page.contains("404"));
    let (status, _) = site.json("/api/nothing").await;
    assert_eq!(status, 404);
    let post = site.client.post(format!("{}/", site.base)).send().await.unwrap();
    assert_eq!(post.status(), 405);

    let (status, body) = site.text("/healthz").await;
    assert_eq!((status, body.trim()), (200, "ok"));
    site.stop().await;
}

#[test]
fn only_loopback_is_accepted() {
    assert!(web::check_listen_addr("127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(web::check_listen_addr("[::1]:8080".parse().unwrap()).is_ok());
    let err = web::check_listen_addr("0.0.0.0:8080".parse().unwrap()).unwrap_err().to_string();
    assert_eq!(
        err,
        "web: refusing to listen on 0.0.0.0:8080: the web UI has no login yet, so it only listens on loopback (127.0.0.1 or [::1])"
    );
    assert!(web::check_listen_addr("192.168.1.5:80".parse().unwrap()).is_err());
}

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
absolute(feed.feed_url, "feed_url")
absolute(feed.home_page_url, "home_page_url")
entries = []
for i, (it, rawit) in enumerate(zip(feed.items, doc["items"])):
    check(isinstance(rawit["id"], str), "item %d id is not a string" % i)
    check(it.content_html is not None or it.content_text is not None, "item %d has no content" % i)
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
fn parse_feed(body: &[u8], content_type: &str) -> Value {
    use std::io::Write;
    let script = if content_type.contains("json") { JSONFEED } else { FEEDPARSER };
    let mut child = Command::new(support::python())
        .args(["-c", script, content_type])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the feed parser failed: {}", String::from_utf8_lossy(&out.stderr));
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
        assert!(all.headers()["content-type"].to_str().unwrap().starts_with(content_type), "{path}");
        let parsed = parse_feed(&all.bytes().await.unwrap(), content_type);
        assert_eq!(parsed["bozo"], 0, "{path}: {}", parsed["bozo_exception"]);
        assert_eq!(parsed["version"], version, "{path}");
        assert_eq!(parsed["entries"].as_array().map(Vec::len), Some(4 + BULK), "{path}");
        assert_eq!(parsed["title"], "Test Braid", "{path}");
        assert_eq!(parsed["self"][0], format!("{}{path}", site.base), "{path}: self link");

        // One source's view, field by field. Newest first: episode, unicode, hostile.
        let body = site.get(&format!("{path}?source={}", site.blog.0)).await.bytes().await.unwrap();
        let parsed = parse_feed(&body, content_type);
        assert_eq!(parsed["bozo"], 0, "{path}: {}", parsed["bozo_exception"]);
        let entries = parsed["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 3, "{path}");
        let expect = [
            ("Episode 1", "https://blog.example/ep1", at(3, 10), "Our first episode"),
            (UNICODE_TITLE, "https://blog.example/gruesse", at(2, 10), "ünïcödé"),
            (HOSTILE_TITLE, "https://blog.example/hello", at(1, 10), "<em>post</em>"),
        ];
        for (entry, (title, link, published, content)) in entries.iter().zip(expect) {
            assert_eq!(entry["title"], title, "{path}");
            assert_eq!(entry["link"], link, "{path}");
            assert_eq!(entry["published"], published.to_rfc3339(), "{path}");
            assert!(entry["content"].as_str().unwrap_or("").contains(content), "{path}: {entry}");
        }
        assert_eq!(entries[0]["enclosures"][0], "https://cdn.example/ep1.mp3", "{path}");
        if path == "/feed.atom" {
            assert!(entries.iter().all(|e| e["updated"].is_string()), "atom entries need <updated>");
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
        let out = Command::new("xmllint").arg("--noout").arg(&file).output().unwrap();
        assert!(out.status.success(), "{path}: xmllint: {}", String::from_utf8_lossy(&out.stderr));
    }
    site.stop().await;
}

#[tokio::test]
#[ignore]
async fn zz_dump() {
    let site = start().await;
    for (path, file) in [("/", "index.html"), ("/sources", "sources.html"), ("/feed.atom?source=1", "f.atom"), ("/feed.rss?source=1", "f.rss"), ("/feed.json?source=1", "f.json"), ("/feed.atom?source=2", "n.atom"), ("/feed.rss?source=2", "n.rss"), ("/api/timeline?limit=2", "api.json"), ("/api/sources", "src.json"), ("/nope", "404.html")] {
        let (_, body) = site.text(path).await;
        std::fs::write(format!("/tmp/dump/{file}"), body).unwrap();
    }
    eprintln!("SERVING {}", site.base);
    if std::env::var("HOLD").is_ok() { tokio::time::sleep(std::time::Duration::from_secs(120)).await; }
    site.stop().await;
}
