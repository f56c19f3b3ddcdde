//! Connectors are built once and kept while their record is unchanged; a change made through
//! another handle on the database (another process: the CLI beside `braid run`) rebuilds them.

use std::sync::Arc;

use braid::store::{NewAccount, NewSource, PollSuccess, Store};

use crate::support::server::{Reply, TestServer};
use crate::support::Harness;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Kept</title>
    <item><guid>k1</guid><title>One</title><link>https://kept.example/1</link></item>
    </channel></rss>"#;

#[tokio::test]
async fn a_source_keeps_its_connector_until_its_record_changes() {
    let server = TestServer::start(|_| Reply::ok("application/rss+xml", FEED)).await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("kept", &server.url("/a.xml")).await;
    let kept = &h.ctx.kept;

    for _ in 0..3 {
        let outcome = h.poll(id).await;
        assert_eq!(outcome.error, None, "{outcome:?}");
    }
    assert_eq!(server.hits("/a.xml").len(), 3);
    assert_eq!(
        (kept.builds(), kept.len()),
        (1, 1),
        "one connector for three polls"
    );

    // Another process records a permanent move: the next poll builds for the new URL.
    let other = Store::open(&h.ctx.config.storage.db).unwrap();
    other
        .record_poll_success(
            id,
            vec![],
            vec![],
            PollSuccess {
                new_url: Some(server.url("/b.xml")),
                ..PollSuccess::default()
            },
        )
        .await
        .unwrap();
    let outcome = h.poll(id).await;
    assert_eq!(outcome.error, None, "{outcome:?}");
    assert_eq!(server.hits("/b.xml").len(), 1);
    assert_eq!(server.hits("/a.xml").len(), 3);
    assert_eq!((kept.builds(), kept.len()), (2, 1));

    // An account-backed source: built once, rebuilt when the account logs in again (a new
    // token) and refused, not kept, once the server refused the token. No network is needed
    // to build one.
    let account = other
        .add_account(NewAccount {
            name: "me@social.example".into(),
            kind: "mastodon".into(),
            identity: "https://social.example/#1".into(),
            handle: Some("me@social.example".into()),
            display_name: None,
            profile_url: None,
            server_url: Some("https://social.example/".into()),
            credentials: serde_json::json!({ "token": "first-token", "server_type": "mastodon" }),
        })
        .await
        .unwrap();
    let home = other
        .add_source(NewSource {
            name: "me home".into(),
            kind: "mastodon".into(),
            url: "https://social.example/@me/timeline/home".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({ "timeline": "home" }),
            account: Some(account),
        })
        .await
        .unwrap();
    let connector = |store: Store| {
        let ctx = h.ctx.clone();
        async move {
            let source = store.source(home).await.unwrap().unwrap();
            ctx.kept.connector(&source, &ctx.connectors, &store).await
        }
    };
    let first = connector(h.store.clone()).await.unwrap();
    let again = connector(h.store.clone()).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(kept.builds(), 3);

    other
        .relogin_account(account, serde_json::json!({ "token": "second-token" }))
        .await
        .unwrap();
    let relogged = connector(h.store.clone()).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &relogged));
    assert_eq!(kept.builds(), 4);

    other
        .record_account_error(account, "the server refused the token".into(), true)
        .await
        .unwrap();
    let refused = connector(h.store.clone()).await.err().unwrap();
    assert!(refused.to_string().contains("log in again"), "{refused}");
    assert_eq!(kept.builds(), 4);

    // Removed sources are let go when the daemon sweeps.
    other.remove_source(id).await.unwrap();
    let live = h.store.source_ids().await.unwrap();
    kept.retain(&live.into_iter().collect());
    assert_eq!(kept.len(), 1);
}

/// A network whose tokens rotate on every use (as Bluesky's refresh tokens do): each poll
/// saves the next token through the handle the core gave the connector, and reads an item
/// named after the token it used. Its own state store counts polls across rebuilds.
struct Rotating;

static ROTATING: Rotating = Rotating;

struct RotatingConnector {
    token: String,
    ctx: braid_core::BuildContext,
}

#[async_trait::async_trait]
impl braid_core::Factory for Rotating {
    fn kind(&self) -> &'static str {
        "rotating-test"
    }
    fn display_name(&self) -> &'static str {
        "Rotating (tests)"
    }
    fn about(&self) -> &'static str {
        "an account whose token changes on every use"
    }
    async fn connector(
        &self,
        ctx: &braid_core::BuildContext,
        _source: &braid_core::SourceView,
        account: Option<&braid_core::AccountView>,
    ) -> Result<Arc<dyn braid_core::Connector>, braid_core::ConnectorError> {
        let token = account
            .and_then(|a| a.credentials["token"].as_str())
            .unwrap_or_default()
            .to_owned();
        Ok(Arc::new(RotatingConnector {
            token,
            ctx: ctx.clone(),
        }))
    }
}

impl braid_core::Connector for RotatingConnector {
    fn kind(&self) -> &'static str {
        "rotating-test"
    }
    fn source(&self) -> Option<&dyn braid_core::Source> {
        Some(self)
    }
}

#[async_trait::async_trait]
impl braid_core::Source for RotatingConnector {
    async fn poll(
        &self,
        _cursor: &braid_core::Cursor,
    ) -> Result<braid_core::Page, braid_core::ConnectorError> {
        let polls = self.ctx.state.get("polls").await?.and_then(|v| v.as_u64());
        let polls = polls.unwrap_or(0) + 1;
        self.ctx.state.put("polls", polls.into()).await?;
        let next: u32 = self.token.trim_start_matches('t').parse().unwrap_or(0) + 1;
        let saver = self
            .ctx
            .credentials
            .as_ref()
            .expect("built with its account");
        saver
            .save(serde_json::json!({ "token": format!("t{next}") }))
            .await?;
        Ok(braid_core::Page {
            items: vec![braid_core::Item {
                remote_id: format!("{}-poll-{polls}", self.token).into(),
                published: Some(chrono::Utc::now()),
                ..braid_core::Item::default()
            }],
            ..braid_core::Page::default()
        })
    }
}

#[tokio::test]
async fn refreshed_credentials_are_saved_through_the_cores_handle() {
    let h = Harness::new(|_| {}).with_factory(&ROTATING);
    let account = h
        .store
        .add_account(NewAccount {
            name: "rotor".into(),
            kind: "rotating-test".into(),
            identity: "rotor".into(),
            credentials: serde_json::json!({ "token": "t1" }),
            ..NewAccount::default()
        })
        .await
        .unwrap();
    let id = h
        .store
        .add_source(NewSource {
            name: "rotor home".into(),
            kind: "rotating-test".into(),
            url: "rotating:rotor".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: Some(account),
        })
        .await
        .unwrap();
    for _ in 0..3 {
        let outcome = h.poll(id).await;
        assert_eq!(outcome.error, None, "{outcome:?}");
    }
    // Each poll used the token the one before saved, and the connector was rebuilt for it;
    // its own state outlived the rebuilds.
    let mut seen: Vec<String> = h
        .items(id)
        .await
        .iter()
        .map(|i| i.item.remote_id.to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, ["t1-poll-1", "t2-poll-2", "t3-poll-3"]);
    assert_eq!(
        h.store.account_credentials(account).await.unwrap(),
        Some(serde_json::json!({ "token": "t4" }))
    );
    assert_eq!(h.ctx.kept.builds(), 3);
    let account = h.store.account(account).await.unwrap().unwrap();
    assert!(account.last_verified.is_some() && !account.needs_login);
}
