//! The Mastodon connector against a real Mastodon API server on 127.0.0.1 (mastodon-mock from
//! PyPI), the way Braid uses it: accounts logged in through the registry's factory, sources
//! polled by the scheduler (kept connectors, cursors committed with the items, across
//! restarts), sinks built from the registry; edits, pacing and errors; publishing
//! (idempotency, reconciling, threads, media uploaded once, edit, delete, limits).

use std::collections::HashSet;
use std::time::Duration;

use braid_core::connector::{MediaUpload, Post, Probe};
use braid_core::http::{HttpConfig, SafeClient};
use braid_core::{ConnectorError, Cursor, Visibility};
use url::Url;

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::Harness;

fn client() -> SafeClient {
    SafeClient::new(HttpConfig {
        allow_private_networks: true,
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .unwrap()
}

/// A running mastodon-mock with the user alice and her token, logged in through the
/// registry's factory (account and home timeline source; `backfill` statuses on its first
/// poll). The mock stops when the first element is dropped.
type Alice = (
    MastodonMock,
    String,
    Harness,
    braid::store::AccountRecord,
    braid_core::SourceId,
);

async fn alice(backfill: u32) -> Option<Alice> {
    let mock = MastodonMock::start().await?;
    let token = mock.user("alice").await;
    let h = Harness::new(|_| {});
    let (account, source) = log_in(&h, &mock.base, &token, backfill).await;
    Some((mock, token, h, account, source))
}

/// Polls through the scheduler and returns what it stored, failing the test on a poll error.
async fn poll_ok(h: &Harness, id: braid_core::SourceId) -> braid::store::IngestStats {
    let outcome = h.poll(id).await;
    assert_eq!(outcome.error, None, "{outcome:?}");
    outcome.stats
}

fn texts(items: &[braid::store::StoredItem]) -> HashSet<String> {
    items
        .iter()
        .map(|i| i.item.content_text.clone().unwrap_or_default())
        .collect()
}

fn post(text: &str) -> Post {
    Post {
        language: Some("en".into()),
        ..Post::text(text)
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
    let mut h = Harness::new(|_| {});
    let (_account, id) = log_in(&h, &mock.base, &token, 3).await;

    // First poll: bounded by the backfill, newest first.
    let stats = poll_ok(&h, id).await;
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
    // "Restart": a fresh poll context (no kept connector), the cursor from the store.
    h.restart();
    let stats = poll_ok(&h, id).await;
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
    let stats = poll_ok(&h, id).await;
    assert_eq!(stats.new, 0);
    assert_eq!(h.source(id).await.cursor, cursor);
}

#[tokio::test]
async fn an_empty_timeline_then_more_than_a_page_loses_nothing() {
    let Some((mock, token, h, _account, id)) = alice(0).await else {
        return;
    };
    assert_eq!(poll_ok(&h, id).await.new, 0);
    for n in 0..45 {
        mock.post(
            &token,
            &[("status", &format!("s{n}")), ("visibility", "public")],
        )
        .await;
    }
    assert_eq!(poll_ok(&h, id).await.new, 45);
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
    let (_account, id) = log_in(&h, &mock.base, &token, 20).await;
    poll_ok(&h, id).await;

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

    let stats = poll_ok(&h, id).await;
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
    let (_account, id) = log_in(&h, &mock.base, &token, 20).await;
    let before = chrono::Utc::now();
    let limited = h.poll(id).await;
    assert!(limited.error.is_some(), "{limited:?}");
    let source = h.source(id).await;
    // A rate limit waits out Retry-After and does not count as a failure.
    assert_eq!(source.error_count, 0);
    assert!(
        source.next_poll.unwrap() >= before + chrono::Duration::seconds(2),
        "{:?}",
        source.next_poll
    );
    assert!(h.items(id).await.is_empty());
    let stats = poll_ok(&h, id).await;
    assert_eq!(stats.new, 1);
}

#[tokio::test]
async fn server_errors_and_garbage_are_transient() {
    let Some((mock, _token, h, _account, id)) = alice(20).await else {
        return;
    };
    let conn = h.connector(id).await.unwrap();
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
    let Some((mock, token, h, account, id)) = alice(20).await else {
        return;
    };
    // The token is revoked on the server: here, replaced by one the server never issued.
    h.store
        .relogin_account(account.id, serde_json::json!({ "token": "not-a-token" }))
        .await
        .unwrap();
    let refused = h.poll(id).await;
    let message = refused.error.clone().unwrap_or_default();
    assert!(message.contains("braid account add"), "{refused:?}");
    let account = h.store.account(account.id).await.unwrap().unwrap();
    assert!(
        account.needs_login,
        "the account must show that it needs a new login"
    );
    // Until then, no request goes out with the refused token: the poll says what to do.
    let again = h.poll(id).await;
    assert!(
        again
            .error
            .as_deref()
            .is_some_and(|e| e.contains("must log in again")),
        "{again:?}"
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
    // An account stored while private addresses were allowed, polled once they are not.
    let h = Harness::new(|c| c.fetch.allow_private_networks = false);
    let account = h
        .store
        .add_account(braid::store::NewAccount {
            name: "alice".into(),
            kind: "mastodon".into(),
            identity: format!("{instance}#1"),
            handle: Some("alice@127.0.0.1".into()),
            server_url: Some(instance.to_string()),
            credentials: serde_json::json!({ "token": token }),
            ..Default::default()
        })
        .await
        .unwrap();
    let record = h.store.account(account).await.unwrap().unwrap();
    let id = braid::subscribe::timeline(
        &h.store,
        &h.ctx.connectors.registry,
        &record,
        "home",
        Some(5),
        braid::subscribe::Placement::default(),
    )
    .await
    .unwrap()
    .id;
    let refused = h.poll(id).await;
    assert!(
        refused
            .disabled
            .as_deref()
            .is_some_and(|d| d.contains("private")),
        "a private address is a permanent refusal: {refused:?}"
    );
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
    let Some((_mock, _token, h, account, _home)) = alice(0).await else {
        return;
    };
    let conn = h.sink(account.id).await;
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
    let Some((mock, token, h, account, _home)) = alice(0).await else {
        return;
    };
    let conn = h.sink(account.id).await;
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

/// After an unknown outcome, reconcile finds the post that did land (by its content, since
/// the Mastodon API cannot look a key up) and finds nothing for one that did not.
#[tokio::test]
async fn an_unknown_outcome_is_reconciled_from_the_accounts_own_posts() {
    let Some((mock, token, h, account, _home)) = alice(0).await else {
        return;
    };
    let conn = h.sink(account.id).await;
    let sink = conn.sink().unwrap();
    let sent_at = chrono::Utc::now();
    let parent = sink.publish(&post("the parent"), "k-parent").await.unwrap();
    let mut reply = post("landed  despite\nthe timeout");
    reply.content_warning = Some("cw".into());
    reply.reply_to = Some(parent.reply_ref.clone());
    let landed = sink.publish(&reply, "k-1").await.unwrap();
    // Someone else's post with the same text does not count, nor does one of ours elsewhere.
    let bob = mock.user("bob").await;
    mock.post(&bob, &[("status", "landed despite the timeout")])
        .await;
    mock.post(&token, &[("status", "landed despite the timeout")])
        .await;

    let probe = |post| Probe {
        key: "k-1",
        post,
        sent_at,
    };
    let found = sink.reconcile(&probe(&reply)).await.unwrap();
    assert_eq!(
        found.as_ref().map(|p| &p.remote_id),
        Some(&landed.remote_id)
    );
    assert_eq!(found.and_then(|p| p.local_id), landed.local_id);
    let never_sent = post("this one never arrived");
    assert_eq!(sink.reconcile(&probe(&never_sent)).await.unwrap(), None);
    // A post sent later than everything on the account is not any of them.
    let later = Probe {
        sent_at: chrono::Utc::now() + chrono::Duration::minutes(10),
        ..probe(&reply)
    };
    assert_eq!(sink.reconcile(&later).await.unwrap(), None);
}

#[tokio::test]
async fn a_reply_thread_of_three_reads_back_as_a_thread() {
    let Some((mock, token, h, account, home)) = alice(20).await else {
        return;
    };
    let conn = h.sink(account.id).await;
    let sink = conn.sink().unwrap();
    let one = sink.publish(&post("1/3"), "t1").await.unwrap();
    let mut p2 = post("2/3");
    p2.reply_to = Some(one.reply_ref.clone());
    let two = sink.publish(&p2, "t2").await.unwrap();
    let mut p3 = post("3/3");
    p3.reply_to = Some(two.reply_ref.clone());
    let three = sink.publish(&p3, "t3").await.unwrap();

    let (_, context) = get_json(
        &mock,
        &token,
        &format!(
            "/api/v1/statuses/{}/context",
            three.local_id.as_deref().unwrap()
        ),
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
        vec![
            one.local_id.as_deref().unwrap(),
            two.local_id.as_deref().unwrap()
        ]
    );

    // Polled back, each reply names its parent's remote id (the status uri).
    poll_ok(&h, home).await;
    let items = h.items(home).await;
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
    // One meaning of a remote id: what the sink returned is what the source stores.
    assert_eq!(i3.remote_id, three.remote_id);
}

#[tokio::test]
async fn media_with_alt_text_edit_and_delete() {
    let Some((mock, token, h, account, home)) = alice(20).await else {
        return;
    };
    let conn = h.sink(account.id).await;
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
    // Uploaded once; the post (and later its edit) references the upload.
    let upload = sink
        .upload(&MediaUpload {
            bytes: bytes::Bytes::from_static(PNG),
            media_type: "image/png".into(),
            alt: Some("One red pixel".into()),
        })
        .await
        .unwrap();
    assert_eq!(upload.alt.as_deref(), Some("One red pixel"));
    p.media = vec![upload];
    let published = sink.publish(&p, "media-1").await.unwrap();

    let id = home;
    poll_ok(&h, id).await;
    let items = h.items(id).await;
    assert_eq!(items.len(), 1);
    let item = &items[0].item;
    assert_eq!(item.attachments.len(), 1);
    assert_eq!(item.attachments[0].alt.as_deref(), Some("One red pixel"));
    assert_eq!(item.content_warning.as_deref(), Some("tiny art"));
    assert_eq!(item.visibility, Visibility::Unlisted);

    // Edit through the sink, keeping the upload; the next poll updates the stored item.
    let editor = sink.editor().expect("the Mastodon API edits");
    let mut edited = post("a red pixel");
    edited.media = p.media.clone();
    editor.edit(&published, &edited).await.unwrap();
    let stats = poll_ok(&h, id).await;
    assert_eq!(stats.updated, 1, "{stats:?}");
    let item = h.items(id).await[0].item.clone();
    assert_eq!(item.content_text.as_deref(), Some("a red pixel"));
    assert_eq!(item.attachments.len(), 1, "the edit kept the upload");

    // An edit found by its remote id alone (no local id kept) reaches the same status.
    let by_uri = braid_core::connector::Published {
        local_id: None,
        ..published.clone()
    };
    editor.edit(&by_uri, &edited).await.unwrap();

    // Delete; deleting again is not an error.
    let deleter = sink.deleter().expect("the Mastodon API deletes");
    deleter.delete(&published).await.unwrap();
    let local = published.local_id.clone().unwrap();
    let (status, _) = get_json(&mock, &token, &format!("/api/v1/statuses/{local}")).await;
    assert_eq!(status, 404);
    deleter.delete(&published).await.unwrap();
    let err = editor
        .edit(&published, &post("too late"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "permanent", "{err}");
}

#[tokio::test]
async fn limits_come_from_the_instance() {
    let Some((_mock, _token, h, account, _home)) = alice(0).await else {
        return;
    };
    let conn = h.sink(account.id).await;
    let limits = conn.sink().unwrap().limits().await.unwrap();
    assert_eq!(limits.text.max, 500);
    assert_eq!(
        limits.text.unit,
        braid_core::connector::CountUnit::Graphemes
    );
    assert_eq!(limits.text.url_length, Some(23));
    assert_eq!(limits.max_media, 4);
    assert!(limits.media_bytes("image/png").is_some());
    assert!(limits.content_warnings && limits.threads);
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

/// The redirect flow a web UI uses, through the registry's factory: the authorize link sends
/// the browser back to Braid's callback, whose code finishes the login.
#[tokio::test]
async fn the_factory_logs_in_by_redirect_when_given_a_callback() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    mock.user("alice").await;
    let h = Harness::new(|_| {});
    let factory = h.ctx.connectors.registry.get("mastodon").unwrap();
    let callback = Url::parse("http://127.0.0.1:8080/accounts/callback").unwrap();
    let ctx = braid_core::LoginContext {
        callback: Some(callback.clone()),
        ..braid_core::LoginContext::new(client())
    };
    let input = braid_core::factory::LoginInput::from_pairs([("instance", mock.base.clone())]);
    let braid_core::factory::LoginStep::Ask(question) =
        factory.begin_login(&ctx, &input).await.unwrap()
    else {
        panic!("a login without a token asks for the authorization");
    };
    let link = Url::parse(question.link.as_deref().unwrap()).unwrap();
    let redirect = link
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(redirect.as_deref(), Some(callback.as_str()));
    assert_eq!(question.answer.id, "code");
    // The callback's handler hands the code over (mastodon-mock mints `mockcode_<user>`).
    let braid_core::factory::LoginStep::Done(done) = factory
        .continue_login(&ctx, &question.state, "mockcode_alice")
        .await
        .unwrap()
    else {
        panic!("the code finishes the login");
    };
    let outcome = braid::accounts::store_login(&h.store, factory, None, *done)
        .await
        .unwrap();
    assert_eq!(outcome.account.handle.as_deref(), Some("alice@127.0.0.1"));
    assert_eq!(
        outcome.sources.len(),
        1,
        "the home timeline became a source"
    );
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
    let h = Harness::new(|_| {});
    let (_account, id) = log_in(&h, &mock.base, &token, 20).await;
    let conn = h.connector(id).await.unwrap();
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
    let (_account, id) = log_in(&h, &mock.base, &token, 20).await;
    poll_ok(&h, id).await;
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
    let outcome = h.poll(id).await;
    assert_eq!(outcome.error, None, "{outcome:?}");
    assert_eq!(outcome.stats.new, 40, "the newest page is kept");
    let newest = |c: &Option<String>| {
        braid_mastodon::cursor::SourceCursor::from_cursor(&Cursor(c.clone())).newest
    };
    let after = h.source(id).await;
    assert_eq!(
        newest(&after.cursor),
        newest(&cursor),
        "the cursor waits at the gap"
    );
    assert!(
        after
            .next_poll
            .is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::seconds(20)),
        "the next poll waits out Retry-After: {:?}",
        after.next_poll
    );
    // The next poll fills the gap.
    let stats = poll_ok(&h, id).await;
    assert_eq!(stats.new, 10, "{stats:?}");
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
    let (_account, id) = log_in(&h, &mock.base, &token, 20).await;
    poll_ok(&h, id).await;
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

    let stats = poll_ok(&h, id).await;
    assert_eq!(stats.deleted, 1, "{stats:?}");
    let left = texts(&h.items(id).await);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains("stays"), "{left:?}");
    // The boosted status still exists: un-boosting does not tombstone it.
    assert!(left.iter().any(|t| t.ends_with("kept")), "{left:?}");

    // The tombstone holds: the deleted status is never re-ingested.
    let stats = poll_ok(&h, id).await;
    assert_eq!((stats.new, stats.deleted), (0, 0), "{stats:?}");
}

#[tokio::test]
async fn a_reply_to_an_unknown_status_says_so() {
    let Some((mock, token, h, account, _home)) = alice(0).await else {
        return;
    };
    let conn = h.sink(account.id).await;
    let err = conn
        .sink()
        .unwrap()
        .reply_ref("https://elsewhere.example/users/x/statuses/1")
        .await
        .unwrap_err();
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
