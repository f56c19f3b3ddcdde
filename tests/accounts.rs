//! `braid account …` against the real mastodon-mock server: token login, the OAuth
//! out-of-band flow, a revoked token surfacing as "log in again", and re-login.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use crate::support::mastodon::MastodonMock;
use crate::support::temp_dir;

fn braid(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(dir)
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .env("BRAID_LOG", "warn")
        .args(args)
        .output()
        .expect("run braid")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&out(o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out(o)))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

/// `braid account add mastodon BASE --token TOKEN EXTRA…`, run off the async worker threads.
async fn add_account(dir: &std::path::Path, base: &str, token: &str, extra: &[&str]) -> Output {
    let mut args: Vec<String> = ["account", "add", "mastodon", base, "--token", token]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let path = dir.to_path_buf();
    blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        braid(&path, &args)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_login_adds_home_timeline_and_never_shows_the_token() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let bob = mock.user("bob").await;
    mock.post(
        &token,
        &[("status", "hello from alice"), ("visibility", "public")],
    )
    .await;
    let dir = temp_dir();
    let added = add_account(dir.path(), &mock.base, &token, &[]).await;
    assert!(added.status.success(), "{}", err(&added));
    assert!(
        out(&added).contains("Logged in as alice@127.0.0.1"),
        "{}",
        out(&added)
    );

    let path = dir.path().to_path_buf();
    let (accounts, sources, listed) = blocking(move || {
        (
            braid(&path, &["account", "list", "--json"]),
            braid(&path, &["source", "list", "--json"]),
            braid(&path, &["account", "list"]),
        )
    })
    .await;
    let accounts_text = out(&accounts);
    assert!(
        !accounts_text.contains(&token),
        "the token must never be shown"
    );
    assert!(!out(&sources).contains(&token) && !out(&listed).contains(&token));
    let accounts = json(&accounts);
    assert_eq!(
        accounts[0]["handle"]
            .as_str()
            .unwrap_or_default()
            .split('@')
            .next(),
        Some("alice")
    );
    assert_eq!(accounts[0]["kind"], "mastodon");
    assert!(accounts[0].get("credentials").is_none());
    let sources = json(&sources);
    assert_eq!(sources[0]["kind"], "mastodon");
    assert!(sources[0]["name"]
        .as_str()
        .unwrap_or_default()
        .ends_with(" home"));

    // The home timeline is polled like any source and lands in the merged timeline.
    let path = dir.path().to_path_buf();
    let (sync, timeline) = blocking(move || {
        (
            braid(&path, &["sync"]),
            braid(&path, &["timeline", "--json"]),
        )
    })
    .await;
    assert!(sync.status.success(), "{}{}", out(&sync), err(&sync));
    let items = json(&timeline);
    assert_eq!(items[0]["content_text"], "hello from alice", "{items}");
    assert!(
        items[0]["author"]["handle"]
            .as_str()
            .unwrap_or_default()
            .contains("alice"),
        "{items}"
    );

    // A wrong token is refused before anything is stored.
    let bad = add_account(dir.path(), &mock.base, "not-a-token", &["--name", "x"]).await;
    assert!(!bad.status.success());
    assert!(err(&bad).starts_with("error: mastodon:"), "{}", err(&bad));
    let _ = bob;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_out_of_band_login() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    mock.user("carol").await;
    let dir = temp_dir();
    let path = dir.path().to_path_buf();
    let base = mock.base.clone();
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(&path)
        .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
        .env("BRAID_LOG", "warn")
        .args(["account", "add", "mastodon", &base, "--name", "carol"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // Braid prints the authorize URL; a person would open it and click "authorize".
    let authorize = blocking(move || {
        let mut line = String::new();
        loop {
            line.clear();
            if stdout.read_line(&mut line).expect("read") == 0 {
                panic!("braid printed no authorize URL");
            }
            if let Some(url) = line.trim().strip_prefix("http") {
                return (format!("http{url}"), stdout);
            }
        }
    })
    .await;
    let (authorize_url, mut stdout) = authorize;
    let parsed = url::Url::parse(&authorize_url).expect("authorize URL");
    let client_id = parsed
        .query_pairs()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
        .expect("client_id");
    let page = reqwest::Client::new()
        .post(format!("{}/oauth/authorize", mock.base))
        .form(&[
            ("username", "carol"),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("client_id", &client_id),
            ("scope", "read write"),
        ])
        .send()
        .await
        .expect("authorize")
        .text()
        .await
        .expect("page");
    let code = page
        .split("Authorization code: ")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("code on page")
        .to_owned();
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{code}").expect("write code");
    drop(stdin);
    let output = blocking(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read");
        (child.wait_with_output().expect("wait"), rest)
    })
    .await;
    let (done, rest) = output;
    assert!(done.status.success(), "{}", err(&done));
    assert!(rest.contains("Logged in as carol@"), "{rest}");
    let path = dir.path().to_path_buf();
    let accounts = blocking(move || braid(&path, &["account", "list", "--json"])).await;
    assert_eq!(json(&accounts)[0]["name"], "carol");

    // The OAuth app is kept with the credentials, and a later login by token keeps it while
    // replacing the token.
    let stored = |dir: std::path::PathBuf| async move {
        let store = braid::store::Store::open(&dir.join("braid.db")).expect("store");
        let account = store
            .find_account("carol")
            .await
            .expect("read")
            .expect("carol");
        let value = store
            .account_credentials(account.id)
            .await
            .expect("read")
            .expect("credentials");
        braid_mastodon::Credentials::from_value(&value).expect("credentials")
    };
    let first = stored(dir.path().to_path_buf()).await;
    assert_eq!(first.client_id.as_deref(), Some(client_id.as_str()));
    assert!(first.client_secret.is_some());
    let fresh = mock.login("carol").await;
    let again = add_account(dir.path(), &mock.base, &fresh, &["--no-home"]).await;
    assert!(again.status.success(), "{}", err(&again));
    let second = stored(dir.path().to_path_buf()).await;
    assert_eq!(second.token, fresh);
    assert_ne!(second.token, first.token);
    assert_eq!(second.client_id, first.client_id);
    assert_eq!(second.client_secret, first.client_secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_asks_for_login_again() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("dave").await;
    let dir = temp_dir();
    let added = add_account(dir.path(), &mock.base, &token, &["--name", "dave"]).await;
    assert!(added.status.success(), "{}", err(&added));

    reqwest::Client::new()
        .post(format!("{}/oauth/revoke", mock.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("revoke");

    let path = dir.path().to_path_buf();
    let (sync, accounts, sources) = blocking(move || {
        (
            braid(&path, &["sync"]),
            braid(&path, &["account", "list"]),
            braid(&path, &["source", "list", "--json"]),
        )
    })
    .await;
    assert!(!sync.status.success(), "a refused token is a failed sync");
    assert!(
        out(&accounts).contains("log in again"),
        "{}",
        out(&accounts)
    );
    let sources = json(&sources);
    let last_error = sources[0]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(last_error.starts_with("mastodon:"), "{last_error}");

    // Logging in again with a fresh token clears it.
    let fresh = mock.login("dave").await;
    let relogin = add_account(dir.path(), &mock.base, &fresh, &[]).await;
    let path = dir.path().to_path_buf();
    let accounts = blocking(move || braid(&path, &["account", "list", "--json"])).await;
    assert!(relogin.status.success(), "{}", err(&relogin));
    let accounts = json(&accounts);
    assert_eq!(accounts.as_array().map(Vec::len), Some(1));
    assert_eq!(accounts[0]["needs_login"], false);
}

/// `braid post` end to end: a thread of three, a retried key that makes one status, media with
/// alt text, a content warning and followers-only visibility kept, and the server's own 422
/// message shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_threads_idempotency_media_and_errors() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("erin").await;
    let dir = temp_dir();
    std::fs::write(dir.path().join("pic.png"), PNG_1X1).expect("write png");
    let added = add_account(
        dir.path(),
        &mock.base,
        &token,
        &["--name", "erin", "--no-home"],
    )
    .await;
    assert!(added.status.success(), "{}", err(&added));

    let path = dir.path().to_path_buf();
    let posted = blocking(move || {
        let first = braid(
            &path,
            &["post", "thread 1/3", "--to", "erin", "--key", "same-key"],
        );
        let again = braid(
            &path,
            &["post", "thread 1/3", "--to", "erin", "--key", "same-key"],
        );
        (first, again)
    })
    .await;
    let (first, again) = posted;
    assert!(first.status.success(), "{}", err(&first));
    let id_of = |o: &Output| {
        out(o)
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .map(str::to_owned)
            .expect("id line")
    };
    let first_id = id_of(&first);
    assert_eq!(
        id_of(&again),
        first_id,
        "the same key must not make a second status"
    );

    let path = dir.path().to_path_buf();
    let id1 = first_id.clone();
    let thread = blocking(move || {
        let second = braid(
            &path,
            &["post", "thread 2/3", "--to", "erin", "--reply-to", &id1],
        );
        let id2 = out(&second)
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .map(str::to_owned)
            .unwrap_or_default();
        let third = braid(
            &path,
            &["post", "thread 3/3", "--to", "erin", "--reply-to", &id2],
        );
        let media = braid(
            &path,
            &[
                "post",
                "with a picture",
                "--to",
                "erin",
                "--media",
                "pic.png",
                "--alt",
                "a single red pixel",
                "--cw",
                "pixels",
                "--visibility",
                "followers",
            ],
        );
        // Too long is fitted now (tests/routes.rs); a blank text is refused by the server.
        let too_long = braid(&path, &["post", "   ", "--to", "erin"]);
        (second, third, media, too_long)
    })
    .await;
    let (second, third, media, too_long) = thread;
    for o in [&second, &third, &media] {
        assert!(o.status.success(), "{}", err(o));
    }
    assert!(!too_long.status.success());
    let e = err(&too_long);
    assert!(
        e.starts_with("error: mastodon:") && e.contains("blank"),
        "server's 422 message expected: {e}"
    );

    // What the server holds: one status per key, the thread linked, the media and its alt.
    let statuses: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/timelines/home?limit=40", mock.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("home")
        .json()
        .await
        .expect("json");
    let statuses = statuses.as_array().cloned().unwrap_or_default();
    let texts: Vec<String> = statuses
        .iter()
        .map(|s| s["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        texts.iter().filter(|t| t.contains("thread 1/3")).count(),
        1,
        "{texts:?}"
    );
    let find = |needle: &str| {
        statuses
            .iter()
            .find(|s| s["content"].as_str().unwrap_or_default().contains(needle))
            .cloned()
            .expect(needle)
    };
    let (s1, s2, s3, pic) = (
        find("thread 1/3"),
        find("thread 2/3"),
        find("thread 3/3"),
        find("with a picture"),
    );
    assert_eq!(s2["in_reply_to_id"], s1["id"]);
    assert_eq!(s3["in_reply_to_id"], s2["id"]);
    assert_eq!(
        pic["media_attachments"][0]["description"],
        "a single red pixel"
    );
    assert_eq!(pic["spoiler_text"], "pixels");
    assert_eq!(
        pic["visibility"], "private",
        "followers-only must stay followers-only"
    );
}

/// A valid 1×1 PNG.
pub(crate) const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Hashtag and single-account timelines as their own sources, through the CLI and the
/// scheduler's registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_and_account_timelines_are_sources() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let reader = mock.user("frank").await;
    let writer = mock.user("gina").await;
    let gina = mock
        .post(
            &writer,
            &[
                ("status", "learning #rustlang today"),
                ("visibility", "public"),
            ],
        )
        .await;
    mock.post(
        &writer,
        &[("status", "no tag here"), ("visibility", "public")],
    )
    .await;
    let gina_id = gina["account"]["id"]
        .as_str()
        .expect("account id")
        .to_owned();
    let dir = temp_dir();
    let path = dir.path().to_path_buf();
    let base = mock.base.clone();
    let run = blocking(move || {
        let add = braid(
            &path,
            &[
                "account",
                "add",
                "mastodon",
                &base,
                "--token",
                &reader,
                "--name",
                "frank",
                "--no-home",
            ],
        );
        let tag = braid(
            &path,
            &[
                "source",
                "add",
                "--account",
                "frank",
                "--timeline",
                "tag:rustlang",
                "--name",
                "rust tag",
            ],
        );
        let acc = braid(
            &path,
            &[
                "source",
                "add",
                "--account",
                "frank",
                "--timeline",
                &format!("account:{gina_id}"),
                "--name",
                "gina",
            ],
        );
        let bad = braid(
            &path,
            &[
                "source",
                "add",
                "--account",
                "frank",
                "--timeline",
                "everything",
            ],
        );
        let sync = braid(&path, &["sync"]);
        let tag_items = braid(&path, &["timeline", "--source", "rust tag", "--json"]);
        let gina_items = braid(&path, &["timeline", "--source", "gina", "--json"]);
        (add, tag, acc, bad, sync, tag_items, gina_items)
    })
    .await;
    let (add, tag, acc, bad, sync, tag_items, gina_items) = run;
    for o in [&add, &tag, &acc, &sync] {
        assert!(o.status.success(), "{}{}", out(o), err(o));
    }
    assert!(
        err(&bad).contains("use home, list:ID, tag:NAME or account:ID"),
        "{}",
        err(&bad)
    );
    let tag_items = json(&tag_items);
    assert_eq!(tag_items.as_array().map(Vec::len), Some(1), "{tag_items}");
    assert_eq!(tag_items[0]["content_text"], "learning #rustlang today");
    assert_eq!(json(&gina_items).as_array().map(Vec::len), Some(2));
}

#[test]
fn unknown_server_type_is_refused_with_the_choices() {
    let dir = temp_dir();
    let o = braid(
        dir.path(),
        &[
            "account",
            "add",
            "mastodon",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "--server-type",
            "myspace",
        ],
    );
    assert!(!o.status.success());
    let e = err(&o);
    assert!(
        e.contains("unknown server type \"myspace\"") && e.contains("gotosocial"),
        "{e}"
    );
}

/// Tokens are base64url and may start with '-': the CLI must take them as values, not flags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_starting_with_a_dash_is_a_value() {
    let dir = temp_dir();
    let o = add_account(dir.path(), "http://127.0.0.1:9", "-0abc", &[]).await;
    assert!(!o.status.success());
    let e = err(&o);
    assert!(!e.contains("unexpected argument"), "{e}");
    assert!(
        e.starts_with("error: mastodon:") || e.contains("could not connect"),
        "{e}"
    );
}

/// `braid …` with extra environment variables, and without `BRAID_ALLOW_PRIVATE_NETWORKS`
/// unless `envs` sets it; the proxy variables of the test's own environment are removed so
/// only what `envs` sets applies.
fn braid_env(dir: &std::path::Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.current_dir(dir).env("BRAID_LOG", "warn").args(args);
    for var in PROXY_VARS.iter().chain(["NO_PROXY", "no_proxy"].iter()) {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run braid")
}

const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// A server whose nodeinfo names software megalodon does not know, and whose accounts lack
/// `fields`, `group`, `discoverable` and `role`, can be added with a token and with an
/// out-of-band code pasted with the text some servers show beside it.
///
/// No such server installs from the registries, so this is mastodon-mock behind our own
/// response-rewriting proxy (tests/support/proxy.rs): an accepted stand-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_api_server_megalodon_does_not_know_can_be_added() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    mock.user("carol").await;
    mock.post(
        &token,
        &[("status", "hello from foosoft"), ("visibility", "public")],
    )
    .await;
    let proxy = crate::support::proxy::RewriteProxy::start(&mock.base, |path, json| {
        if path == "/nodeinfo/2.0" {
            json["software"] = serde_json::json!({ "name": "foosoft", "version": "1.2" });
        }
        if path == "/api/v1/accounts/verify_credentials" {
            if let Some(account) = json.as_object_mut() {
                for key in ["fields", "group", "discoverable", "role"] {
                    account.remove(key);
                }
            }
        }
    })
    .await;
    let dir = temp_dir();
    let added = add_account(dir.path(), &proxy.base, &token, &["--name", "alice"]).await;
    assert!(added.status.success(), "{}", err(&added));
    assert!(
        err(&added).contains(
            "mastodon: detected \"foosoft\" 1.2 (not a known Mastodon-family server); using the Mastodon API"
        ),
        "{}",
        err(&added)
    );
    assert!(
        out(&added).contains("Logged in as alice@"),
        "{}",
        out(&added)
    );

    // The explicit type takes the same lenient path.
    let typed = add_account(
        dir.path(),
        &proxy.base,
        &token,
        &["--server-type", "mastodon", "--no-home"],
    )
    .await;
    assert!(typed.status.success(), "{}", err(&typed));

    // mastodon-mock's authorize page mints `mockcode_<username>`; pasted with whitespace, a
    // `code=` prefix and the `&state=…` some servers show beside it, it is still the code.
    let path = dir.path().to_path_buf();
    let base = proxy.base.clone();
    let (oob, sync, timeline) = blocking(move || {
        let oob = braid(
            &path,
            &[
                "account",
                "add",
                "mastodon",
                &base,
                "--name",
                "carol",
                "--no-home",
                "--code",
                "  code=mockcode_carol&state=a1b2c3 \n",
            ],
        );
        let sync = braid(&path, &["sync"]);
        let timeline = braid(&path, &["timeline", "--json"]);
        (oob, sync, timeline)
    })
    .await;
    assert!(oob.status.success(), "{}", err(&oob));
    assert!(out(&oob).contains("Logged in as carol@"), "{}", out(&oob));
    assert!(sync.status.success(), "{}", err(&sync));
    assert_eq!(json(&timeline)[0]["content_text"], "hello from foosoft");
}

/// megalodon's own HTTP clients honoured `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`, where
/// Braid's private-network check never sees the target: logging in never goes through them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_never_goes_through_environment_proxies() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    mock.user("carol").await;
    let recorder = crate::support::proxy::RecordingProxy::start().await;
    let proxy_url = recorder.url();
    let dir = temp_dir();
    let path = dir.path().to_path_buf();
    let base = mock.base.clone();
    let (with_token, with_code) = blocking(move || {
        let mut envs: Vec<(&str, &str)> = PROXY_VARS
            .iter()
            .map(|v| (*v, proxy_url.as_str()))
            .collect();
        envs.push(("BRAID_ALLOW_PRIVATE_NETWORKS", "1"));
        let with_token = braid_env(
            &path,
            &envs,
            &["account", "add", "mastodon", &base, "--token", &token],
        );
        let with_code = braid_env(
            &path,
            &envs,
            &[
                "account",
                "add",
                "mastodon",
                &base,
                "--name",
                "carol",
                "--no-home",
                "--code",
                "mockcode_carol",
            ],
        );
        (with_token, with_code)
    })
    .await;
    assert!(with_token.status.success(), "{}", err(&with_token));
    assert!(with_code.status.success(), "{}", err(&with_code));
    assert_eq!(recorder.connections(), Vec::<String>::new());
}

/// Logging in to a host that resolves to a private address is refused unless private networks
/// are allowed: detection, app registration and the token check alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_to_a_private_host_is_refused() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("alice").await;
    let port = url::Url::parse(&mock.base)
        .ok()
        .and_then(|u| u.port())
        .expect("port");
    let by_name = format!("http://localhost:{port}");
    let dir = temp_dir();
    let path = dir.path().to_path_buf();
    let runs = blocking(move || {
        let cases: [&[&str]; 3] = [
            &["--token", &token],
            &["--token", &token, "--server-type", "mastodon"],
            &["--code", "mockcode_alice", "--server-type", "mastodon"],
        ];
        cases
            .iter()
            .map(|extra| {
                let mut args = vec!["account", "add", "mastodon", by_name.as_str()];
                args.extend_from_slice(extra);
                braid_env(&path, &[], &args)
            })
            .collect::<Vec<_>>()
    })
    .await;
    for run in &runs {
        assert!(!run.status.success());
        let e = err(run);
        assert!(
            e.starts_with("error: mastodon:") && e.contains("private"),
            "{e}"
        );
    }
    let path = dir.path().to_path_buf();
    let accounts = blocking(move || braid(&path, &["account", "list", "--json"])).await;
    assert_eq!(json(&accounts), serde_json::json!([]));
}

/// An account whose token is missing is an error that says to log in again, on the source it
/// reads through and for `braid post`, never a request with an empty token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_token_asks_to_log_in_again() {
    let h = crate::support::Harness::new(|_| {});
    let instance = url::Url::parse("http://127.0.0.1:9/").expect("url");
    let account = h
        .store
        .add_account(braid::store::NewAccount {
            name: "nobody".into(),
            kind: "mastodon".into(),
            identity: format!("{instance}#1"),
            handle: Some("nobody@127.0.0.1".into()),
            display_name: None,
            profile_url: None,
            server_url: Some(instance.to_string()),
            credentials: serde_json::json!({ "token": "", "server_type": "mastodon" }),
        })
        .await
        .expect("add account");
    let record = h
        .store
        .account(account)
        .await
        .expect("read")
        .expect("account");
    let source = braid::subscribe::timeline(
        &h.store,
        &braid::connectors::Registry::builtin(),
        &record,
        "home",
        Some(5),
        braid::subscribe::Placement::default(),
    )
    .await
    .expect("add source")
    .id;
    let expected =
        "mastodon: account nobody has no access token; log in again with `braid account add mastodon http://127.0.0.1:9/`";
    let path = h.dir.path().to_path_buf();
    let posted = blocking(move || braid(&path, &["post", "hello", "--to", "nobody"])).await;
    assert!(!posted.status.success());
    assert_eq!(err(&posted).trim(), format!("error: {expected}"));

    // `braid post` found the account unusable, so its sources say so too, with the same fix.
    h.poll(source).await;
    let last_error = h.source(source).await.last_error.unwrap_or_default();
    assert_eq!(
        last_error,
        "mastodon: nobody must log in again: `braid account add mastodon http://127.0.0.1:9/`"
    );
}

/// The key makes a repeated command safe (the outbox finds the first post); `--help` says so.
#[test]
fn post_key_help_says_which_servers_honour_it() {
    let dir = temp_dir();
    let help = braid(dir.path(), &["post", "--help"]);
    let text = out(&help).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("running `braid post` again with the same key queues nothing new"),
        "{text}"
    );
}

/// `braid account add` is assembled from the registry: each network with accounts is a
/// subcommand, its flags are the login fields its factory declares (today's flags unchanged).
#[test]
fn account_add_flags_come_from_the_factories() {
    let dir = temp_dir();
    let help = braid(dir.path(), &["account", "add", "--help"]);
    assert!(help.status.success());
    assert!(out(&help).contains("mastodon"), "{}", out(&help));
    let help = braid(dir.path(), &["account", "add", "mastodon", "--help"]);
    let text = out(&help);
    for flag in [
        "<INSTANCE>",
        "--name",
        "--token",
        "--code",
        "--server-type",
        "--no-home",
        "--backfill",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    let both = braid(
        dir.path(),
        &[
            "account",
            "add",
            "mastodon",
            "x.example",
            "--token",
            "t",
            "--code",
            "c",
        ],
    );
    assert!(!both.status.success());
    assert!(err(&both).contains("cannot be used with"), "{}", err(&both));
    let unknown = braid(dir.path(), &["account", "add", "nosuchnet", "x"]);
    assert!(!unknown.status.success());
    assert!(err(&unknown).contains("nosuchnet"), "{}", err(&unknown));
}
