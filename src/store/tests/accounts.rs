use super::*;
use crate::store::NewAccount;

fn alice() -> NewAccount {
    NewAccount {
        name: "alice@social.example".into(),
        kind: "example".into(),
        identity: "https://social.example/#1".into(),
        handle: Some("alice@social.example".into()),
        server_url: Some("https://social.example/".into()),
        credentials: serde_json::json!({ "token": "s3cret-token", "server_type": "example" }),
        ..Default::default()
    }
}

#[tokio::test]
async fn accounts_keep_their_token_to_themselves() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    assert_eq!(
        store.account_credentials(id).await.unwrap(),
        Some(serde_json::json!({ "token": "s3cret-token", "server_type": "example" }))
    );
    let listed = store.list_accounts().await.unwrap();
    assert_eq!(listed.len(), 1);
    let shown = serde_json::to_string(&listed).unwrap();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!format!("{:?}", alice()).contains("s3cret"));
    assert_eq!(
        store
            .find_account("alice@social.example")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(id)
    );

    let mut same_name = alice();
    same_name.identity = "https://social.example/#2".into();
    let err = store.add_account(same_name).await.unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
    let mut same_login = alice();
    same_login.name = "other name".into();
    let err = store.add_account(same_login).await.unwrap_err().to_string();
    assert!(err.contains("already an account"), "{err}");
}

#[tokio::test]
async fn refused_token_marks_needs_login_until_relogin() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    store
        .record_account_error(id, "mastodon: the token was refused".into(), true)
        .await
        .unwrap();
    let a = store.account(id).await.unwrap().unwrap();
    assert!(a.needs_login);
    assert_eq!(
        a.last_error.as_deref(),
        Some("mastodon: the token was refused")
    );
    store
        .relogin_account(id, serde_json::json!({ "token": "new-token" }))
        .await
        .unwrap();
    let a = store.account(id).await.unwrap().unwrap();
    assert!(!a.needs_login && a.last_error.is_none());
    assert_eq!(
        store.account_credentials(id).await.unwrap(),
        Some(serde_json::json!({ "token": "new-token" }))
    );
}

#[tokio::test]
async fn removing_an_account_removes_its_sources() {
    let store = Store::open_in_memory().unwrap();
    let id = store.add_account(alice()).await.unwrap();
    let mut home = new_source("home");
    home.kind = "example".into();
    home.settings = serde_json::json!({ "timeline": "home" });
    home.account = Some(id);
    let home = store.add_source(home).await.unwrap();
    assert_eq!(store.source(home).await.unwrap().unwrap().account, Some(id));
    let feed = store.add_source(new_source("blog")).await.unwrap();
    ingest(&store, home, vec![entry("h1", 1)]).await;
    ingest(&store, feed, vec![entry("b1", 2)]).await;
    assert_eq!(store.remove_account(id).await.unwrap(), 1);
    assert!(store.source(home).await.unwrap().is_none());
    assert!(store.source(feed).await.unwrap().is_some());
    assert!(store.list_accounts().await.unwrap().is_empty());
    assert_eq!(item_ids(&store, query(10)).await.len(), 1);
    // Gone means gone: a second removal says so, and no source can name a missing account.
    assert!(store.remove_account(id).await.is_err());
    let mut orphan = new_source("orphan");
    orphan.account = Some(id);
    assert!(store.add_source(orphan).await.is_err());
}

/// Schema V5 moves `settings.account` into `sources.account_id`; a link to an account that no
/// longer exists is dropped instead of failing the upgrade on the new foreign key.
#[tokio::test]
async fn upgrading_moves_account_links_and_drops_dangling_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::schema::migrate_to(&mut conn, 4).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, instance_url, remote_id, token, created_at)
                 VALUES (3, 'a', 'mastodon', 'https://s.example/', '1', 'tok', 0);
             INSERT INTO sources (name, kind, url, settings, created_at) VALUES
                 ('linked', 'mastodon', 'https://s.example/@a/timeline/home',
                  '{\"account\":3,\"timeline\":\"home\"}', 0),
                 ('dangling', 'mastodon', 'https://gone.example/@b/timeline/home',
                  '{\"account\":99,\"timeline\":\"home\"}', 0);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let linked = store.find_source("linked").await.unwrap().unwrap();
    assert_eq!(linked.account, Some(braid_core::AccountId(3)));
    assert_eq!(linked.settings, serde_json::json!({ "timeline": "home" }));
    let dangling = store.find_source("dangling").await.unwrap().unwrap();
    assert_eq!(dangling.account, None);
    assert_eq!(dangling.settings, serde_json::json!({ "timeline": "home" }));
    let account = store
        .account(braid_core::AccountId(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.identity, "https://s.example/#1");
    assert_eq!(
        store.account_credentials(account.id).await.unwrap(),
        Some(serde_json::json!({
            "token": "tok", "server_type": null, "client_id": null, "client_secret": null
        }))
    );
}

/// A connector's key/value store is scoped (network, account, source), survives a reopen of
/// the handle, and goes with its account or source; refreshed credentials saved through the
/// connector's handle replace the stored ones.
#[tokio::test]
async fn connector_state_is_scoped_and_goes_with_its_record() {
    use braid_core::state::{CredentialBackend, Scope, ScopeOwner, StateStore};
    use std::sync::Arc;

    let store = Store::open_in_memory().unwrap();
    let account = store.add_account(alice()).await.unwrap();
    let mut home = new_source("home");
    home.account = Some(account);
    let source = store.add_source(new_source("news")).await.unwrap();
    store.add_source(home).await.unwrap();
    let backend = Arc::new(store.clone());
    let scoped = |owner| {
        StateStore::new(
            backend.clone(),
            Scope {
                kind: "example".into(),
                owner,
            },
        )
    };
    let network = scoped(ScopeOwner::Network);
    let by_account = scoped(ScopeOwner::Account(account));
    let by_source = scoped(ScopeOwner::Source(source));
    network
        .put("key", serde_json::json!("network"))
        .await
        .unwrap();
    by_account
        .put("key", serde_json::json!({"session": 1}))
        .await
        .unwrap();
    by_account
        .put("key", serde_json::json!({"session": 2}))
        .await
        .unwrap();
    by_account
        .put("follower:b", serde_json::json!(2))
        .await
        .unwrap();
    by_account
        .put("follower:a", serde_json::json!(1))
        .await
        .unwrap();
    by_source
        .put("key", serde_json::json!("source"))
        .await
        .unwrap();
    assert_eq!(
        network.get("key").await.unwrap(),
        Some(serde_json::json!("network"))
    );
    assert_eq!(
        by_account.get("key").await.unwrap(),
        Some(serde_json::json!({"session": 2}))
    );
    let followers: Vec<String> = by_account
        .list("follower:")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(followers, ["follower:a", "follower:b"]);
    // A `%` or `_` in a prefix is text, not a pattern.
    assert!(by_account.list("follower%").await.unwrap().is_empty());

    CredentialBackend::save(&store, account, serde_json::json!({"token": "rotated"}))
        .await
        .unwrap();
    assert_eq!(
        store.account_credentials(account).await.unwrap(),
        Some(serde_json::json!({"token": "rotated"}))
    );

    store.remove_source(source).await.unwrap();
    assert_eq!(by_source.get("key").await.unwrap(), None);
    store.remove_account(account).await.unwrap();
    assert_eq!(by_account.get("key").await.unwrap(), None);
    assert!(by_account.list("").await.unwrap().is_empty());
    assert_eq!(
        network.get("key").await.unwrap(),
        Some(serde_json::json!("network"))
    );
}

/// The change counter moves when a connector's inputs change, never for a poll's bookkeeping
/// (a poll names `url` in its UPDATE on every run), so a daemon does not rebuild for nothing.
#[tokio::test]
async fn the_change_counter_moves_for_real_changes_only() {
    let store = Store::open_in_memory().unwrap();
    let counter = || async { store.change_counter().await.unwrap() };
    let start = counter().await;
    let source = store.add_source(new_source("news")).await.unwrap();
    let added = counter().await;
    assert!(added > start);
    for _ in 0..3 {
        store
            .record_poll_success(source, vec![entry("a", 1)], vec![], PollSuccess::default())
            .await
            .unwrap();
    }
    store
        .record_poll_failure(
            source,
            super::super::PollFailure {
                message: "x".into(),
                next_poll: None,
                disable: None,
                counts_as_failure: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(counter().await, added, "polls are not changes");
    let moved = PollSuccess {
        new_url: Some("https://moved.example/feed.xml".into()),
        ..PollSuccess::default()
    };
    store
        .record_poll_success(source, vec![], vec![], moved)
        .await
        .unwrap();
    let after_move = counter().await;
    assert!(after_move > added, "a moved feed is built anew");
    let account = store.add_account(alice()).await.unwrap();
    let with_account = counter().await;
    assert!(with_account > after_move);
    store
        .record_account_error(account, "refused".into(), true)
        .await
        .unwrap();
    let refused = counter().await;
    assert!(refused > with_account, "needing a login is a change");
    store
        .record_account_error(account, "refused again".into(), true)
        .await
        .unwrap();
    assert_eq!(counter().await, refused, "the same state again is not");
    store.remove_source(source).await.unwrap();
    assert!(counter().await > refused);
}
