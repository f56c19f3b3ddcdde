//! The fediverse in the owner's pages: following someone from the add-source page, and a
//! published channel's followers on its edit page (hold follow requests for approval, accept a
//! waiting one). A real server with the daemon's scheduler and hosted listeners, a browser
//! session (cookie, the form's CSRF field, our Origin); each test asserts what the page says
//! and what the store (or the actor document) holds afterwards.

use braid::store::NewChannel;
use braid_activitypub::followers::{FollowState, Follower, Followers};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, ORIGIN};
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::support;
use crate::support::fedify::{FedifyPeer, Options};
use crate::support::running::Braid;

/// The owner in a browser, against Braid serving the web and running its scheduler, with
/// `web.base_url` set to where it listens (or not set at all).
struct Ui {
    braid: Braid,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl Ui {
    async fn start(with_base_url: bool) -> Ui {
        let braid = Braid::start_with(with_base_url, |_| {}).await;
        let (cookie, csrf) = support::owner_session(&braid.h.store).await;
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Ui {
            braid,
            http,
            cookie,
            csrf,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.braid.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// POSTs a form as the page would, with the CSRF field when `csrf`: status, `Location`,
    /// body.
    async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> (StatusCode, String, String) {
        let mut form = Vec::new();
        if csrf {
            form.push(("csrf", self.csrf.as_str()));
        }
        form.extend_from_slice(fields);
        let resp = self
            .http
            .post(format!("{}{path}", self.braid.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.braid.base)
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (resp.status(), location, resp.text().await.unwrap())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        self.post_with(path, fields, true).await
    }

    /// A published channel named `name`.
    async fn channel(&self, name: &str) {
        self.braid
            .h
            .store
            .add_channel(NewChannel {
                name: name.into(),
                title: None,
                description: None,
                audience: "public".into(),
                published: true,
                origin: "cli".into(),
            })
            .await
            .unwrap();
    }

    /// The network's followers, as its connector keeps them.
    fn followers(&self) -> Followers {
        Followers::new(self.braid.state())
    }

    /// The actor document of `name`, as a fediverse server asks for it.
    async fn actor(&self, name: &str) -> serde_json::Value {
        self.http
            .get(self.braid.actor(name))
            .header(ACCEPT, "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_form_needs_a_base_url_and_says_why_a_handle_is_refused() {
    let ui = Ui::start(false).await;
    let (status, page) = ui.get("/sources/add").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Follow someone on the fediverse"), "{page}");
    assert!(page.contains("needs <code>web.base_url</code>"), "{page}");
    assert!(!page.contains(r#"action="/sources/follow""#), "{page}");
    let (status, _, page) = ui
        .post("/sources/follow", &[("target", "@someone@example.social")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The page comes back saying what is missing.
    assert!(page.contains("needs <code>web.base_url</code>"), "{page}");
    assert!(ui.braid.h.store.list_sources().await.unwrap().is_empty());

    let ui = Ui::start(true).await;
    let (_, page) = ui.get("/sources/add").await;
    assert!(page.contains(r#"action="/sources/follow""#), "{page}");
    let (status, _, page) = ui
        .post("/sources/follow", &[("target", "not a handle")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("is neither a handle (@user@host) nor a profile"),
        "{page}"
    );
    // The typed value comes back in the form.
    assert!(page.contains(r#"value="not a handle""#), "{page}");
    // Without the CSRF token the front door refuses the form before anything is looked up.
    let (status, _, _) = ui
        .post_with("/sources/follow", &[("target", "not a handle")], false)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(ui.braid.h.store.list_sources().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_holds_follow_requests_and_the_owner_accepts_one() {
    let ui = Ui::start(true).await;
    ui.channel("blog").await;
    let host = ui.braid.base.trim_start_matches("http://");
    let (status, page) = ui.get("/channels/blog/edit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("@blog@{host}")), "{page}");
    assert!(
        page.contains("Hold follow requests for my approval"),
        "{page}"
    );
    assert!(page.contains("No followers yet."), "{page}");
    assert_eq!(ui.actor("blog").await["manuallyApprovesFollowers"], false);

    // Without the CSRF token nothing changes.
    let (status, _, _) = ui
        .post_with("/channels/blog/follows", &[("approve", "on")], false)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ui.actor("blog").await["manuallyApprovesFollowers"], false);

    let (status, location, _) = ui
        .post("/channels/blog/follows", &[("approve", "on")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/channels/blog/edit?done=follows-held");
    assert_eq!(ui.actor("blog").await["manuallyApprovesFollowers"], true);
    let (_, page) = ui.get(&location).await;
    assert!(page.contains("now wait for your approval"), "{page}");
    assert!(
        page.contains(r#"name="approve" value="on" checked"#),
        "{page}"
    );

    // Someone asked to follow; the page lists them as waiting, with the answers.
    let actor = "https://remote.example/users/alice";
    ui.followers()
        .put(
            "blog",
            &Follower {
                actor: actor.into(),
                inbox: "http://127.0.0.1:9/users/alice/inbox".into(),
                shared_inbox: None,
                state: FollowState::Pending,
                follow: serde_json::json!({
                    "id": "https://remote.example/follows/1",
                    "type": "Follow",
                    "actor": actor,
                    "object": format!("{}/ap/actors/blog", ui.braid.base),
                }),
                since: chrono::Utc::now(),
                verified_with: None,
            },
        )
        .await
        .unwrap();
    let (_, page) = ui.get("/channels/blog/edit").await;
    assert!(page.contains(actor), "{page}");
    assert!(page.contains("waiting for your approval"), "{page}");
    assert!(page.contains(r#"value="accept">Accept"#), "{page}");
    assert!(page.contains(r#"value="refuse">Refuse"#), "{page}");

    // Without the token the answer is refused and nothing is queued.
    let answer = [("follower", actor), ("answer", "accept")];
    let (status, _, _) = ui.post_with("/channels/blog/answer", &answer, false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(ui
        .braid
        .h
        .store
        .list_deliveries(50)
        .await
        .unwrap()
        .is_empty());

    let (status, location, _) = ui.post("/channels/blog/answer", &answer).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/channels/blog/edit?done=accepted");
    let (_, page) = ui.get(&location).await;
    assert!(page.contains("Accepted: they follow the channel"), "{page}");
    assert!(!page.contains("waiting for your approval"), "{page}");
    assert!(page.contains("follows, since"), "{page}");
    assert!(!page.contains(r#"value="accept">Accept"#), "{page}");
    // The Accept is queued for them.
    let deliveries = ui.braid.h.store.list_deliveries(50).await.unwrap();
    assert!(
        deliveries
            .iter()
            .any(|d| d.network.as_deref() == Some(braid_activitypub::KIND)),
        "{deliveries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_followed_actor_in_the_page_sends_the_undo_of_the_follow() {
    let options = Options {
        name: "bob".into(),
        ..Options::default()
    };
    let Some(peer) = FedifyPeer::start("127.0.0.3", options).await else {
        return;
    };
    let ui = Ui::start(true).await;
    let source = ui.braid.follow(&peer.actor).await;
    ui.braid.until_following(&peer).await;
    let owner = ui.braid.actor("owner");
    let following = format!("following/{}", peer.actor);

    // The owner removes the source on its page; the daemon (not the page) sends the Undo.
    let (status, location, _) = ui
        .post(
            &format!("/sources/{}/remove", source.0),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/sources"), "{location}");
    let undo = peer
        .wait_received("the Undo of Braid's follow", |r| r.kind == "Undo")
        .await;
    assert_eq!(undo.actor.as_deref(), Some(owner.as_str()), "{undo:?}");
    // Sent, the follow is forgotten, so it is not sent again.
    for _ in 0..50 {
        if ui.braid.state().get(&following).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("Braid still keeps its follow of {}", peer.actor);
}
