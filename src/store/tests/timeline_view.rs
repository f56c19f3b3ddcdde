//! What the timeline page asks of the store besides paging: filters by network, channel, files
//! and "stored since", also inside searches; each copy's link; a reply's parent; link cards.

use braid_core::{Attachment, Item, LinkCard};

use super::*;
use crate::store::NewChannel;

/// Two sources of different networks; "b" items carry a file every third one.
async fn two_networks(n: i64) -> (Store, SourceId, SourceId) {
    let store = Store::open_in_memory().unwrap();
    let a = store.add_source(new_source("a")).await.unwrap();
    let b = store
        .add_source(NewSource {
            kind: "other".to_owned(),
            ..new_source("b")
        })
        .await
        .unwrap();
    let mut from_a = Vec::new();
    let mut from_b = Vec::new();
    for i in 0..n {
        from_a.push(entry(&format!("a{i}"), i * 2));
        let mut it = entry(&format!("b{i}"), i * 2 + 1);
        if i % 3 == 0 {
            it.attachments.push(Attachment {
                url: format!("https://b.example/{i}.png"),
                media_type: Some("image/png".into()),
                ..Attachment::default()
            });
        }
        from_b.push(it);
    }
    ingest(&store, a, from_a).await;
    ingest(&store, b, from_b).await;
    (store, a, b)
}

/// Every page of `q`, following `next`, as remote ids.
async fn walk(store: &Store, mut q: TimelineQuery) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = store.timeline(q.clone()).await.unwrap();
        out.extend(page.items.iter().map(|i| i.item.remote_id.0.clone()));
        match page.next {
            Some(next) => q.before = Some(next),
            None => return out,
        }
    }
    panic!("paging never ended");
}

#[tokio::test]
async fn filters_narrow_lists_and_searches_and_page_through() {
    let (store, _a, b) = two_networks(60).await;
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items[0].network, "other");
    assert_eq!(page.items[1].network, "example");

    let network = |kind: &str| TimelineQuery {
        network: Some(kind.to_owned()),
        limit: 7,
        ..TimelineQuery::default()
    };
    let other = walk(&store, network("other")).await;
    assert_eq!(other.len(), 60);
    assert!(other.iter().all(|r| r.starts_with('b')), "{other:?}");
    assert_eq!(other[0], "b59");
    assert!(walk(&store, network("nothing")).await.is_empty());

    let media = TimelineQuery {
        has_media: true,
        limit: 4,
        ..TimelineQuery::default()
    };
    let with_files = walk(&store, media.clone()).await;
    let expected: Vec<String> = (0..60)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| format!("b{i}"))
        .collect();
    assert_eq!(with_files, expected);

    // A search ("Body" is in every item) with filters fills its pages across rounds, and the
    // pages together are exactly the filtered matches, in order.
    let searched = walk(
        &store,
        TimelineQuery {
            search: Some("body".into()),
            ..media.clone()
        },
    )
    .await;
    assert_eq!(searched, expected);
    let page = store
        .timeline(TimelineQuery {
            search: Some("body".into()),
            limit: 3,
            ..media
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3, "a filtered search fills its page");

    // "Stored since": only what arrived after the given id, newest first.
    let newest = store.newest_item_id().await.unwrap();
    let fresh = entry("b-late", 10_000);
    ingest(&store, b, vec![fresh, entry("b-old-but-new", -50)]).await;
    let since = walk(
        &store,
        TimelineQuery {
            after_id: Some(ItemId(newest)),
            limit: 50,
            ..TimelineQuery::default()
        },
    )
    .await;
    assert_eq!(since, ["b-late", "b-old-but-new"]);
    assert_eq!(store.source_kinds().await.unwrap(), ["example", "other"]);
}

#[tokio::test]
async fn a_channel_filter_shows_its_items_copies_included() {
    let (store, a, _b) = two_networks(5).await;
    let channel = store
        .add_channel(NewChannel {
            name: "picks".into(),
            title: None,
            description: None,
            audience: "public".into(),
            published: false,
            origin: "cli".into(),
        })
        .await
        .unwrap();
    let items = store
        .timeline(TimelineQuery {
            source: Some(a),
            limit: 10,
            ..TimelineQuery::default()
        })
        .await
        .unwrap()
        .items;
    let picked: Vec<i64> = items.iter().take(2).map(|i| i.id.0).collect();
    store
        .pool
        .with_writer(move |c| {
            for id in &picked {
                c.execute(
                    "INSERT INTO channel_items (channel_id, item_id, added_at) VALUES (?1, ?2, 0)",
                    [channel, *id],
                )?;
            }
            Ok(())
        })
        .unwrap();
    let q = TimelineQuery {
        channel: Some(channel),
        limit: 1,
        ..TimelineQuery::default()
    };
    let shown = walk(&store, q.clone()).await;
    assert_eq!(shown.len(), 2);
    assert!(shown.iter().all(|r| r.starts_with('a')));
    let searched = walk(
        &store,
        TimelineQuery {
            search: Some("title".into()),
            ..q
        },
    )
    .await;
    assert_eq!(searched, shown);
}

#[tokio::test]
async fn copies_link_each_origin_and_replies_show_their_parent() {
    let (store, ids) = store_with(&["blog", "masto"]).await;
    let post = |id: &str, url: &str| Item {
        url: Some(url.to_owned()),
        ..entry(id, 0)
    };
    ingest(
        &store,
        ids[0],
        vec![post("urn:1", "https://blog.example/1")],
    )
    .await;
    ingest(
        &store,
        ids[1],
        vec![
            post("https://social.example/s/9", "https://blog.example/1"),
            Item {
                in_reply_to: Some("https://social.example/s/8".into()),
                ..entry("https://social.example/s/10", 20)
            },
            Item {
                title: None,
                content_text: Some(format!("The parent.   {}", "word ".repeat(100))),
                author: Some(braid_core::Author {
                    handle: Some("@ann@social.example".into()),
                    ..Default::default()
                }),
                ..entry("https://social.example/s/8", 10)
            },
            Item {
                in_reply_to: Some("https://elsewhere.example/unknown".into()),
                ..entry("https://social.example/s/11", 30)
            },
        ],
    )
    .await;
    let page = store.timeline(query(10)).await.unwrap();
    let by_remote = |r: &str| {
        page.items
            .iter()
            .find(|i| i.item.remote_id.0 == r)
            .unwrap_or_else(|| panic!("{r} not on the page"))
    };
    let primary = by_remote("urn:1");
    assert_eq!(primary.also_in, ["masto"]);
    assert_eq!(primary.origins.len(), 1);
    assert_eq!(primary.origins[0].source, ids[1]);
    assert_eq!(primary.origins[0].network, "example");
    assert_eq!(
        primary.origins[0].url.as_deref(),
        Some("https://blog.example/1")
    );

    let reply = by_remote("https://social.example/s/10");
    let parent = reply.parent.as_ref().expect("the parent is known");
    assert_eq!(parent.author.as_deref(), Some("@ann@social.example"));
    assert!(
        parent.excerpt.starts_with("The parent. word word"),
        "{parent:?}"
    );
    assert!(parent.excerpt.ends_with('…'));
    assert_eq!(
        parent.excerpt.chars().count(),
        crate::store::PARENT_EXCERPT_CHARS + 1
    );
    assert_eq!(
        Some(parent.id),
        page.items
            .iter()
            .find(|i| i.item.remote_id.0 == "https://social.example/s/8")
            .map(|i| i.id)
    );
    assert!(by_remote("https://social.example/s/11").parent.is_none());
}

#[tokio::test]
async fn a_link_card_arriving_later_is_kept_and_is_no_edit() {
    let (store, ids) = store_with(&["masto"]).await;
    let plain = entry("s1", 0);
    ingest(&store, ids[0], vec![plain.clone()]).await;
    let card = LinkCard {
        url: "https://news.example/story".into(),
        title: "A story".into(),
        description: Some("What happened".into()),
        image: Some("https://news.example/story.jpg".into()),
        provider: Some("News".into()),
    };
    let with_card = Item {
        card: Some(card.clone()),
        ..plain
    };
    let stats = ingest(&store, ids[0], vec![with_card.clone()]).await;
    assert_eq!((stats.updated, stats.unchanged), (0, 1), "{stats:?}");
    let page = store.timeline(query(10)).await.unwrap();
    assert_eq!(page.items[0].item.card.as_ref(), Some(&card));
    // The same again changes nothing; neither does an item page read.
    let stats = ingest(&store, ids[0], vec![with_card]).await;
    assert_eq!(stats.unchanged, 1);
    let item = store.item(page.items[0].id).await.unwrap().unwrap();
    assert_eq!(item.item.card, Some(card));
}
