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
        accounts[0]["acct"]
            .as_str()
            .unwrap_or_default()
            .split('@')
            .next(),
        Some("alice")
    );
    assert_eq!(accounts[0]["server_type"], "mastodon");
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
        let too_long = braid(&path, &["post", &"x".repeat(600), "--to", "erin"]);
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
        e.starts_with("error: mastodon:") && e.to_lowercase().contains("character"),
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
const PNG_1X1: &[u8] = &[
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
