//! Hosted listeners, end to end: a small test network (`echo-test`, registered only here) whose
//! connector listens on `/hooks/echo/ID`. `braid run`'s pieces serve it: the web server with
//! the daemon's poll context, and the scheduler loop that notices new sources. Requests reach
//! the listener with their method, full path, query and headers; what it hands back lands in
//! the timeline attributed to its source, deletions included, through the poll's gate
//! (sanitized HTML, tombstones). Bodies over the cap are refused before the connector.
//!
//! A stand-in network of our own is the point here: the contract is what is under test, and
//! ActivityPub (the first real listener) comes with its own peer in a later issue.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use braid_core::connector::{Handled, ListenerRequest, ListenerResponse};
use braid_core::factory::SourceView;
use braid_core::sanitize::clean_html;
use braid_core::{
    AccountView, BuildContext, Connector, ConnectorError, Factory, Item, Listener, Pushed, SourceId,
};

use crate::support::running::Braid;
use crate::support::Harness;

const KIND: &str = "echo-test";

struct EchoFactory;

static ECHO: EchoFactory = EchoFactory;

#[async_trait]
impl Factory for EchoFactory {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn display_name(&self) -> &'static str {
        "Echo (tests)"
    }
    fn about(&self) -> &'static str {
        "a source that receives its items over HTTP"
    }
    fn listens(&self) -> bool {
        true
    }
    async fn connector(
        &self,
        ctx: &BuildContext,
        source: &SourceView,
        _account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        // The connector's own state store is there too: it counts the requests it saw.
        Ok(Arc::new(Echo {
            source: source.id,
            state: ctx.state.clone(),
        }))
    }
}

struct Echo {
    source: SourceId,
    state: braid_core::state::StateStore,
}

impl Connector for Echo {
    fn kind(&self) -> &'static str {
        KIND
    }
    fn listener(&self) -> Option<&dyn Listener> {
        Some(self)
    }
}

#[async_trait]
impl Listener for Echo {
    fn mounts(&self) -> Vec<String> {
        vec![format!("/hooks/echo/{}", self.source)]
    }

    /// POST a JSON body `{"items": [{"id", "html"}], "deleted": [id], "to": SOURCE}`; answers
    /// 202 with what it saw of the request in `x-echo-*` headers. Other methods: 405.
    async fn handle(&self, request: ListenerRequest) -> Handled {
        let seen = self.state.get("requests").await.ok().flatten();
        let count = seen.and_then(|v| v.as_u64()).unwrap_or(0) + 1;
        let _ = self.state.put("requests", count.into()).await;
        let mut response = ListenerResponse::status(202);
        response.headers = vec![
            ("x-echo-method".into(), request.method.clone()),
            ("x-echo-path".into(), request.path.clone()),
            (
                "x-echo-query".into(),
                request.query.clone().unwrap_or_default(),
            ),
            (
                "x-echo-signature".into(),
                request.header("X-Signature").unwrap_or_default().to_owned(),
            ),
            ("x-echo-count".into(), count.to_string()),
        ];
        if request.method != "POST" {
            response.status = 405;
            return Handled {
                response,
                pushed: Vec::new(),
                send: Vec::new(),
            };
        }
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let items = body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|i| Item {
                remote_id: i["id"].as_str().unwrap_or_default().into(),
                content_html: Some(clean_html(i["html"].as_str().unwrap_or_default())),
                published: Some(chrono::Utc::now()),
                ..Item::default()
            })
            .collect();
        let deleted = body["deleted"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d.as_str().map(Into::into))
            .collect();
        let source = body["to"].as_i64().map(SourceId).unwrap_or(self.source);
        Handled {
            response,
            pushed: vec![Pushed {
                source,
                items,
                deleted,
            }],
            send: Vec::new(),
        }
    }
}

/// Braid serving the web with the echo network's listener, as the daemon runs it.
async fn serve(tweak: impl FnOnce(&mut braid::config::Config)) -> Braid {
    let h = Harness::new(tweak).with_factory(&ECHO);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Braid::serve(h, listener)
}

async fn add_echo(h: &Harness, name: &str) -> SourceId {
    h.store
        .add_source(braid::store::NewSource {
            name: name.into(),
            kind: KIND.into(),
            url: format!("echo:{name}"),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap()
}

/// Waits (a few seconds at most) until `path` is mounted: the daemon checks for changes every
/// two seconds.
async fn until_mounted(h: &Harness, path: &str) {
    for _ in 0..100 {
        if h.ctx.listeners.find(path).is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{path} was not mounted within 10 s; mounted: {:?}",
        h.ctx.listeners.prefixes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_receives_requests_and_its_items_join_the_timeline() {
    let served = serve(|_| {}).await;
    let h = &served.h;
    let source = add_echo(h, "echo one").await;
    let path = format!("/hooks/echo/{source}");
    until_mounted(h, &path).await;

    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}{path}/deep/Path%20x?a=1&b=two", served.base))
        .header("X-Signature", "keyId=\"k\",signature=\"s\"")
        .json(&serde_json::json!({"items": [
            {"id": "e1", "html": "<p>first <script>alert(1)</script>push</p>"},
            {"id": "e2", "html": "<p>second push</p>"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    // The full path as received (percent-encoding kept), the raw query, the headers.
    assert_eq!(header("x-echo-path"), format!("{path}/deep/Path%20x"));
    assert_eq!(header("x-echo-query"), "a=1&b=two");
    assert_eq!(header("x-echo-signature"), "keyId=\"k\",signature=\"s\"");
    assert_eq!(header("x-echo-method"), "POST");

    let items = h.items(source).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let first = items
        .iter()
        .find(|i| i.item.remote_id.as_str() == "e1")
        .unwrap();
    assert_eq!(first.source, source, "attributed to the listener's source");
    let html = first.item.content_html.as_ref().unwrap().as_str();
    assert!(!html.contains("script"), "{html}");
    assert_eq!(first.item.content_text.as_deref(), Some("first push"));
    assert_eq!(h.source(source).await.item_count, 2);

    // A deletion arrives the same way and tombstones the item.
    let resp = http
        .post(format!("{}{path}", served.base))
        .json(&serde_json::json!({"deleted": ["e2"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(
        resp.headers()["x-echo-count"],
        "2",
        "the connector kept its count"
    );
    let left: Vec<String> = h
        .items(source)
        .await
        .iter()
        .map(|i| i.item.remote_id.to_string())
        .collect();
    assert_eq!(left, ["e1"]);

    // Any method reaches the listener, which answers as it likes.
    let resp = http
        .put(format!("{}{path}", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["x-echo-method"], "PUT");

    // A path no listener mounted, and one that only starts like a mount, are the core's: private
    // by default, so refused without the owner.
    for other in [
        "/hooks/echo/999999".to_owned(),
        format!("{path}0"),
        "/hooks".to_owned(),
    ] {
        let resp = http
            .post(format!("{}{other}", served.base))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "POST to {other} is the core's answer");
        assert!(resp.headers().get("x-echo-path").is_none(), "{other}");
    }
    // The pages are still the core's: a mount never shadows them.
    let resp = http
        .get(format!("{}/healthz", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_bodies_are_capped_and_pushes_stay_in_their_network() {
    let served = serve(|c| c.web.max_listener_body_bytes = 4096).await;
    let h = &served.h;
    let source = add_echo(h, "echo capped").await;
    let feed = h.add_feed("a feed", "http://127.0.0.1:9/feed.xml").await;
    let path = format!("/hooks/echo/{source}");
    until_mounted(h, &path).await;
    let http = reqwest::Client::new();

    // Over the cap: refused before the connector saw it, with or without a length.
    let big = format!(
        r#"{{"items":[{{"id":"big","html":"{}"}}]}}"#,
        "x".repeat(5000)
    );
    let resp = http
        .post(format!("{}{path}", served.base))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert!(resp.headers().get("x-echo-count").is_none());
    let chunks: Vec<Result<String, std::io::Error>> = big
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(String::from_utf8(c.to_vec()).unwrap()))
        .collect();
    let resp = http
        .post(format!("{}{path}", served.base))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert!(h.items(source).await.is_empty());

    // A listener pushing into another network's source is refused and stores nothing there;
    // the sender is not told it worked.
    let resp = http
        .post(format!("{}{path}", served.base))
        .json(&serde_json::json!({"to": feed.0, "items": [{"id": "x", "html": "intruder"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert!(h.items(feed).await.is_empty());

    // Removing the source unmounts it within seconds.
    h.store.remove_source(source).await.unwrap();
    for _ in 0..100 {
        if h.ctx.listeners.find(&path).is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(h.ctx.listeners.find(&path).is_none(), "still mounted");
}
