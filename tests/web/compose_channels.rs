//! Composing into channels: through the form to an account on the Mastodon-API peer and a
//! channel at once, sent twice, and through `POST /api/posts` with an `Idempotency-Key`, sent
//! twice: the channel's feed has each post once, the account got each once, the file is
//! served to feed readers with its description, and a post more private than a channel's
//! audience is refused with the reason, queuing nothing.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::multipart::{Form, Part};

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::{self, Harness};

/// How many entries of an Atom document mention `needle`.
fn entries_with(atom: &str, needle: &str) -> usize {
    atom.split("<entry>")
        .skip(1)
        .filter(|e| e.contains(needle))
        .count()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn channel(h: &Harness, name: &str, audience: &str) {
    h.store
        .add_channel(braid::store::NewChannel {
            name: name.into(),
            title: Some(format!("The {name}")),
            description: None,
            audience: audience.into(),
            published: true,
            origin: "cli".into(),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_to_an_account_and_a_channel_once() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let alice = mock.user("alice").await;
    let h = Harness::new(|c| c.fetch.allow_private_networks = true);
    let (a, home) = log_in(&h, &mock.base, &alice, 0).await;
    // The home timeline's first poll only marks where it starts (no backfill).
    h.poll(home).await;
    channel(&h, "news", "public").await;
    let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |c| {
        c.fetch.allow_private_networks = true
    })
    .await;
    let (cookie, csrf) = support::owner_session(&h.store).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/compose", web.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"channel\" value=\"news\"")
            && page.contains("The news (news, public)"),
        "a checkbox per channel, with its title and audience: {page}"
    );
    let key = hidden(&page, "key");
    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = Form::new()
            .text("csrf", csrf.clone())
            .text("key", key.clone())
            .part(
                "media",
                Part::bytes(crate::accounts::PNG_1X1.to_vec())
                    .file_name("dot.png")
                    .mime_str("image/png")
                    .unwrap(),
            )
            .text("alt0", "a single red dot");
        for (k, v) in fields {
            form = form.text(k, v);
        }
        http.post(format!("{}/compose", web.base))
            .header(COOKIE, &cookie)
            .header("origin", &web.base)
            .multipart(form)
            .send()
    };
    let text = "hello to the channel and to alice #braid";

    // Preview: the channel takes the whole text and says so.
    let preview = post(vec![
        ("text", text.into()),
        ("to", a.name.clone()),
        ("channel", "news".into()),
        ("action", "preview".into()),
    ])
    .await
    .unwrap();
    let html = preview.text().await.unwrap();
    assert_eq!(html.matches("class=\"card preview\"").count(), 2, "{html}");
    assert!(html.contains("channel news") && html.contains("a channel takes the whole text"));

    // Followers-only into a public channel: refused with the reason, nothing queued.
    let refused = post(vec![
        ("text", text.into()),
        ("to", a.name.clone()),
        ("channel", "news".into()),
        ("visibility", "followers_only".into()),
        ("action", "send".into()),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("channel &#34;news&#34; is public")
            || html.contains("channel &quot;news&quot; is public"),
        "{html}"
    );
    assert!(h.store.list_deliveries(10).await.unwrap().is_empty());

    // Sent twice (a double click): one post.
    let fields = || {
        vec![
            ("text", text.to_owned()),
            ("to", a.name.clone()),
            ("channel", "news".to_owned()),
            ("action", "send".into()),
        ]
    };
    let sent = post(fields()).await.unwrap();
    assert_eq!(sent.status(), 303);
    let location = sent.headers()[LOCATION].to_str().unwrap().to_owned();
    let again = post(fields()).await.unwrap();
    assert_eq!(again.headers()[LOCATION].to_str().unwrap(), location);

    let mut html = String::new();
    for _ in 0..100 {
        html = http
            .get(format!("{}{location}", web.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains(">delivered<") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains(">delivered<"), "{html}");
    assert!(
        html.contains(">published<") && html.contains("href=\"/channels/news/feed.atom\""),
        "the channel shown as published, with its feed: {html}"
    );

    // The channel's feed, read as anyone (it is published and the post public): once.
    let feed = http
        .get(format!("{}/channels/news/feed.atom", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    let atom = feed.text().await.unwrap();
    assert_eq!(atom.matches("<entry>").count(), 1, "{atom}");
    assert!(atom.contains("hello to the channel and to alice"), "{atom}");
    assert!(atom.contains("<category term=\"braid\""), "{atom}");
    // Its file, with its description, fetched as a feed reader does: no session.
    let rel = "rel=\"enclosure\"";
    let link = atom[..atom.find(rel).expect("an enclosure")]
        .rfind("<link")
        .map(|i| &atom[i..])
        .unwrap();
    assert!(link.contains("title=\"a single red dot\""), "{link}");
    let href = link
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let path = &href[href.find("/files/").unwrap()..];
    let file = http
        .get(format!("{}{path}", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(
        file.bytes().await.unwrap().as_ref(),
        crate::accounts::PNG_1X1
    );
    let guessed = http
        .get(format!("{}/files/{}", web.base, "0".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 404);

    // The account got it once.
    let on_alice = |statuses: Vec<serde_json::Value>, needle: &str| {
        statuses
            .iter()
            .filter(|s| s["content"].as_str().unwrap_or("").contains(needle))
            .count()
    };
    assert_eq!(
        on_alice(
            mock.own_status_objects(&alice).await,
            "hello to the channel"
        ),
        1
    );

    // The copy read back from alice's home timeline joins the owner's item: the timeline
    // shows the post once, as the owner's, with the account it reached.
    h.poll(home).await;
    let timeline = h
        .store
        .timeline(braid::store::TimelineQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let shown: Vec<_> = timeline
        .items
        .iter()
        .filter(|i| {
            i.item
                .content_text
                .as_deref()
                .unwrap_or("")
                .contains("hello to the channel")
        })
        .collect();
    assert_eq!(shown.len(), 1, "{:?}", timeline.items);
    assert_eq!(shown[0].source_name, braid::store::OWNER_NAME);
    assert_eq!(shown[0].also_in.len(), 1, "{:?}", shown[0]);
    // Braid's own, not a subscription: not on /sources, and no page to pause or remove it.
    let get = |path: String| {
        http.get(format!("{}{path}", web.base))
            .header(COOKIE, &cookie)
            .send()
    };
    let sources = get("/sources".into()).await.unwrap().text().await.unwrap();
    assert!(
        sources.contains(&format!("/sources/{}", home.0)),
        "{sources}"
    );
    assert!(!sources.contains(braid::store::OWNER_NAME), "{sources}");
    let own_page = get(format!("/sources/{}", shown[0].source.0))
        .await
        .unwrap();
    assert_eq!(own_page.status(), 404);

    // The API, with an Idempotency-Key, twice: one post, once in the channel.
    let body = serde_json::json!({
        "text": "from a script to the channel",
        "to": [a.name],
        "channels": ["news"],
    });
    let mut posts = Vec::new();
    for expected in [201, 200] {
        let resp = web
            .client
            .post(format!("{}/api/posts", web.base))
            .header("idempotency-key", "script-post-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), expected);
        let j: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(j["channels"][0]["name"], "news", "{j}");
        assert!(j["channels"][0]["feed_url"]
            .as_str()
            .unwrap()
            .ends_with("/channels/news/feed.atom"));
        assert_eq!(j["deliveries"].as_array().unwrap().len(), 1, "{j}");
        posts.push(j["post"].as_i64().unwrap());
    }
    assert_eq!(posts[0], posts[1]);
    braid::outbox::deliver_post(&h.ctx, posts[0]).await.unwrap();
    let atom = http
        .get(format!("{}/channels/news/feed.atom", web.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        entries_with(&atom, "from a script to the channel"),
        1,
        "{atom}"
    );
    assert_eq!(atom.matches("<entry>").count(), 2, "{atom}");
    assert_eq!(
        on_alice(mock.own_status_objects(&alice).await, "from a script"),
        1
    );

    // The API refuses a post more private than the channel, saying why.
    let refused = web
        .client
        .post(format!("{}/api/posts", web.base))
        .json(&serde_json::json!({
            "text": "just for followers",
            "channels": ["news"],
            "visibility": "followers_only",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let j: serde_json::Value = refused.json().await.unwrap();
    assert!(j["error"].as_str().unwrap().contains("is public"), "{j}");
    web.stop();
}
