//! The web UI in a real browser: Debian's chromium driven by playwright-core through the scripts
//! in `tests/browser/` (how they run: `tests/support/browser.rs`). Screenshots of every step
//! land in `target/browser/`.
//!
//! - `flow.mjs` is a new owner's first visit to the real `braid run`: setup from the printed
//!   link, log in, add a feed a local page advertises, the timeline, search, a post to two
//!   accounts on mastodon-mock with the preview of each, its delivery, a channel and its feed
//!   through a private link, log out.
//! - `hostile.mjs` loads a feed of the classic XSS vectors (in content, titles, author names and
//!   links) in the timeline and each item's page, clicks what they would have made, and checks
//!   that nothing ran: twice, the second time with the page's CSP switched off, so the sanitizer
//!   alone is shown to stop them.

use crate::support::browser;
use crate::support::daemon::Daemon;
use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::server::{Reply, TestServer};
use crate::support::{self, Harness};

/// A harbour's web site: a page advertising two feeds, and the feeds. Braid offers the Atom
/// one first; the person picks the RSS one, so the choice is a real one.
fn harbour(path: &str) -> Reply {
    match path {
        "/" => Reply::ok(
            "text/html; charset=utf-8",
            r#"<!doctype html><html><head><title>The harbour</title>
<link rel="alternate" type="application/atom+xml" title="Harbour market" href="/market.atom">
<link rel="alternate" type="application/rss+xml" title="Harbour notes" href="/notes.rss">
</head><body><h1>The harbour</h1></body></html>"#,
        ),
        "/market.atom" => Reply::ok(
            "application/atom+xml",
            r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour market</title><id>urn:harbour:market</id>
<updated>2026-11-28T10:00:00Z</updated><link href="https://harbour.example/market"/>
<entry><id>urn:harbour:m1</id><title>Fish market opens early</title><updated>2026-11-28T10:00:00Z</updated>
<published>2026-11-28T10:00:00Z</published><link href="https://harbour.example/m1"/>
<author><name>Market hall</name></author><content type="html">&lt;p&gt;Fish.&lt;/p&gt;</content></entry>
</feed>"#,
        ),
        "/notes.rss" => Reply::ok(
            "application/rss+xml",
            r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Harbour notes</title>
<link>https://harbour.example/</link><description>News from the harbour</description>
<item><guid>https://harbour.example/1</guid><title>Lighthouse keeper retires</title>
<link>https://harbour.example/1</link><dc:creator>Harbour master</dc:creator><pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;After forty years the keeper hands over the &lt;em&gt;lamp&lt;/em&gt;.&lt;/p&gt;</description></item>
<item><guid>https://harbour.example/2</guid><title>Regatta results are in</title>
<link>https://harbour.example/2</link><dc:creator>Sailing club</dc:creator><pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Blue boat first, green boat second.&lt;/p&gt;</description></item>
<item><guid>https://harbour.example/3</guid><title>Ferry timetable changes</title>
<link>https://harbour.example/3</link><pubDate>Thu, 26 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;The winter timetable starts on Monday.&lt;/p&gt;</description></item>
</channel></rss>"#,
        ),
        _ => Reply::status(404),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_user_flow_from_setup_to_logout() {
    if !browser::available() {
        return;
    }
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let (alice, bob) = (mock.user("alice").await, mock.user("bob").await);
    // The accounts go into the database before `braid run` starts, as `braid account add`
    // would put them (the browser's part is posting through them).
    let h = Harness::new(|_| {});
    let (a, _) = log_in(&h, &mock.base, &alice, 0).await;
    let (b, _) = log_in(&h, &mock.base, &bob, 0).await;
    let site = TestServer::start(|seen| harbour(&seen.path)).await;
    let dir = h.dir.path().to_path_buf();
    let daemon = tokio::task::spawn_blocking(move || {
        Daemon::start(&dir, "[fetch]\nallow_private_networks = true\n")
    })
    .await
    .expect("join");
    let post = "Hello from a real browser, through Braid";

    let report = browser::run(
        "flow.mjs",
        &[
            ("BASE", daemon.base.clone()),
            ("SETUP_LINK", daemon.setup.clone()),
            ("FEED_PAGE", site.url("/")),
            ("FEED_CHOICE", "Harbour notes (RSS)".into()),
            ("SOURCE_NAME", "Harbour notes".into()),
            (
                "TITLES",
                "Lighthouse keeper retires|Regatta results are in|Ferry timetable changes".into(),
            ),
            ("SEARCH_WORD", "regatta".into()),
            ("SEARCH_HIT", "Regatta results are in".into()),
            ("ACCOUNTS", format!("{},{}", a.name, b.name)),
            ("POST_TEXT", post.into()),
        ],
    )
    .await;
    eprintln!("flow.mjs: {report}");
    let log = daemon.log();
    assert_eq!(report["ok"], true, "{report}\n{log}");
    assert_eq!(
        report["previews"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(report["search_results"], 1, "{report}");
    assert_eq!(report["after_logout"], "/login", "{report}");

    // The source is the feed the person chose, not the one offered first.
    let sources = h.store.list_sources().await.expect("sources");
    let urls: Vec<&str> = sources.iter().map(|s| s.url.as_str()).collect();
    assert!(urls.contains(&site.url("/notes.rss").as_str()), "{urls:?}");
    assert!(
        !urls.contains(&site.url("/market.atom").as_str()),
        "{urls:?}"
    );

    // Each account got the post exactly once.
    for (who, token) in [("alice", &alice), ("bob", &bob)] {
        let statuses = mock.own_statuses(token).await;
        let copies = statuses.iter().filter(|s| s.contains(post)).count();
        assert_eq!(copies, 1, "{who}'s statuses: {statuses:?}");
    }
    let shots = report["shots"].as_array().expect("shots");
    assert!(shots.len() >= 15, "{report}");
    for shot in shots {
        let path = shot.as_str().expect("path");
        assert!(
            std::fs::metadata(path).is_ok_and(|m| m.len() > 1000),
            "{path}"
        );
    }
}

/// Script that, if it ever runs, marks the page (`window.__xss`, in the top window too) and
/// calls the listener at `hit` + `id`. No spaces or double quotes, so it fits unquoted and
/// double-quoted attributes alike.
fn payload(hit: &str, id: &str) -> String {
    format!("window.__xss='{id}';try{{top.__xss='{id}'}}catch(e){{}};fetch('{hit}{id}')")
}

/// The classic vectors for an item's content: `{js}` is the payload. Clickable ones say
/// "vector" so the script can find and click them.
const CONTENT: &[&str] = &[
    "<script>{js}</script>",
    r#"<img src=x onerror="{js}">"#,
    r#"<body onload="{js}">vector body</body>"#,
    r#"<svg onload="{js}"></svg>"#,
    "<svg><script>{js}</script></svg>",
    r#"<a href="javascript:{js}">vector javascript</a>"#,
    r#"<a href="JaVaScRiPt:{js}">vector mixed case</a>"#,
    r#"<a href="jav&#x09;ascript:{js}">vector tab entity</a>"#,
    r#"<a href="&#106;avascript:{js}">vector decimal entity</a>"#,
    r#"<a href="  javascript:{js}">vector leading spaces</a>"#,
    r#"<a href="data:text/html,%3Cscript%3E{js}%3C/script%3E">vector data link</a>"#,
    r#"<iframe src="data:text/html,%3Cscript%3E{js}%3C/script%3E"></iframe>"#,
    r#"<iframe srcdoc="&lt;script&gt;{js}&lt;/script&gt;"></iframe>"#,
    r#"<iframe src="javascript:{js}"></iframe>"#,
    r#"<object data="javascript:{js}"></object><embed src="javascript:{js}">"#,
    r#"<object data="data:text/html,%3Cscript%3E{js}%3C/script%3E"></object>"#,
    r#"<style>@import 'javascript:{js}';</style><div style="background:url(javascript:{js});width:expression({js})">vector style</div>"#,
    r#"<math><mtext><table><mglyph><style><img src=x onerror="{js}">"#,
    r#"<noscript><p title="</noscript><img src=x onerror={js}>"></noscript>"#,
    r#"<svg></p><style><a id="</style><img src=1 onerror={js}>">"#,
    r#"<form action="javascript:{js}"><button>vector form</button></form><button formaction="javascript:{js}">vector formaction</button>"#,
    r#"<details open ontoggle="{js}"><summary>vector details</summary></details>"#,
    r#"<img src="javascript:{js}"><img srcset="javascript:{js} 1x"><video><source onerror="{js}"></video><audio src=x onerror="{js}"></audio>"#,
    r#"<svg><a xlink:href="javascript:{js}"><text x="20" y="20">vector svg link</text></a></svg>"#,
    r#"<base href="javascript:{js}//"><meta http-equiv="refresh" content="0;url=javascript:{js}">"#,
    r#"<<img src=x onerror="{js}">><scr<script>ipt>{js}</scr</script>ipt>"#,
    r##"<input autofocus onfocus="{js}"><marquee onstart="{js}">vector marquee</marquee><a href="#" onclick="{js}">vector onclick</a>"##,
];

/// Vectors for a title and an author's name (text, which must stay text).
const TEXT: &[&str] = &[
    "<script>{js}</script>",
    r#"<img src=x onerror="{js}">"#,
    r#""><svg onload={js}>"#,
    "</title><script>{js}</script>",
];

/// `s` escaped for XML text and attributes.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The hostile Atom feed: one entry per content vector, each with a hostile title (marked
/// "Hostile N" so it can be found), author name, author URI and link. `hit` is the listener.
fn hostile_feed(hit: &str) -> String {
    let mut out = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{}</title><id>urn:hostile</id>
<updated>2026-11-28T10:00:00Z</updated><link href="javascript:{}"/>"#,
        xml(&format!(
            "Hostile feed <script>{}</script>",
            payload(hit, "feed")
        )),
        xml(&payload(hit, "feedlink")),
    );
    for (n, vector) in CONTENT.iter().enumerate() {
        let title = TEXT[n % TEXT.len()].replace("{js}", &payload(hit, &format!("t{n}")));
        let author = TEXT[(n + 1) % TEXT.len()].replace("{js}", &payload(hit, &format!("a{n}")));
        let content = vector.replace("{js}", &payload(hit, &format!("c{n}")));
        out.push_str(&format!(
            r#"
<entry><id>urn:hostile:{n}</id><title type="html">{title}</title>
<updated>2026-11-{day:02}T10:{n:02}:00Z</updated><link href="javascript:{link}"/>
<author><name>{author}</name><uri>javascript:{uri}</uri></author>
<content type="html"><![CDATA[<p>Hostile {n}</p>{content}<p>end of {n}</p>]]></content></entry>"#,
            title = xml(&format!("Hostile {n} {title}")),
            day = 27,
            link = xml(&payload(hit, &format!("l{n}"))),
            author = xml(&author),
            uri = xml(&payload(hit, &format!("u{n}"))),
        ));
    }
    out.push_str("\n</feed>\n");
    out
}

/// The same vectors raw, on a page of the listener's own (no sanitizer, no CSP): the control
/// that shows these payloads do run in this Chromium, and that the script would see it.
fn control_page() -> String {
    let mut out = String::from("<!doctype html><title>control</title><body>");
    for (n, vector) in CONTENT.iter().enumerate() {
        out.push_str(&vector.replace("{js}", &payload("/hit/control/", &format!("c{n}"))));
    }
    out.push_str("</body>");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_hostile_feed_runs_no_script() {
    if !browser::available() {
        return;
    }
    let listener = TestServer::start(|seen| match seen.path.as_str() {
        "/control" => Reply::ok("text/html; charset=utf-8", control_page()),
        _ => Reply::status(204).header("Access-Control-Allow-Origin", "*"),
    })
    .await;
    let hit = listener.url("/hit/feed/");
    let feed = hostile_feed(&hit);
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/hostile.atom" => Reply::ok("application/atom+xml", feed.clone()),
        _ => Reply::status(404),
    })
    .await;
    let h = Harness::new(|_| {});
    let source = h.add_feed("hostile", &server.url("/hostile.atom")).await;
    let outcome = h.poll(source).await;
    assert_eq!(outcome.error, None, "poll failed");
    assert_eq!(h.items(source).await.len(), CONTENT.len());
    let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |c| {
        c.fetch.allow_private_networks = true
    })
    .await;
    let (cookie, _) = support::owner_session(&h.store).await;

    let report = browser::run(
        "hostile.mjs",
        &[
            ("BASE", web.base.clone()),
            ("COOKIE", cookie),
            ("LISTENER", listener.url("")),
            ("ITEMS", CONTENT.len().to_string()),
        ],
    )
    .await;
    eprintln!("hostile.mjs: {report}");
    assert_eq!(report["ok"], true, "{report}");
    let seen = listener.seen.lock().expect("lock").clone();
    let (control, feed): (Vec<_>, Vec<_>) = seen
        .iter()
        .filter(|s| s.path.starts_with("/hit/"))
        .partition(|s| s.path.starts_with("/hit/control/"));
    assert!(
        control.len() >= 3,
        "the control page's payloads should have called the listener: {control:?}"
    );
    assert!(feed.is_empty(), "a payload from the feed ran: {feed:?}");
    // Both passes (with CSP, and with CSP bypassed) visited the timeline and every item.
    let pages = report["pages"].as_u64().unwrap_or_default();
    assert!(pages >= 2 * (CONTENT.len() as u64 + 2), "{report}");
    web.stop();
}
