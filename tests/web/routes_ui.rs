//! The Routes and Channels pages on a real server on 127.0.0.1, as a browser uses them: a
//! session cookie, the `csrf` field and our `Origin`. Channels and routes made through the
//! forms land in the store with the rule the command line would store; bad input comes back
//! on the form with its reason and nothing is stored; editing changes the rule but never makes
//! the route carry old items again; pause, resume, remove, publish and unpublish change the
//! store; a route's log shows what a real pass of the routes decided; what the config file
//! made is shown but not changed; a form without its CSRF token is refused.

use std::sync::{Arc, Mutex};

use braid::routes::{Filter, RouteSpec};
use reqwest::header::{COOKIE, LOCATION, ORIGIN};
use reqwest::redirect::Policy;

use crate::support::server::{Reply, TestServer};
use crate::support::{self, Harness, Web};

struct Ui {
    h: Harness,
    web: Web,
    cookie: String,
    csrf: String,
    /// No redirects followed, no cookies kept: each request sends what the test means.
    http: reqwest::Client,
    /// The feed the `blog` source reads (RSS; replace the text to publish entries).
    feed: Arc<Mutex<String>>,
    _feed_server: TestServer,
    blog: braid_core::SourceId,
}

/// An RSS document with `entries` (guid, title, text), each dated now.
fn rss(entries: &[(&str, &str, &str)]) -> String {
    let now = chrono::Utc::now().to_rfc2822();
    let items: String = entries
        .iter()
        .map(|(guid, title, text)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                 <link>https://blog.example/{guid}</link><pubDate>{now}</pubDate>\
                 <description>{text}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <link>https://blog.example/</link><description>d</description>{items}</channel></rss>"
    )
}

/// A server hosting the daemon's context (so the forms see its connector kinds), an owner's
/// browser session, and a feed source `blog` on a local feed server (polled once, empty).
async fn ui() -> Ui {
    let h = Harness::new(|_| {});
    let feed = Arc::new(Mutex::new(rss(&[])));
    let doc = feed.clone();
    let feed_server = TestServer::start(move |_| {
        Reply::ok(
            "application/rss+xml",
            doc.lock().expect("lock").clone().into_bytes(),
        )
    })
    .await;
    let blog = h.add_feed("blog", &feed_server.url("/feed.xml")).await;
    h.poll(blog).await;
    let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |_| {}).await;
    let (cookie, csrf) = support::owner_session(&h.store).await;
    Ui {
        h,
        web,
        cookie,
        csrf,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client"),
        feed,
        _feed_server: feed_server,
        blog,
    }
}

impl Ui {
    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.web.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    /// A form post as the browser sends it: cookie, origin and the CSRF field.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        self.post_raw(path, &form).await
    }

    /// A form post with exactly `fields` (no CSRF field added): (status, Location, body).
    async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.web.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.web.base)
            .form(fields)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, location, resp.text().await.expect("body"))
    }

    async fn spec(&self, name: &str) -> RouteSpec {
        let route = self.h.store.route(name.into()).await.unwrap().unwrap();
        RouteSpec::from_value(&route.spec).unwrap()
    }

    /// Publishes `entries` on the blog's feed, polls it, and runs one pass of the routes (what
    /// the scheduler does after a poll).
    async fn publish(&self, entries: &[(&str, &str, &str)]) {
        *self.feed.lock().unwrap() = rss(entries);
        self.h.poll(self.blog).await;
        braid::routes::run(&self.h.ctx).await.expect("routes");
    }

    async fn channel(&self, name: &str) -> braid::store::ChannelRecord {
        self.h.store.channel(name.into()).await.unwrap().unwrap()
    }
}

/// `s` as askama's HTML escaper writes it.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Fields to add to a good form, the reason the page must give, and what must still be typed.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

/// A channel `links` made through its form.
async fn make_links(ui: &Ui) {
    let (status, location, body) = ui
        .post(
            "/channels",
            &[
                ("name", "links"),
                ("title", "Links"),
                ("description", "What I read"),
                ("audience", "public"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/channels?done=channel-created"),
        "{body}"
    );
}

/// The route `blog-links` (blog → links, only items with "rust") made through its form.
async fn make_route(ui: &Ui) {
    let (status, location, body) = ui
        .post(
            "/routes/new",
            &[
                ("name", "blog-links"),
                ("from", "blog"),
                ("to", "links"),
                ("include", "rust"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/routes/blog-links?done=created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_and_a_route_made_through_the_forms_are_stored() {
    let ui = ui().await;
    make_links(&ui).await;
    let links = ui.channel("links").await;
    assert_eq!(links.title.as_deref(), Some("Links"));
    assert_eq!(links.description.as_deref(), Some("What I read"));
    assert_eq!(
        (links.audience.as_str(), links.published),
        ("public", false)
    );

    let (status, page) = ui.get("/channels").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("{}/channels/links/feed.atom", ui.web.base)),
        "{page}"
    );
    assert!(page.contains("/channels/links/feed.json"));
    assert!(
        page.contains("need a private link"),
        "an unpublished channel says so"
    );
    assert!(page.contains("href=\"/settings\""));

    // The form offers the source, the kinds and the channel.
    let (status, form) = ui.get("/routes/new").await;
    assert_eq!(status, 200);
    for offered in [
        "value=\"blog\"",
        "value=\"kind:feed\"",
        "value=\"links\"",
        "{title}",
    ] {
        assert!(form.contains(offered), "the form lacks {offered}");
    }
    assert!(
        form.contains("name=\"csrf\""),
        "every form carries the CSRF field"
    );

    let (status, location, body) = ui
        .post(
            "/routes/new",
            &[
                ("name", "blog links/1"),
                ("from", "blog"),
                ("from", "kind:feed"),
                ("to", "links"),
                ("include", "rust, open source"),
                ("exclude", "ads"),
                ("include_regex", r"\bnews\b"),
                ("tags", "#rust"),
                ("languages", "en, de"),
                ("no_boosts", "1"),
                ("template", "{title}\r\n\r\n{url}"),
                ("visibility", "unlisted"),
                ("long", "thread"),
                ("truncate_for", "links"),
                ("number", "1"),
                ("min_interval", "10m"),
                ("edits", "1"),
                ("backfill", ""),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    // Any name survives the address: its page is one path segment.
    assert_eq!(location, "/routes/blog%20links%2F1?done=created");
    let spec = ui.spec("blog links/1").await;
    assert_eq!(
        spec,
        RouteSpec {
            from: vec!["blog".into(), "kind:feed".into()],
            to: vec!["links".into()],
            filter: Filter {
                include: vec!["rust".into(), "open source".into()],
                exclude: vec!["ads".into()],
                include_regex: Some(r"\bnews\b".into()),
                tags: vec!["#rust".into()],
                languages: vec!["en".into(), "de".into()],
                no_boosts: true,
                ..Filter::default()
            },
            template: Some("{title}\n\n{url}".into()),
            visibility: Some(braid_core::Visibility::Unlisted),
            long: Some(braid_core::fit::LongText::Thread),
            long_for: [("links".to_owned(), braid_core::fit::LongText::Truncate)].into(),
            number: true,
            min_interval_secs: Some(600),
            edits: true,
            deletes: false,
        }
    );
    let route =
        ui.h.store
            .route("blog links/1".into())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        route.origin, "cli",
        "made by the owner, as with the command line"
    );

    let (status, page) = ui.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Route created"), "{page}");
    assert!(
        page.contains("blog and every feed source → links"),
        "{page}"
    );
    assert!(page.contains("At least 10m between two of its posts"));

    let (status, list) = ui.get("/routes").await;
    assert_eq!(status, 200);
    assert!(list.contains("href=\"/routes/blog%20links%2F1\""), "{list}");
    assert!(
        list.contains("words: rust, open source; not: ads; regex"),
        "{list}"
    );
    assert!(list.contains("nothing yet"));
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_comes_back_on_the_form_and_nothing_is_stored() {
    let ui = ui().await;
    make_links(&ui).await;
    let cases: [Case; 5] = [
        (
            &[("include_regex", "(unclosed")],
            "is not a regular expression",
            "value=\"(unclosed\"",
        ),
        (
            &[("from_other", "nosuch")],
            "no source, account or kind named nosuch",
            "value=\"nosuch\"",
        ),
        (
            &[("template", "{title} {nope}")],
            "unknown {nope}",
            "{title} {nope}</textarea>",
        ),
        (
            &[("min_interval", "2 weeks")],
            "the unit is s, m, h or d",
            "value=\"2 weeks\"",
        ),
        (
            &[("to_other", "nobody")],
            "no account or channel named nobody",
            "value=\"nobody\"",
        ),
    ];
    for (extra, reason, kept) in cases {
        let mut fields = vec![("name", "r1"), ("include", "typed words")];
        if !extra.iter().any(|(k, _)| *k == "from_other") {
            fields.push(("from", "blog"));
        }
        if !extra.iter().any(|(k, _)| *k == "to_other") {
            fields.push(("to", "links"));
        }
        fields.extend_from_slice(extra);
        let (status, _, page) = ui.post("/routes/new", &fields).await;
        assert_eq!(status, 422, "{extra:?}");
        assert!(
            page.contains(&escaped(reason)),
            "{extra:?}: no {reason:?} in\n{page}"
        );
        assert!(page.contains(kept), "{extra:?}: the typed value is lost");
        assert!(
            page.contains("value=\"typed words\""),
            "other fields are kept"
        );
        assert!(page.contains("value=\"r1\""), "the name is kept");
    }
    assert!(
        ui.h.store.list_routes().await.unwrap().is_empty(),
        "nothing stored"
    );

    // The name is taken: said on the form, the first route untouched.
    make_route(&ui).await;
    let (status, _, page) = ui
        .post(
            "/routes/new",
            &[("name", "blog-links"), ("from", "blog"), ("to", "links")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("already exists"), "{page}");
    assert_eq!(ui.spec("blog-links").await.filter.include, ["rust"]);

    let (status, _, page) = ui.post("/channels", &[("name", "no spaces")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("is not a channel name"), "{page}");
    assert!(page.contains("value=\"no spaces\""));
    assert!(ui
        .h
        .store
        .channel("no spaces".into())
        .await
        .unwrap()
        .is_none());
    let (status, _, page) = ui.post("/channels", &[("name", "links")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("already exists"));
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_shows_what_a_real_pass_decided() {
    let ui = ui().await;
    make_links(&ui).await;
    make_route(&ui).await;
    let (_, page) = ui.get("/routes/blog-links").await;
    assert!(page.contains("has decided nothing yet"), "{page}");

    let rust_news = ("e1", "Rust news", "A new release of rust");
    ui.publish(&[rust_news]).await;
    ui.publish(&[rust_news, ("e2", "Cooking", "Soup of the day")])
        .await;
    assert_eq!(
        ui.channel("links").await.items,
        1,
        "the pass put one item in"
    );

    let (status, page) = ui.get("/routes/blog-links").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("data-decision=\"channel\">sent to channel"),
        "{page}"
    );
    assert!(page.contains("put in the channel"));
    assert!(page.contains("data-decision=\"skipped\">skipped"));
    assert!(page.contains("filter: none of the words rust"));
    let items = ui.h.items(ui.blog).await;
    let rust = items
        .iter()
        .find(|i| i.item.title.as_deref() == Some("Rust news"))
        .unwrap();
    assert!(page.contains(&format!("<a href=\"/items/{}\">Rust news</a>", rust.id.0)));
    // Newest first: the skipped "Cooking" arrived (and was decided) after "Rust news".
    assert!(
        page.find("Cooking") < page.find("Rust news"),
        "newest first"
    );

    let (_, list) = ui.get("/routes").await;
    assert!(
        !list.contains("nothing yet"),
        "the list shows the last decision"
    );
    let (_, channels) = ui.get("/channels").await;
    assert!(channels.contains("1 item</p>") && channels.contains("href=\"/routes/blog-links\""));
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_route_changes_its_rule_but_carries_nothing_old() {
    let ui = ui().await;
    make_links(&ui).await;
    make_route(&ui).await;
    ui.publish(&[("e1", "Gardening", "Tomatoes")]).await;
    assert_eq!(ui.channel("links").await.items, 0, "filtered out");
    let before =
        ui.h.store
            .route("blog-links".into())
            .await
            .unwrap()
            .unwrap();

    let (status, form) = ui.get("/routes/blog-links/edit").await;
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"include\" type=\"text\" value=\"rust\""),
        "{form}"
    );
    assert!(
        form.contains("value=\"links\" checked"),
        "the target is ticked"
    );

    let (status, location, body) = ui
        .post(
            "/routes/blog-links/edit",
            &[
                ("from", "blog"),
                ("to", "links"),
                ("include", "tomatoes, rust"),
                ("template", "{title} via {url}"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/routes/blog-links?done=saved"),
        "{body}"
    );
    let spec = ui.spec("blog-links").await;
    assert_eq!(spec.filter.include, ["tomatoes", "rust"]);
    assert_eq!(spec.template.as_deref(), Some("{title} via {url}"));
    let after =
        ui.h.store
            .route("blog-links".into())
            .await
            .unwrap()
            .unwrap();
    assert_eq!((after.cursor, after.since), (before.cursor, before.since));

    // The old entry now passes the filter but is not weighed again; a new one is carried.
    ui.publish(&[
        ("e1", "Gardening", "Tomatoes"),
        ("e2", "More tomatoes", "Red"),
    ])
    .await;
    let links = ui.channel("links").await;
    assert_eq!(links.items, 1, "only the new entry");
    let (_, page) = ui.get("/routes/blog-links").await;
    assert_eq!(
        page.matches("data-decision=\"channel\"").count(),
        1,
        "{page}"
    );
    assert!(page.contains("Only items with the word “tomatoes” or “rust”."));

    // A refused edit keeps the stored rule.
    let (status, _, page) = ui
        .post(
            "/routes/blog-links/edit",
            &[("from", "blog"), ("to", "links"), ("exclude_regex", "[")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("is not a regular expression"));
    assert_eq!(ui.spec("blog-links").await, spec);
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_remove_change_the_store() {
    let ui = ui().await;
    make_links(&ui).await;
    make_route(&ui).await;
    let paused = |ui: &Ui| {
        let store = ui.h.store.clone();
        async move {
            store
                .route("blog-links".into())
                .await
                .unwrap()
                .map(|r| r.paused)
        }
    };

    let (status, location, _) = ui.post("/routes/blog-links/pause", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/routes/blog-links?done=paused")
    );
    assert_eq!(paused(&ui).await, Some(true));
    let (_, page) = ui.get("/routes/blog-links").await;
    assert!(page.contains("badge warn\">paused") && page.contains(">Resume</button>"));
    let (_, list) = ui.get("/routes").await;
    assert!(list.contains("1 paused"));

    let (status, _, _) = ui.post("/routes/blog-links/resume", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(paused(&ui).await, Some(false));

    // Removing asks first, on a page of its own, with a form (no script needed).
    let (status, confirm) = ui.get("/routes/blog-links/remove").await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Remove route blog-links?"));
    assert!(confirm.contains("action=\"/routes/blog-links/remove\" method=\"post\""));
    assert_eq!(paused(&ui).await, Some(false), "asking removes nothing");
    let (status, location, _) = ui.post("/routes/blog-links/remove", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/routes?done=removed"));
    assert_eq!(paused(&ui).await, None, "removed");
    let (status, _) = ui.get("/routes/blog-links").await;
    assert_eq!(status, 404);
    let (status, _, _) = ui.post("/routes/blog-links/pause", &[]).await;
    assert_eq!(status, 404);
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_are_published_edited_and_removed() {
    let ui = ui().await;
    make_links(&ui).await;
    let anonymous = |ui: &Ui| {
        let url = format!("{}/channels/links/feed.atom", ui.web.base);
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(
        anonymous(&ui).await,
        401,
        "unpublished: its feeds need a token"
    );

    let (status, location, _) = ui.post("/channels/links/publish", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/channels?done=published")
    );
    assert!(ui.channel("links").await.published);
    assert_eq!(anonymous(&ui).await, 200, "published: served to anyone");
    let (_, page) = ui.get("/channels?done=published").await;
    assert!(page.contains("Channel published"));
    assert!(page.contains(">Unpublish</button>"));
    assert!(!page.contains("need a private link"));

    let (status, _, _) = ui.post("/channels/links/unpublish", &[]).await;
    assert_eq!(status, 303);
    assert!(!ui.channel("links").await.published);
    assert_eq!(anonymous(&ui).await, 401);

    let (status, form) = ui.get("/channels/links/edit").await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"Links\""));
    let (status, _, _) = ui
        .post(
            "/channels/links/edit",
            &[
                ("title", "Reading"),
                ("description", ""),
                ("audience", "unlisted"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let links = ui.channel("links").await;
    assert_eq!(links.title.as_deref(), Some("Reading"));
    assert_eq!(links.description, None);
    assert_eq!(links.audience, "unlisted");
    let (status, _, page) = ui
        .post(
            "/channels/links/edit",
            &[("title", "X"), ("audience", "direct")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("is not one of public, unlisted, followers_only"));
    assert_eq!(ui.channel("links").await.title.as_deref(), Some("Reading"));

    // A route into it is named on the confirmation page.
    make_route(&ui).await;
    let (status, confirm) = ui.get("/channels/links/remove").await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Remove channel links?"));
    assert!(confirm.contains("href=\"/routes/blog-links\""), "{confirm}");
    let (status, location, _) = ui.post("/channels/links/remove", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/channels?done=channel-removed")
    );
    assert!(ui.h.store.channel("links".into()).await.unwrap().is_none());
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_config_made_is_shown_but_not_changed_here() {
    let ui = ui().await;
    let spec = RouteSpec {
        from: vec!["blog".into()],
        to: vec!["cfg-channel".into()],
        ..RouteSpec::default()
    };
    ui.h.store
        .apply_config_route("cfg".into(), spec.to_value())
        .await
        .unwrap();
    ui.h.store
        .apply_config_channel(braid::store::NewChannel {
            name: "cfg-channel".into(),
            title: None,
            description: None,
            audience: "public".into(),
            published: false,
            origin: "config".into(),
        })
        .await
        .unwrap();

    let (status, page) = ui.get("/routes/cfg").await;
    assert_eq!(status, 200);
    assert!(page.contains("comes from the config file"), "{page}");
    assert!(!page.contains("href=\"/routes/cfg/edit\""), "no edit link");
    let (_, list) = ui.get("/routes").await;
    assert!(list.contains("from the config file"));

    let (status, page) = ui.get("/routes/cfg/edit").await;
    assert_eq!(status, 409);
    assert!(page.contains("comes from the config file"), "{page}");
    let (status, _, page) = ui
        .post(
            "/routes/cfg/edit",
            &[("from", "blog"), ("to", "cfg-channel"), ("include", "x")],
        )
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("change or remove it there"));
    assert_eq!(ui.spec("cfg").await, spec, "the config's rule stays");
    let (status, _, _) = ui.post("/routes/cfg/remove", &[]).await;
    assert_eq!(status, 409);
    assert!(ui.h.store.route("cfg".into()).await.unwrap().is_some());
    // Pausing is not the config's business: it lasts.
    let (status, _, _) = ui.post("/routes/cfg/pause", &[]).await;
    assert_eq!(status, 303);

    for path in [
        "/channels/cfg-channel/publish",
        "/channels/cfg-channel/remove",
    ] {
        let (status, _, page) = ui.post(path, &[]).await;
        assert_eq!(status, 409, "{path}");
        assert!(page.contains("config file"));
    }
    let cfg = ui.channel("cfg-channel").await;
    assert!(!cfg.published);
    let (_, channels) = ui.get("/channels").await;
    assert!(!channels.contains("action=\"/channels/cfg-channel/publish\""));
    ui.web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_are_refused() {
    let ui = ui().await;
    make_links(&ui).await;
    let route = [("name", "sneaky"), ("from", "blog"), ("to", "links")];
    let (status, _, _) = ui.post_raw("/routes/new", &route).await;
    assert_eq!(status, 403);
    let mut wrong = route.to_vec();
    wrong.push(("csrf", "wrong"));
    let (status, _, _) = ui.post_raw("/routes/new", &wrong).await;
    assert_eq!(status, 403);
    assert!(ui.h.store.route("sneaky".into()).await.unwrap().is_none());
    let (status, _, _) = ui.post_raw("/channels/links/publish", &[]).await;
    assert_eq!(status, 403);
    assert!(!ui.channel("links").await.published);
    let (status, _, _) = ui.post_raw("/channels", &[("name", "other")]).await;
    assert_eq!(status, 403);
    assert!(ui.h.store.channel("other".into()).await.unwrap().is_none());
    // The same form with its token passes: the refusals were the token's.
    let (status, _, _) = ui.post("/routes/new", &route).await;
    assert_eq!(status, 303);
    ui.web.stop();
}
