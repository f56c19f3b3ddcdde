//! A database written by an earlier Braid keeps working: `tests/fixtures/schema-v4.db` was
//! written by schema V4's code through the store API, the same calls the CLI makes (a feed with
//! an ETag cursor and two items; a Mastodon-family account with its token and OAuth app, and its
//! home timeline as a source with one item; a second, publish-only account). Opening it with
//! this build migrates it; everything in it must survive and polling must go on from the
//! stored cursor. Only the feed's address is pointed at this test's server first.

use crate::support::server::{Reply, TestServer};
use crate::support::Harness;

const FIXTURE: &[u8] = include_bytes!("fixtures/schema-v4.db");

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Fixture</title>
    <item><guid>f3</guid><title>Upgrade delta</title><link>https://example.org/f3</link></item>
    </channel></rss>"#;

#[tokio::test]
async fn a_schema_v4_database_keeps_its_accounts_sources_and_items() {
    let server = TestServer::start(|_| Reply::ok("application/rss+xml", FEED)).await;
    let feed_url = server.url("/feed.xml");
    let h = Harness::from_database(FIXTURE, |db| {
        db.execute(
            "UPDATE sources SET url = ?1 WHERE name = 'fixture feed'",
            [&feed_url],
        )
        .map(|_| ())
    });

    let accounts = h.store.list_accounts().await.unwrap();
    let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["me@social.fixture.test", "poster"]);
    let me = &accounts[0];
    assert_eq!(me.kind, "mastodon");
    assert_eq!(me.display_name.as_deref(), Some("Fixture Me"));
    assert_eq!(me.handle.as_deref(), Some("me@social.fixture.test"));
    assert_eq!(
        me.server_url.as_deref(),
        Some("https://social.fixture.test/")
    );
    assert_eq!(me.identity, "https://social.fixture.test/#9001");
    // The credentials moved into one value, as the Mastodon connector reads it.
    assert_eq!(
        h.store.account_credentials(me.id).await.unwrap(),
        Some(serde_json::json!({
            "token": "fixture-token-home",
            "server_type": "pleroma",
            "client_id": "fixture-client-id",
            "client_secret": "fixture-client-secret",
        }))
    );
    let poster = braid_mastodon::Credentials::from_value(
        &h.store
            .account_credentials(accounts[1].id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(poster.token, "fixture-token-poster");
    assert_eq!(poster.client_secret, None);

    let sources = h.store.list_sources().await.unwrap();
    assert_eq!(sources.len(), 2);
    let home = sources.iter().find(|s| s.kind == "mastodon").unwrap();
    assert_eq!(home.account, Some(me.id));
    // The link moved out of the settings into its own column.
    assert_eq!(
        home.settings,
        serde_json::json!({ "timeline": "home", "backfill": 40 })
    );
    assert_eq!(home.cursor.as_deref(), Some("9100"));
    // Its connector builds from the stored account and token (no network needed to build).
    let built = h
        .ctx
        .kept
        .connector(home, &h.ctx.connectors, &h.store)
        .await;
    assert!(built.is_ok(), "{:?}", built.err());
    // And the publish-only account's sink, as `braid post` gets it from the registry.
    let sink = braid::connectors::sink(&accounts[1], &h.ctx.connectors, &h.store).await;
    assert!(
        sink.is_ok_and(|c| c.sink().is_some()),
        "the migrated token must build a sink"
    );

    let found = h
        .store
        .timeline(braid::store::TimelineQuery {
            search: Some("upgrade".into()),
            limit: 10,
            ..braid::store::TimelineQuery::default()
        })
        .await
        .unwrap();
    let titles: Vec<&str> = found
        .items
        .iter()
        .filter_map(|i| i.item.title.as_deref())
        .collect();
    assert_eq!(titles, ["Upgrade gamma", "Upgrade beta", "Upgrade alpha"]);

    // Polling goes on from the stored ETag.
    let feed = sources.iter().find(|s| s.kind == "feed").unwrap();
    let outcome = h.poll(feed.id).await;
    assert_eq!(outcome.error, None, "{outcome:?}");
    assert_eq!(outcome.stats.new, 1);
    let sent = server.hits("/feed.xml");
    assert_eq!(
        sent[0].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );

    // Removing an account removes the sources that read through it, and nothing else; the
    // change counter (added by V6) tells a running daemon.
    let counter = h.store.change_counter().await.unwrap();
    h.store.remove_account(me.id).await.unwrap();
    assert!(h.store.change_counter().await.unwrap() > counter);
    let left = h.store.list_sources().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, "feed");
    assert_eq!(h.items(feed.id).await.len(), 3);
}
