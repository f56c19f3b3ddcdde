//! The Mastodon connector against a real Mastodon API server on 127.0.0.1 (mastodon-mock from
//! PyPI): polling into the store with cursors across restarts, edits, pacing and errors, and
//! publishing (idempotency, threads, media, edit, delete, limits).
//!
//! The scheduler has no `mastodon` arm yet, so these tests drive `Source::poll` themselves and
//! commit like the scheduler does: `ingest::prepare`, then `record_poll_success` with the cursor.

use std::collections::HashSet;
use std::time::Duration;

use braid_core::connector::{MediaUpload, Post};
use braid_core::http::{HttpConfig, SafeClient};
use braid_core::{Connector, ConnectorError, Cursor, RemoteId, SourceId, Visibility};
use braid_mastodon::{MastodonConnector, Timeline};
use url::Url;

use crate::support::mastodon::MastodonMock;
use crate::support::Harness;

fn client() -> SafeClient {
    SafeClient::new(HttpConfig {
        allow_private_networks: true,
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .unwrap()
}

fn connector(mock: &MastodonMock, token: &str, backfill: u32) -> MastodonConnector {
    MastodonConnector::new(
        Url::parse(&mock.base).unwrap(),
        token.to_owned(),
        Some(Timeline::Home),
        backfill,
        client(),
    )
    .unwrap()
}

async fn add_source(h: &Harness, mock: &MastodonMock) -> SourceId {
    h.store
        .add_source(braid::store::NewSource {
            name: "alice home".into(),
            kind: "mastodon".into(),
            url: format!("{}/", mock.base),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap()
}

/// Polls with the stored cursor and commits items and cursor together, as the scheduler does.
async fn poll_and_store(
    h: &Harness,
    id: SourceId,
    conn: &MastodonConnector,
) -> Result<braid::store::IngestStats, ConnectorError> {
    let cursor = Cursor(h.source(id).await.cursor);
    let page = conn.source().unwrap().poll(&cursor).await?;
    let stats = h
        .store
        .record_poll_success(
            id,
            braid::ingest::prepare(page.items, braid::ingest::DEFAULT_MAX_CONTENT_BYTES),
            page.deleted,
            braid::store::PollSuccess {
                cursor: page.next_cursor.and_then(|c| c.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Ok(stats)
}

fn texts(items: &[braid::store::StoredItem]) -> HashSet<String> {
    items
        .iter()
        .map(|i| i.item.content_text.clone().unwrap_or_default())
        .collect()
}

fn post(text: &str) -> Post {
    Post {
        text: text.into(),
        content_warning: None,
        visibility: Visibility::Public,
        language: Some("en".into()),
        media: vec![],
        in_reply_to: None,
    }
}

async fn get_json(mock: &MastodonMock, token: &str, path: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", mock.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn home_timeline_pages_and_resumes_across_restart_without_gap_or_duplicate() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    for n in 0..5 {
        mock.post(
            &token,
            &[("status", &format!("old {n}")), ("visibility", "public")],
        )
        .await;
    }
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;

    // First poll: bounded by the backfill, newest first.
    let stats = poll_and_store(&h, id, &connector(&mock, &token, 3))
        .await
        .unwrap();
    assert_eq!(stats.new, 3);
    let stored = texts(&h.items(id).await);
    assert_eq!(stored, ["old 2", "old 3", "old 4"].map(String::from).into());
    assert!(h.source(id).await.cursor.is_some());

    // More than two pages (40 each) arrive while Braid is down.
    for n in 0..95 {
        mock.post(
            &token,
            &[("status", &format!("new {n}")), ("visibility", "public")],
        )
        .await;
    }
    // "Restart": a new connector instance, the cursor from the store.
    let stats = poll_and_store(&h, id, &connector(&mock, &token, 3))
        .await
        .unwrap();
    assert_eq!(stats.new, 95, "{stats:?}");
    let items = h.items(id).await;
    assert_eq!(items.len(), 98);
    let ids: HashSet<_> = items.iter().map(|i| i.item.remote_id.clone()).collect();
    assert_eq!(ids.len(), 98, "no duplicates");
    let stored = texts(&items);
    for n in 0..95 {
        assert!(stored.contains(&format!("new {n}")), "gap: new {n} missing");
    }
    assert!(!stored.contains("old 0"), "the backfill bound held");

    // Caught up: nothing new, the cursor stays.
    let cursor = h.source(id).await.cursor;
    let stats = poll_and_store(&h, id, &connector(&mock, &token, 3))
        .await
        .unwrap();
    assert_eq!(stats.new, 0);
    assert_eq!(h.source(id).await.cursor, cursor);
}

#[tokio::test]
async fn an_empty_timeline_then_more_than_a_page_loses_nothing() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    let conn = connector(&mock, &token, 0);
    assert_eq!(poll_and_store(&h, id, &conn).await.unwrap().new, 0);
    for n in 0..45 {
        mock.post(
            &token,
            &[("status", &format!("s{n}")), ("visibility", "public")],
        )
        .await;
    }
    assert_eq!(poll_and_store(&h, id, &conn).await.unwrap().new, 45);
}

#[tokio::test]
async fn an_edit_updates_the_stored_item_in_place() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let status = mock
        .post(
            &token,
            &[("status", "Frist post"), ("visibility", "public")],
        )
        .await;
    mock.post(&token, &[("status", "another"), ("visibility", "public")])
        .await;
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    let conn = connector(&mock, &token, 20);
    poll_and_store(&h, id, &conn).await.unwrap();

    let resp = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/statuses/{}",
            mock.base,
            status["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .form(&[("status", "First post")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());

    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!((stats.new, stats.updated), (0, 1), "{stats:?}");
    let items = h.items(id).await;
    assert_eq!(items.len(), 2);
    let edited = items
        .iter()
        .find(|i| i.item.remote_id.as_str() == status["uri"].as_str().unwrap())
        .unwrap();
    assert_eq!(edited.item.content_text.as_deref(), Some("First post"));
    assert!(edited.item.updated.is_some());
}

#[tokio::test]
async fn rate_limited_then_success() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    mock.post(&token, &[("status", "hello"), ("visibility", "public")])
        .await;
    mock.fault(serde_json::json!({
        "match": {"methods": ["GET"], "path": "/api/v1/timelines/home"},
        "effect": {"type": "ratelimit", "headers": {"Retry-After": "2"}},
        "count": 1
    }))
    .await;
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    let conn = connector(&mock, &token, 20);
    match poll_and_store(&h, id, &conn).await {
        Err(ConnectorError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(h.items(id).await.is_empty());
    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!(stats.new, 1);
}

#[tokio::test]
async fn server_errors_and_garbage_are_transient() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 20);
    mock.fault(serde_json::json!({
        "match": {"path": "/api/v1/timelines/home"},
        "effect": {"type": "status", "status": 502}, "count": 1
    }))
    .await;
    let err = conn
        .source()
        .unwrap()
        .poll(&Cursor::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "transient", "{err}");
    mock.fault(serde_json::json!({
        "match": {"path": "/api/v1/timelines/home"},
        "effect": {"type": "malformed"}, "count": 1
    }))
    .await;
    let err = conn
        .source()
        .unwrap()
        .poll(&Cursor::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "transient", "{err}");
    assert!(conn.source().unwrap().poll(&Cursor::none()).await.is_ok());
}

#[tokio::test]
async fn a_refused_token_asks_for_a_new_login() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, "not-a-token", 20);
    let err = conn
        .source()
        .unwrap()
        .poll(&Cursor::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth(m) if m.contains("braid account add")),
        "{err:?}"
    );
    let instance = Url::parse(&mock.base).unwrap();
    let err = braid_mastodon::verify_credentials(&instance, "not-a-token", &client())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "auth", "{err}");

    // The real token: whose it is, and what server this is.
    let me = braid_mastodon::verify_credentials(&instance, &token, &client())
        .await
        .unwrap();
    assert_eq!(me.acct, "alice@127.0.0.1");
    assert!(!me.id.is_empty());
    let kind = braid_mastodon::detect_server_type(&instance, &client())
        .await
        .unwrap();
    assert_eq!(kind.server_type, "mastodon");
    assert!(kind.known, "{kind:?}");
    assert_eq!(kind.note(), None);
}

#[tokio::test]
async fn private_instances_are_refused_unless_allowed() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let strict = SafeClient::new(HttpConfig::default()).unwrap();
    let instance = Url::parse(&mock.base).unwrap();
    let conn = MastodonConnector::new(
        instance.clone(),
        token.clone(),
        Some(Timeline::Home),
        5,
        strict.clone(),
    )
    .unwrap();
    let err = conn
        .source()
        .unwrap()
        .poll(&Cursor::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "permanent", "{err}");
    // The login-time calls go through the same safe client and are refused too.
    let err = braid_mastodon::verify_credentials(&instance, &token, &strict)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
    let err = braid_mastodon::detect_server_type(&instance, &strict)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "permanent", "{err}");
    let err = braid_mastodon::oauth::start(&instance, "mastodon", &strict)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
}

#[tokio::test]
async fn a_rejected_post_shows_the_servers_message() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 0);
    let err = conn
        .sink()
        .unwrap()
        .publish(&post(""), "key-422")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("Text can't be blank")),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_same_create_retried_with_the_same_key_makes_one_status() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 0);
    let sink = conn.sink().unwrap();
    let first = sink
        .publish(&post("exactly once"), "braid-outbox-1")
        .await
        .unwrap();
    let again = sink
        .publish(&post("exactly once"), "braid-outbox-1")
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = sink
        .publish(&post("exactly once"), "braid-outbox-2")
        .await
        .unwrap();
    assert_ne!(first.remote_id, other.remote_id);
    let (_, me) = get_json(&mock, &token, "/api/v1/accounts/verify_credentials").await;
    let (_, statuses) = get_json(
        &mock,
        &token,
        &format!("/api/v1/accounts/{}/statuses", me["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(statuses.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_reply_thread_of_three_reads_back_as_a_thread() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 20);
    let sink = conn.sink().unwrap();
    let one = sink.publish(&post("1/3"), "t1").await.unwrap();
    let mut p2 = post("2/3");
    p2.in_reply_to = Some(one.remote_id.clone());
    let two = sink.publish(&p2, "t2").await.unwrap();
    let mut p3 = post("3/3");
    p3.in_reply_to = Some(two.remote_id.clone());
    let three = sink.publish(&p3, "t3").await.unwrap();

    let (_, context) = get_json(
        &mock,
        &token,
        &format!("/api/v1/statuses/{}/context", three.remote_id),
    )
    .await;
    let ancestors: Vec<&str> = context["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ancestors,
        vec![one.remote_id.as_str(), two.remote_id.as_str()]
    );

    // Polled back, each reply names its parent's remote id (the status uri).
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    poll_and_store(&h, id, &conn).await.unwrap();
    let items = h.items(id).await;
    let by_text = |t: &str| {
        items
            .iter()
            .find(|i| i.item.content_text.as_deref() == Some(t))
            .unwrap()
            .item
            .clone()
    };
    let (i1, i2, i3) = (by_text("1/3"), by_text("2/3"), by_text("3/3"));
    assert_eq!(i1.kind, braid_core::ItemKind::Note);
    assert_eq!(i2.kind, braid_core::ItemKind::Reply);
    assert_eq!(i2.in_reply_to.as_deref(), Some(i1.remote_id.as_str()));
    assert_eq!(i3.in_reply_to.as_deref(), Some(i2.remote_id.as_str()));
    assert_eq!(i3.url, three.url);
}

#[tokio::test]
async fn media_with_alt_text_edit_and_delete() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 20);
    let sink = conn.sink().unwrap();
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x54, 0xa2, 0x4f, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let mut p = post("a pixel");
    p.content_warning = Some("tiny art".into());
    p.visibility = Visibility::Unlisted;
    p.media = vec![MediaUpload {
        bytes: bytes::Bytes::from_static(PNG),
        media_type: "image/png".into(),
        alt: Some("One red pixel".into()),
    }];
    let published = sink.publish(&p, "media-1").await.unwrap();

    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    poll_and_store(&h, id, &conn).await.unwrap();
    let items = h.items(id).await;
    assert_eq!(items.len(), 1);
    let item = &items[0].item;
    assert_eq!(item.attachments.len(), 1);
    assert_eq!(item.attachments[0].alt.as_deref(), Some("One red pixel"));
    assert_eq!(item.content_warning.as_deref(), Some("tiny art"));
    assert_eq!(item.visibility, Visibility::Unlisted);

    // Edit through the sink; the next poll updates the stored item.
    sink.edit(&published.remote_id, &post("a red pixel"))
        .await
        .unwrap();
    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!(stats.updated, 1, "{stats:?}");
    assert_eq!(
        h.items(id).await[0].item.content_text.as_deref(),
        Some("a red pixel")
    );

    // Delete; deleting again is not an error.
    sink.delete(&published.remote_id).await.unwrap();
    let (status, _) = get_json(
        &mock,
        &token,
        &format!("/api/v1/statuses/{}", published.remote_id),
    )
    .await;
    assert_eq!(status, 404);
    sink.delete(&published.remote_id).await.unwrap();
    let err = sink
        .edit(
            &RemoteId::from(published.remote_id.as_str()),
            &post("too late"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "permanent", "{err}");
}

#[tokio::test]
async fn limits_come_from_the_instance() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 0);
    let limits = conn.sink().unwrap().limits().await.unwrap();
    assert_eq!(limits.max_graphemes, 500);
    assert_eq!(limits.max_media, 4);
    assert_eq!(limits.max_media_bytes, 41_943_040);
    assert!(limits.media_types.iter().any(|t| t == "image/png"));
}

#[tokio::test]
async fn oauth_login_gives_a_working_token() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    mock.user("alice").await;
    let instance = Url::parse(&mock.base).unwrap();
    let pending = braid_mastodon::oauth::start(&instance, "mastodon", &client())
        .await
        .unwrap();
    assert!(
        pending.authorize_url.contains(&pending.client_id),
        "{}",
        pending.authorize_url
    );
    assert!(!format!("{pending:?}").contains(&pending.client_secret));
    // mastodon-mock's authorize page mints `mockcode_<username>`; a real server shows a code.
    let err = braid_mastodon::oauth::finish(&instance, &pending, "wrong", &client())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "auth", "{err}");
    let token = braid_mastodon::oauth::finish(&instance, &pending, "mockcode_alice", &client())
        .await
        .unwrap();
    let me = braid_mastodon::verify_credentials(&instance, &token, &client())
        .await
        .unwrap();
    assert_eq!(me.acct, "alice@127.0.0.1");
}

#[tokio::test]
async fn few_remaining_calls_push_the_next_poll_to_the_reset() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let reset = chrono::Utc::now().timestamp() + 120;
    mock.fault(serde_json::json!({
        "match": {"path": "/api/v1/timelines/home"},
        "effect": {"type": "status", "status": 200, "body": [],
                   "headers": {"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": reset.to_string()}},
        "count": 1
    }))
    .await;
    let conn = connector(&mock, &token, 20);
    let page = conn.source().unwrap().poll(&Cursor::none()).await.unwrap();
    assert_eq!(page.hints.not_before.map(|t| t.timestamp()), Some(reset));
    let page = conn.source().unwrap().poll(&Cursor::none()).await.unwrap();
    assert_eq!(page.hints.not_before, None);
}

#[tokio::test]
async fn a_429_while_catching_up_keeps_what_was_read_and_loses_nothing() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    mock.post(&token, &[("status", "seed"), ("visibility", "public")])
        .await;
    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    let conn = connector(&mock, &token, 20);
    poll_and_store(&h, id, &conn).await.unwrap();
    let cursor = h.source(id).await.cursor;
    for n in 0..50 {
        mock.post(
            &token,
            &[("status", &format!("n{n}")), ("visibility", "public")],
        )
        .await;
    }
    // The newest page passes (a latency rule used up), the walk from the cursor is refused.
    mock.fault(serde_json::json!({
        "match": {"path": "/api/v1/timelines/home"},
        "effect": {"type": "latency", "delay_ms": 1}, "count": 1
    }))
    .await;
    mock.fault(serde_json::json!({
        "match": {"path": "/api/v1/timelines/home"},
        "effect": {"type": "ratelimit", "headers": {"Retry-After": "30"}}, "count": 1
    }))
    .await;
    let page = conn
        .source()
        .unwrap()
        .poll(&Cursor(cursor.clone()))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 40, "the newest page is kept");
    let newest = |c: &Option<String>| {
        braid_mastodon::cursor::SourceCursor::from_cursor(&Cursor(c.clone())).newest
    };
    assert_eq!(
        newest(&page.next_cursor.and_then(|c| c.0)),
        newest(&cursor),
        "the cursor waits at the gap"
    );
    assert!(page
        .hints
        .not_before
        .is_some_and(|t| t > chrono::Utc::now()));
    // Committed like the scheduler would, then the next poll fills the gap.
    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!(stats.new, 50, "{stats:?}");
    assert_eq!(h.items(id).await.len(), 51);
}

#[tokio::test]
async fn a_deleted_status_becomes_a_tombstone_and_an_undone_boost_does_not() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let bob = mock.user("bob").await;
    let doomed = mock
        .post(&token, &[("status", "doomed"), ("visibility", "public")])
        .await;
    let kept = mock
        .post(&bob, &[("status", "kept"), ("visibility", "public")])
        .await;
    let http = reqwest::Client::new();
    let boost = |id: &str, action: &str| {
        http.post(format!("{}/api/v1/statuses/{id}/{action}", mock.base))
            .bearer_auth(&token)
            .send()
    };
    boost(kept["id"].as_str().unwrap(), "reblog").await.unwrap();
    mock.post(&token, &[("status", "stays"), ("visibility", "public")])
        .await;

    let h = Harness::new(|_| {});
    let id = add_source(&h, &mock).await;
    let conn = connector(&mock, &token, 20);
    poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!(h.items(id).await.len(), 3);

    let resp = http
        .delete(format!(
            "{}/api/v1/statuses/{}",
            mock.base,
            doomed["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    boost(kept["id"].as_str().unwrap(), "unreblog")
        .await
        .unwrap();

    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!(stats.deleted, 1, "{stats:?}");
    let left = texts(&h.items(id).await);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains("stays"), "{left:?}");
    // The boosted status still exists: un-boosting does not tombstone it.
    assert!(left.iter().any(|t| t.ends_with("kept")), "{left:?}");

    // The tombstone holds: the deleted status is never re-ingested.
    let stats = poll_and_store(&h, id, &conn).await.unwrap();
    assert_eq!((stats.new, stats.deleted), (0, 0), "{stats:?}");
}

#[tokio::test]
async fn a_reply_to_an_unknown_status_says_so() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let conn = connector(&mock, &token, 0);
    let mut p = post("replying");
    p.in_reply_to = Some(RemoteId::from(
        "https://elsewhere.example/users/x/statuses/1",
    ));
    let err = conn.sink().unwrap().publish(&p, "r-1").await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("cannot find the status this replies to")),
        "{err:?}"
    );
    // Nothing was posted.
    let (_, me) = get_json(&mock, &token, "/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["statuses_count"], 0);
}

/// Software nodeinfo names but Braid does not know is used as Mastodon only when it answers the
/// Mastodon API; otherwise the login stops and says what runs there.
#[tokio::test]
async fn unknown_software_without_the_mastodon_api_is_refused() {
    let server = crate::support::server::TestServer::start(|seen| match seen.path.as_str() {
        "/.well-known/nodeinfo" => crate::support::server::Reply::ok(
            "application/json",
            r#"{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"/nodeinfo/2.0"}]}"#,
        ),
        "/nodeinfo/2.0" => crate::support::server::Reply::ok(
            "application/json",
            r#"{"version":"2.0","software":{"name":"barsoft","version":"9"}}"#,
        ),
        _ => crate::support::server::Reply::status(404),
    })
    .await;
    let instance = Url::parse(&server.url("/")).unwrap();
    let err = braid_mastodon::detect_server_type(&instance, &client())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "unsupported", "{err}");
    assert!(
        err.to_string().contains("runs \"barsoft\"")
            && err.to_string().contains("does not answer the Mastodon API"),
        "{err}"
    );
}

/// Every login step goes through the safe client: a public-looking instance that redirects to
/// a private address is refused (GET redirects are checked hop by hop, POST redirects are not
/// followed), and the private server never sees a request.
#[tokio::test]
async fn login_steps_do_not_follow_redirects_to_private_addresses() {
    use crate::support::server::{Reply, TestServer};
    let private = TestServer::start(|_| Reply::ok("application/json", "{}")).await;
    let private_base = private.url("");
    let public = TestServer::start(move |seen| {
        Reply::redirect(307, &format!("{private_base}{}", seen.path))
    })
    .await;
    let addr = public.addr;
    let mut http = HttpConfig {
        allow_private_networks: false,
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    };
    http.resolve_overrides.insert("public.test".into(), addr);
    let strict = SafeClient::new(http).unwrap();
    let instance = Url::parse(&format!("http://public.test:{}/", addr.port())).unwrap();

    let err = braid_mastodon::detect_server_type(&instance, &strict)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
    let err = braid_mastodon::verify_credentials(&instance, "t0ken", &strict)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
    let err = braid_mastodon::oauth::start(&instance, "mastodon", &strict)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 307"), "{err}");
    assert!(!public.seen.lock().unwrap().is_empty());
    assert!(private.seen.lock().unwrap().is_empty());
}
