//! The owner's login on a real server on 127.0.0.1: first-run setup from the printed link,
//! login, logout, sessions and CSRF; every private path refused without the owner; the Host
//! check; API and feed tokens; login rate limits; slow clients timed out and connections
//! bounded.

use std::time::{Duration, Instant};

use braid::store::Store;
use braid::web::WebContext;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support;

struct Server {
    base: String,
    ctx: WebContext,
    store: Store,
    /// A client that follows no redirects and keeps no cookies: each test sends what it means.
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn server(tweak: impl FnOnce(&mut braid::config::Config)) -> Server {
    let dir = support::temp_dir();
    let store = Store::open(&dir.path().join("braid.db")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let mut config = braid::config::Config::default();
    tweak(&mut config);
    let ctx = WebContext::new(store.clone(), &config, local, None).unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(braid::web::serve(ctx.clone(), listener, async {
        let _ = rx.await;
    }));
    Server {
        base: format!("http://{local}"),
        ctx,
        store,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        stop: Some(stop),
        _dir: dir,
    }
}

/// The value of cookie `name` among the response's `Set-Cookie` headers, with its attributes.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, value) = pair.split_once('=')?;
            (k == name).then(|| (value.to_owned(), attrs.to_owned()))
        })
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in:\n{html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A logged-in session: (cookie header value, CSRF token), through the login form.
    async fn login(&self, password: &str) -> reqwest::Response {
        let page = self.http.get(self.url("/login")).send().await.unwrap();
        let (login_cookie, _) = set_cookie(page.headers(), "braid_login").expect("login cookie");
        let csrf = hidden(&page.text().await.unwrap(), "csrf");
        self.http
            .post(self.url("/login"))
            .header(COOKIE, format!("braid_login={login_cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("password", password),
                ("next", "/sources"),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn session(&self, password: &str) -> (String, String) {
        let resp = self.login(password).await;
        assert_eq!(resp.status(), 303, "{:?}", resp.text().await);
        let (token, _) = set_cookie(resp.headers(), "braid_session").unwrap();
        let cookie = format!("braid_session={token}");
        let page = self
            .http
            .get(self.url("/"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let csrf = hidden(&page.text().await.unwrap(), "csrf");
        (cookie, csrf)
    }

    async fn set_password(&self, password: &str) {
        let hash = braid::auth::hash_password(password).unwrap();
        self.store.set_owner_password_hash(hash).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_private_path_needs_the_owner() {
    let s = server(|_| {}).await;
    for page in [
        "/",
        "/?q=x",
        "/sources",
        "/items/1",
        "/no-such-page",
        "/settings",
    ] {
        let resp = s.http.get(s.url(page)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{page}");
        let location = resp.headers()[LOCATION].to_str().unwrap();
        assert!(location.starts_with("/login"), "{page} → {location}");
    }
    let resp = s.http.get(s.url("/sources")).send().await.unwrap();
    assert_eq!(resp.headers()[LOCATION], "/login?next=%2Fsources");
    for api in [
        "/api/timeline",
        "/api/items/1",
        "/api/sources",
        "/api/outbox",
        "/api/routes",
        "/api/routes/x/log",
        "/api/channels",
        "/api/nothing-here",
    ] {
        let resp = s.http.get(s.url(api)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{api}");
        assert!(resp.headers().contains_key("www-authenticate"), "{api}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("log in"), "{api}");
    }
    let post = s.http.post(s.url("/api/posts")).send().await.unwrap();
    assert_eq!(post.status(), 401);
    let post = s.http.post(s.url("/logout")).send().await.unwrap();
    assert_eq!(post.status(), 401);
    // Served feeds without their token.
    for feed in [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/channels/x/feed.atom",
    ] {
        let resp = s.http.get(s.url(feed)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{feed}");
    }
    // Public by design.
    for (path, status) in [
        ("/healthz", 200),
        ("/static/braid.css", 200),
        ("/login", 200),
    ] {
        let resp = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), status, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(resp.headers()["x-frame-options"], "DENY");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    // A wrong bearer token is no one, whatever cookie comes with it.
    let resp = s
        .http
        .get(s.url("/api/timeline"))
        .bearer_auth("braid_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_link_then_login_logout_and_csrf() {
    let s = server(|_| {}).await;
    let token = s.ctx.setup.begin().unwrap();
    let link = braid::web::owner::setup::link(&s.ctx, &token);
    assert_eq!(link, format!("{}/setup?token={token}", s.base));

    // Before setup, the login page says how to begin.
    let login = s.http.get(s.url("/login")).send().await.unwrap();
    assert!(login.text().await.unwrap().contains("no owner yet"));

    let wrong = s.http.get(s.url("/setup?token=nope")).send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let page = s.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let post = |password: &'static str, confirm: &'static str| {
        s.http
            .post(s.url("/setup"))
            .header("origin", &s.base)
            .form(&[
                ("token", token.as_str()),
                ("password", password),
                ("confirm", confirm),
            ])
            .send()
    };
    assert_eq!(
        post("long enough 1", "long enough 2")
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(post("short", "short").await.unwrap().status(), 422);
    // From another site: refused before anything is read.
    let forged = s
        .http
        .post(s.url("/setup"))
        .header("origin", "http://evil.example")
        .form(&[
            ("token", token.as_str()),
            ("password", "x"),
            ("confirm", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let done = post("correct horse battery", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()[LOCATION], "/");
    let (session, attrs) = set_cookie(done.headers(), "braid_session").unwrap();
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"),
        "{attrs}"
    );
    assert!(!attrs.contains("Secure"), "plain http: {attrs}");
    let stored = s.store.owner_password_hash().await.unwrap().unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    // The link works once.
    let again = s.http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()[LOCATION], "/login");

    let cookie = format!("braid_session={session}");
    let home = s
        .http
        .get(s.url("/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let csrf = hidden(&home.text().await.unwrap(), "csrf");

    // State changes need the CSRF token and our origin.
    let no_token = s
        .http
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong_token = s
        .http
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    let other_site = s
        .http
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        .header("origin", "http://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(other_site.status(), 403);
    let cross_site = s
        .http
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    // `Origin: null` is a sandboxed or data: page of anyone's, unless the browser says the
    // request is same-origin (below).
    for fetch_site in [None, Some("cross-site"), Some("same-site")] {
        let mut req = s
            .http
            .post(s.url("/logout"))
            .header(COOKIE, &cookie)
            .header("origin", "null")
            .form(&[("csrf", csrf.as_str())]);
        if let Some(site) = fetch_site {
            req = req.header("sec-fetch-site", site);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(
            resp.status(),
            403,
            "Origin: null, Sec-Fetch-Site: {fetch_site:?}"
        );
    }
    // Still logged in after all that.
    let home = s
        .http
        .get(s.url("/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let out = s
        .http
        .post(s.url("/logout"))
        .header(COOKIE, &cookie)
        // What Chromium sends with our own Log out button: our pages' `no-referrer` policy
        // makes the origin of a POST `null` (tests/web/browser.rs clicks it for real).
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()[LOCATION], "/login");
    let gone = s
        .http
        .get(s.url("/"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 303, "the session ended");

    // Log in again; the login form has its own CSRF cookie.
    let resp = s.login("correct horse battery").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[LOCATION],
        "/sources",
        "back where the owner was going"
    );
    let no_cookie = s
        .http
        .post(s.url("/login"))
        .form(&[("csrf", "x"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 403);
    assert!(set_cookie(no_cookie.headers(), "braid_session").is_none());

    // Log out everywhere ends every session.
    let (a, csrf_a) = s.session("correct horse battery").await;
    let (b, _) = s.session("correct horse battery").await;
    assert!(s.store.list_sessions().await.unwrap().len() >= 2);
    let out = s
        .http
        .post(s.url("/logout/everywhere"))
        .header(COOKIE, &a)
        .form(&[("csrf", csrf_a.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    for cookie in [a, b] {
        let resp = s
            .http
            .get(s.url("/"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303);
    }
    assert!(s.store.list_sessions().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_rate_limited_per_address_and_overall() {
    let s = server(|c| c.web.trust_proxy_headers = true).await;
    s.set_password("correct horse battery").await;
    let started = Instant::now();
    let attempt = |addr: String, password: &'static str| {
        let s = &s;
        async move {
            let page = s.http.get(s.url("/login")).send().await.unwrap();
            let (cookie, _) = set_cookie(page.headers(), "braid_login").unwrap();
            let csrf = hidden(&page.text().await.unwrap(), "csrf");
            s.http
                .post(s.url("/login"))
                .header(COOKIE, format!("braid_login={cookie}"))
                .header("x-forwarded-for", addr)
                .form(&[("csrf", csrf.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..5 {
        let resp = attempt("192.0.2.7".into(), "wrong password").await;
        assert_eq!(resp.status(), 401, "attempt {n}");
    }
    let limited = attempt("192.0.2.7".into(), "correct horse battery").await;
    assert_eq!(limited.status(), 429, "even the right password waits");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(set_cookie(limited.headers(), "braid_session").is_none());
    // Another address is not held up by this one.
    let other = attempt("192.0.2.8".into(), "correct horse battery").await;
    assert_eq!(other.status(), 303);
    // Guessing from many addresses hits the overall limit (the 5 wrong guesses above count).
    let mut refused_at = None;
    for n in 0..40u8 {
        let resp = attempt(format!("198.51.100.{n}"), "wrong password").await;
        if resp.status() == 429 {
            refused_at = Some(n);
            break;
        }
        assert_eq!(resp.status(), 401);
    }
    let elapsed = started.elapsed().as_secs() as u8;
    let refused_at = refused_at.expect("the overall limit never bit");
    // 30 at once, one more each 2 s since: the first refusal comes near attempt 25.
    assert!(
        (20..=25 + elapsed / 2 + 1).contains(&refused_at),
        "refused at {refused_at} after {elapsed} s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_open_the_api_and_revoked_ones_do_not() {
    let s = server(|_| {}).await;
    let token = support::api_token(&s.store).await;
    let ok = s
        .http
        .get(s.url("/api/timeline"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let tokens = s.store.list_api_tokens().await.unwrap();
    assert!(tokens[0].used_at.is_some(), "use is recorded");
    // A token needs no CSRF token: browsers never send it by themselves.
    let page = s
        .http
        .get(s.url("/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(s
        .store
        .revoke_api_token(tokens[0].name.clone())
        .await
        .unwrap());
    let revoked = s
        .http
        .get(s.url("/api/timeline"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_our_host_names_are_answered_and_links_come_from_the_public_url() {
    let s = server(|c| c.web.allowed_hosts = vec!["braid.lan".into()]).await;
    let token = support::api_token(&s.store).await;
    let port = s.base.rsplit(':').next().unwrap().to_owned();
    for (host, status) in [
        ("evil.example".to_owned(), 421),
        (format!("evil.example:{port}"), 421),
        (format!("localhost:{port}"), 200),
        (format!("127.0.0.1:{port}"), 200),
        (format!("BRAID.lan:{port}"), 200),
    ] {
        let resp = s
            .http
            .get(s.url("/api/timeline"))
            .header("host", &host)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{host}");
    }
    // Feed links are built from the public URL, whatever Host names.
    let feed = braid::auth::new_token().unwrap();
    s.store
        .add_feed_token(None, "reader".into(), braid::auth::token_hash(&feed))
        .await
        .unwrap();
    let body = s
        .http
        .get(s.url(&format!("/feed.atom?token={feed}")))
        .header("host", "braid.lan")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!("href=\"{}/feed.atom?token={feed}\"", s.base)),
        "{body}"
    );
    assert!(!body.contains("braid.lan"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_tokens_open_one_feed_and_published_channels_their_public_items() {
    let s = server(|_| {}).await;
    s.store
        .add_channel(braid::store::NewChannel {
            name: "links".into(),
            title: None,
            description: None,
            audience: "unlisted".into(),
            published: false,
            origin: "cli".into(),
        })
        .await
        .unwrap();
    let timeline = braid::auth::new_token().unwrap();
    let channel = braid::auth::new_token().unwrap();
    s.store
        .add_feed_token(None, "reader".into(), braid::auth::token_hash(&timeline))
        .await
        .unwrap();
    s.store
        .add_feed_token(
            Some("links".into()),
            "reader".into(),
            braid::auth::token_hash(&channel),
        )
        .await
        .unwrap();
    let status = |path: String| {
        let s = &s;
        async move {
            s.http
                .get(s.url(&path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for ext in ["atom", "rss", "json"] {
        assert_eq!(status(format!("/feed.{ext}?token={timeline}")).await, 200);
        assert_eq!(status(format!("/feed.{ext}")).await, 401);
        assert_eq!(
            status(format!("/feed.{ext}?token={channel}")).await,
            401,
            "another feed's token"
        );
        assert_eq!(
            status(format!("/channels/links/feed.{ext}?token={channel}")).await,
            200
        );
        assert_eq!(status(format!("/channels/links/feed.{ext}")).await, 401);
    }
    assert!(s
        .store
        .set_channel_published("links".into(), true)
        .await
        .unwrap());
    assert_eq!(status("/channels/links/feed.atom".into()).await, 200);
    // A token sent must be right, even for a published channel.
    assert_eq!(
        status("/channels/links/feed.atom?token=nope".into()).await,
        401
    );
    let links = s.store.list_feed_tokens().await.unwrap();
    assert_eq!(links.len(), 2);
    for l in &links {
        assert!(s.store.revoke_feed_token(l.id).await.unwrap());
    }
    assert_eq!(status(format!("/feed.atom?token={timeline}")).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_time_out_and_connections_are_bounded() {
    let s = server(|c| {
        c.web.header_timeout_secs = 1;
        c.web.body_timeout_secs = 1;
        c.web.max_connections = 2;
        c.web.max_upload_bytes = 64 * 1024;
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    // Two clients trickle headers and hold both connections.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHo").await.unwrap();
        slow.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let resp = s.http.get(s.url("/healthz")).send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert!(
        waited >= Duration::from_millis(500),
        "answered in {waited:?}: the bound did not hold the third connection"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // The slow ones were closed.
    for mut c in slow {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), c.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a slow connection is still open");
    }
    // A body that trickles is cut off; one too large is refused before it is read.
    let token = support::api_token(&s.store).await;
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(
        format!(
            "POST /api/posts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: 100\r\n\r\nab"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
        .await
        .expect("the server answered a trickling body")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    let big = s
        .http
        .post(s.url("/api/posts"))
        .bearer_auth(&token)
        .body(vec![b'x'; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
}
