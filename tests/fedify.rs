//! The Fedify test peer on its own, before Braid talks to it: two real Fedify actors on
//! 127.0.0.2 and 127.0.0.3 follow, post, edit and delete between themselves, each delivery
//! signed with the sender's first-knock HTTP Signatures scheme; and the actor document a
//! client fetches with `Accept: application/activity+json` (ActivityPub §3.2).

use crate::support::fedify::{FedifyPeer, Knock, Options, Received};

/// Peer A (RFC 9421 first) on 127.0.0.2 following peer B (draft-cavage first) on 127.0.0.3.
async fn pair() -> Option<(FedifyPeer, FedifyPeer)> {
    let a = FedifyPeer::start(
        "127.0.0.2",
        Options {
            name: "alice".into(),
            first_knock: Knock::Rfc9421,
            ..Options::default()
        },
    )
    .await?;
    let b = FedifyPeer::start(
        "127.0.0.3",
        Options {
            name: "bob".into(),
            first_knock: Knock::DraftCavage,
            ..Options::default()
        },
    )
    .await?;
    Some((a, b))
}

fn scheme(r: &Received) -> Option<&str> {
    r.signature.as_ref().and_then(|s| s.scheme.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_peers_follow_post_update_delete() {
    let Some((a, b)) = pair().await else { return };

    // A follows B by actor URL; B accepts at once and records A as its follower.
    let follow = a.follow(b.actor_url()).await;
    assert_eq!(follow.errors, Vec::<String>::new());
    let follow_id = follow.activity.expect("follow id");
    let accept = a.wait_received("B's Accept", |r| r.kind == "Accept").await;
    assert_eq!(accept.actor.as_deref(), Some(b.actor_url()));
    let answered = accept.object.as_ref().and_then(|o| o.id.clone());
    assert_eq!(answered.as_deref(), Some(follow_id.as_str()));
    let following = a.following().await;
    assert_eq!(following.len(), 1, "{following:?}");
    assert_eq!(following[0].state, "accepted");
    let followers = b.followers().await;
    assert_eq!(followers.len(), 1, "{followers:?}");
    assert_eq!(followers[0].id, a.actor_url());
    let b_follow = b.wait_received("A's Follow", |r| r.kind == "Follow").await;
    assert_eq!(scheme(&b_follow), Some(Knock::Rfc9421.as_str()));

    // B posts: A gets the Create with B's words, at its shared inbox.
    let post = b.post("<p>Hello from bob, the Fedify peer</p>").await;
    assert_eq!(post.errors, Vec::<String>::new());
    let note_id = post.id.expect("note id");
    let create = a
        .wait_received("B's Create", |r| {
            r.kind == "Create" && r.object.as_ref().and_then(|o| o.id.as_deref()) == Some(&note_id)
        })
        .await;
    let note = create.object.clone().unwrap();
    assert_eq!(note.kind.as_deref(), Some("Note"));
    assert_eq!(
        note.content.as_deref(),
        Some("<p>Hello from bob, the Fedify peer</p>")
    );
    assert_eq!(create.actor.as_deref(), Some(b.actor_url()));
    assert_eq!(
        create.inbox.as_deref(),
        Some("/inbox"),
        "A has a shared inbox"
    );
    assert_eq!(create.jsonld["object"]["content"], note.content.unwrap());

    // B edits, then deletes: A gets the Update with the new words and a Delete of a Tombstone.
    let update = b.update(&note_id, "<p>Edited by bob</p>").await;
    assert_eq!(update.errors, Vec::<String>::new());
    let updated = a.wait_received("B's Update", |r| r.kind == "Update").await;
    let object = updated.object.clone().unwrap();
    assert_eq!(object.id.as_deref(), Some(note_id.as_str()));
    assert_eq!(object.content.as_deref(), Some("<p>Edited by bob</p>"));
    let delete = b.delete(&note_id).await;
    assert_eq!(delete.errors, Vec::<String>::new());
    let deleted = a.wait_received("B's Delete", |r| r.kind == "Delete").await;
    let object = deleted.object.clone().unwrap();
    assert_eq!(object.id.as_deref(), Some(note_id.as_str()));
    assert_eq!(object.kind.as_deref(), Some("Tombstone"));

    // Every delivery from B came signed with B's first knock, draft-cavage: `Signature` naming
    // (request-target) and a `Digest`, no `Signature-Input`.
    let from_b: Vec<_> = a.received().await;
    assert_eq!(
        from_b.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        ["Accept", "Create", "Update", "Delete"]
    );
    for r in &from_b {
        let sig = r.signature.as_ref().expect("signature recorded");
        assert_eq!(
            sig.scheme.as_deref(),
            Some(Knock::DraftCavage.as_str()),
            "{r:?}"
        );
        assert!(
            sig.headers["signature"].contains("(request-target)"),
            "{sig:?}"
        );
        assert!(sig.headers["digest"].starts_with("SHA-256="), "{sig:?}");
        assert!(!sig.headers.contains_key("signature-input"), "{sig:?}");
    }
    assert!(a.rejected().await.is_empty());

    // A's deliveries to B carried RFC 9421: `Signature-Input` over the method, target URI and
    // content digest.
    let b_follow_sig = b_follow.signature.unwrap();
    let input = &b_follow_sig.headers["signature-input"];
    assert!(input.contains("\"@method\""), "{input}");
    assert!(input.contains("\"content-digest\""), "{input}");
    assert!(b_follow_sig.headers["content-digest"].starts_with("sha-256=:"));

    // A unfollows: B forgets its follower.
    let undo = a.unfollow(b.actor_url()).await;
    assert_eq!(undo.errors, Vec::<String>::new());
    b.wait_received("A's Undo", |r| r.kind == "Undo").await;
    assert!(b.followers().await.is_empty());
}

#[tokio::test]
async fn fedify_peer_serves_its_actor_and_outbox_as_activity_json() {
    let small_pages = Options {
        page_size: 2,
        ..Options::default()
    };
    let Some(peer) = FedifyPeer::start("127.0.0.2", small_pages).await else {
        return;
    };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = client
        .get(peer.actor_url())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("application/activity+json"), "{kind}");
    let actor: serde_json::Value = response.json().await.unwrap();
    assert_eq!(actor["id"], peer.actor_url());
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["inbox"], peer.inbox);
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        format!("{}/inbox", peer.base)
    );
    let key = &actor["publicKey"];
    assert_eq!(key["owner"], peer.actor_url());
    assert_eq!(key["id"], format!("{}#main-key", peer.actor_url()));
    let pem = key["publicKeyPem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    // FEP-521a: the RSA key and the Ed25519 key as Multikeys (Ed25519 multibase starts z6Mk).
    let methods = actor["assertionMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 2, "{methods:?}");
    assert!(methods.iter().any(|m| m["publicKeyMultibase"]
        .as_str()
        .is_some_and(|k| k.starts_with("z6Mk"))));

    // A browser's Accept gets 406, not the JSON: Fedify serves the actor by content negotiation.
    let html = client
        .get(peer.actor_url())
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 406);

    // The outbox: an OrderedCollection whose pages hold the Creates, newest first.
    for n in 1..=3 {
        assert_eq!(
            peer.post(&format!("<p>post {n}</p>")).await.errors,
            Vec::<String>::new()
        );
    }
    let get = |url: String| {
        let client = client.clone();
        async move {
            let response = client
                .get(url)
                .header("Accept", "application/activity+json")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let outbox = get(actor["outbox"].as_str().unwrap().to_owned()).await;
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 3);
    let (mut contents, mut pages) = (Vec::new(), 0);
    let mut page = outbox["first"].as_str().map(str::to_owned);
    while let Some(url) = page {
        let body = get(url).await;
        assert_eq!(body["type"], "OrderedCollectionPage");
        pages += 1;
        for item in body["orderedItems"].as_array().unwrap() {
            assert_eq!(item["type"], "Create");
            contents.push(item["object"]["content"].as_str().unwrap().to_owned());
        }
        page = body["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        contents,
        ["<p>post 3</p>", "<p>post 2</p>", "<p>post 1</p>"]
    );
    assert_eq!(pages, 2, "two to a page");
}

/// Fedify's double knock (the "how to upgrade" section of the SWICG ActivityPub HTTP Signature
/// report): a sender knocking first with RFC 9421 at an inbox that verifies draft-cavage only
/// gets a 401, signs again with draft-cavage, and remembers that for the origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_peer_double_knocks_and_remembers_the_scheme() {
    let Some(a) = FedifyPeer::start("127.0.0.2", Options::default()).await else {
        return;
    };
    let cavage_only = Options {
        name: "carol".into(),
        accept_signatures: Some(Knock::DraftCavage),
        ..Options::default()
    };
    let Some(c) = FedifyPeer::start("127.0.0.3", cavage_only).await else {
        return;
    };

    let follow = a.follow(c.actor_url()).await;
    assert_eq!(follow.errors, Vec::<String>::new());
    let knocks = c.rejected().await;
    assert_eq!(knocks.len(), 1, "{knocks:?}");
    assert_eq!(knocks[0].status, 401);
    assert_eq!(knocks[0].signature.scheme.as_deref(), Some("rfc9421"));
    let got = c.wait_received("A's Follow", |r| r.kind == "Follow").await;
    assert_eq!(scheme(&got), Some(Knock::DraftCavage.as_str()));
    assert_eq!(a.following().await[0].state, "accepted");

    // The second delivery to that origin goes straight to draft-cavage: no new 401.
    let undo = a.unfollow(c.actor_url()).await;
    assert_eq!(undo.errors, Vec::<String>::new());
    let got = c.wait_received("A's Undo", |r| r.kind == "Undo").await;
    assert_eq!(scheme(&got), Some(Knock::DraftCavage.as_str()));
    assert_eq!(c.rejected().await.len(), 1, "the scheme was remembered");

    // A raw activity, signed as given, knocks the same way (the peer's own double knock).
    let like = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/1", a.actor_url()),
        "type": "Like",
        "actor": a.actor_url(),
        "object": c.actor_url(),
    });
    let sent = a.send(&c.inbox, like.clone()).await;
    assert_eq!(sent["status"], 202, "{sent}");
    let specs: Vec<_> = sent["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["spec"].clone())
        .collect();
    assert_eq!(
        specs,
        ["rfc9421", "draft-cavage-http-signatures-12"],
        "{sent}"
    );
    let liked = c.wait_received("A's Like", |r| r.kind == "Like").await;
    assert_eq!(liked.object.unwrap().id.as_deref(), Some(c.actor_url()));

    // Sent again, it is accepted (202) but not passed on: Fedify's per-inbox idempotence.
    let again = a.send(&c.inbox, like.clone()).await;
    assert_eq!(again["status"], 202, "{again}");
    let like_id = like["id"].as_str().unwrap();
    let accepted = c
        .requests()
        .await
        .into_iter()
        .filter(|r| r.activity.as_deref() == Some(like_id) && r.status == 202)
        .count();
    assert_eq!(accepted, 2);
    let likes = c.received().await.into_iter().filter(|r| r.kind == "Like");
    assert_eq!(likes.count(), 1);

    // An unsigned delivery is refused by Fedify itself, and shows in rejected().
    let unsigned = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = unsigned
        .post(&a.inbox)
        .header("Content-Type", "application/activity+json")
        .body(
            serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": "http://127.0.0.9/likes/1",
                "type": "Like",
                "actor": "http://127.0.0.9/users/nobody",
                "object": a.actor_url(),
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let refused = a.rejected().await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].signature.scheme, None);
}
