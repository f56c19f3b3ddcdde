//! ActivityPub figures (issue 10): Braid's channels fanning out to followers' inboxes, and
//! Braid's inbox verifying what arrives.
//!
//! One local HTTP server on 127.0.0.1 (its own thread and runtime) plays every remote server:
//! `h0.bench.test` … `h99.bench.test` and `sender.bench.test` are all answered with its address
//! through `HttpConfig::resolve_overrides` (treated as public, so private addresses stay
//! refused). It answers every POST 202, counts them per host and path, checks each carries a
//! `Signature`, and serves the sender's actor document.
//!
//! 1. **Fan-out**: a published channel with 1,000 followers on 100 hosts (10 a host), written
//!    straight into the network's state. `BRAID_BENCH_AP_POSTS` posts (default 10) composed
//!    into the channel as the web's compose does (`outbox::queue_to`), then the publish pass
//!    (`publish::run`) and the outbox drained with `outbox::deliver_due` at the daemon's batch
//!    (16; `BRAID_BENCH_AP_BATCH`) until nothing is due. Twice: (a) no shared inboxes, 1,000
//!    deliveries a post; (b) one shared inbox a host, 100 a post. Then single posts on an idle
//!    queue (queue to all delivered), and the daemon itself (`scheduler::run`): one post to 1,000
//!    inboxes, compose to the last delivery, ticks and all.
//! 2. **Inbox**: (a) the pure cost of `signature::parse` + `ParsedSignature::verify` (both
//!    schemes, RSA-2048 as Mastodon's keys, RSA-4096 as Fedify's), and of signing; (b) signed
//!    `Create`s from an actor Braid does not follow (verified, then dropped) and `Follow`s of
//!    the channel, posted to Braid's running web server (`/ap/inbox`) by 1 and by 16
//!    concurrent senders, pre-signed (draft-cavage, as Mastodon sends) so the senders' RSA
//!    does not compete with Braid's verifying. Braid fetches the sender's key once.
//!
//! `cargo bench --bench activitypub`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use braid_activitypub::followers::{FollowState, Follower, Followers};
use braid_activitypub::signature::{
    self as sig, IncomingRequest, KeyPair, OutgoingRequest, PublicKey, Scheme, VerifyOptions,
};
use braid_core::state::{Scope, ScopeOwner, StateStore};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

const CHANNEL: &str = "bench";
const HOSTS: usize = 100;
const PER_HOST: usize = 10;
const LD_JSON: &str = braid_activitypub::documents::LD_JSON;

fn main() {
    let posts = common::env_usize("BRAID_BENCH_AP_POSTS", 10);
    let batch = common::env_usize("BRAID_BENCH_AP_BATCH", 16);
    let per_run = common::env_usize("BRAID_BENCH_AP_INBOX", 400);
    let server = Remote::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        println!(
            "activitypub benchmark ({} cores; remote servers: one HTTP server at {})",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            server.addr
        );
        signatures();
        let braid = Braid::start(&server).await;
        fan_out(&braid, &server, posts, batch).await;
        inbox(&braid, &server, per_run).await;
    });
}

// ---- the remote servers -------------------------------------------------------------------

/// What the remote servers saw.
#[derive(Default)]
struct Seen {
    /// POSTs per `host/path`.
    posts: Mutex<HashMap<String, u64>>,
    total: AtomicU64,
    unsigned: AtomicU64,
    /// GETs of the sender's actor document (Braid fetching its key).
    actor_fetches: AtomicU64,
    /// Documents served on GET, by path.
    documents: Mutex<HashMap<String, String>>,
}

struct Remote {
    addr: SocketAddr,
    seen: Arc<Seen>,
}

impl Remote {
    /// The server on a thread of its own with a one-thread runtime.
    fn start() -> Remote {
        let seen = Arc::new(Seen::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let state = seen.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let state = state.clone();
                            async move { Ok::<_, Infallible>(answer(&state, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Remote {
            addr: rx.recv().unwrap(),
            seen,
        }
    }

    fn reset(&self) {
        self.seen.posts.lock().unwrap().clear();
        self.seen.total.store(0, Ordering::SeqCst);
        self.seen.unsigned.store(0, Ordering::SeqCst);
    }

    fn total(&self) -> u64 {
        self.seen.total.load(Ordering::SeqCst)
    }

    /// How many addresses received POSTs, and the fewest and most any received.
    fn spread(&self) -> (usize, u64, u64) {
        let posts = self.seen.posts.lock().unwrap();
        let min = posts.values().copied().min().unwrap_or(0);
        let max = posts.values().copied().max().unwrap_or(0);
        (posts.len(), min, max)
    }
}

async fn answer(
    seen: &Seen,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let path = req.uri().path().to_owned();
    let respond = |status: u16, content_type: &str, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    if req.method() == hyper::Method::GET {
        let doc = seen.documents.lock().unwrap().get(&path).cloned();
        return match doc {
            Some(doc) => {
                seen.actor_fetches.fetch_add(1, Ordering::SeqCst);
                respond(200, "application/activity+json", doc)
            }
            None => respond(404, "text/plain", "not found\n".into()),
        };
    }
    if !req.headers().contains_key("signature") {
        seen.unsigned.fetch_add(1, Ordering::SeqCst);
    }
    // The body is read whole, as a real inbox does before it answers.
    let _ = req.into_body().collect().await;
    *seen
        .posts
        .lock()
        .unwrap()
        .entry(format!("{host}{path}"))
        .or_default() += 1;
    seen.total.fetch_add(1, Ordering::SeqCst);
    respond(202, "text/plain", String::new())
}

// ---- Braid --------------------------------------------------------------------------------

struct Braid {
    ctx: Arc<braid::scheduler::PollContext>,
    store: braid::store::Store,
    /// `http://127.0.0.1:PORT`, Braid's own web server (and `web.base_url`).
    base: String,
    followers: Followers,
    channel: braid::store::ChannelRecord,
    /// Holds the database's directory while the benchmark runs.
    _dir: tempfile::TempDir,
}

impl Braid {
    /// A store, a poll context with `web.base_url` at the web server's address, the web
    /// server with the hosted listeners mounted, and a published channel.
    async fn start(remote: &Remote) -> Braid {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let base = format!("http://{local}");
        let mut config = braid::config::Config::default();
        config.storage.db = dir.path().join("bench.db");
        config.web.base_url = format!("{base}/");
        config.web.owner_name = "owner".into();
        let mut http = config.http_config();
        for h in 0..HOSTS {
            http.resolve_overrides
                .insert(format!("h{h}.bench.test"), remote.addr);
        }
        http.resolve_overrides
            .insert("sender.bench.test".into(), remote.addr);
        let store = braid::store::Store::open(&config.storage.db).unwrap();
        let client = braid_core::http::SafeClient::new(http).unwrap();
        let config = Arc::new(config);
        let ctx = Arc::new(
            braid::scheduler::PollContext::new(store.clone(), config.clone(), client).unwrap(),
        );
        store
            .add_channel(braid::store::NewChannel {
                name: CHANNEL.into(),
                title: Some("The bench channel".into()),
                description: Some("Posts from Braid".into()),
                audience: "public".into(),
                published: true,
                origin: "cli".into(),
            })
            .await
            .unwrap();
        let channel = store.channel(CHANNEL.into()).await.unwrap().unwrap();
        ctx.listeners.enable();
        braid::listeners::refresh(&ctx).await.unwrap();
        let web =
            braid::web::WebContext::new(store.clone(), &config, local, Some(ctx.clone())).unwrap();
        tokio::spawn(braid::web::serve(web, listener, std::future::pending()));
        // The publish pass's cursor starts at the newest event: made now, before any post.
        braid::publish::run(&ctx).await;
        let followers = Followers::new(StateStore::new(
            Arc::new(store.clone()),
            Scope {
                kind: "activitypub".into(),
                owner: ScopeOwner::Network,
            },
        ));
        Braid {
            ctx,
            store,
            base,
            followers,
            channel,
            _dir: dir,
        }
    }

    /// 1,000 accepted followers of the channel, 10 on each of 100 hosts, each with its own
    /// inbox; with `shared`, each host offers one shared inbox too. Replaces earlier ones.
    async fn set_followers(&self, port: u16, shared: bool) {
        for f in self.followers.all(CHANNEL).await.unwrap() {
            self.followers.remove(CHANNEL, &f.actor).await.unwrap();
        }
        for i in 0..HOSTS * PER_HOST {
            let host = format!("http://h{}.bench.test:{port}", i / PER_HOST);
            let actor = format!("{host}/users/u{i}");
            self.followers
                .put(
                    CHANNEL,
                    &Follower {
                        inbox: format!("{actor}/inbox"),
                        shared_inbox: shared.then(|| format!("{host}/inbox")),
                        actor,
                        state: FollowState::Accepted,
                        follow: Value::Null,
                        since: Utc::now(),
                        verified_with: None,
                    },
                )
                .await
                .unwrap();
        }
    }

    /// Composes post `i` into the channel, as the web's compose does; when it was queued.
    async fn compose(&self, i: usize) -> DateTime<Utc> {
        let draft = braid::outbox::Draft {
            text: format!(
                "Benchmark post {i}: a paragraph of ordinary length about feeds and bridges, \
                 with a link https://example.org/posts/{i} and a #hashtag, the way a channel's \
                 posts usually read."
            ),
            content_warning: None,
            visibility: braid_core::Visibility::Public,
            language: Some("en".into()),
            reply_to: None,
        };
        braid::outbox::queue_to(
            &self.ctx,
            braid::outbox::Queued::new(draft),
            &[],
            std::slice::from_ref(&self.channel),
        )
        .await
        .unwrap();
        Utc::now()
    }

    /// The publish pass until it finds no event: how long it took.
    async fn publish(&self) -> Duration {
        let started = Instant::now();
        while braid::publish::run(&self.ctx).await > 0 {}
        started.elapsed()
    }

    /// `deliver_due` at `batch` until nothing is due: how many were attempted.
    async fn drain(&self, batch: usize) -> usize {
        let busy = braid::outbox::Busy::default();
        let mut attempted = 0;
        loop {
            let n = braid::outbox::deliver_due(&self.ctx, &busy, batch).await;
            if n == 0 {
                return attempted;
            }
            attempted += n;
        }
    }
}

// ---- 1. fan-out ---------------------------------------------------------------------------

async fn fan_out(braid: &Braid, remote: &Remote, posts: usize, batch: usize) {
    println!(
        "\n1. fan-out to 1,000 followers on 100 hosts: {posts} posts, deliver_due batch {batch} (the daemon's: 16)"
    );
    println!(
        "  {:<34} {:>10} {:>10} {:>10} {:>12} {:>14} {:>14}",
        "", "publish", "deliver", "queue→all", "deliveries/s", "post p50/p99", "one post idle"
    );
    for shared in [false, true] {
        fan_out_case(braid, remote, posts, batch, shared).await;
    }
    daemon_cadence(braid, remote).await;
}

async fn fan_out_case(braid: &Braid, remote: &Remote, posts: usize, batch: usize, shared: bool) {
    braid.set_followers(remote.addr.port(), shared).await;
    let per_post = if shared { HOSTS } else { HOSTS * PER_HOST };
    let watermark = braid
        .store
        .list_deliveries(1)
        .await
        .unwrap()
        .first()
        .map_or(0, |d| d.id);
    remote.reset();
    let started = Instant::now();
    let mut composed = Vec::new();
    for i in 0..posts {
        composed.push(braid.compose(i).await);
    }
    let publish = braid.publish().await;
    let delivering = Instant::now();
    let attempted = braid.drain(batch).await;
    let deliver = delivering.elapsed();
    let total = started.elapsed();
    let expected = (posts * per_post) as u64;
    check(braid, remote, expected, per_post, posts as u64, attempted).await;

    // Each post's last delivery, from the rows: queue to all delivered, in the backlog.
    let rows = braid
        .store
        .list_deliveries(posts * per_post + 10)
        .await
        .unwrap();
    let mut done: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
    for d in rows.iter().filter(|d| d.id > watermark) {
        let at = done.entry(d.post_id).or_insert(d.updated_at);
        *at = (*at).max(d.updated_at);
    }
    let mut latencies: Vec<Duration> = done
        .values()
        .zip(&composed)
        .map(|(last, queued)| (*last - *queued).to_std().unwrap_or_default())
        .collect();
    let (p50, p99) = common::percentiles(&mut latencies);

    // One post at a time on an empty queue: queue, publish, deliver.
    let mut idle = Vec::new();
    for i in 0..3 {
        remote.reset();
        let started = Instant::now();
        braid.compose(posts + i).await;
        braid.publish().await;
        let attempted = braid.drain(batch).await;
        idle.push(started.elapsed());
        check(braid, remote, per_post as u64, per_post, 1, attempted).await;
    }
    idle.sort();
    println!(
        "  {:<34} {:>8.2} s {:>8.2} s {:>8.2} s {:>12.0} {:>6.1}/{:<6.1} s {:>6.2}–{:.2} s",
        if shared {
            "(b) shared inbox on (100 a post)"
        } else {
            "(a) shared inbox off (1,000 a post)"
        },
        publish.as_secs_f64(),
        deliver.as_secs_f64(),
        total.as_secs_f64(),
        expected as f64 / total.as_secs_f64(),
        p50.as_secs_f64(),
        p99.as_secs_f64(),
        idle[0].as_secs_f64(),
        idle[idle.len() - 1].as_secs_f64(),
    );
    println!(
        "  {:<34} deliver alone {:.0}/s ({:.0} us a delivery); {} deliveries to {} inboxes",
        "",
        expected as f64 / deliver.as_secs_f64(),
        deliver.as_secs_f64() * 1e6 / expected as f64,
        expected,
        per_post
    );
}

/// Everything delivered once, signed, and nothing left due.
async fn check(
    braid: &Braid,
    remote: &Remote,
    expected: u64,
    addresses: usize,
    each: u64,
    attempted: usize,
) {
    let due = braid.store.due_deliveries(10_000).await.unwrap();
    assert!(due.is_empty(), "{} deliveries still due", due.len());
    assert_eq!(remote.total(), expected, "deliveries received");
    assert_eq!(
        attempted as u64, expected,
        "attempts (a retry would show here)"
    );
    assert_eq!(remote.spread(), (addresses, each, each), "per inbox");
    assert_eq!(remote.seen.unsigned.load(Ordering::SeqCst), 0, "unsigned");
}

/// `braid run`'s loop itself, for a few seconds, with one post to 1,000 inboxes queued: it
/// starts one `deliver_due` of 16 a tick (every second), so this is its real pace.
async fn daemon_cadence(braid: &Braid, remote: &Remote) {
    braid.set_followers(remote.addr.port(), false).await;
    remote.reset();
    let queued = Instant::now();
    braid.compose(10_000).await;
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let daemon = tokio::spawn(braid::scheduler::run(braid.ctx.clone(), async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    // Until every inbox has it (a minute at most): the daemon's own pace, ticks and all.
    let limit = Duration::from_secs(60);
    let mut first = None;
    while remote.total() < 1000 && queued.elapsed() < limit {
        if first.is_none() && remote.total() > 0 {
            first = Some(queued.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = queued.elapsed();
    let sent = remote.total();
    stop.send(true).unwrap();
    daemon.await.unwrap();
    braid.publish().await;
    let rest = braid.drain(16).await;
    assert_eq!(remote.total(), 1000, "the rest delivered after the daemon");
    println!(
        "  the daemon (scheduler::run), one post to 1,000 inboxes: first delivery after {:.2} s, {sent} delivered in {:.2} s ({:.0}/s from the compose){}",
        first.unwrap_or(took).as_secs_f64(),
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64(),
        if rest > 0 { format!("; not within a minute, the rest ({rest}) drained after") } else { String::new() },
    );
}

// ---- 2. inbox -----------------------------------------------------------------------------

/// A request as a remote server would sign it, and as Braid would receive it.
struct Signed {
    headers: Vec<(String, String)>,
    body: Bytes,
}

fn sign(
    scheme: Scheme,
    key: &KeyPair,
    key_id: &str,
    url: &url::Url,
    body: Bytes,
    now: DateTime<Utc>,
) -> Signed {
    let out = OutgoingRequest {
        method: "POST",
        url,
        body: Some(&body),
        covered: &[("content-type", LD_JSON)],
    };
    let signed = sig::sign_request(scheme, key, key_id, &out, now).unwrap();
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_owned(),
    };
    let mut headers = vec![
        ("host".to_owned(), authority),
        ("content-type".to_owned(), LD_JSON.to_owned()),
    ];
    headers.extend(
        signed
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned())),
    );
    Signed { headers, body }
}

fn note_create(actor: &str, i: usize) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/notes/{i}/activity"),
        "type": "Create",
        "actor": actor,
        "published": "2026-11-30T12:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers")],
        "object": {
            "id": format!("{actor}/notes/{i}"),
            "type": "Note",
            "attributedTo": actor,
            "published": "2026-11-30T12:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{actor}/followers")],
            "content": format!("<p>Note {i} from a server Braid does not follow: a paragraph of ordinary length, <a href=\"https://example.org/{i}\">a link</a> and a <a href=\"https://example.org/tags/bench\" class=\"mention hashtag\">#bench</a> tag.</p>"),
            "tag": [{ "type": "Hashtag", "name": "#bench", "href": "https://example.org/tags/bench" }]
        }
    })
}

/// Runs `f` for at least `min` and at least `n` times; the time of one.
fn per_op(n: usize, min: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let started = Instant::now();
    let mut runs = 0u32;
    while runs < n as u32 || started.elapsed() < min {
        f();
        runs += 1;
    }
    started.elapsed() / runs
}

/// 2(a): the pure cost, no network and no database.
fn signatures() {
    println!("\n2(a). signatures, pure (one core): per request");
    println!(
        "  {:<28} {:>11} {:>11} {:>12} {:>14} {:>11} {:>11}",
        "", "parse", "verify", "parse+verify", "verified/s", "key PEM", "sign"
    );
    let url = url::Url::parse("https://braid.bench.test/ap/inbox").unwrap();
    let actor = "https://remote.bench.test/users/alice";
    let body = Bytes::from(note_create(actor, 1).to_string());
    let keys = [
        ("RSA-2048", KeyPair::generate().unwrap()),
        ("RSA-4096", KeyPair::from_pem(RSA_4096_PEM).unwrap()),
    ];
    let options = VerifyOptions::new("braid.bench.test");
    for (label, key) in &keys {
        let pem = key.public_key_pem().unwrap();
        let public = PublicKey::from_pem(&pem).unwrap();
        for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
            let key_id = format!("{actor}#main-key");
            let signed = sign(scheme, key, &key_id, &url, body.clone(), Utc::now());
            let incoming = IncomingRequest {
                method: "POST",
                path: "/ap/inbox",
                query: None,
                headers: &signed.headers,
                body: &signed.body,
            };
            let parsed = sig::parse(&incoming).unwrap();
            assert_eq!(parsed.scheme(), scheme);
            let min = Duration::from_millis(400);
            let parse = per_op(200, min, || {
                std::hint::black_box(sig::parse(&incoming).unwrap());
            });
            let verify = per_op(200, min, || {
                std::hint::black_box(parsed.verify(&incoming, &public, &options).unwrap());
            });
            let both = per_op(200, min, || {
                let p = sig::parse(&incoming).unwrap();
                std::hint::black_box(p.verify(&incoming, &public, &options).unwrap());
            });
            let pem_read = per_op(200, min, || {
                std::hint::black_box(PublicKey::from_pem(&pem).unwrap());
            });
            let signing = per_op(20, min, || {
                std::hint::black_box(sign(scheme, key, &key_id, &url, body.clone(), Utc::now()));
            });
            println!(
                "  {:<28} {:>8.1} us {:>8.1} us {:>9.1} us {:>14.0} {:>8.1} us {:>8.0} us",
                format!(
                    "{label}, {}",
                    match scheme {
                        Scheme::Cavage => "draft-cavage",
                        Scheme::Rfc9421 => "RFC 9421",
                    }
                ),
                micros(parse),
                micros(verify),
                micros(both),
                1.0 / both.as_secs_f64(),
                micros(pem_read),
                micros(signing),
            );
        }
    }
    println!("  (key PEM: PublicKey::from_pem, which Remote::key runs on every inbox request;");
    println!("   sign: sign_request, what each delivery costs the sender, RSA private key with blinding)");
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// 2(b): signed activities over HTTP to Braid's running web server.
async fn inbox(braid: &Braid, remote: &Remote, per_run: usize) {
    let port = remote.addr.port();
    let actor = format!("http://sender.bench.test:{port}/users/alice");
    let key_id = format!("{actor}#main-key");
    let key = KeyPair::generate().unwrap();
    remote.seen.documents.lock().unwrap().insert(
        "/users/alice".into(),
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "alice",
            "inbox": format!("{actor}/inbox"),
            "outbox": format!("{actor}/outbox"),
            "followers": format!("{actor}/followers"),
            "endpoints": { "sharedInbox": format!("http://sender.bench.test:{port}/inbox") },
            "publicKey": { "id": key_id, "owner": actor, "publicKeyPem": key.public_key_pem().unwrap() }
        })
        .to_string(),
    );
    let inbox = url::Url::parse(&format!("{}/ap/inbox", braid.base)).unwrap();
    let channel_actor = format!("{}/ap/actors/{CHANNEL}", braid.base);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    println!(
        "\n2(b). inbox over HTTP: {per_run} signed activities a run (RSA-2048, draft-cavage), Braid's web server at {}",
        braid.base
    );
    println!(
        "  {:<44} {:>10} {:>14} {:>12}",
        "", "wall", "activities/s", "per activity"
    );
    // One request first: Braid fetches the key, then keeps it.
    let warm = sign(
        Scheme::Cavage,
        &key,
        &key_id,
        &inbox,
        Bytes::from(note_create(&actor, 0).to_string()),
        Utc::now(),
    );
    assert_eq!(send(&client, &inbox, &warm).await.0, 202);
    let mut run = 1;
    for kind in ["Create", "Follow"] {
        for senders in [1usize, 16] {
            let started_signing = Instant::now();
            let requests: Vec<Signed> = (0..per_run)
                .map(|i| {
                    let n = run * 100_000 + i;
                    let body = match kind {
                        "Create" => note_create(&actor, n),
                        _ => json!({
                            "@context": "https://www.w3.org/ns/activitystreams",
                            "id": format!("{actor}/follows/{n}"),
                            "type": "Follow",
                            "actor": actor,
                            "object": channel_actor,
                        }),
                    };
                    sign(
                        Scheme::Cavage,
                        &key,
                        &key_id,
                        &inbox,
                        Bytes::from(body.to_string()),
                        Utc::now(),
                    )
                })
                .collect();
            let signing = started_signing.elapsed();
            run += 1;
            let requests = Arc::new(requests);
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for s in 0..senders {
                let (client, inbox, requests) = (client.clone(), inbox.clone(), requests.clone());
                tasks.spawn(async move {
                    let mut statuses = Vec::new();
                    for r in requests.iter().skip(s).step_by(senders) {
                        statuses.push(send(&client, &inbox, r).await);
                    }
                    statuses
                });
            }
            let mut statuses = Vec::new();
            while let Some(s) = tasks.join_next().await {
                statuses.extend(s.unwrap());
            }
            let wall = started.elapsed();
            assert_eq!(statuses.len(), per_run);
            let refused: Vec<_> = statuses.iter().filter(|(s, _)| *s != 202).collect();
            if let Some((status, reason)) = refused.first() {
                println!(
                    "  !! {} of {per_run} refused; the first: {status} {}",
                    refused.len(),
                    reason.trim()
                );
            }
            println!(
                "  {:<44} {:>8.2} s {:>14.0} {:>9.2} ms   (pre-signing took {:.2} s)",
                format!(
                    "{kind}{}, {senders} sender{}",
                    if kind == "Create" {
                        " (not followed: verified, dropped)"
                    } else {
                        " of the channel"
                    },
                    if senders == 1 { "" } else { "s" }
                ),
                wall.as_secs_f64(),
                per_run as f64 / wall.as_secs_f64(),
                wall.as_secs_f64() * 1e3 / per_run as f64,
                signing.as_secs_f64(),
            );
        }
    }
    println!(
        "  the sender's actor document was fetched {} time(s) in all",
        remote.seen.actor_fetches.load(Ordering::SeqCst)
    );
    let accepts = braid
        .store
        .list_deliveries(10 * per_run)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.target == format!("{actor}/inbox"))
        .count();
    println!("  Accepts queued for the follows (not sent here): {accepts}");
}

/// The status, and the body when it is not 202 (the refusal's reason).
async fn send(client: &reqwest::Client, url: &url::Url, r: &Signed) -> (u16, String) {
    let mut req = client.post(url.clone()).body(r.body.clone());
    for (name, value) in &r.headers {
        if name != "host" {
            req = req.header(name, value);
        }
    }
    match req.send().await {
        Ok(resp) if resp.status().as_u16() == 202 => (202, String::new()),
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}

/// A 4096-bit RSA key (PKCS#8), made for this benchmark with `openssl genpkey`, as Fedify's
/// actors use: generating one here would take seconds and the `rsa` crate is not ours to call.
const RSA_4096_PEM: &str = r"-----BEGIN PRIVATE KEY-----
MIIJQwIBADANBgkqhkiG9w0BAQEFAASCCS0wggkpAgEAAoICAQCyKA8X4AImxd2y
fhsp4K55IFuurNjmGLYYujsZa0L0UHKrpaEKjQxNvmGXNJNt+BOEW9tBhd1V2HUn
sTok2IBgFsVIWbG2Q6ftW+iSUpIbLHInBE3tWQjB3e4VZjE7G1Uu6bzyogvvedwb
gRBs8zATPSA42Ov+teS1gfRifL5emxSOmoL5EbOjb3yBRPvIKn6iYcCeY1JL4Tob
wQY1qAZQMgY2/DipklQi/u2IgQCWshbYVKbBFJpF6tqY3M+fqRhXPd8y96/3IOhD
DPNSNBgkFM1vJ6m4a1a8bWTgg0J3gKj1bvwX+RYEZElmTG9K8tTb9aAr/9xXw+e9
uv8TQBRWO9sHG5F+rDk0aaam1WwlQE2IHievaai79l1fkCm+EI2wsoH4Rzrtx3e9
ulfYuNNNEdWo9d7G8RbPlCvyOFuv2uIjZCg5UWC7Ua5ZAI79J4s+DFkng6v1MK/s
QfYVc09EojfDPzyqSH7GCLKyiZMEAFWFrc/1rXcfa8MYVgDJ204a3fLgFh3fi3wx
WmfXOju3tVMCS8M9t+Z01ngtwIyHlYxsC+tX9xgn6tKwMkWUGIp89e0gA3wMcfPi
6FZYtUt4v8aw55b06VI3ECm5LzgxB1gfAXIQyyd9gX+KrKUqq8aNkGI3zzcR9/9R
/ytMXqYKf0wSa5F5ZoOnP3hI+pQf6wIDAQABAoICACfPpdfK+hAaBTmezokkKTju
Dy7Qd0Or3/1UmGJMwtB/rbBHud32uPoiggJdAFkBp7LbJ/rTZCuLzFpLU1fqfX17
eSh6yqiVI9B5ylXwV6/01al8X8GbNMbFxi9H/9ZafEWYe92ocoxYKeSHidke2u5h
qXKqnsnzcaFR4f+kKpJPi192jbAE0aTDBAqLFMydGmFFANskDL7iHK8ZCj8xRf/j
vdnJsQvLpDuRxhjL4wrJzysWd5EL/pGDMsgYB9mA2uyb6eWkzdCmrOBW44TKGV7u
ux2MunN4oRBITdOR4Wd8+8SkwXbF9bKTioduqywPaZuhnuJWMbH3GDEguWFe32wq
GjUyNCcnZQz9rsCBdmeILnKYn7Iz0TFAotXCZ09l3Z5o8WHi5hfYEw4TFtbFGLuD
FzDuWcLS9Tp1z44T3dbPb4JK3nqotmMGQ0WpsDdCFkUMpXw3Hi4ozggm5G5vANy8
r/S2qvE9Mzqv1BrGAqKbyyY/OxxbGrXAy8qsmfdqVZZBX4BVhHBR2VfygGVWTxur
yEcz3t7ryBSkPJdeDN2bl+qxARKNYYasDiq3nR0ChKPuET+gW1Lhhu5E5iBqgamK
C0Qq65SY+mQLcqsOVO/Dt5SN+cS3oDJV1XT2ih12gIOU5SjNlvztc1t575QnVjui
Mh9xeoAv0m8kTnXwgS/BAoIBAQDkKffDAyt2FbKuHc1ULA5qNd2hp1KJFtiqVIph
CmryNm6S3OPWiUrfZ0h/7zuRl6zUUGB/hYt7S31IoyGatJIWAcWZookc6ST1ZiHH
fF2ZhRNxdHx55ZXa8c0uhpebjs9mI9nxSoC2+G79VnY3NeS91cMX20VaknA3ep7P
gjwJNrcyXo5QIJeDfN9D7FC0PW5xRy1f3nJ2msEutBPUecHfiDmc5xGeSGuqaskW
RD5zs3yVhxJpVKAqWaJFl3UUbWR8D6XUCH2K1g2bcwVYPu1oJBDOPXBG6GV8O7RO
1fwsux+OJaEKrxibuxnRmSFn6tLnvPBgXZ5yvLaQGNn4/fJLAoIBAQDH5EE10P0p
3Si1ruI00+c+lyd4P6LTHt2nYqhOy6rHjO+JWi3wbF271zl+xqAyKrY3WvH6OdEm
QfQTP1RSssx/fcOtdNP3aEvvaL97rNGLGHvEkxbzkWJyWsx3C8Knx83isEQoEm7J
yS/aNYqCaP95E7aWa+l/kmyc11Vi9on4QD+FguoCdTwI4JOFAUDMpCPphCq2Zws4
yGHBF0wY2p0mBXxOnLqVXLI1KzcEGFPrd3ai6IgucNqVW8f9PA+CsexGSbwdQzRJ
gj6lGrdjZMRIkIoS3HqYQ1Mjff+D6kayH2iHvSCa0568CVRQ976jsVvWvMfRKzDc
1P658BjLKwThAoIBAQC4lGMFdlkAjIkiZqWnRITc03ravdv9X2gkU4QnASCHlhVZ
5izDcAoMNSfnp4fPPp7om6WVRFoUgnt1+dLDrvTHrONIaL73jn0BsX/+O9QU0B1s
mUnh6yOSHi9ZRjT7+Uo7XSGBHD6Ixu4zMHEuNQE5uea8M/0lSnZRy3cSdE9RPNxz
eR80H0mza5/K+TBIv7HLHkPM3M5IuOUzfSbVqzJ2PWQuVJhiLkA7e2v2AXtsanWN
GdqBL57q49xs5BwpTF4QJzCGGeBGIuibKy/VtgKlTxfxYK6mDnebS0mQxXfeT/s1
KafgVspXocM/Vtw5jzTTmHv12YbHV3dxl0kvL3GFAoIBAFawUO+L8R8kwLD6ZTPP
6muklgN6ZZz1t98N1DxH64qbPo7swxuPg58hGdg3P+ZBy8B5+pMwW9ohpD5sqp8q
17E604/4KK0VWEk9vj1el4mhVpvLxppfJLi/VAkU2ph0+H8lPom6ZL2yOMSDj8w6
yQCzYe4eYqdm0x+561f935wAEQxP2Di0qxKWgqOeBYI6dTCilvt/+MfpbyuUdPYa
aSjCHETjh6+bAdY5JaTrAAoQRy0jd1vcqY84vKTAVWGy0+svsxtlt9lhWNW1nm7G
lrF5rce8QpaiK/4qeJO3GG3LXUPw66D5wc9+pEhxCQZotpGMUYQPHSPIY6gzzize
PUECggEBAIU0yIwyOoipBRd4jySZag1+xk3uu/VMoz9jbd0kQncU1TODURfQjtRt
wuWUNSDqQ1QTCSCNay8nptC6MURSH9M8YgEVisgbKEBtrnRmcAqXBxgWcPFAHaLw
BaFzbha8gzUUtUyWwd2FfOf8A3Mp8pqnlPwHhawAsuqDe2Wff1xhd6B2efY6R1DZ
LuCtarD3Iw3heHemT8P0o/AbWp+UeoQhFWECNoi+3diUbpTP2F9TBwVMY+unMdi4
61nxztOhf42X/jklCrkex9mz3CpA3PGHndFo1dSxb8DYgOpPkMi0mTttkPWkcJe7
tgDsV/jGVsaqcHM6QKb4Zs5wJAurFuM=
-----END PRIVATE KEY-----
";
