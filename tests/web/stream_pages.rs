//! The public pages of the streams: `/channels/NAME` for a published channel and `/@NAME` for
//! the owner, read by an anonymous client (no cookie, no token) at a `web.base_url` with a
//! port: what anyone may read and nothing more, the handle with the port, the strict CSP;
//! an unpublished channel is "not found" to anyone but the owner; a remote item rendered
//! sanitized with no remote image embedded; "Older" paging.

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE};
use reqwest::StatusCode;

use crate::support::{self, Harness};

/// Braid's web server at `web.base_url` = its own address (`http://127.0.0.1:PORT/`), with
/// the owner named `me`.
struct Site {
    base: String,
    /// The port, as handles show it.
    port: u16,
    /// The owner's API client.
    owner: reqwest::Client,
    /// Nobody in particular: no cookie, no token, redirects not followed.
    anyone: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(h: &Harness) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = (*h.ctx.config).clone();
    config.web.base_url = format!("http://{addr}/");
    config.web.owner_name = "me".into();
    let ctx =
        braid::web::WebContext::new(h.store.clone(), &config, addr, Some(h.ctx.clone())).unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(braid::web::serve(ctx, listener, async {
        let _ = rx.await;
    }));
    Site {
        base: format!("http://{addr}"),
        port: addr.port(),
        owner: support::owner_client(&h.store).await,
        anyone: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _stop: stop,
    }
}

async fn channel(h: &Harness, name: &str, audience: &str, published: bool) {
    h.store
        .add_channel(braid::store::NewChannel {
            name: name.into(),
            title: Some(format!("The {name}")),
            description: Some(format!("All about {name}")),
            audience: audience.into(),
            published,
            origin: "cli".into(),
        })
        .await
        .unwrap();
}

/// Posts `text` with `visibility` into `channel` through `POST /api/posts`.
async fn post(site: &Site, text: &str, visibility: &str, channel: &str) {
    let resp = site
        .owner
        .post(format!("{}/api/posts", site.base))
        .json(&serde_json::json!({
            "text": text,
            "channels": [channel],
            "visibility": visibility,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
}

/// `path` as nobody in particular: the status, the CSP and the page.
async fn anonymous(site: &Site, path: &str) -> (StatusCode, Option<String>, String) {
    let resp = site
        .anyone
        .get(format!("{}{path}", site.base))
        .send()
        .await
        .unwrap();
    let csp = resp
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.status(), csp, resp.text().await.unwrap())
}

/// Nothing of the owner's on a page a visitor reads.
fn assert_nothing_of_the_owners(html: &str) {
    for private in [
        "name=\"csrf\"",
        "href=\"/sources\"",
        "/logout",
        "/items/",
        "/?source=",
    ] {
        assert!(
            !html.contains(private),
            "{private} on a visitor's page: {html}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_page_of_a_published_channel_shows_what_anyone_may_read() {
    let h = Harness::new(|_| {});
    // Followers-only at first, then opened to everyone: what went in before stays
    // followers-only, and is never shown on the public page.
    channel(&h, "news", "followers_only", true).await;
    let site = serve(&h).await;
    post(&site, "only for the followers", "followers_only", "news").await;
    let (status, _, before_opening) = anonymous(&site, "/channels/news").await;
    assert_eq!(status, 200);
    assert!(
        before_opening.contains("for its followers only"),
        "{before_opening}"
    );
    h.store
        .update_channel(
            "news".into(),
            Some("The news".into()),
            Some("All about news".into()),
            "public".into(),
        )
        .await
        .unwrap();
    post(&site, "hello to everyone", "public", "news").await;

    let (status, csp, html) = anonymous(&site, "/channels/news").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(braid::web::CONTENT_SECURITY_POLICY));
    assert!(html.contains("<h1>The news</h1>"), "{html}");
    assert!(html.contains("All about news"), "{html}");
    assert!(html.contains("hello to everyone"), "{html}");
    assert!(!html.contains("only for the followers"), "{html}");
    let handle = format!("news@127.0.0.1:{}", site.port);
    assert!(html.contains(&format!("@{handle}")), "{handle} in {html}");
    assert!(
        html.contains(
            r#"<link rel="alternate" type="application/atom+xml" title="The news (Atom)" href="/channels/news/feed.atom">"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"href="/channels/news/feed.json""#),
        "{html}"
    );
    assert_nothing_of_the_owners(&html);
    // Public to read only: anything else at the address is still the owner's.
    let posted = site
        .anyone
        .post(format!("{}/channels/news", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_page_of_an_unpublished_channel_is_the_owners_only() {
    let h = Harness::new(|_| {});
    channel(&h, "drafts", "public", false).await;
    let site = serve(&h).await;
    post(&site, "not out yet", "public", "drafts").await;

    for path in ["/channels/drafts", "/channels/nowhere"] {
        let (status, csp, html) = anonymous(&site, path).await;
        assert_eq!(status, 404, "{path}: {html}");
        assert!(csp.is_some(), "{path}");
        assert!(
            !html.contains("not out yet") && !html.contains("The drafts"),
            "{html}"
        );
    }

    let (cookie, _) = support::owner_session(&h.store).await;
    let resp = site
        .anyone
        .get(format!("{}/channels/drafts", site.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("no-store"), "{cache}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("not out yet"), "{html}");
    assert!(html.contains("This channel is not published"), "{html}");
    // Not an actor yet: no handle to follow.
    assert!(!html.contains("drafts@127.0.0.1"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_page_of_the_owner_shows_their_public_posts() {
    let h = Harness::new(|_| {});
    channel(&h, "notes", "followers_only", true).await;
    let site = serve(&h).await;

    let (status, _, empty) = anonymous(&site, "/@me").await;
    assert_eq!(status, 200, "{empty}");
    assert!(empty.contains("No public posts yet"), "{empty}");

    post(&site, "a public thought", "public", "notes").await;
    post(&site, "a quiet thought", "unlisted", "notes").await;
    post(&site, "a private thought", "followers_only", "notes").await;
    let (status, csp, html) = anonymous(&site, "/@me").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(braid::web::CONTENT_SECURITY_POLICY));
    assert!(html.contains("a public thought"), "{html}");
    assert!(html.contains("a quiet thought"), "{html}");
    assert!(!html.contains("a private thought"), "{html}");
    assert!(
        html.contains(&format!("@me@127.0.0.1:{}", site.port)),
        "the handle with the port: {html}"
    );
    assert_nothing_of_the_owners(&html);

    let (status, _, html) = anonymous(&site, "/@someone-else").await;
    assert_eq!(status, 404, "{html}");
    let as_owner = site
        .owner
        .get(format!("{}/@someone-else", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(as_owner.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_page_shows_remote_items_sanitized_and_embeds_nothing_remote() {
    let h = Harness::new(|_| {});
    channel(&h, "links", "public", true).await;
    let source = h
        .store
        .add_source(braid::store::NewSource {
            name: "secret-source-name".into(),
            kind: "feed".into(),
            url: "https://blog.example/feed.xml".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap();
    let item = braid_core::Item {
        remote_id: braid_core::RemoteId::from("https://blog.example/1"),
        title: Some("Remote <b>title</b>".into()),
        content_html: Some(braid_core::sanitize::clean_html(
            r#"<p>remote words</p><img src="https://images.example/inline.png" alt="an inline cat"><script>alert(1)</script>"#,
        )),
        attachments: vec![braid_core::Attachment {
            url: "https://images.example/attached.png".into(),
            media_type: Some("image/png".into()),
            ..braid_core::Attachment::default()
        }],
        url: Some("https://blog.example/1".into()),
        ..braid_core::Item::default()
    };
    h.store
        .record_poll_success(source, vec![item], vec![], Default::default())
        .await
        .unwrap();
    let id = h.items(source).await[0].id.0;
    // Into the channel as a route would put it.
    let db = rusqlite::Connection::open(h.dir.path().join("braid.db")).unwrap();
    db.execute(
        "INSERT INTO channel_items (channel_id, item_id, added_at)
         SELECT id, ?1, 0 FROM channels WHERE name = 'links'",
        [id],
    )
    .unwrap();
    let site = serve(&h).await;

    let (status, csp, html) = anonymous(&site, "/channels/links").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(braid::web::CONTENT_SECURITY_POLICY));
    assert!(html.contains("remote words"), "{html}");
    assert!(
        html.contains("Remote &#60;b&#62;title") && !html.contains("<b>title"),
        "the title escaped: {html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    // The proxy is the owner's: a visitor's page embeds no remote image, through it or not.
    assert!(!html.contains("/media/"), "{html}");
    assert!(!html.contains(r#"src="https://images.example"#), "{html}");
    assert!(
        html.contains(r#"href="https://images.example/attached.png""#),
        "{html}"
    );
    assert!(!html.contains("secret-source-name"), "{html}");
    assert_nothing_of_the_owners(&html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_page_pages_back_with_older() {
    let h = Harness::new(|_| {});
    channel(&h, "busy", "public", true).await;
    let site = serve(&h).await;
    // One more than a page.
    for n in 0..31 {
        post(&site, &format!("busy post #{n:02}"), "public", "busy").await;
    }
    let (_, _, first) = anonymous(&site, "/channels/busy").await;
    assert!(
        first.contains("busy post #30") && !first.contains("busy post #00"),
        "{first}"
    );
    let marker = r#"<a rel="next" href=""#;
    let start = first.find(marker).expect("an Older link") + marker.len();
    let older = &first[start..start + first[start..].find('"').unwrap()];
    assert!(older.starts_with("/channels/busy?before="), "{older}");
    let (status, _, second) = anonymous(&site, &older.replace("&amp;", "&")).await;
    assert_eq!(status, 200, "{second}");
    assert!(
        second.contains("busy post #00") && !second.contains("busy post #30"),
        "{second}"
    );
    assert!(!second.contains(marker), "no page after the last: {second}");
    let (status, _, _) = anonymous(&site, "/channels/busy?before=nonsense").await;
    assert_eq!(status, 400);
}
