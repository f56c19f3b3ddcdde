//! The sources pages as a person without a terminal uses them: a real server over a real store,
//! a browser session (cookie, the form's CSRF field, our Origin), and feeds served on
//! 127.0.0.1. Each test asserts what the page says and what the store holds afterwards.

use braid::store::{NewAccount, PollFailure, PollSuccess};
use braid_core::{Item, RemoteId};
use chrono::{Duration, Utc};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN};
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::support::server::{Reply, TestServer};
use crate::support::{self, Harness};

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>TITLE</title>
<link>https://site.example/</link><item><guid>a</guid><title>A</title></item></channel></rss>"#;

fn rss(title: &str) -> Reply {
    Reply::ok("application/rss+xml", RSS.replace("TITLE", title))
}

fn page(links: &[(&str, &str)]) -> Reply {
    let links: String = links
        .iter()
        .map(|(title, href)| {
            format!(
                r#"<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">"#
            )
        })
        .collect();
    Reply::ok(
        "text/html",
        format!(
            "<!doctype html><html><head><title>Site</title>{links}</head><body>hi</body></html>"
        ),
    )
}

/// A site: a feed, a page advertising two feeds, a page advertising one, and a non-feed.
async fn site() -> TestServer {
    TestServer::start(|req| match req.path.as_str() {
        "/feed.xml" => rss("Plain feed"),
        "/two" => page(&[("Comments", "/comments.xml"), ("Posts", "/posts.xml")]),
        "/posts.xml" => rss("Posts"),
        "/comments.xml" => rss("Comments"),
        "/one" => page(&[("Only", "/only.xml")]),
        "/only.xml" => rss("Only feed"),
        "/text" => Reply::ok("text/plain", "just words"),
        _ => Reply::status(404),
    })
    .await
}

/// The owner in a browser: a store with its daemon context, the server, and a session.
struct Ui {
    h: Harness,
    web: support::Web,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl Ui {
    async fn start(allow_private_networks: bool) -> Ui {
        let h = Harness::new(|c| c.fetch.allow_private_networks = allow_private_networks);
        let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |_| {}).await;
        let (cookie, csrf) = support::owner_session(&h.store).await;
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Ui {
            h,
            web,
            http,
            cookie,
            csrf,
        }
    }

    /// GET `path`: status and body.
    async fn get(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.web.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// POSTs a form as the page would (with the CSRF field): status, `Location`, body.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let resp = self
            .http
            .post(format!("{}{path}", self.web.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.web.base)
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (resp.status(), location, resp.text().await.unwrap())
    }

    async fn source(&self, name_or_url: &str) -> Option<braid::store::SourceRecord> {
        self.h.store.find_source(name_or_url).await.unwrap()
    }
}

/// `value="…"` of the input named `name` in `html`.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"name="{name}""#))
        .unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn add_by_feed_url_and_by_a_page_offering_a_choice() {
    let feeds = site().await;
    let ui = Ui::start(true).await;

    // A feed's own URL, with every field.
    let (status, location, _) = ui
        .post(
            "/sources/add",
            &[
                ("url", &feeds.url("/feed.xml")),
                ("name", "My feed"),
                ("schedule", "*/30 * * * *"),
                ("category", "News"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let added = ui
        .source(&feeds.url("/feed.xml"))
        .await
        .expect("subscribed");
    assert_eq!(added.name, "My feed");
    assert_eq!(added.schedule.as_deref(), Some("*/30 * * * *"));
    assert_eq!(added.category.as_deref(), Some("News"));
    assert!(
        location.starts_with(&format!("/sources/{}?", added.id.0)),
        "{location}"
    );
    let (_, shown) = ui.get(&location).await;
    assert!(shown.contains("Added “My feed”"), "{shown}");
    // Nothing polled it yet (no scheduler runs here), and the page does not claim otherwise.
    assert!(shown.contains("Not polled yet."), "{shown}");

    // A page advertising two feeds: a choice, nothing subscribed yet.
    let (status, _, body) = ui
        .post("/sources/add", &[("url", &feeds.url("/two"))])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("This page offers 2 feeds"), "{body}");
    // Each by its title and format's name, not its media type.
    assert!(body.contains("Comments (RSS)"), "{body}");
    for feed in ["/posts.xml", "/comments.xml"] {
        assert!(
            body.contains(r#"type="radio" id="feed-"#)
                && body.contains(&format!(r#"name="feed" value="{}""#, feeds.url(feed))),
            "{feed} offered: {body}"
        );
    }
    assert_eq!(ui.h.store.list_sources().await.unwrap().len(), 1);
    // The typed URL is kept in the form that asks.
    assert_eq!(input_value(&body, "url"), feeds.url("/two"));

    // Choosing the comments (not the first offered) subscribes to that one.
    let (status, _, _) = ui
        .post(
            "/sources/add",
            &[
                ("url", &feeds.url("/two")),
                ("feed", &feeds.url("/comments.xml")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        ui.source(&feeds.url("/comments.xml")).await.unwrap().name,
        "Comments"
    );
    assert!(ui.source(&feeds.url("/posts.xml")).await.is_none());

    // A page advertising one feed subscribes to it at once.
    let (status, _, _) = ui
        .post("/sources/add", &[("url", &feeds.url("/one"))])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        ui.source(&feeds.url("/only.xml")).await.unwrap().name,
        "Only feed"
    );
}

#[tokio::test]
async fn add_errors_are_shown_on_the_form_with_the_typed_values() {
    let feeds = site().await;
    let ui = Ui::start(true).await;
    ui.h.add_feed("Existing", &feeds.url("/feed.xml")).await;

    let cases = [
        (feeds.url("/feed.xml"), "*/5 * * * *", "already subscribed"),
        (feeds.url("/text"), "", "feed"),
        (
            feeds.url("/feed.xml"),
            "every tuesday",
            "schedule: invalid cron expression",
        ),
        (
            "gopher://old.example/".to_owned(),
            "",
            "only http and https",
        ),
    ];
    for (url, schedule, says) in cases {
        let (status, _, body) = ui
            .post(
                "/sources/add",
                &[
                    ("url", &url),
                    ("name", "Typed name"),
                    ("schedule", schedule),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert!(body.contains("role=\"alert\""), "{url}: {body}");
        let alert = &body[body.find("role=\"alert\"").unwrap()..];
        let alert = &alert[..alert.find("</p>").unwrap()];
        assert!(alert.contains(says), "{url}: {alert}");
        assert_eq!(input_value(&body, "url"), url);
        assert_eq!(input_value(&body, "name"), "Typed name");
        assert_eq!(input_value(&body, "schedule"), schedule);
    }
    assert_eq!(ui.h.store.list_sources().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_private_address_is_refused_by_default() {
    let feeds = site().await;
    let ui = Ui::start(false).await;
    let (status, _, body) = ui
        .post("/sources/add", &[("url", &feeds.url("/feed.xml"))])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("is a private or reserved address"), "{body}");
    assert!(ui.h.store.list_sources().await.unwrap().is_empty());
    // Refused before anything was fetched.
    assert!(feeds.hits("/feed.xml").is_empty());
}

/// A `multipart/form-data` body as a browser sends a file input (reqwest here has no
/// multipart feature): the CSRF field first, then the file.
fn multipart(csrf: &str, file: &str) -> (String, Vec<u8>) {
    let boundary = "----braidtestboundary7MA4YWxk";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"subs.opml\"\r\n\
         Content-Type: text/x-opml\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn opml_upload_imports_and_says_what_was_skipped() {
    let feeds = site().await;
    let ui = Ui::start(true).await;
    ui.h.add_feed("Existing", &feeds.url("/feed.xml")).await;
    let opml = format!(
        r#"<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="Tech"><outline type="rss" text="Posts &amp; more" xmlUrl="{posts}"/></outline>
<outline type="rss" text="Old" xmlUrl="ftp://files.example/feed"/>
<outline type="rss" text="Again" xmlUrl="{existing}"/>
</body></opml>"#,
        posts = feeds.url("/posts.xml"),
        existing = feeds.url("/feed.xml"),
    );
    let post = |body: &str| {
        let (content_type, body) = multipart(&ui.csrf, body);
        ui.http
            .post(format!("{}/sources/opml", ui.web.base))
            .header(COOKIE, &ui.cookie)
            .header(ORIGIN, &ui.web.base)
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let resp = post(&opml).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("Imported 1, skipped 2 (1 not http/https, 1 already subscribed)."),
        "{body}"
    );
    // Escaped as askama escapes.
    assert!(body.contains("Posts &#38; more"), "{body}");
    assert!(
        body.contains("only http and https feeds can be added, not ftp:"),
        "{body}"
    );
    assert!(body.contains("already subscribed"), "{body}");
    let added = ui.source(&feeds.url("/posts.xml")).await.expect("imported");
    assert_eq!(added.name, "Posts & more");
    assert_eq!(added.category.as_deref(), Some("Tech"));
    assert_eq!(ui.h.store.list_sources().await.unwrap().len(), 2);

    // Not OPML: the form comes back saying so, nothing added.
    let resp = post("this is not xml <").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = resp.text().await.unwrap();
    assert!(body.contains("not a valid OPML file"), "{body}");
    assert_eq!(ui.h.store.list_sources().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_accounts_timeline_becomes_a_source() {
    let ui = Ui::start(true).await;
    let account =
        ui.h.store
            .add_account(NewAccount {
                name: "me".into(),
                kind: "mastodon".into(),
                identity: "https://social.example/#1".into(),
                handle: Some("me@social.example".into()),
                server_url: Some("https://social.example/".into()),
                credentials: serde_json::json!({ "token": "secret" }),
                ..NewAccount::default()
            })
            .await
            .unwrap();
    let (_, form) = ui.get("/sources/add").await;
    assert!(form.contains(r#"<option value="me""#), "{form}");
    assert!(form.contains("me (mastodon, me@social.example)"), "{form}");
    // One network among the accounts: its timelines without its name on every line.
    assert!(form.contains("<li>home: "), "{form}");

    let (status, _, body) = ui
        .post(
            "/sources/timeline",
            &[
                ("account", "me"),
                ("timeline", "nonsense:x"),
                ("name", "Kept"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("mastodon:"), "{body}");
    assert_eq!(input_value(&body, "timeline"), "nonsense:x");

    let (status, location, _) = ui
        .post(
            "/sources/timeline",
            &[
                ("account", "me"),
                ("timeline", "tag:rust"),
                ("name", "Rust tag"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let source = ui.source("Rust tag").await.expect("added");
    assert_eq!(source.account, Some(account));
    assert_eq!(source.settings["timeline"], "tag:rust");
    assert!(location.starts_with(&format!("/sources/{}", source.id.0)));
}

#[tokio::test]
async fn pause_resume_enable_schedule_and_remove_change_the_store() {
    let ui = Ui::start(true).await;
    let id =
        ui.h.add_feed("Daily", "https://daily.example/feed.xml")
            .await;
    let path = |action: &str| format!("/sources/{}/{action}", id.0);

    let (status, location, _) = ui.post(&path("pause"), &[("back", "/sources")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/sources?done=paused&name=Daily");
    assert!(ui.h.source(id).await.paused);
    let later = Utc::now() + Duration::days(400);
    assert!(
        ui.h.store.due_sources(later).await.unwrap().is_empty(),
        "a paused source is not polled"
    );
    let (_, list) = ui.get(&location).await;
    assert!(list.contains("Paused “Daily”"), "{list}");
    assert!(
        list.contains(r#"<span class="badge warn">paused</span>"#),
        "{list}"
    );
    assert!(list.contains(">Resume</button>"), "{list}");

    let (_, location, _) = ui.post(&path("resume"), &[("back", "/sources")]).await;
    assert_eq!(location, "/sources?done=resumed&name=Daily");
    let s = ui.h.source(id).await;
    assert!(!s.paused && s.next_poll.is_none());
    assert_eq!(ui.h.store.due_sources(later).await.unwrap().len(), 1);

    // Disabled after errors: re-enabled from its page.
    ui.h.store
        .record_poll_failure(
            id,
            PollFailure {
                message: "HTTP 410 Gone".into(),
                next_poll: None,
                disable: Some("the feed is gone (HTTP 410)".into()),
                counts_as_failure: true,
            },
        )
        .await
        .unwrap();
    let (_, own) = ui.get(&format!("/sources/{}", id.0)).await;
    assert!(
        own.contains("Disabled by Braid: the feed is gone (HTTP 410)"),
        "{own}"
    );
    let (_, location, _) = ui
        .post(&path("enable"), &[("back", &format!("/sources/{}", id.0))])
        .await;
    assert_eq!(
        location,
        format!("/sources/{}?done=enabled&name=Daily", id.0)
    );
    assert!(ui.h.source(id).await.enabled);

    // A schedule: stored, and the next poll follows it; a bad one changes nothing.
    let (status, _, _) = ui
        .post(&path("schedule"), &[("schedule", "0 6 * * *")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let s = ui.h.source(id).await;
    assert_eq!(s.schedule.as_deref(), Some("0 6 * * *"));
    assert_eq!(s.next_poll.unwrap().format("%H:%M").to_string(), "06:00");
    let (status, _, body) = ui
        .post(&path("schedule"), &[("schedule", "61 * * * *")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(input_value(&body, "schedule"), "61 * * * *");
    assert_eq!(ui.h.source(id).await.schedule.as_deref(), Some("0 6 * * *"));

    // Remove: not without the box ticked.
    let (status, location, _) = ui.post(&path("remove"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, own) = ui.get(&location).await;
    assert!(own.contains("Nothing was removed"), "{own}");
    assert!(ui.h.store.source(id).await.unwrap().is_some());
    let (_, location, _) = ui.post(&path("remove"), &[("confirm", "yes")]).await;
    assert_eq!(location, "/sources?done=removed&name=Daily");
    assert!(ui.h.store.source(id).await.unwrap().is_none());
    let (_, list) = ui.get(&location).await;
    assert!(list.contains("Removed “Daily” and its items."), "{list}");
}

#[tokio::test]
async fn a_form_without_the_csrf_field_is_refused() {
    let ui = Ui::start(true).await;
    let id =
        ui.h.add_feed("Daily", "https://daily.example/feed.xml")
            .await;
    let resp = ui
        .http
        .post(format!("{}/sources/{}/pause", ui.web.base, id.0))
        .header(COOKIE, &ui.cookie)
        .header(ORIGIN, &ui.web.base)
        .form(&[("back", "/sources")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!ui.h.source(id).await.paused);
}

/// The names of the sources listed on a page, in order.
fn listed(html: &str) -> Vec<String> {
    html.split(r#"<a class="name" href="/sources/"#)
        .skip(1)
        .map(|s| {
            let s = &s[s.find('>').unwrap() + 1..];
            s[..s.find('<').unwrap()].to_owned()
        })
        .collect()
}

/// The next page's link, unescaped.
fn next_link(html: &str) -> Option<String> {
    let at = html.find(r#"rel="next""#)?;
    let start = html[..at].rfind("href=\"").unwrap() + 6;
    let end = start + html[start..].find('"').unwrap();
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn a_hundred_and_twenty_sources_come_in_pages_with_a_failing_filter() {
    let ui = Ui::start(true).await;
    let mut ids = Vec::new();
    for n in 0..120 {
        let name = format!("s{n:03}");
        ids.push(
            ui.h.add_feed(&name, &format!("https://{name}.example/feed"))
                .await,
        );
    }
    for &i in &[5usize, 77, 118] {
        ui.h.store
            .record_poll_failure(
                ids[i],
                PollFailure {
                    message: format!("feed: HTTP 500 from s{i:03}"),
                    next_poll: None,
                    disable: None,
                    counts_as_failure: true,
                },
            )
            .await
            .unwrap();
    }
    ui.h.store.set_source_paused(ids[9], true).await.unwrap();

    let (status, first) = ui.get("/sources").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        first.contains(
            "120 sources · 3 need attention (3 failing, 0 disabled, 0 read in part) · 1 paused"
        ),
        "{first}"
    );
    let names = listed(&first);
    assert_eq!(names.len(), 50);
    assert_eq!((names[0].as_str(), names[49].as_str()), ("s000", "s049"));
    // Failing rows stand out, with their reason.
    assert!(first.contains(r#"<tr class="unhealthy">"#));
    assert!(first.contains("feed: HTTP 500 from s005"));

    let next = next_link(&first).expect("a next page");
    let (_, second) = ui.get(&next).await;
    let names = listed(&second);
    assert_eq!((names.len(), names[0].as_str()), (50, "s050"));
    let (_, third) = ui.get(&next_link(&second).expect("a third page")).await;
    let names = listed(&third);
    assert_eq!((names.len(), names[19].as_str()), (20, "s119"));
    assert!(next_link(&third).is_none());

    let (_, failing) = ui.get("/sources?show=failing").await;
    assert_eq!(listed(&failing), ["s005", "s077", "s118"]);
    let (_, paused) = ui.get("/sources?show=paused").await;
    assert_eq!(listed(&paused), ["s009"]);
    let (status, _) = ui.get("/sources?show=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_chart_counts_items_per_day_of_storing() {
    let ui = Ui::start(true).await;
    let id = ui.h.add_feed("Busy", "https://busy.example/feed").await;
    let other = ui.h.add_feed("Other", "https://other.example/feed").await;
    let items = |prefix: &str, n: usize| -> Vec<Item> {
        (0..n)
            .map(|i| Item {
                remote_id: RemoteId::from(format!("{prefix}-{i}").as_str()),
                title: Some(format!("{prefix} {i}")),
                ..Item::default()
            })
            .collect()
    };
    for (source, batch) in [(id, items("busy", 6)), (other, items("other", 4))] {
        ui.h.store
            .record_poll_success(source, batch, vec![], PollSuccess::default())
            .await
            .unwrap();
    }
    // Move the stored times: 2 items three days ago, 1 forty days ago (outside the chart),
    // 3 today; the other source's 4 stay today and must not leak into this chart.
    let now = Utc::now();
    let three_days_ago = now - Duration::days(3);
    let db = rusqlite::Connection::open(ui.h.dir.path().join("braid.db")).unwrap();
    for (remote, when) in [
        ("busy-0", three_days_ago),
        ("busy-1", three_days_ago),
        ("busy-2", now - Duration::days(40)),
    ] {
        db.execute(
            "UPDATE items SET first_seen = ?1 WHERE remote_id = ?2",
            rusqlite::params![when.timestamp_micros(), remote],
        )
        .unwrap();
    }
    let expected = format!(
        "5 items in the last 30 days ({} to {}): {}: 2, {}: 3",
        (now - Duration::days(29)).format("%Y-%m-%d"),
        now.format("%Y-%m-%d"),
        three_days_ago.format("%Y-%m-%d"),
        now.format("%Y-%m-%d"),
    );
    let (_, own) = ui.get(&format!("/sources/{}", id.0)).await;
    assert!(
        own.contains(&format!(r#"aria-label="{expected}""#)),
        "{own}"
    );
    assert!(own.contains(&format!("<title>{expected}</title>")));
    // Two bars, the taller one today (the last of 30 slots, x = 29 × 4).
    assert!(
        own.contains(r#"<rect x="116" y="0" width="3" height="24"/>"#),
        "{own}"
    );
    assert!(
        own.contains(r#"<rect x="104" y="8" width="3" height="16"/>"#),
        "{own}"
    );

    let (_, list) = ui.get("/sources").await;
    assert!(list.contains(&format!(r#"aria-label="{expected}""#)));
    assert!(list.contains("4 items in the last 30 days"), "{list}");
    // No script and no style attributes in the page (the CSP would block them).
    assert!(!list.contains("<script") && !list.contains("style="));
}
