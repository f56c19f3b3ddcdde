//! The web frontend on 127.0.0.1:0 against a real store: pages, pagination, search, the JSON
//! API, security headers and error statuses; then the served feeds checked by independent
//! parsers (Python feedparser, xmllint) in `web/feeds.rs`; the pages in a real browser
//! (Chromium driven by playwright-core) in `web/browser.rs`.

mod accounts_ui;
mod auth;
mod browser;
mod compose;
mod compose_channels;
mod fediverse_ui;
pub(crate) mod feeds;
mod items;
mod media;
mod pool;
mod routes_ui;
mod settings;
mod sources_ui;
mod stream_pages;
mod timeline;

use std::collections::HashSet;
use std::net::SocketAddr;

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
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0)
        .single()
        .expect("valid date")
}

fn item(
    remote_id: &str,
    title: Option<&str>,
    html: &str,
    text: &str,
    published: DateTime<Utc>,
) -> Item {
    Item {
        remote_id: RemoteId::from(remote_id),
        kind: if title.is_some() {
            ItemKind::Article
        } else {
            ItemKind::Note
        },
        title: title.map(str::to_owned),
        content_html: Some(braid_core::sanitize::clean_html(html)),
        content_text: Some(text.to_owned()),
        published: Some(published),
        url: Some(format!(
            "https://blog.example/{}",
            remote_id.rsplit('/').next().unwrap_or("")
        )),
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
            account: None,
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

    let mut hello = item(
        "https://blog.example/hello",
        Some(HOSTILE_TITLE),
        "<p>First <em>post</em></p>",
        "First post",
        at(1, 10),
    );
    hello.author = Some(Author {
        name: Some("Ann <Author>".into()),
        ..Author::default()
    });
    hello.tags = vec!["intro".into()];
    let unicode = item(
        "https://blog.example/gruesse",
        Some(UNICODE_TITLE),
        "<p>Unicode body ünïcödé</p>",
        "Unicode body ünïcödé",
        at(2, 10),
    );
    let mut episode = item(
        "https://blog.example/ep1",
        Some("Episode 1"),
        "<p>Our first episode</p>",
        "Our first episode",
        at(3, 10),
    );
    episode.attachments = vec![Attachment {
        url: "https://cdn.example/ep1.mp3".into(),
        media_type: Some("audio/mpeg".into()),
        alt: None,
        size: Some(12_345),
    }];
    let blog = add(&store, "blog", vec![hello, unicode, episode]).await;

    let mut note = item(
        "note-1",
        None,
        "<p>The butler did it</p>",
        "The butler did it",
        at(4, 10),
    );
    note.content_warning = Some("Spoilers <for> the film".into());
    note.url = None;
    // The same post as the blog's "hello", seen again through another network (same URL):
    // the merged timeline shows it once, with "also in social".
    let mut reshare = item(
        "share-1",
        None,
        "<p>Look at this</p>",
        "Look at this",
        at(1, 12),
    );
    reshare.url = Some("https://blog.example/hello".into());
    let social = add(&store, "social", vec![note, reshare]).await;

    let bulk: Vec<Item> = (0..BULK)
        .map(|n| {
            let t = at(1, 0) - Duration::hours(n as i64 + 1);
            item(
                &format!("https://bulk.example/{n}"),
                Some(&format!("Bulk {n}")),
                "<p>filler</p>",
                "filler",
                t,
            )
        })
        .collect();
    add(&store, "bulk", bulk).await;
    serve(store, dir, blog, social).await
}

/// Serves `store` on 127.0.0.1:0 (`dir` holds its database and lives as long as the site).
async fn serve(store: Store, dir: tempfile::TempDir, blog: SourceId, social: SourceId) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let mut config = braid::config::Config::default();
    config.web.title = "Test Braid".into();
    let client = crate::support::owner_client(&store).await;
    let ctx = WebContext::new(store, &config, addr, None).expect("web context");
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(web::serve(ctx, listener, async {
        let _ = rx.await;
    }));
    Site {
        base: format!("http://{addr}"),
        client,
        blog,
        social,
        shutdown: Some(tx),
        task,
        _dir: dir,
    }
}

impl Site {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
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
    html.split("id=\"item-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// `s` as askama's HTML escaper writes it (numeric character references).
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The "Older" link's href, unescaped.
fn older_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\" href=\"")?;
    let rest = &html[at + "rel=\"next\" href=\"".len()..];
    Some(
        rest.split('"')
            .next()?
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

#[tokio::test]
async fn timeline_page_escapes_pages_and_searches() {
    let site = start().await;
    let resp = site.get("/").await;
    assert_eq!(resp.status(), 200);
    let csp = resp
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "CSP: {csp}"
    );
    assert_eq!(
        resp.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(
        resp.headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();

    // The hostile title is shown as text, never as markup; the sanitized body is markup.
    assert!(
        !html.contains("<script>"),
        "a title's <script> reached the page"
    );
    assert!(
        html.contains(&escaped(HOSTILE_TITLE)),
        "escaped title missing"
    );
    assert!(
        html.contains("<em>post</em>"),
        "sanitized content should render as HTML"
    );
    assert!(html.contains(UNICODE_TITLE));
    assert!(
        html.contains("Also in <span class=\"origin\">") && html.contains(">social</a> <small>("),
        "cross-source link missing"
    );
    assert!(html.contains(&escaped("Ann <Author>")));
    assert!(
        !html.contains("style=")
            && html
                .match_indices("<script")
                .all(|(at, _)| html[at..].starts_with("<script src=\"/static/")),
        "no inline style or script"
    );
    // Content warning as <details>; the enclosure is linked, never embedded (the page loads
    // nothing from third parties).
    assert!(html.contains(&format!(
        "<summary>{} <span class=\"hint\">(show)</span></summary>",
        escaped("Spoilers <for> the film")
    )));
    assert!(html.contains("href=\"https://cdn.example/ep1.mp3\""));
    assert!(
        !html.contains("src=\"https://"),
        "no remote source is embedded"
    );
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

/// A source read in part is flagged on /sources with what was lost (escaped like all text).
#[tokio::test]
async fn sources_page_shows_what_a_poll_could_not_read() {
    let dir = support::temp_dir();
    let store = Store::open(&dir.path().join("braid.db")).expect("open store");
    let id = add(&store, "partial", vec![]).await;
    let warning = "feed: 1 of 3 entries skipped: entry 2 has content of type <application/pdf>";
    store
        .record_poll_success(
            id,
            vec![],
            vec![],
            PollSuccess {
                warning: Some(warning.into()),
                ..PollSuccess::default()
            },
        )
        .await
        .expect("record poll");
    let site = serve(store, dir, id, id).await;
    let (status, html) = site.text("/sources").await;
    assert_eq!(status, 200);
    assert!(html.contains("badge warn\">partial"), "{html}");
    assert!(html.contains(&escaped(warning)), "{html}");
    assert!(html.contains("1 need attention"), "{html}");
    let (_, api) = site.json("/api/sources").await;
    assert_eq!(api[0]["last_warning"], warning);
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
    let (_, social) = site
        .json(&format!("/api/timeline?source={}", site.social.0))
        .await;
    assert_eq!(
        social["items"].as_array().map(Vec::len),
        Some(2),
        "a source's view keeps its copies"
    );
    let (_, hello) = site.json("/api/timeline?q=friends").await;
    assert_eq!(hello["items"][0]["also_in"], serde_json::json!(["social"]));

    let (status, sources) = site.json("/api/sources").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["blog", "bulk", "social"]);
    assert_eq!(sources[0]["item_count"], 3);
    assert!(
        sources[0].get("settings").is_none(),
        "settings may hold secrets"
    );

    // Bad parameters: 400 with a message saying which one.
    for (path, word) in [
        ("/api/timeline?before=yesterday", "before"),
        ("/api/timeline?source=nope", "nope"),
        ("/api/timeline?limit=0", "limit"),
    ] {
        let (status, body) = site.json(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(
            body["error"].as_str().unwrap_or("").contains(word),
            "{path}: {body}"
        );
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
    let post = site
        .client
        .post(format!("{}/", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    let head = site
        .client
        .head(format!("{}/feed.atom", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200, "feed readers may probe with HEAD");

    let (status, body) = site.text("/healthz").await;
    assert_eq!((status, body.trim()), (200, "ok"));
    site.stop().await;
}

#[test]
fn listening_beyond_loopback_needs_a_base_url() {
    let mut config = braid::config::Config::default();
    config.web.listen = "[::1]:8080".parse().unwrap();
    assert!(config.validate().is_ok());
    config.web.listen = "0.0.0.0:8080".parse().unwrap();
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("web.base_url must say the address"), "{err}");
    config.web.base_url = "https://braid.example".into();
    assert!(config.validate().is_ok());
    assert_eq!(
        config.public_url().unwrap().as_str(),
        "https://braid.example/"
    );
    config.web.base_url = "ftp://braid.example/".into();
    assert!(config.validate().is_err());
}
