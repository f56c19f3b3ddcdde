//! The timeline page as the owner uses it: network badges, content warnings collapsed, link
//! cards and avatars through the media proxy, replies under their parent's first words, each
//! copy of a post linked, the filters (network, source, channel, with media, search) alone
//! and together, and new items arriving live (the event stream and the HTML they come as).

use std::time::Duration;

use braid::store::{NewChannel, NewSource, PollSuccess, Store};
use braid_core::{Attachment, Author, Item, LinkCard, SourceId};
use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use reqwest::header::LOCATION;

use crate::support;

async fn source(store: &Store, name: &str, kind: &str) -> SourceId {
    store
        .add_source(NewSource {
            name: name.to_owned(),
            kind: kind.to_owned(),
            url: format!("https://{name}.example/"),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .expect("source")
}

async fn ingest(store: &Store, source: SourceId, items: Vec<Item>) {
    store
        .record_poll_success(source, items, Vec::new(), PollSuccess::default())
        .await
        .expect("ingest");
}

fn post(id: &str, minute: u32, text: &str) -> Item {
    Item {
        remote_id: id.into(),
        content_text: Some(text.to_owned()),
        content_html: Some(braid_core::sanitize::clean_html(&format!("<p>{text}</p>"))),
        published: Utc.with_ymd_and_hms(2026, 11, 30, 9, minute, 0).single(),
        author: Some(Author {
            name: Some(format!("Author of {id}")),
            avatar: Some("https://cdn.example/avatar.png".into()),
            ..Author::default()
        }),
        ..Item::default()
    }
}

/// A blog (feed) and a social account (mastodon) with the cases the page must show, in a
/// database file under `dir`.
async fn timeline(dir: &std::path::Path) -> (Store, SourceId, SourceId) {
    let store = Store::open(&dir.join("braid.db")).expect("store");
    let blog = source(&store, "blog", "feed").await;
    let social = source(&store, "social", "mastodon").await;
    ingest(
        &store,
        blog,
        vec![Item {
            title: Some("Launch day".into()),
            url: Some("https://blog.example/launch".into()),
            ..post("urn:blog:1", 0, "We launched the thing.")
        }],
    )
    .await;
    ingest(
        &store,
        social,
        vec![
            // The blog post, seen again through the social account.
            Item {
                url: Some("https://blog.example/launch".into()),
                ..post("https://social.example/s/1", 1, "We launched the thing.")
            },
            post("https://social.example/s/2", 2, "Parent words about a boat"),
            Item {
                in_reply_to: Some("https://social.example/s/2".into()),
                ..post("https://social.example/s/3", 3, "A reply about the boat")
            },
            Item {
                content_warning: Some("Spoilers for the finale".into()),
                ..post("https://social.example/s/4", 4, "The butler did it")
            },
            Item {
                card: Some(LinkCard {
                    url: "https://news.example/story".into(),
                    title: "A story worth a card".into(),
                    description: Some("What happened, briefly".into()),
                    image: Some("https://news.example/story.jpg".into()),
                    provider: Some("News Example".into()),
                }),
                ..post("https://social.example/s/5", 5, "Read this")
            },
            Item {
                attachments: vec![Attachment {
                    url: "https://cdn.example/photo.jpg".into(),
                    media_type: Some("image/jpeg".into()),
                    alt: Some("A harbour at dawn".into()),
                    size: None,
                }],
                ..post("https://social.example/s/6", 6, "A photo of the harbour")
            },
        ],
    )
    .await;
    (store, blog, social)
}

/// The `<article>`s of a page, each as its HTML.
fn articles(page: &str) -> Vec<&str> {
    page.split("<article class=\"item\"").skip(1).collect()
}

#[tokio::test]
async fn the_page_shows_networks_replies_cards_warnings_and_each_copy() {
    let dir = support::temp_dir();
    let (store, _blog, _social) = timeline(dir.path()).await;
    let web = support::serve_web(&store).await;
    let page = web
        .client
        .get(format!("{}/", web.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let items = articles(&page);
    assert_eq!(items.len(), 6, "the blog post is shown once: {page}");
    let find = |needle: &str| {
        *items
            .iter()
            .find(|a| a.contains(needle))
            .unwrap_or_else(|| panic!("no item with {needle:?}"))
    };

    // Badges name the network, from the connector, and filter on it.
    let launch = find("Launch day");
    assert!(
        launch.contains(">Feed</a>") && launch.contains("href=\"/?network=feed\""),
        "{launch}"
    );
    assert!(find("Read this").contains(">Mastodon</a>"));
    // The copy seen through the social account is linked from the one entry.
    assert!(
        launch.contains("Also in <span class=\"origin\"><a href=\"https://blog.example/launch\"")
            && launch.contains("social</a> <small>(Mastodon)</small>"),
        "{launch}"
    );
    // A reply shows its parent's first words, linked to the parent.
    let reply = find("A reply about the boat");
    assert!(
        reply.contains("In reply to Author of https://social.example/s/2"),
        "{reply}"
    );
    assert!(
        reply.contains("<q>Parent words about a boat</q>"),
        "{reply}"
    );
    // A content warning hides the body until opened.
    let cw = find("Spoilers for the finale");
    let summary_at = cw
        .find("<summary>Spoilers for the finale")
        .expect("summary");
    assert!(cw.contains("<details class=\"cw\">"));
    assert!(cw.find("The butler did it").expect("body") > summary_at);
    // The card, its image and every avatar come through the media proxy, never from afar.
    let card = find("A story worth a card");
    assert!(
        card.contains("<a class=\"card\" href=\"https://news.example/story\""),
        "{card}"
    );
    assert!(card.contains("News Example") && card.contains("What happened, briefly"));
    assert!(card.contains("<img src=\"/media/"), "{card}");
    assert!(
        !page.contains("src=\"https://"),
        "a remote address is embedded"
    );
    let photo = find("A photo of the harbour");
    assert!(photo.contains("alt=\"A harbour at dawn\""), "{photo}");
    // The first page carries where live updates start; its script is ours.
    assert!(page.contains("<script src=\"/static/timeline.js\" defer></script>"));
    assert!(page.contains("data-events=\"/api/timeline/events\""));
    let script = reqwest::get(format!("{}/static/timeline.js", web.base))
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("EventSource"));
}

#[tokio::test]
async fn filters_combine_and_say_what_they_show() {
    let dir = support::temp_dir();
    let (store, blog, _social) = timeline(dir.path()).await;
    let channel = store
        .add_channel(NewChannel {
            name: "picks".into(),
            title: Some("Picks".into()),
            description: None,
            audience: "public".into(),
            published: false,
            origin: "cli".into(),
        })
        .await
        .unwrap();
    // Routes fill channels; here a route's log is not the point, so the row is put directly.
    let picked = store
        .timeline(braid::store::TimelineQuery {
            source: Some(blog),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .items[0]
        .id;
    rusqlite::Connection::open(dir.path().join("braid.db"))
        .unwrap()
        .execute(
            "INSERT INTO channel_items (channel_id, item_id, added_at) VALUES (?1, ?2, 0)",
            [channel, picked.0],
        )
        .unwrap();
    let web = support::serve_web(&store).await;
    let get = |query: &'static str| {
        let (client, base) = (web.client.clone(), web.base.clone());
        async move {
            let resp = client.get(format!("{base}/?{query}")).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    let (status, page) = get("network=mastodon").await;
    assert_eq!(status, 200);
    // The blog post is there too: seen on Mastodon, its copy is linked from the entry.
    assert_eq!(articles(&page).len(), 6, "{page}");
    assert!(articles(&page)
        .iter()
        .all(|a| a.contains(">Mastodon</a>") || a.contains("<small>(Mastodon)</small>")));
    assert!(
        page.contains("<option value=\"mastodon\" selected>Mastodon</option>"),
        "{page}"
    );
    assert!(
        page.contains("Showing <span class=\"chip\">on Mastodon <a href=\"/\""),
        "{page}"
    );

    let (_, page) = get("media=1").await;
    let items = articles(&page);
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("A photo of the harbour"));

    let (_, page) = get("network=mastodon&q=boat").await;
    assert_eq!(articles(&page).len(), 2, "{page}");
    assert!(page.contains("on Mastodon <a href=\"/?q=boat\""), "{page}");

    let (_, page) = get("channel=picks").await;
    let items = articles(&page);
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("Launch day"));
    assert!(page.contains("in the channel Picks"));

    let (_, page) = get("network=feed&media=1").await;
    assert!(articles(&page).is_empty());
    assert!(page.contains("Nothing matches these filters."));

    for (query, says) in [
        ("network=bluesky", "no sources of the network"),
        ("channel=nope", "there is no channel"),
        ("media=maybe", "must be 1 or 0"),
    ] {
        let (status, page) = get(query).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains(says), "{query}: {page}");
    }
}

/// Reads server-sent events from `body` until one of type `items` names an id above `above`.
async fn next_items_event(
    events: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    above: i64,
) -> i64 {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event:items") {
                let id: i64 = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data:"))
                    .expect("data")
                    .trim()
                    .parse()
                    .expect("an id");
                if id > above {
                    return id;
                }
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream goes on")
            .expect("bytes");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_items_are_announced_and_come_as_the_pages_html() {
    let dir = support::temp_dir();
    let (store, _blog, social) = timeline(dir.path()).await;
    let web = support::serve_web(&store).await;
    let page = web
        .client
        .get(format!("{}/?network=mastodon", web.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let after: i64 = page
        .split("data-after=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("data-after");
    assert!(
        page.contains("data-fetch=\"/timeline/new?network=mastodon\""),
        "{page}"
    );

    let resp = web
        .client
        .get(format!("{}/api/timeline/events", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = resp.bytes_stream();
    let mut buffer = String::new();
    assert_eq!(
        next_items_event(&mut events, &mut buffer, after - 1).await,
        after
    );

    // Something arrives: the stream names it within a second or two.
    ingest(
        &store,
        social,
        vec![post(
            "https://social.example/s/7",
            59,
            "Fresh off the press",
        )],
    )
    .await;
    let blog2 = source(&store, "blog2", "feed").await;
    ingest(
        &store,
        blog2,
        vec![post("urn:blog2:1", 58, "Not on Mastodon")],
    )
    .await;
    let newest = next_items_event(&mut events, &mut buffer, after).await;
    assert!(newest > after);

    // The items since, with the page's filters, as the page's own articles.
    let resp = web
        .client
        .get(format!(
            "{}/timeline/new?network=mastodon&after={after}",
            web.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let told: i64 = resp.headers()["x-braid-newest"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(told >= newest, "{told} < {newest}");
    let html = resp.text().await.unwrap();
    let items = articles(&html);
    assert_eq!(items.len(), 1, "{html}");
    assert!(items[0].contains("Fresh off the press"));
    assert!(!html.contains("<html"), "a fragment, not a page");
    // Asked again from there: nothing new.
    let again = web
        .client
        .get(format!(
            "{}/timeline/new?network=mastodon&after={told}",
            web.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(articles(&again).is_empty());

    // Both are the owner's: without a session, refused like every private path.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let events = anonymous
        .get(format!("{}/api/timeline/events", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 401);
    let fragment = anonymous
        .get(format!("{}/timeline/new?after=0", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.status(), 303);
    assert!(fragment.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let missing = web
        .client
        .get(format!("{}/timeline/new", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
}
