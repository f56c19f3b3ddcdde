//! Braid as an ActivityPub actor, against real Fedify peers (`tests/peers/fedify`, each on its
//! own 127.0.0.x address so their hosts differ): a peer follows a Braid channel and receives
//! what goes into it, with its edits and deletions; Braid follows a peer and sees its posts,
//! edits, deletions and boosts; forged, replayed and spoofed requests are refused and store
//! nothing; a delivery to a peer that is down arrives once it is back, once; a server that takes
//! one signature scheme only gets the other after one refusal, and only it from then on.

use std::time::Duration;

use braid::store::NewChannel;
use serde_json::{json, Value};

use crate::support::fedify::{FedifyPeer, Knock, Options};
use crate::support::running::Braid;

impl Braid {
    /// A published channel named `name`.
    pub async fn channel(&self, name: &str) -> i64 {
        let id = self
            .h
            .store
            .add_channel(NewChannel {
                name: name.into(),
                title: Some(format!("The {name} channel")),
                description: Some("Posts from Braid".into()),
                audience: "public".into(),
                published: true,
                origin: "cli".into(),
            })
            .await
            .expect("add channel");
        // Mounts are rebuilt when records change; a channel is read per request.
        id
    }

    /// Composes `text` into `channels` through the API, as the owner.
    pub async fn compose(&self, text: &str, channels: &[&str]) -> Value {
        let client = crate::support::owner_client(&self.h.store).await;
        let resp = client
            .post(format!("{}/api/posts", self.base))
            .json(&json!({ "text": text, "channels": channels }))
            .send()
            .await
            .expect("compose");
        assert!(resp.status().is_success(), "compose: {}", resp.status());
        resp.json().await.expect("json")
    }
}

async fn get_json(url: &str, accept: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braid_is_discoverable_as_actors() {
    let braid = Braid::start().await;
    braid.channel("blog").await;
    let host = braid.base.trim_start_matches("http://");
    let (status, jrd) = get_json(
        &format!(
            "{}/.well-known/webfinger?resource=acct:blog@{host}",
            braid.base
        ),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 200, "{jrd}");
    assert_eq!(jrd["links"][0]["href"], json!(braid.actor("blog")));
    let (status, owner) = get_json(
        &format!(
            "{}/.well-known/webfinger?resource=acct:owner@{host}",
            braid.base
        ),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(owner["subject"], json!(format!("acct:owner@{host}")));
    // Unknown names and other hosts are not ours.
    let (status, _) = get_json(
        &format!(
            "{}/.well-known/webfinger?resource=acct:nobody@{host}",
            braid.base
        ),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 404);

    let (status, actor) = get_json(&braid.actor("blog"), "application/activity+json").await;
    assert_eq!(status, 200);
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["preferredUsername"], "blog");
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let (status, person) = get_json(
        &braid.actor("owner"),
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(person["type"], "Person");
    // The key is made once: both actors publish it, and it stays after a restart of the
    // connector.
    assert_eq!(
        person["publicKey"]["publicKeyPem"],
        actor["publicKey"]["publicKeyPem"]
    );

    // A browser is sent to the page.
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(braid.actor("blog"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("{}/channels/blog", braid.base)
    );

    let (status, links) = get_json(
        &format!("{}/.well-known/nodeinfo", braid.base),
        "application/json",
    )
    .await;
    assert_eq!(status, 200);
    let (status, info) = get_json(
        links["links"][0]["href"].as_str().unwrap(),
        "application/json",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(info["software"]["name"], "braid");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    let meta = reqwest::get(format!("{}/.well-known/host-meta", braid.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        meta.contains("/.well-known/webfinger?resource={uri}"),
        "{meta}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_peer_follows_a_channel_and_receives_its_posts() {
    let Some(peer) = FedifyPeer::start("127.0.0.2", peer_options("peer", Knock::Rfc9421)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("blog").await;
    let sent = peer.follow(&braid.actor("blog")).await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    // Braid accepts at once: the Accept reaches the peer.
    let accept = peer.wait_received("Accept", |r| r.kind == "Accept").await;
    assert_eq!(accept.actor.as_deref(), Some(braid.actor("blog").as_str()));

    braid
        .compose("Hello, #fediverse! A first post.", &["blog"])
        .await;
    let create = peer.wait_received("Create", |r| r.kind == "Create").await;
    assert_eq!(create.actor.as_deref(), Some(braid.actor("blog").as_str()));
    let raw = create.raw.clone().unwrap_or_default();
    let note = &raw["object"];
    assert_eq!(note["type"], "Note", "{raw}");
    assert!(note["content"].as_str().unwrap().contains("A first post."));
    assert_eq!(note["attributedTo"], json!(braid.actor("blog")));
    // Fedify verified it: the scheme Braid signed with first is draft-cavage, which it takes.
    assert_eq!(
        create.signature.as_ref().and_then(|s| s.scheme.as_deref()),
        Some(Knock::DraftCavage.as_str())
    );
    // Exactly once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let creates = peer
        .received()
        .await
        .into_iter()
        .filter(|r| r.kind == "Create")
        .count();
    assert_eq!(creates, 1);
}

/// A peer's options: its name and the scheme it knocks with first.
fn peer_options(name: &str, first_knock: Knock) -> Options {
    Options {
        name: name.into(),
        first_knock,
        ..Options::default()
    }
}

impl Braid {
    /// `peer` follows the channel `channel`, which accepts at once.
    pub async fn followed_by(&self, peer: &FedifyPeer, channel: &str) {
        let sent = peer.follow(&self.actor(channel)).await;
        assert!(sent.errors.is_empty(), "{sent:?}");
        peer.wait_received("Accept", |r| r.kind == "Accept").await;
    }

    /// Waits (10 s at most) until `peer` lists the owner's actor among its followers.
    pub async fn until_following(&self, peer: &FedifyPeer) {
        let owner = self.actor("owner");
        for _ in 0..100 {
            if peer.followers().await.iter().any(|f| f.id == owner) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} has no follower {owner}; it refused: {:?}",
            peer.actor,
            peer.rejected().await
        );
    }

    /// Follows `target` as `braid follow` does; returns the new source.
    pub async fn follow(&self, target: &str) -> braid_core::SourceId {
        let ctx = braid_core::LoginContext::new(self.h.ctx.connectors.http.clone());
        braid::subscribe::follow(
            &self.h.store,
            &braid::connectors::Registry::builtin(),
            &ctx,
            target,
            braid::subscribe::Placement::default(),
        )
        .await
        .expect("follow")
        .id
    }

    /// Waits (10 s at most) until `check` holds of the source's items.
    pub async fn until_items(
        &self,
        source: braid_core::SourceId,
        what: &str,
        check: impl Fn(&[braid::store::StoredItem]) -> bool,
    ) -> Vec<braid::store::StoredItem> {
        for _ in 0..100 {
            let items = self.h.items(source).await;
            if check(&items) {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let items = self.h.items(source).await;
        panic!(
            "{what}: not within 10 s; items: {:?}",
            items
                .iter()
                .map(|i| (&i.item.remote_id, &i.item.content_text))
                .collect::<Vec<_>>()
        );
    }
}

fn text_of(item: &braid::store::StoredItem) -> String {
    item.item.content_text.clone().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braid_follows_a_fedify_peer_and_sees_its_posts_edits_deletes_and_boosts() {
    let Some(peer) = FedifyPeer::start("127.0.0.3", peer_options("bob", Knock::DraftCavage)).await
    else {
        return;
    };
    let Some(other) = FedifyPeer::start("127.0.0.4", peer_options("carol", Knock::Rfc9421)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    let source = braid.follow(&peer.actor).await;
    // The scheduler's first poll sends the Follow; the peer accepts at once.
    braid.until_following(&peer).await;
    let follow = braid
        .state()
        .get(&format!("following/{}", peer.actor))
        .await
        .unwrap()
        .expect("the follow is recorded");
    for _ in 0..50 {
        let f = braid
            .state()
            .get(&format!("following/{}", peer.actor))
            .await
            .unwrap()
            .unwrap();
        if f["status"] == "accepted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = braid
        .state()
        .get(&format!("following/{}", peer.actor))
        .await
        .unwrap()
        .unwrap()["status"]
        .clone();
    assert_eq!(status, "accepted", "{follow}");

    // A post arrives pushed, sanitized.
    let sent = peer
        .post("Hello from <b>bob</b> <script>alert(1)</script>")
        .await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    let note = sent.id.clone().expect("note id");
    let items = braid
        .until_items(source, "the post", |items| {
            items.iter().any(|i| i.item.remote_id.as_str() == note)
        })
        .await;
    let item = items
        .iter()
        .find(|i| i.item.remote_id.as_str() == note)
        .unwrap();
    let html = item.item.content_html.as_ref().unwrap().as_str();
    assert!(
        html.contains("<b>bob</b>") && !html.contains("script"),
        "{html}"
    );
    let author = item.item.author.as_ref().unwrap();
    // The handle names the peer's port, as its actor URL does.
    let authority = peer.base.trim_start_matches("http://");
    assert_eq!(
        author.handle.as_deref(),
        Some(format!("@bob@{authority}").as_str()),
        "{author:?}"
    );

    // Its edit replaces it.
    let sent = peer.update(&note, "Hello again, edited").await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    braid
        .until_items(source, "the edit", |items| {
            items
                .iter()
                .any(|i| i.item.remote_id.as_str() == note && text_of(i).contains("edited"))
        })
        .await;

    // A boost of another server's post: fetched from that server, shown as a share.
    let carols = other.post("Carol's own words").await;
    let carols_note = carols.id.clone().expect("carol's note");
    let boost = peer.announce(&carols_note).await;
    assert!(boost.errors.is_empty(), "{boost:?}");
    let items = braid
        .until_items(source, "the boost", |items| {
            items
                .iter()
                .any(|i| text_of(i).contains("Carol's own words"))
        })
        .await;
    let share = items
        .iter()
        .find(|i| text_of(i).contains("Carol's own words"))
        .unwrap();
    assert_eq!(share.item.kind, braid_core::ItemKind::Share);

    // Its deletion removes it, for good.
    let sent = peer.delete(&note).await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    braid
        .until_items(source, "the deletion", |items| {
            !items.iter().any(|i| i.item.remote_id.as_str() == note)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_cavage_peer_is_verified_as_draft_cavage() {
    let Some(peer) = FedifyPeer::start("127.0.0.6", peer_options("peer", Knock::DraftCavage)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("news").await;
    braid.followed_by(&peer, "news").await;
    let follower = braid
        .state()
        .get(&format!("follower/news/{}", peer.actor))
        .await
        .unwrap()
        .expect("the follower is recorded");
    assert_eq!(
        follower["verified_with"], "draft-cavage-http-signatures-12",
        "{follower}"
    );
    // Its first knock was taken: no request of it was refused.
    assert!(peer.rejected().await.is_empty());
    // Unfollowing removes it.
    let sent = peer.unfollow(&braid.actor("news")).await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    let gone = braid
        .state()
        .get(&format!("follower/news/{}", peer.actor))
        .await
        .unwrap();
    assert!(gone.is_none(), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braid_knocks_again_with_rfc9421_where_draft_cavage_is_refused_and_remembers_it() {
    // A server that takes RFC 9421 only: a draft-cavage POST gets 401 before Fedify sees it.
    let options = Options {
        accept_signatures: Some(Knock::Rfc9421),
        ..peer_options("peer", Knock::Rfc9421)
    };
    let Some(peer) = FedifyPeer::start("127.0.0.13", options).await else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("blog").await;
    // Braid's Accept is its first POST to this server: draft-cavage first, refused; then RFC
    // 9421, taken.
    braid.followed_by(&peer, "blog").await;
    let posts_of = |requests: &[crate::support::fedify::Request], kind: &str| {
        requests
            .iter()
            .filter(|r| r.method == "POST" && r.kind.as_deref() == Some(kind))
            .map(|r| (r.signature.clone().unwrap_or_default(), r.status))
            .collect::<Vec<_>>()
    };
    let accepts = posts_of(&peer.requests().await, "Accept");
    assert_eq!(accepts.len(), 2, "{accepts:?}");
    assert_eq!(accepts[0].0, Knock::DraftCavage.as_str(), "{accepts:?}");
    assert_eq!(accepts[0].1, 401, "{accepts:?}");
    assert_eq!(accepts[1].0, Knock::Rfc9421.as_str(), "{accepts:?}");
    assert!(accepts[1].1 < 300, "{accepts:?}");

    // The next delivery goes straight to RFC 9421: one POST, taken.
    braid
        .compose("Signed the way this server takes", &["blog"])
        .await;
    let create = peer.wait_received("Create", |r| r.kind == "Create").await;
    assert_eq!(
        create.signature.as_ref().and_then(|s| s.scheme.as_deref()),
        Some(Knock::Rfc9421.as_str())
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let creates = posts_of(&peer.requests().await, "Create");
    assert_eq!(
        creates,
        vec![(Knock::Rfc9421.as_str().to_owned(), 202)],
        "one POST, in the scheme that worked"
    );
    // Kept in the network's state, so a rebuilt connector or a restart does not knock twice.
    let kept = braid
        .state()
        .get(&format!("scheme/{}", peer.base))
        .await
        .unwrap();
    assert_eq!(kept, Some(json!("rfc9421")));
    // The deliveries record no failure: a knock refused and retried at once is not one.
    let deliveries = network_deliveries(&braid).await;
    assert!(
        deliveries
            .iter()
            .all(|d| d.state == braid::store::DeliveryState::Done && d.attempts == 1),
        "{deliveries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_spoofed_and_relayed_activities_are_refused_and_nothing_is_stored() {
    let Some(mallory) =
        FedifyPeer::start("127.0.0.5", peer_options("mallory", Knock::Rfc9421)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    let source = braid.follow(&mallory.actor).await;
    braid.until_following(&mallory).await;
    let inbox = format!("{}/ap/inbox", braid.base);
    let host = mallory.base.clone();
    let note = |n: &str, attributed: &str| {
        json!({
            "id": format!("{host}/notes/{n}"),
            "type": "Note",
            "attributedTo": attributed,
            "content": format!("<p>note {n}</p>"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };
    let create = |n: &str, object: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{host}/activities/{n}"),
            "type": "Create",
            "actor": mallory.actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": object,
        })
    };
    for spec in [Knock::Rfc9421, Knock::DraftCavage] {
        let tag = spec.as_str();
        // The same path taken honestly is stored: the checks below refuse for their reason.
        let honest = create(
            &format!("{tag}-ok"),
            note(&format!("{tag}-ok"), &mallory.actor),
        );
        let r = mallory.send_odd(&inbox, honest, spec, 0, None).await;
        assert_eq!(r["status"], 202, "{tag}: {r}");

        let cases: Vec<(&str, Value, u64, Option<&str>, u16)> = vec![
            (
                "a forged signature",
                create(
                    &format!("{tag}-forged"),
                    note(&format!("{tag}-forged"), &mallory.actor),
                ),
                0,
                Some("signature"),
                401,
            ),
            (
                "a replayed request from two hours ago",
                create(
                    &format!("{tag}-old"),
                    note(&format!("{tag}-old"), &mallory.actor),
                ),
                7200,
                None,
                401,
            ),
            (
                "a body that does not match its digest",
                create(
                    &format!("{tag}-digest"),
                    note(&format!("{tag}-digest"), &mallory.actor),
                ),
                0,
                Some("body"),
                401,
            ),
            (
                "a Create of a note attributed to someone else",
                create(
                    &format!("{tag}-spoof"),
                    note(&format!("{tag}-spoof"), "http://127.0.0.4:1/users/carol"),
                ),
                0,
                None,
                403,
            ),
            (
                "an Update of another server's object",
                json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{host}/activities/{tag}-update"),
                    "type": "Update",
                    "actor": mallory.actor,
                    "object": {
                        "id": "http://127.0.0.4:1/notes/1",
                        "type": "Note",
                        "attributedTo": mallory.actor,
                        "content": "<p>hijacked</p>",
                        "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    },
                }),
                0,
                None,
                403,
            ),
        ];
        for (what, activity, age, tamper, status) in cases {
            let r = mallory.send_odd(&inbox, activity, spec, age, tamper).await;
            assert_eq!(r["status"], status, "{tag}: {what}: {r}");
        }
    }
    // Another server signs, soundly, a Create that claims to be mallory's (what a relay or an
    // inbox forwarder sends): the signer is not the actor, so it is refused.
    let Some(eve) = FedifyPeer::start("127.0.0.14", peer_options("eve", Knock::DraftCavage)).await
    else {
        return;
    };
    for spec in [Knock::Rfc9421, Knock::DraftCavage] {
        let tag = format!("{}-relayed", spec.as_str());
        let r = eve
            .send_odd(
                &inbox,
                create(&tag, note(&tag, &mallory.actor)),
                spec,
                0,
                None,
            )
            .await;
        assert_eq!(r["status"], 401, "{tag}: {r}");
    }
    let items = braid.h.items(source).await;
    let texts: Vec<String> = items.iter().map(text_of).collect();
    assert_eq!(texts.len(), 2, "only the two honest notes: {texts:?}");
    assert!(texts.iter().all(|t| t.contains("-ok")), "{texts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_to_a_peer_that_is_down_arrives_once_it_is_back() {
    let Some(peer) = FedifyPeer::start("127.0.0.7", Options::default()).await else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("blog").await;
    braid.followed_by(&peer, "blog").await;
    let port: u16 = peer.base.rsplit(':').next().unwrap().parse().unwrap();
    peer.stop().await;

    braid
        .compose("Written while the peer was down", &["blog"])
        .await;
    // The delivery fails while the peer is down, and stays open for a retry.
    let mut failed_once = false;
    for _ in 0..100 {
        let all = network_deliveries(&braid).await;
        if all.iter().any(|d| d.attempts > 0 && d.last_error.is_some()) {
            failed_once = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        failed_once,
        "no failed attempt was recorded while the peer was down"
    );

    let Some(back) = FedifyPeer::start_on("127.0.0.7", port, Options::default()).await else {
        return;
    };
    let create = back
        .wait_received("the Create after the peer came back", |r| {
            r.kind == "Create"
        })
        .await;
    let raw = create.raw.clone().unwrap_or_default();
    assert!(raw["object"]["content"]
        .as_str()
        .unwrap()
        .contains("Written while the peer was down"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let creates = back
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method == "POST" && r.kind.as_deref() == Some("Create") && r.status < 300)
        .count();
    assert_eq!(creates, 1, "delivered once");
    let all = network_deliveries(&braid).await;
    let create_delivery = all
        .iter()
        .find(|d| d.target.contains("127.0.0.7") && d.attempts > 1);
    assert!(
        create_delivery.is_some_and(|d| d.state == braid::store::DeliveryState::Done),
        "{all:?}"
    );
}

/// The deliveries to fediverse recipients.
async fn network_deliveries(braid: &Braid) -> Vec<braid::store::DeliveryRecord> {
    braid
        .h
        .store
        .list_deliveries(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.network.as_deref() == Some(braid_activitypub::KIND))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_server_can_neither_follow_nor_be_fetched() {
    let Some(peer) = FedifyPeer::start("127.0.0.8", Options::default()).await else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("blog").await;
    assert!(braid
        .h
        .store
        .block_domain("127.0.0.8".into())
        .await
        .unwrap());
    // The daemon applies it within seconds (it checks the change counter every two).
    for _ in 0..50 {
        if braid.h.ctx.connectors.http.is_blocked("127.0.0.8") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(braid.h.ctx.connectors.http.is_blocked("127.0.0.8"));
    let sent = peer.follow(&braid.actor("blog")).await;
    assert!(
        sent.errors.iter().any(|e| e.contains("403")),
        "the follow should be refused: {sent:?}"
    );
    let followers = braid.state().list("follower/blog/").await.unwrap();
    assert!(followers.is_empty(), "{followers:?}");
    // Nothing is fetched from it either: following it fails, saying why.
    let ctx = braid_core::LoginContext::new(braid.h.ctx.connectors.http.clone());
    let err = braid::subscribe::follow(
        &braid.h.store,
        &braid::connectors::Registry::builtin(),
        &ctx,
        &peer.actor,
        braid::subscribe::Placement::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("blocked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_of_a_channel_that_approves_wait_for_the_owner() {
    let Some(peer) = FedifyPeer::start("127.0.0.9", Options::default()).await else {
        return;
    };
    let braid = Braid::start().await;
    braid.channel("private").await;
    assert!(braid
        .h
        .store
        .set_channel_approve_follows("private".into(), true)
        .await
        .unwrap());
    let (_, actor) = get_json(&braid.actor("private"), "application/activity+json").await;
    assert_eq!(actor["manuallyApprovesFollowers"], true);
    let sent = peer.follow(&braid.actor("private")).await;
    assert!(sent.errors.is_empty(), "{sent:?}");
    // Held: no Accept, listed as waiting, and nothing published to them yet.
    let hosted = braid
        .h
        .ctx
        .hosted
        .get(
            braid_activitypub::KIND,
            &braid.h.ctx.connectors,
            &braid.h.store,
        )
        .await
        .expect("the hosted connector");
    let publisher = hosted.publisher().expect("a publisher");
    let waiting = publisher.followers("private").await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(
        waiting[0].pending && waiting[0].id == peer.actor,
        "{waiting:?}"
    );
    braid.compose("Before the approval", &["private"]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!peer
        .received()
        .await
        .iter()
        .any(|r| r.kind == "Accept" || r.kind == "Create"));

    // The owner accepts (what `braid channel accept` does): the Accept goes out, and the
    // next post reaches them.
    let messages = publisher
        .answer("private", &peer.actor, true)
        .await
        .unwrap();
    braid
        .h
        .store
        .queue_outgoing(
            braid_activitypub::KIND.into(),
            "test-accept".into(),
            messages,
            None,
        )
        .await
        .unwrap();
    peer.wait_received("Accept", |r| r.kind == "Accept").await;
    braid.compose("After the approval", &["private"]).await;
    let create = peer.wait_received("Create", |r| r.kind == "Create").await;
    let raw = create.raw.unwrap_or_default();
    assert!(
        raw["object"]["content"]
            .as_str()
            .unwrap()
            .contains("After the approval"),
        "{raw}"
    );
    assert!(!publisher.followers("private").await.unwrap()[0].pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_follower_receives_an_item_its_edit_and_its_delete() {
    // bob posts on one server; Braid follows him and routes his posts into a channel that
    // alice, on another server, follows: alice sees each post, edit and deletion once.
    let Some(bob) = FedifyPeer::start("127.0.0.10", peer_options("bob", Knock::Rfc9421)).await
    else {
        return;
    };
    let Some(alice) =
        FedifyPeer::start("127.0.0.11", peer_options("alice", Knock::DraftCavage)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    // Something bob wrote before Braid followed him: read from his outbox on the first poll.
    let earlier = bob.post("Written before the follow").await;
    let source = braid.follow(&bob.actor).await;
    braid
        .until_items(source, "the outbox backfill", |items| {
            items
                .iter()
                .any(|i| Some(i.item.remote_id.as_str()) == earlier.id.as_deref())
        })
        .await;
    braid.channel("relay").await;
    let from = braid.h.source(source).await.name;
    braid
        .h
        .store
        .add_route(
            "bob-to-relay".into(),
            json!({ "from": [from], "to": ["relay"] }),
        )
        .await
        .expect("route");
    braid.followed_by(&alice, "relay").await;

    let post = bob.post("Bob's news, relayed").await;
    assert!(post.errors.is_empty(), "{post:?}");
    let create = alice.wait_received("Create", |r| r.kind == "Create").await;
    let raw = create.raw.clone().unwrap_or_default();
    assert!(
        raw["object"]["content"]
            .as_str()
            .unwrap()
            .contains("Bob's news, relayed"),
        "{raw}"
    );
    let object_id = raw["object"]["id"].as_str().unwrap().to_owned();
    assert!(object_id.starts_with(&braid.actor("relay")), "{object_id}");

    let note = post.id.clone().unwrap();
    let edit = bob.update(&note, "Bob's news, corrected").await;
    assert!(edit.errors.is_empty(), "{edit:?}");
    let update = alice.wait_received("Update", |r| r.kind == "Update").await;
    let raw = update.raw.clone().unwrap_or_default();
    assert_eq!(raw["object"]["id"], json!(object_id));
    assert!(
        raw["object"]["content"]
            .as_str()
            .unwrap()
            .contains("corrected"),
        "{raw}"
    );

    let gone = bob.delete(&note).await;
    assert!(gone.errors.is_empty(), "{gone:?}");
    let delete = alice.wait_received("Delete", |r| r.kind == "Delete").await;
    let raw = delete.raw.clone().unwrap_or_default();
    assert_eq!(raw["object"]["id"], json!(object_id));
    assert_eq!(raw["object"]["type"], "Tombstone");

    // Each once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = alice.received().await;
    for kind in ["Create", "Update", "Delete"] {
        assert_eq!(
            received.iter().filter(|r| r.kind == kind).count(),
            1,
            "{kind}: {:?}",
            received.iter().map(|r| &r.kind).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_fetched_again_an_undone_boost_is_removed_and_a_deleted_account_stops() {
    let Some(bob) = FedifyPeer::start("127.0.0.12", peer_options("bob", Knock::Rfc9421)).await
    else {
        return;
    };
    let braid = Braid::start().await;
    let source = braid.follow(&bob.actor).await;
    braid.until_following(&bob).await;
    let first = bob.post("Signed with the first key").await;
    braid
        .until_items(source, "the first post", |items| {
            items
                .iter()
                .any(|i| Some(i.item.remote_id.as_str()) == first.id.as_deref())
        })
        .await;
    // bob's server rotates his key: Braid's cached key no longer verifies, so it fetches the
    // key again, once, and the post is taken.
    bob.rotate_key().await;
    let second = bob.post("Signed with the new key").await;
    assert!(second.errors.is_empty(), "{second:?}");
    braid
        .until_items(source, "the post signed with the new key", |items| {
            items
                .iter()
                .any(|i| Some(i.item.remote_id.as_str()) == second.id.as_deref())
        })
        .await;

    // A boost, then its Undo: the share is gone.
    let boost = bob.announce(first.id.as_deref().unwrap()).await;
    assert!(boost.errors.is_empty(), "{boost:?}");
    let announce = boost.activity.clone().expect("the Announce's id");
    braid
        .until_items(source, "the boost", |items| {
            items.iter().any(|i| i.item.remote_id.as_str() == announce)
        })
        .await;
    let undo = bob
        .send(
            &format!("{}/ap/inbox", braid.base),
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{announce}/undo"),
                "type": "Undo",
                "actor": bob.actor,
                "object": { "id": announce, "type": "Announce", "actor": bob.actor },
            }),
        )
        .await;
    assert_eq!(undo["status"], 202, "{undo}");
    braid
        .until_items(source, "the undone boost", |items| {
            !items.iter().any(|i| i.item.remote_id.as_str() == announce)
        })
        .await;

    // The account deletes itself: its source stops at the next poll, saying why.
    let deleted = bob
        .send(
            &format!("{}/ap/inbox", braid.base),
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#delete", bob.actor),
                "type": "Delete",
                "actor": bob.actor,
                "object": bob.actor,
            }),
        )
        .await;
    assert_eq!(deleted["status"], 202, "{deleted}");
    let outcome = braid.h.poll(source).await;
    let reason = format!("{} deleted its account", bob.actor);
    assert!(
        outcome
            .disabled
            .as_deref()
            .is_some_and(|d| d.contains(&reason)),
        "{outcome:?}"
    );
    let record = braid.h.source(source).await;
    assert!(
        record
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains(&reason)),
        "{record:?}"
    );
    // Removed, its follow is forgotten without an Undo: there is no one left to tell.
    braid.h.store.remove_source(source).await.unwrap();
    let following = format!("following/{}", bob.actor);
    for _ in 0..100 {
        if braid.state().get(&following).await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(braid.state().get(&following).await.unwrap().is_none());
    let undos: Vec<_> = bob
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method == "POST" && r.kind.as_deref() == Some("Undo"))
        .collect();
    assert!(undos.is_empty(), "{undos:?}");
}
