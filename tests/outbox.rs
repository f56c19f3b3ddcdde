//! The outbox against the real Mastodon API peer (mastodon-mock): `braid post` to several
//! accounts queues first and delivers each once; a delivery whose outcome is unknown (a
//! process that died holding it, after or before its send) is reconciled, never posted twice;
//! a refused one fails with its reason and can be retried or cancelled; the daemon delivers
//! what a killed `braid post` left; deliveries to one target keep their order; `braid post
//! --channel` publishes into a channel once per key, never more privately than its audience.

use std::time::Duration;

use braid::outbox::{self, Draft};
use braid::store::DeliveryState;
use braid_core::Visibility;

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::Harness;

use crate::support::braid;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn draft(text: &str) -> Draft {
    Draft {
        text: text.into(),
        content_warning: None,
        visibility: Visibility::Public,
        language: None,
        reply_to: None,
    }
}

/// Queues `text` for `account`, as `braid post` does before it prints its first line.
async fn queue_text(h: &Harness, text: &str, account: &braid::store::AccountRecord) -> (i64, bool) {
    outbox::queue(
        &h.ctx,
        outbox::Queued::new(draft(text)),
        std::slice::from_ref(account),
    )
    .await
    .unwrap()
}

/// Statuses of the token's account whose text contains `needle`.
async fn statuses_with(mock: &MastodonMock, token: &str, needle: &str) -> usize {
    let texts = mock.own_statuses(token).await;
    texts.iter().filter(|t| t.contains(needle)).count()
}

/// The mock with alice logged in through the registry (no backfill), in a fresh harness
/// tweaked by `tweak`.
async fn alice(
    tweak: impl FnOnce(&mut braid::config::Config),
) -> Option<(MastodonMock, String, Harness, braid::store::AccountRecord)> {
    let mock = MastodonMock::start().await?;
    let token = mock.user("alice").await;
    let h = Harness::new(tweak);
    let (account, _) = log_in(&h, &mock.base, &token, 0).await;
    Some((mock, token, h, account))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_post_to_two_accounts_is_queued_first_and_delivered_once_each() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let (alice, bob) = (mock.user("alice").await, mock.user("bob").await);
    let h = Harness::new(|_| {});
    log_in(&h, &mock.base, &alice, 0).await;
    log_in(&h, &mock.base, &bob, 0).await;

    let post_both = || {
        tokio::task::block_in_place(|| {
            braid(
                &h,
                &[
                    "post",
                    "hello both",
                    "--to",
                    "alice@127.0.0.1,bob@127.0.0.1",
                    "--key",
                    "k-both",
                ],
            )
        })
    };
    let posted = post_both();
    assert!(posted.status.success(), "{}", text(&posted.stderr));
    let stdout = text(&posted.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some("queued post 1 for alice@127.0.0.1, bob@127.0.0.1"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("Posted as ").count(), 2, "{stdout}");
    assert_eq!(statuses_with(&mock, &alice, "hello both").await, 1);
    assert_eq!(statuses_with(&mock, &bob, "hello both").await, 1);

    // The same command again (a script retrying): nothing new is queued or sent.
    let again = post_both();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("queued before with this key"));
    assert_eq!(statuses_with(&mock, &alice, "hello both").await, 1);
    assert_eq!(statuses_with(&mock, &bob, "hello both").await, 1);

    let listed = tokio::task::block_in_place(|| braid(&h, &["outbox", "--json"]));
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["state"], "done", "{row}");
        assert!(
            row["remote_id"].as_str().unwrap().starts_with("http"),
            "{row}"
        );
        assert!(row.get("key").is_none(), "keys stay out of listings");
    }
}

/// A process that claimed a delivery and died: after the send (the status exists, and the
/// server is not asked by key: the earlier send used another one, as a server that forgot
/// the key) and before it (nothing exists). Both end with exactly one status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_left_in_flight_is_reconciled_not_sent_twice() {
    let Some((mock, token, h, account)) = alice(|c| c.fetch.timeout_secs = 1).await else {
        return;
    };

    for (text, sent) in [("landed before the crash", true), ("never sent", false)] {
        let (post, _) = queue_text(&h, text, &account).await;
        let seen = h.store.deliveries_of_post(post).await.unwrap().remove(0);
        // The dying process: claimed (deadline already past) …
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        assert!(h.store.claim_delivery(seen, past).await.unwrap());
        // … and, in the first case, sent before it died.
        if sent {
            let connector = h.sink(account.id).await;
            connector
                .sink()
                .unwrap()
                .publish(&braid_core::connector::Post::text(text), "another-key")
                .await
                .unwrap();
        }
        let after = outbox::deliver_post(&h.ctx, post).await.unwrap();
        assert_eq!(after[0].state, DeliveryState::Done, "{after:?}");
        assert_eq!(
            after[0].attempts, 2,
            "the restart's claim is the second attempt"
        );
        assert_eq!(statuses_with(&mock, &token, text).await, 1, "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_delivery_fails_with_its_reason_and_can_be_retried_or_cancelled() {
    let Some((_mock, _token, h, _account)) = alice(|_| {}).await else {
        return;
    };
    // An empty status is refused (422): failed at once, with the server's words.
    let posted =
        tokio::task::block_in_place(|| braid(&h, &["post", "", "--to", "alice@127.0.0.1"]));
    assert!(!posted.status.success());
    assert!(
        text(&posted.stderr).contains("Text can't be blank"),
        "{}",
        text(&posted.stderr)
    );
    let listed = tokio::task::block_in_place(|| braid(&h, &["outbox"]));
    let table = text(&listed.stdout);
    assert!(
        table.contains("failed") && table.contains("Text can't be blank"),
        "{table}"
    );

    // The API shows it too, with its reason.
    let web = crate::support::serve_web(&h.store).await;
    let base = web.base.clone();
    let rows: serde_json::Value = web
        .client
        .get(format!("{base}/api/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows[0]["state"], "failed", "{rows}");
    assert!(rows[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("Text can't be blank"));
    let bad = web
        .client
        .get(format!("{base}/api/outbox?limit=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    web.stop();

    let retry = tokio::task::block_in_place(|| braid(&h, &["outbox", "retry", "1"]));
    assert!(retry.status.success(), "{}", text(&retry.stderr));
    assert_eq!(
        h.store.delivery(1).await.unwrap().unwrap().state,
        DeliveryState::Pending
    );
    let cancel = tokio::task::block_in_place(|| braid(&h, &["outbox", "cancel", "1"]));
    assert!(cancel.status.success(), "{}", text(&cancel.stderr));
    assert_eq!(
        h.store.delivery(1).await.unwrap().unwrap().state,
        DeliveryState::Cancelled
    );
    let cancel = tokio::task::block_in_place(|| braid(&h, &["outbox", "cancel", "1"]));
    assert!(!cancel.status.success());
    assert!(
        text(&cancel.stderr).contains("is cancelled"),
        "{}",
        text(&cancel.stderr)
    );
    let missing = tokio::task::block_in_place(|| braid(&h, &["outbox", "retry", "99"]));
    assert!(text(&missing.stderr).contains("no delivery 99"));
}

/// `braid post` killed right after its first line: the daemon finds the queued delivery and
/// sends it, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_delivers_what_a_killed_post_left() {
    let Some((mock, token, h, account)) = alice(|_| {}).await else {
        return;
    };
    let (post, _) = queue_text(&h, "left behind", &account).await;
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let daemon = tokio::spawn(braid::scheduler::run(h.ctx.clone(), async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let mut state = DeliveryState::Pending;
    for _ in 0..100 {
        state = h.store.deliveries_of_post(post).await.unwrap()[0].state;
        if state.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    daemon.await.unwrap();
    assert_eq!(state, DeliveryState::Done);
    assert_eq!(statuses_with(&mock, &token, "left behind").await, 1);
}

/// Deliveries to one target keep their order: while the first waits for a retry, the second
/// is not due; once the first is done, it is.
#[tokio::test]
async fn deliveries_to_one_target_keep_their_order() {
    let h = Harness::new(|_| {});
    let account = h
        .store
        .add_account(braid::store::NewAccount {
            name: "target".into(),
            kind: "mastodon".into(),
            identity: "https://t.example/#1".into(),
            server_url: Some("https://t.example/".into()),
            credentials: serde_json::json!({ "token": "t" }),
            ..Default::default()
        })
        .await
        .unwrap();
    let target = h.store.account(account).await.unwrap().unwrap();
    let mut posts = Vec::new();
    for t in ["first", "second"] {
        posts.push(queue_text(&h, t, &target).await.0);
    }
    let due_posts = || async {
        let due = h.store.due_deliveries(10).await.unwrap();
        due.iter().map(|d| d.post_id).collect::<Vec<i64>>()
    };
    let first = h
        .store
        .deliveries_of_post(posts[0])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(due_posts().await, [posts[0]]);
    h.store
        .delivery_later(
            first.id,
            DeliveryState::Pending,
            chrono::Utc::now() + chrono::Duration::hours(1),
            "503".into(),
        )
        .await
        .unwrap();
    assert!(due_posts().await.is_empty(), "the second waits");
    h.store
        .land_part(
            first.id,
            0,
            true,
            braid::store::Landed {
                remote_id: "https://t.example/1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(due_posts().await, [posts[1]]);
    // A removed account's deliveries stay due, so they are failed with the reason.
    h.store.remove_account(account).await.unwrap();
    let due = h.store.due_deliveries(10).await.unwrap();
    assert_eq!((due.len(), due[0].account), (1, None));
    let after = outbox::deliver(&h.ctx, due[0].clone()).await.unwrap();
    assert_eq!(after.state, DeliveryState::Failed);
    assert!(after.last_error.unwrap().contains("removed"));
}

/// `--at` queues the post for later: nothing is sent before its time, then it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_post_waits_for_its_time() {
    let Some((mock, token, h, _account)) = alice(|_| {}).await else {
        return;
    };
    let posted = tokio::task::block_in_place(|| {
        braid(
            &h,
            &[
                "post",
                "in a moment",
                "--to",
                "alice@127.0.0.1",
                "--at",
                "+2s",
            ],
        )
    });
    assert!(posted.status.success(), "{}", text(&posted.stderr));
    let stdout = text(&posted.stdout);
    assert!(stdout.contains("scheduled in"), "{stdout}");
    assert_eq!(statuses_with(&mock, &token, "in a moment").await, 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = outbox::deliver_post(&h.ctx, 1).await.unwrap();
    assert_eq!(after[0].state, DeliveryState::Done, "{after:?}");
    assert_eq!(statuses_with(&mock, &token, "in a moment").await, 1);
}

/// A target that is down (connection refused), then busy (503 with Retry-After), receives
/// every post once it is back, each once and in the order they were queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_down_for_a_while_gets_everything_in_order() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let h = Harness::new(|c| {
        c.fetch.timeout_secs = 1;
        c.outbox.backoff_base_secs = 1;
        c.outbox.backoff_max_secs = 1;
        c.outbox.max_attempts = 50;
    });
    let (account, _) = log_in(&h, &mock.base, &token, 0).await;
    let db = rusqlite::Connection::open(&h.ctx.config.storage.db).unwrap();
    let point_at = |url: &str| {
        db.execute("UPDATE accounts SET server_url = ?1", [url])
            .unwrap()
    };
    point_at("http://127.0.0.1:9/");
    let texts = ["down one", "down two", "down three"];
    for t in texts {
        queue_text(&h, t, &account).await;
    }
    let busy = outbox::Busy::default();
    outbox::deliver_due(&h.ctx, &busy, 16).await;
    let rows = h.store.list_deliveries(10).await.unwrap();
    assert!(rows.iter().all(|d| !d.state.is_final()), "{rows:?}");
    assert_eq!(
        rows.iter().filter(|d| d.attempts > 0).count(),
        1,
        "only the first is tried while the target is down: {rows:?}"
    );

    // Back, but busy for one more request.
    point_at(&format!("{}/", mock.base));
    mock.fault(serde_json::json!({
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "status", "status": 503, "headers": {"Retry-After": "1"}},
        "count": 1
    }))
    .await;
    for _ in 0..150 {
        outbox::deliver_due(&h.ctx, &busy, 16).await;
        let rows = h.store.list_deliveries(10).await.unwrap();
        if rows.iter().all(|d| d.state.is_final()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = h.store.list_deliveries(10).await.unwrap();
    assert!(
        rows.iter().all(|d| d.state == DeliveryState::Done),
        "{rows:?}"
    );
    for t in texts {
        assert_eq!(statuses_with(&mock, &token, t).await, 1, "{t}");
    }
    // In order: the server's ids grow with creation.
    let mut landed: Vec<(i64, u128)> = rows
        .iter()
        .map(|d| (d.post_id, d.local_id.as_deref().unwrap().parse().unwrap()))
        .collect();
    landed.sort();
    assert!(landed.windows(2).all(|w| w[0].1 < w[1].1), "{landed:?}");
}

/// `braid post --channel`: the post is published in the channel and delivered to the account,
/// each once however often the command runs with its key; a channel refuses a post more
/// private than its audience, with the reason; the owner's posts are no source to list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_into_a_channel_from_the_cli_is_published_once_per_key() {
    let Some((mock, token, h, account)) = alice(|_| {}).await else {
        return;
    };
    let news = h
        .store
        .add_channel(braid::store::NewChannel {
            name: "news".into(),
            title: None,
            description: None,
            audience: "public".into(),
            published: false,
            origin: "cli".into(),
        })
        .await
        .unwrap();
    let args = [
        "post",
        "from the terminal into a channel",
        "--to",
        &account.name,
        "--channel",
        "news",
        "--key",
        "cli-channel-1",
    ];
    let first = tokio::task::block_in_place(|| braid(&h, &args));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(
        out.starts_with(&format!(
            "queued post 1 for {}, channel news\n",
            account.name
        )),
        "{out}"
    );
    assert!(
        out.contains("Published in channel news: http://127.0.0.1:8080/channels/news/feed.atom"),
        "{out}"
    );
    let again = tokio::task::block_in_place(|| braid(&h, &args));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("(queued before with this key)"));
    assert_eq!(
        h.store
            .channel_item_ids(news, 50, false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        statuses_with(&mock, &token, "from the terminal into a channel").await,
        1
    );

    let refused = tokio::task::block_in_place(|| {
        braid(
            &h,
            &[
                "post",
                "only for followers",
                "--channel",
                "news",
                "--visibility",
                "followers",
            ],
        )
    });
    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(
        err.contains("followers-only") && err.contains("\"news\" is public"),
        "{err}"
    );
    assert_eq!(
        h.store
            .channel_item_ids(news, 50, false)
            .await
            .unwrap()
            .len(),
        1
    );
    let sources = tokio::task::block_in_place(|| braid(&h, &["source", "list"]));
    assert!(
        !text(&sources.stdout).contains("Your posts"),
        "{}",
        text(&sources.stdout)
    );
}
