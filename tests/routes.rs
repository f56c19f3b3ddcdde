//! Routes and channels end to end, against a real feed served on 127.0.0.1 and the Mastodon
//! API peer (mastodon-mock): an entry is posted once whatever its feed does later (re-dated,
//! updated, reordered, re-published without an id); adding or resuming a route does not flood;
//! a followers-only status is not carried to a public target or channel, and the log says
//! why; Braid's own copies read back are not carried again; an edit and a delete reach the
//! copies; long texts become threads fitted as the target counts.

use std::process::Output;
use std::sync::{Arc, Mutex};

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::server::{Reply, TestServer};
use crate::support::Harness;

/// `braid ARGS…` on the harness's database, off the async worker.
fn braid(h: &Harness, args: &[&str]) -> Output {
    tokio::task::block_in_place(|| crate::support::braid(h, args))
}

/// `braid route add NAME --from FROM --to TO EXTRA…`, which must succeed; its output.
fn add_route(h: &Harness, name: &str, from: &str, to: &str, extra: &[&str]) -> String {
    let mut args = vec!["route", "add", name, "--from", from, "--to", to];
    args.extend_from_slice(extra);
    ok(&braid(h, &args))
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One pass of the pipeline after a poll: routes, then every due delivery.
async fn route_and_deliver(h: &Harness) {
    braid::routes::run(&h.ctx).await.expect("routes");
    let busy = braid::outbox::Busy::default();
    while braid::outbox::deliver_due(&h.ctx, &busy, 16).await > 0 {}
}

async fn count(mock: &MastodonMock, token: &str, needle: &str) -> usize {
    mock.own_statuses(token)
        .await
        .iter()
        .filter(|t| t.contains(needle))
        .count()
}

/// An RSS entry: `(guid, title, link, date, body)`; a `None` guid leaves it out.
type Entry = (
    Option<&'static str>,
    &'static str,
    &'static str,
    String,
    String,
);

fn rss(entries: &[Entry]) -> String {
    let items: String = entries
        .iter()
        .map(|(guid, title, link, date, body)| {
            let guid = guid
                .map(|g| format!("<guid isPermaLink=\"false\">{g}</guid>"))
                .unwrap_or_default();
            format!(
                "<item>{guid}<title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>\
                 <description>{body}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <link>https://blog.example/</link><description>d</description>{items}</channel></rss>"
    )
}

fn date(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc2822()
}

async fn feed_server(doc: Arc<Mutex<String>>) -> TestServer {
    TestServer::start(move |_| {
        Reply::ok(
            "application/rss+xml",
            doc.lock().expect("lock").clone().into_bytes(),
        )
    })
    .await
}

/// mastodon-mock with alice and bob logged in through the registry, no backfill, and their
/// home timelines polled once (which, without a backfill, only marks where they stand).
struct Peers {
    mock: MastodonMock,
    alice: String,
    bob: String,
    h: Harness,
    alice_home: braid_core::SourceId,
    bob_home: braid_core::SourceId,
}

/// [`Peers`], or `None` when the peer is missing (a loud skip; a failure under CI).
async fn alice_and_bob() -> Option<Peers> {
    let mock = MastodonMock::start().await?;
    let (alice, bob) = (mock.user("alice").await, mock.user("bob").await);
    let h = Harness::new(|_| {});
    let (_, alice_home) = log_in(&h, &mock.base, &alice, 0).await;
    let (_, bob_home) = log_in(&h, &mock.base, &bob, 0).await;
    h.poll(alice_home).await;
    h.poll(bob_home).await;
    Some(Peers {
        mock,
        alice,
        bob,
        h,
        alice_home,
        bob_home,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_entry_is_posted_once_whatever_the_feed_does_later() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        ..
    }) = alice_and_bob().await
    else {
        return;
    };
    let old: Entry = (
        Some("e-old"),
        "Old entry",
        "https://blog.example/old",
        date(60 * 24 * 400),
        "old".into(),
    );
    let doc = Arc::new(Mutex::new(rss(std::slice::from_ref(&old))));
    let server = feed_server(doc.clone()).await;
    let blog = h.add_feed("blog", &server.url("/feed.xml")).await;
    h.poll(blog).await;

    add_route(&h, "out", "blog", "alice@127.0.0.1", &[]);
    route_and_deliver(&h).await;
    assert_eq!(mock.own_statuses(&alice).await.len(), 0, "no flood on add");

    // A new entry is posted, once.
    let fresh: Entry = (
        Some("e-new"),
        "Fresh entry",
        "https://blog.example/fresh",
        date(1),
        "fresh".into(),
    );
    *doc.lock().unwrap() = rss(&[fresh.clone(), old.clone()]);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &alice, "Fresh entry").await, 1);

    // Re-dated, updated and reordered: nothing new is posted.
    let mut redated = fresh.clone();
    redated.3 = date(0);
    redated.4 = "fresh, with an update".into();
    *doc.lock().unwrap() = rss(&[old.clone(), redated]);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &alice, "Fresh entry").await, 1);

    // An entry without an id, re-published with a new date (a new hashed id, if its id is
    // made from the date): recognised by its link.
    let no_id = |minutes: i64| -> Entry {
        (
            None,
            "Entry without id",
            "https://blog.example/no-id",
            date(minutes),
            "no id".into(),
        )
    };
    *doc.lock().unwrap() = rss(&[no_id(2), fresh.clone()]);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    *doc.lock().unwrap() = rss(&[no_id(0), fresh.clone()]);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &alice, "Entry without id").await, 1);

    // Paused: what arrives meanwhile is not carried on resume.
    ok(&braid(&h, &["route", "pause", "out"]));
    let during: Entry = (
        Some("e-during"),
        "While paused",
        "https://blog.example/during",
        date(0),
        "x".into(),
    );
    *doc.lock().unwrap() = rss(&[during.clone(), no_id(0), fresh.clone()]);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    ok(&braid(&h, &["route", "resume", "out"]));
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &alice, "While paused").await, 0);

    // A route added now floods nothing; with --backfill 1 it carries the newest one.
    add_route(&h, "late", "blog", "bob@127.0.0.1", &[]);
    route_and_deliver(&h).await;
    assert_eq!(mock.own_statuses(&bob).await.len(), 0);
    let added = add_route(&h, "late2", "blog", "bob@127.0.0.1", &["--backfill", "1"]);
    assert!(added.contains("Backfill: 1 item(s) carried"), "{added}");
    route_and_deliver(&h).await;
    let bobs = mock.own_statuses(&bob).await;
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    assert!(bobs[0].contains("While paused"), "{bobs:?}");

    // Every decision is in the log; alice got exactly the two new entries.
    assert_eq!(mock.own_statuses(&alice).await.len(), 2);
    let log = ok(&braid(&h, &["route", "log", "out"]));
    assert!(log.contains("queued"), "{log}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&braid(&h, &["route", "list", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_statuses_stay_private_and_copies_never_come_back() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        alice_home,
        bob_home,
    }) = alice_and_bob().await
    else {
        return;
    };
    ok(&braid(&h, &["channel", "add", "links", "--title", "Links"]));
    add_route(&h, "a2b", "alice@127.0.0.1", "bob@127.0.0.1,links", &[]);
    add_route(&h, "b2a", "bob@127.0.0.1", "alice@127.0.0.1", &[]);
    mock.post(
        &alice,
        &[("status", "hello from alice"), ("visibility", "public")],
    )
    .await;
    mock.post(
        &alice,
        &[("status", "secret from alice"), ("visibility", "private")],
    )
    .await;
    h.poll(alice_home).await;
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &bob, "hello from alice").await, 1);
    assert_eq!(count(&mock, &bob, "secret from alice").await, 0);
    let channel = h.store.channel("links".into()).await.unwrap().unwrap();
    assert_eq!(channel.items, 1, "only the public status is in the channel");
    let log = ok(&braid(&h, &["route", "log", "a2b"]));
    assert!(
        log.contains("the item is followers-only; this route posts public"),
        "{log}"
    );
    assert!(
        log.contains("the item is followers-only; this channel is public"),
        "{log}"
    );

    // Bob's home timeline reads the copy back: it is recognised, not carried to alice.
    h.poll(bob_home).await;
    route_and_deliver(&h).await;
    assert_eq!(count(&mock, &alice, "hello from alice").await, 1);
    let log = ok(&braid(&h, &["route", "log", "b2a"]));
    assert!(log.contains("a copy Braid made"), "{log}");
    // The merged timeline shows the status once, with the copy linked.
    let merged = h
        .store
        .timeline(braid::store::TimelineQuery {
            before: None,
            limit: 50,
            source: None,
            search: None,
            ..Default::default()
        })
        .await
        .unwrap();
    let hello: Vec<_> = merged
        .items
        .iter()
        .filter(|i| i.item.content_text.as_deref() == Some("hello from alice"))
        .collect();
    assert_eq!(hello.len(), 1, "shown once");
    let bob_source = h.source(bob_home).await.name;
    assert_eq!(hello[0].also_in, vec![bob_source], "with its copy linked");

    // The channel's feed has the public status only.
    let ids = h
        .store
        .channel_item_ids(channel.id, 50, false)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    let item = h
        .store
        .item(braid_core::ItemId(ids[0]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        item.item.content_text.as_deref(),
        Some("hello from alice"),
        "{item:?}"
    );

    // Served: the channel's feeds, read by independent parsers, and the API.
    let web = crate::support::serve_web(&h.store).await;
    let base = web.base.clone();
    // A feed reader's link: the channel is not published, so its feeds need their token.
    let token = braid::auth::new_token().unwrap();
    h.store
        .add_feed_token(
            Some("links".into()),
            "reader".into(),
            braid::auth::token_hash(&token),
        )
        .await
        .unwrap();
    let anonymous = reqwest::get(format!("{base}/channels/links/feed.atom"))
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "an unpublished channel needs its token"
    );
    if crate::support::python_has("feedparser") && crate::support::python_has("jsonfeed") {
        for (ext, content_type) in [
            ("atom", "application/atom+xml"),
            ("rss", "application/rss+xml"),
            ("json", "application/feed+json"),
        ] {
            let body = reqwest::get(format!("{base}/channels/links/feed.{ext}?token={token}"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let parsed = crate::web::feeds::parse_feed(&body, content_type);
            assert_eq!(parsed["bozo"], 0, "{ext}: {parsed}");
            assert_eq!(parsed["title"], "Links", "{ext}: {parsed}");
            let entries = parsed["entries"].as_array().unwrap();
            assert_eq!(entries.len(), 1, "{ext}: {parsed}");
            assert!(
                entries[0]["content"]
                    .as_str()
                    .unwrap()
                    .contains("hello from alice"),
                "{ext}: {parsed}"
            );
        }
    } else {
        crate::support::missing_peer("python feedparser", "tests/run.sh installs it");
    }
    // Its Atom id is its own, not the site's (the merged timeline's): a reader subscribed to
    // both must not take them for one feed (RFC 4287 §4.2.6).
    let atom = reqwest::get(format!("{base}/channels/links/feed.atom?token={token}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        atom.contains(&format!("<id>{base}/channels/links/</id>")),
        "{atom}"
    );
    let missing = web
        .client
        .get(format!("{base}/channels/nope/feed.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let routes: serde_json::Value = web
        .client
        .get(format!("{base}/api/routes"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a2b = &routes.as_array().unwrap()[0];
    assert_eq!(a2b["name"], "a2b", "{routes}");
    assert!(
        a2b["recent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["decision"] == "skipped"
                && l["reason"].as_str().unwrap().contains("followers-only")),
        "{routes}"
    );
    let channels: serde_json::Value = web
        .client
        .get(format!("{base}/api/channels"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(channels[0]["feeds"][0], "/channels/links/feed.atom");
    let log = web
        .client
        .get(format!("{base}/api/routes/nope/log"))
        .send()
        .await
        .unwrap();
    assert_eq!(log.status(), 404);
    web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_and_a_delete_reach_every_copy() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        ..
    }) = alice_and_bob().await
    else {
        return;
    };
    let posted = ok(&braid(
        &h,
        &[
            "post",
            "the first version",
            "--to",
            "alice@127.0.0.1,bob@127.0.0.1",
        ],
    ));
    assert!(posted.starts_with("queued post 1 for"), "{posted}");
    ok(&braid(&h, &["outbox", "edit", "1", "the second version"]));
    route_and_deliver(&h).await;
    for token in [&alice, &bob] {
        assert_eq!(
            mock.own_statuses(token).await,
            vec!["the second version".to_owned()]
        );
    }
    ok(&braid(&h, &["outbox", "delete", "1"]));
    route_and_deliver(&h).await;
    for token in [&alice, &bob] {
        assert!(mock.own_statuses(token).await.is_empty());
    }
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&braid(&h, &["outbox", "--json"]))).unwrap();
    let ops: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["op"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        ["delete", "delete", "edit", "edit", "create", "create"],
        "{listed}"
    );
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["state"] == "done"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_post_becomes_a_thread_and_a_refused_one_is_fitted_again() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let alice = mock.user("alice").await;
    let h = Harness::new(|_| {});
    log_in(&h, &mock.base, &alice, 0).await;
    let paragraph = |n: usize| {
        format!(
            "Paragraph {n} says something about bridges, feeds and the open web, at some \
             length, so that three of them do not fit in one post of five hundred characters \
             once a link like https://example.com/a/rather/long/path/{n} is counted as \
             twenty-three. "
        )
        .repeat(2)
    };
    let text = (1..=3).map(paragraph).collect::<Vec<_>>().join("\n\n");

    // --preview prints each part and sends nothing.
    let preview = ok(&braid(
        &h,
        &["post", &text, "--to", "alice@127.0.0.1", "--preview"],
    ));
    assert!(preview.contains("a thread of 3 posts"), "{preview}");
    assert!(preview.contains("--- post 3/3 ---"), "{preview}");
    assert!(mock.own_statuses(&alice).await.is_empty());

    let posted = ok(&braid(&h, &["post", &text, "--to", "alice@127.0.0.1"]));
    assert!(posted.contains("(a thread of 3)"), "{posted}");
    let statuses = mock.own_status_objects(&alice).await;
    assert_eq!(statuses.len(), 3);
    // Newest first: each part replies to the one before it.
    assert_eq!(statuses[0]["in_reply_to_id"], statuses[1]["id"]);
    assert_eq!(statuses[1]["in_reply_to_id"], statuses[2]["id"]);
    for (i, s) in statuses.iter().rev().enumerate() {
        let t = braid_core::sanitize::html_to_text(s["content"].as_str().unwrap());
        assert!(t.starts_with(&format!("Paragraph {}", i + 1)), "{i}: {t}");
    }

    // 479 graphemes that are 1,439 code points: fits Mastodon's count, but the peer counts
    // code points and refuses it as too long; fitted again by the strictest count, it lands as a
    // thread.
    let families = "👩‍👩‍👧 ".repeat(240);
    let posted = ok(&braid(
        &h,
        &["post", families.trim_end(), "--to", "alice@127.0.0.1"],
    ));
    assert!(posted.contains("fitted again"), "{posted}");
    let all = mock.own_statuses(&alice).await;
    let emoji: Vec<&String> = all.iter().filter(|t| t.contains('👩')).collect();
    assert!(emoji.len() >= 2, "{emoji:?}");
    assert!(emoji.iter().all(|t| t.chars().count() <= 500));
    let sent: usize = emoji.iter().map(|t| t.matches("👩‍👩‍👧").count()).sum();
    assert_eq!(sent, 240, "no family lost or cut");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_target_cannot_take_are_left_out_with_a_note_before_sending() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let alice = mock.user("alice").await;
    let h = Harness::new(|_| {});
    log_in(&h, &mock.base, &alice, 0).await;
    let mut args: Vec<String> = ["post", "five pictures", "--to", "alice@127.0.0.1"]
        .map(str::to_owned)
        .to_vec();
    for i in 1..=5 {
        let name = format!("pic{i}.png");
        std::fs::write(h.dir.path().join(&name), crate::accounts::PNG_1X1).unwrap();
        args.extend([
            "--media".to_owned(),
            name,
            "--alt".into(),
            format!("pixel {i}"),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(&braid(&h, &args));
    let lines: Vec<&str> = out.lines().collect();
    let note = lines
        .iter()
        .position(|l| l.contains("left out file 5 (image/png): at most 4 files per post"))
        .unwrap_or_else(|| panic!("{out}"));
    let posted = lines
        .iter()
        .position(|l| l.starts_with("Posted as"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(note < posted, "the note comes before the outcome: {out}");
    let statuses = mock.own_status_objects(&alice).await;
    let media = statuses[0]["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 4);
    assert_eq!(media[3]["description"], "pixel 4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_target_gets_a_thread_or_a_truncation_as_chosen() {
    let Some(Peers { mock, bob, h, .. }) = alice_and_bob().await else {
        return;
    };
    let text = "A sentence about the open web and its many small servers. ".repeat(20);
    let preview = ok(&braid(
        &h,
        &[
            "post",
            text.trim(),
            "--to",
            "alice@127.0.0.1,bob@127.0.0.1",
            "--truncate-for",
            "bob@127.0.0.1",
            "--link",
            "https://blog.example/the-post",
            "--preview",
        ],
    ));
    let (for_alice, for_bob) = preview.split_once("\n\nbob@127.0.0.1").unwrap();
    assert!(for_alice.contains("a thread of 3 posts"), "{preview}");
    assert!(for_bob.starts_with(": one post"), "{preview}");
    assert!(
        for_bob.contains("…\n\nhttps://blog.example/the-post"),
        "{preview}"
    );
    assert!(
        mock.own_statuses(&bob).await.is_empty(),
        "a preview sends nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_at_the_origin_reach_the_copies_of_a_route_that_carries_them() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        alice_home,
        ..
    }) = alice_and_bob().await
    else {
        return;
    };
    add_route(
        &h,
        "mirror",
        "alice@127.0.0.1",
        "bob@127.0.0.1",
        &["--edits", "--deletes"],
    );
    let status = mock
        .post(
            &alice,
            &[("status", "teh first words"), ("visibility", "public")],
        )
        .await;
    h.poll(alice_home).await;
    route_and_deliver(&h).await;
    assert_eq!(
        mock.own_statuses(&bob).await,
        vec!["teh first words".to_owned()]
    );

    // Edited at the origin: the copy is edited, not posted again.
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/statuses/{}",
            mock.base,
            status["id"].as_str().unwrap()
        ))
        .bearer_auth(&alice)
        .form(&[("status", "the first words")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    h.poll(alice_home).await;
    route_and_deliver(&h).await;
    assert_eq!(
        mock.own_statuses(&bob).await,
        vec!["the first words".to_owned()]
    );

    // Deleted at the origin (as a push reports it): the copy is deleted.
    let remote_id = braid_core::RemoteId(status["uri"].as_str().unwrap().to_owned());
    h.store
        .record_push(alice_home, vec![], vec![remote_id])
        .await
        .unwrap();
    route_and_deliver(&h).await;
    assert!(mock.own_statuses(&bob).await.is_empty());
    let log = ok(&braid(&h, &["route", "log", "mirror"]));
    assert!(log.contains("edited"), "{log}");
    assert!(log.contains("deleted"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_status_carries_its_picture_and_alt_text() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        alice_home,
        ..
    }) = alice_and_bob().await
    else {
        return;
    };
    add_route(&h, "pictures", "alice@127.0.0.1", "bob@127.0.0.1", &[]);
    // Uploaded straight to the server (multipart written by hand: the tests' HTTP client has
    // no multipart support), then posted with the picture.
    let boundary = "braid-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pic.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(crate::accounts::PNG_1X1);
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\
             a single red pixel\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let media: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v2/media", mock.base))
        .bearer_auth(&alice)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = media["id"].as_str().unwrap();
    mock.post(
        &alice,
        &[
            ("status", "a picture"),
            ("visibility", "public"),
            ("media_ids[]", id),
        ],
    )
    .await;
    h.poll(alice_home).await;
    route_and_deliver(&h).await;
    let copies = mock.own_status_objects(&bob).await;
    assert_eq!(copies.len(), 1, "{copies:?}");
    let files = copies[0]["media_attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{copies:?}");
    assert_eq!(files[0]["description"], "a single red pixel");
    let bytes = reqwest::get(files[0]["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], crate::accounts::PNG_1X1, "the same file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_publishes_many_entries_at_once_is_paced() {
    let Some(Peers { mock, alice, h, .. }) = alice_and_bob().await else {
        return;
    };
    let doc = Arc::new(Mutex::new(rss(&[])));
    let server = feed_server(doc.clone()).await;
    let blog = h.add_feed("burst", &server.url("/feed.xml")).await;
    h.poll(blog).await;
    add_route(
        &h,
        "paced",
        "burst",
        "alice@127.0.0.1",
        &["--min-interval", "1h"],
    );
    // Three entries with their own ids and links, published together.
    let entries: Vec<Entry> = [
        ("b1", "First of three", "https://blog.example/1"),
        ("b2", "Second of three", "https://blog.example/2"),
        ("b3", "Third of three", "https://blog.example/3"),
    ]
    .map(|(id, title, link)| (Some(id), title, link, date(0), "x".to_owned()))
    .to_vec();
    *doc.lock().unwrap() = rss(&entries);
    h.poll(blog).await;
    route_and_deliver(&h).await;
    let now = mock.own_statuses(&alice).await;
    assert_eq!(now.len(), 1, "one now, the others later: {now:?}");
    let waiting: Vec<_> = h
        .store
        .list_deliveries(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.state == braid::store::DeliveryState::Pending)
        .collect();
    assert_eq!(waiting.len(), 2);
    let mut times: Vec<_> = waiting.iter().map(|d| d.next_attempt).collect();
    times.sort();
    let hour = chrono::Duration::minutes(59);
    assert!(times[0] > chrono::Utc::now() + hour, "{times:?}");
    assert!(times[1] > times[0] + hour, "{times:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_that_fails_for_good_holds_back_only_itself() {
    let Some(Peers { mock, alice, h, .. }) = alice_and_bob().await else {
        return;
    };
    let account = h
        .store
        .find_account("alice@127.0.0.1")
        .await
        .unwrap()
        .unwrap();
    let long = "A sentence that goes on about bridges and feeds for a while. ".repeat(20);
    let draft = |text: &str| braid::outbox::Draft {
        text: text.to_owned(),
        content_warning: None,
        visibility: braid_core::Visibility::Public,
        language: None,
        reply_to: None,
    };
    let (thread, _) = braid::outbox::queue(
        &h.ctx,
        braid::outbox::Queued::new(draft(long.trim())),
        std::slice::from_ref(&account),
    )
    .await
    .unwrap();
    let (after, _) = braid::outbox::queue(
        &h.ctx,
        braid::outbox::Queued::new(draft("the next post")),
        std::slice::from_ref(&account),
    )
    .await
    .unwrap();
    // The first part lands; the server then refuses the second for good.
    let due = h.store.due_deliveries(10).await.unwrap();
    let first = braid::outbox::deliver(&h.ctx, due[0].clone())
        .await
        .unwrap();
    assert_eq!(
        (first.parts_done, first.state),
        (1, braid::store::DeliveryState::Pending)
    );
    mock.fault(serde_json::json!({
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "status", "status": 422, "body": {"error": "Validation failed: nope"}},
        "count": 1
    }))
    .await;
    let done = braid::outbox::deliver_post(&h.ctx, after).await.unwrap();
    assert_eq!(done[0].state, braid::store::DeliveryState::Done, "{done:?}");
    let failed = h.store.deliveries_of_post(thread).await.unwrap().remove(0);
    assert_eq!(failed.state, braid::store::DeliveryState::Failed);
    assert_eq!(failed.parts_done, 1);
    assert!(failed.last_error.unwrap().contains("nope"));
    let texts = mock.own_statuses(&alice).await;
    assert_eq!(
        texts.len(),
        2,
        "the thread's first part and the next post: {texts:?}"
    );
    assert_eq!(texts[0], "the next post");
}

/// `POST /api/posts`: previewed, queued once per `Idempotency-Key` (a retry finds the same
/// post), delivered to both accounts on the peer; a bad request says what is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_through_the_api_queues_once_per_key_and_delivers() {
    let Some(Peers {
        mock,
        alice,
        bob,
        h,
        ..
    }) = alice_and_bob().await
    else {
        return;
    };
    let names: Vec<String> = h
        .store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let web = crate::support::serve_web_with(&h.store, Some(h.ctx.clone()), |_| {}).await;
    let url = format!("{}/api/posts", web.base);
    let long = "A sentence that goes on for a while. ".repeat(20);
    let preview: serde_json::Value = web
        .client
        .post(&url)
        .json(&serde_json::json!({
            "text": long, "to": names, "preview": true, "long_for": { names[1].clone(): "truncate" },
            "link": "https://blog.example/post"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let previews = preview["previews"].as_array().unwrap();
    assert_eq!(previews.len(), 2, "{preview}");
    let parts = |i: usize| previews[i]["fitting"]["parts"].as_array().unwrap().len();
    assert!(parts(0) >= 2, "a thread for the first: {preview}");
    assert_eq!(parts(1), 1, "a truncation for the second: {preview}");
    assert!(
        h.store.list_deliveries(10).await.unwrap().is_empty(),
        "a preview queues nothing"
    );

    let send = || {
        web.client
            .post(&url)
            .header("idempotency-key", "compose-test-1")
            .json(&serde_json::json!({ "text": "hello from the API", "to": names }))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(first["key"], "compose-test-1");
    assert_eq!(first["deliveries"].as_array().unwrap().len(), 2, "{first}");
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200, "a retry queues nothing new");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["post"], first["post"]);

    braid::outbox::deliver_post(&h.ctx, first["post"].as_i64().unwrap())
        .await
        .unwrap();
    for token in [&alice, &bob] {
        let statuses = mock.own_statuses(token).await;
        let copies = statuses
            .iter()
            .filter(|s| s.contains("hello from the API"))
            .count();
        assert_eq!(copies, 1, "{statuses:?}");
    }

    for (body, says) in [
        (
            serde_json::json!({ "text": "x", "to": ["nobody"] }),
            "no account named",
        ),
        (serde_json::json!({ "text": " ", "to": names }), "no text"),
        (
            serde_json::json!({ "text": "x", "to": names, "colour": 1 }),
            "unknown field",
        ),
    ] {
        let resp = web.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let err: serde_json::Value = resp.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains(says), "{err}");
    }
    web.stop();
}
