//! What the owner composes into channels (`own.rs`): once per key, in the same transaction as
//! the post's deliveries, never into a channel whose audience is narrower than the post, and
//! kept in a source nothing polls or lists.

use super::*;
use crate::store::{NewAccount, NewChannel, NewMedia, NewPost, NewTarget, OwnPost, StoreError};
use braid_core::Visibility;

async fn channel(store: &Store, name: &str, audience: &str) -> i64 {
    store
        .add_channel(NewChannel {
            name: name.into(),
            title: None,
            description: None,
            audience: audience.into(),
            published: false,
            origin: "cli".into(),
        })
        .await
        .unwrap()
}

async fn account(store: &Store) -> braid_core::AccountId {
    store
        .add_account(NewAccount {
            name: "alice".into(),
            kind: "example".into(),
            identity: "https://social.example/#1".into(),
            credentials: serde_json::json!({}),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn post(
    key: &str,
    account: braid_core::AccountId,
    visibility: Visibility,
    channels: Vec<i64>,
) -> NewPost {
    NewPost {
        key: key.into(),
        draft: serde_json::json!({ "text": "hello channels" }),
        media: vec![NewMedia {
            media_type: "image/png".into(),
            alt: Some("a dot".into()),
            bytes: vec![1, 2, 3],
        }],
        not_before: None,
        targets: vec![NewTarget {
            account,
            name: "alice".into(),
            key: format!("{key}-alice"),
            not_before: None,
        }],
        options: serde_json::json!({}),
        routed: None,
        own: Some(OwnPost {
            item: Item {
                remote_id: format!("urn:uuid:{key}").into(),
                content_text: Some("hello channels".into()),
                visibility,
                published: Some(t(0)),
                ..Item::default()
            },
            channels,
            file_tokens: vec![format!("{key:0>32}")],
        }),
    }
}

#[tokio::test]
async fn a_post_composed_twice_is_one_item_in_each_channel() {
    let store = Store::open_in_memory().unwrap();
    let alice = account(&store).await;
    let news = channel(&store, "news", "public").await;
    let inner = channel(&store, "inner", "followers_only").await;

    let (first, fresh) = store
        .enqueue_post(post("k1", alice, Visibility::Public, vec![news, inner]))
        .await
        .unwrap();
    assert!(fresh);
    let (again, fresh) = store
        .enqueue_post(post("k1", alice, Visibility::Public, vec![news, inner]))
        .await
        .unwrap();
    assert_eq!(
        (again, fresh),
        (first, false),
        "the same key queues nothing"
    );

    for c in [news, inner] {
        let items = store.channel_item_ids(c, 50, false).await.unwrap();
        assert_eq!(items.len(), 1, "channel {c}: {items:?}");
    }
    let item = store.channel_item_ids(news, 50, false).await.unwrap()[0];
    assert_eq!(
        store.channel_item_ids(inner, 50, false).await.unwrap()[0],
        item
    );
    assert_eq!(store.deliveries_of_post(first).await.unwrap().len(), 1);
    assert_eq!(
        store.channels_of_post(first).await.unwrap(),
        vec!["inner".to_owned(), "news".to_owned()]
    );
    assert_eq!(
        store.post(first).await.unwrap().unwrap().item_id,
        Some(item),
        "the post names its item, so copies read back join it"
    );
    let stored = store.item(ItemId(item)).await.unwrap().unwrap();
    assert_eq!(stored.source_name, crate::store::OWNER_NAME);
    assert_eq!(stored.item.content_text.as_deref(), Some("hello channels"));
    let (media_type, bytes) = store
        .own_file(format!("{:0>32}", "k1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((media_type.as_str(), bytes), ("image/png", vec![1, 2, 3]));

    // A second post finds the same built-in source.
    store
        .enqueue_post(post("k2", alice, Visibility::Public, vec![news]))
        .await
        .unwrap();
    assert_eq!(
        store.channel_item_ids(news, 50, false).await.unwrap().len(),
        2
    );
    let source = store.item(ItemId(item)).await.unwrap().unwrap().source;
    assert_eq!(store.source(source).await.unwrap().unwrap().item_count, 2);

    // Not a subscription: not listed, counted, due or removable.
    assert!(store.list_sources().await.unwrap().is_empty());
    assert!(store.due_sources(Utc::now()).await.unwrap().is_empty());
    assert_eq!(store.source_counts().await.unwrap().total, 0);
    let refused = store.remove_source(source).await.unwrap_err().to_string();
    assert!(
        refused.contains("cannot be changed or removed"),
        "{refused}"
    );
    assert!(store.set_source_paused(source, true).await.is_err());
    assert_eq!(
        store.channel_item_ids(news, 50, false).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn a_channel_refuses_a_post_more_private_than_its_audience_and_nothing_is_queued() {
    let store = Store::open_in_memory().unwrap();
    let alice = account(&store).await;
    let news = channel(&store, "news", "public").await;
    let inner = channel(&store, "inner", "followers_only").await;

    let refused = store
        .enqueue_post(post(
            "k1",
            alice,
            Visibility::FollowersOnly,
            vec![inner, news],
        ))
        .await
        .unwrap_err();
    let StoreError::Refused(reason) = refused else {
        panic!("refused for the audience: {refused}");
    };
    assert!(
        reason.contains("followers-only") && reason.contains("\"news\" is public"),
        "{reason}"
    );
    // Nothing of it: no post, no delivery, no item in either channel, no file.
    assert!(store.list_deliveries(10).await.unwrap().is_empty());
    assert!(store.post(1).await.unwrap().is_none());
    for c in [news, inner] {
        assert!(store
            .channel_item_ids(c, 50, false)
            .await
            .unwrap()
            .is_empty());
    }
    assert!(store
        .own_file(format!("{:0>32}", "k1"))
        .await
        .unwrap()
        .is_none());

    // As public as the audience or more: taken, and the item keeps the owner's visibility.
    store
        .enqueue_post(post("k2", alice, Visibility::FollowersOnly, vec![inner]))
        .await
        .unwrap();
    let item = store.channel_item_ids(inner, 50, false).await.unwrap()[0];
    let stored = store.item(ItemId(item)).await.unwrap().unwrap();
    assert_eq!(stored.item.visibility, Visibility::FollowersOnly);
    assert!(
        store
            .channel_item_ids(inner, 50, true)
            .await
            .unwrap()
            .is_empty(),
        "a published channel would not show it without a token"
    );
}
