//! The feed pipeline against a live local HTTP server: fetch → parse → sanitize → store →
//! schedule, with every kind of bad input the issue names.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::support::server::{gzip, Reply, TestServer};
use crate::support::Harness;

mod tolerant;
mod warnings;

const RSS: &str = "application/rss+xml";

fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test Feed</title><link>https://blog.example/</link><description>d</description>"#,
    );
    for (guid, title, body) in items {
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://blog.example/{guid}</link><description><![CDATA[{body}]]></description><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

#[tokio::test]
async fn etag_304_then_change() {
    let version = Arc::new(AtomicUsize::new(1));
    let v = version.clone();
    let server = TestServer::start(move |req| {
        let current = v.load(Ordering::SeqCst);
        let etag = format!("\"v{current}\"");
        if req.headers.get("if-none-match") == Some(&etag) {
            return Reply::status(304).header("ETag", &etag);
        }
        let items: Vec<(&str, &str, &str)> = if current == 1 {
            vec![("a", "First", "one")]
        } else {
            vec![("a", "First", "one"), ("b", "Second", "two")]
        };
        Reply::ok(RSS, rss(&items)).header("ETag", &etag)
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("t", &server.url("/feed")).await;

    let first = h.poll(id).await;
    assert_eq!(first.error, None);
    assert_eq!(first.stats.new, 1);
    let second = h.poll(id).await;
    assert!(
        second.not_modified,
        "second poll should be a 304: {second:?}"
    );
    assert_eq!(second.stats.new, 0);
    let hits = server.hits("/feed");
    assert_eq!(
        hits[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert!(hits[0]
        .headers
        .get("user-agent")
        .is_some_and(|ua| ua.starts_with("Braid/")));

    version.store(2, Ordering::SeqCst);
    let third = h.poll(id).await;
    assert!(!third.not_modified);
    assert_eq!((third.stats.new, third.stats.unchanged), (1, 1));
    assert_eq!(h.items(id).await.len(), 2);
    assert_eq!(h.source(id).await.item_count, 2);
}

#[tokio::test]
async fn gzip_body_is_decoded() {
    let body = gzip(rss(&[("g", "Gzipped", "compressed body")]).as_bytes());
    let server =
        TestServer::start(move |_| Reply::ok(RSS, body.clone()).header("Content-Encoding", "gzip"))
            .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("gz", &server.url("/feed")).await;
    let out = h.poll(id).await;
    assert_eq!(out.error, None);
    assert_eq!(h.items(id).await[0].item.title.as_deref(), Some("Gzipped"));
}

#[tokio::test]
async fn permanent_redirect_updates_url() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/old" => Reply::redirect(301, "/new"),
        _ => Reply::ok(RSS, rss(&[("m", "Moved", "x")])),
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("moved", &server.url("/old")).await;
    assert_eq!(h.poll(id).await.error, None);
    assert_eq!(h.source(id).await.url, server.url("/new"));
    assert_eq!(h.items(id).await.len(), 1);
}

#[tokio::test]
async fn temporary_redirect_keeps_url() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/feed" => Reply::redirect(302, "/elsewhere"),
        _ => Reply::ok(RSS, rss(&[("t", "Temp", "x")])),
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("temp", &server.url("/feed")).await;
    assert_eq!(h.poll(id).await.error, None);
    assert_eq!(h.source(id).await.url, server.url("/feed"));
}

#[tokio::test]
async fn gone_disables_with_reason() {
    let server = TestServer::start(|_| Reply::status(410)).await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("gone", &server.url("/feed")).await;
    let out = h.poll(id).await;
    assert!(out.disabled.is_some());
    let s = h.source(id).await;
    assert!(!s.enabled);
    assert!(
        s.disabled_reason
            .as_deref()
            .unwrap_or_default()
            .contains("410"),
        "{s:?}"
    );
}

#[tokio::test]
async fn rate_limited_respects_retry_after_without_counting() {
    let server = TestServer::start(|_| Reply::status(429).header("Retry-After", "600")).await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("busy", &server.url("/feed")).await;
    let before = Utc::now();
    let out = h.poll(id).await;
    assert!(
        out.error.as_deref().unwrap_or_default().contains("429"),
        "{out:?}"
    );
    let s = h.source(id).await;
    assert_eq!(
        s.error_count, 0,
        "rate limiting must not count towards disabling"
    );
    assert!(s.enabled);
    let next = s.next_poll.expect("next poll");
    assert!(
        next >= before + chrono::Duration::seconds(600),
        "next poll {next} too early"
    );
    assert!(s.last_error.is_some(), "the owner must see the 429");
}

#[tokio::test]
async fn server_errors_back_off_then_disable() {
    let server = TestServer::start(|_| Reply::status(500)).await;
    let h = Harness::new(|c| c.scheduler.max_failures = 3);
    let id = h.add_feed("broken", &server.url("/feed")).await;
    let t0 = Utc::now();
    h.poll(id).await;
    let first_next = h.source(id).await.next_poll.expect("next");
    h.poll(id).await;
    let s = h.source(id).await;
    assert_eq!(s.error_count, 2);
    assert!(
        s.next_poll.expect("next") - t0 >= first_next - t0,
        "backoff must grow"
    );
    assert!(s.enabled);
    let out = h.poll(id).await;
    assert!(out.disabled.is_some());
    let s = h.source(id).await;
    assert!(!s.enabled);
    let reason = s.disabled_reason.unwrap_or_default();
    assert!(
        reason.contains("3 consecutive failures") && reason.contains("500"),
        "{reason}"
    );
}

#[tokio::test]
async fn redirect_loop_is_an_error() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/a" => Reply::redirect(302, "/b"),
        _ => Reply::redirect(302, "/a"),
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("loop", &server.url("/a")).await;
    let out = h.poll(id).await;
    assert!(
        out.error
            .as_deref()
            .unwrap_or_default()
            .contains("too many redirects"),
        "{out:?}"
    );
    assert!(server.hits("/a").len() + server.hits("/b").len() <= 6);
}

#[tokio::test]
async fn redirect_to_private_address_is_refused() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/feed" => Reply::redirect(302, "http://127.0.0.1:9/secret"),
        "/to-localhost" => Reply::redirect(302, "http://localhost:9/secret"),
        _ => Reply::ok(RSS, rss(&[("p", "Public", "x")])),
    })
    .await;
    let addr = server.addr;
    // Private blocking on; "public.test" stands in for a public host and resolves to the server.
    let h = Harness::with_http(
        |c| c.fetch.allow_private_networks = false,
        move |http| {
            http.allow_private_networks = false;
            http.resolve_overrides.insert("public.test".into(), addr);
        },
    );
    let public = format!("http://public.test:{}", addr.port());
    let ok = h.add_feed("public", &format!("{public}/fine")).await;
    assert_eq!(
        h.poll(ok).await.error,
        None,
        "the public-looking host itself is allowed"
    );

    for path in ["/feed", "/to-localhost"] {
        let id = h.add_feed(path, &format!("{public}{path}")).await;
        let out = h.poll(id).await;
        let err = out.error.unwrap_or_default();
        assert!(err.contains("private or reserved address"), "{path}: {err}");
    }
    assert!(server.hits("/secret").is_empty());

    let direct = h.add_feed("direct", &server.url("/fine")).await;
    let err = h.poll(direct).await.error.unwrap_or_default();
    assert!(
        err.contains("127.0.0.1") && err.contains("private"),
        "{err}"
    );
}

#[tokio::test]
async fn body_over_cap_is_refused() {
    let big = rss(&[("big", "Big", &"x".repeat(300_000))]);
    let server = TestServer::start(move |_| Reply::ok(RSS, big.clone())).await;
    let h = Harness::new(|c| c.fetch.max_body_bytes = 100_000);
    let id = h.add_feed("big", &server.url("/feed")).await;
    let err = h.poll(id).await.error.unwrap_or_default();
    assert!(err.contains("larger than the 100000-byte limit"), "{err}");
}

#[tokio::test]
async fn gzip_bomb_is_cut_at_the_cap() {
    // 200 MB of zeros compresses to about 200 KB; the cap applies after decompression.
    let mut bomb = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut bomb, flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            enc.write_all(&zeros).expect("gzip");
        }
        enc.finish().expect("gzip");
    }
    let server =
        TestServer::start(move |_| Reply::ok(RSS, bomb.clone()).header("Content-Encoding", "gzip"))
            .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("bomb", &server.url("/feed")).await;
    let err = h.poll(id).await.error.unwrap_or_default();
    assert!(err.contains("larger than the 10485760-byte limit"), "{err}");
}

#[tokio::test]
async fn dripping_server_times_out() {
    let body = rss(&[("d", "Drip", "slow")]);
    let server = TestServer::start(move |_| {
        let mut r = Reply::ok(RSS, body.clone());
        r.drip = Some(Duration::from_secs(1));
        r
    })
    .await;
    let h = Harness::new(|c| c.fetch.timeout_secs = 2);
    let id = h.add_feed("drip", &server.url("/feed")).await;
    let started = std::time::Instant::now();
    let err = h.poll(id).await.error.unwrap_or_default();
    assert!(err.contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn malformed_xml_keeps_what_was_stored() {
    let broken = Arc::new(AtomicUsize::new(0));
    let b = broken.clone();
    let server = TestServer::start(move |_| {
        if b.load(Ordering::SeqCst) == 1 {
            Reply::ok(
                RSS,
                "<rss version=\"2.0\"><channel><title>oops</title><item><title>unclosed",
            )
        } else {
            Reply::ok(RSS, rss(&[("keep", "Kept", "safe")]))
        }
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("malformed", &server.url("/feed")).await;
    assert_eq!(h.poll(id).await.error, None);
    broken.store(1, Ordering::SeqCst);
    let out = h.poll(id).await;
    assert!(
        out.error
            .as_deref()
            .unwrap_or_default()
            .starts_with("feed:"),
        "{out:?}"
    );
    let s = h.source(id).await;
    assert_eq!(s.error_count, 1);
    assert!(s.last_error.is_some());
    assert_eq!(
        h.items(id).await.len(),
        1,
        "a bad poll must not lose stored items"
    );
}

#[tokio::test]
async fn duplicates_missing_ids_and_updates() {
    let phase = Arc::new(AtomicUsize::new(0));
    let p = phase.clone();
    let server = TestServer::start(move |_| {
        let updated = if p.load(Ordering::SeqCst) == 0 { "2026-11-20T10:00:00Z" } else { "2026-11-22T10:00:00Z" };
        let title = if p.load(Ordering::SeqCst) == 0 { "Draft title" } else { "Final title" };
        Reply::ok(
            "application/atom+xml",
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:feed</id><updated>{updated}</updated>
<entry><id>urn:dup</id><title>Dup</title><updated>2026-11-01T00:00:00Z</updated><content>one</content></entry>
<entry><id>urn:dup</id><title>Dup</title><updated>2026-11-01T00:00:00Z</updated><content>one</content></entry>
<entry><title>No id, no link</title><updated>2026-11-02T00:00:00Z</updated><content>stable?</content></entry>
<entry><id>urn:edit</id><title>{title}</title><updated>{updated}</updated><content>body</content></entry>
</feed>"#
            ),
        )
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("atom", &server.url("/feed")).await;
    let out = h.poll(id).await;
    assert_eq!(out.error, None);
    assert_eq!(h.items(id).await.len(), 3, "duplicate entry stored once");
    let again = h.poll(id).await;
    assert_eq!(
        (again.stats.new, again.stats.updated),
        (0, 0),
        "id-less entry must be stable: {again:?}"
    );

    phase.store(1, Ordering::SeqCst);
    let edit = h.poll(id).await;
    assert_eq!((edit.stats.new, edit.stats.updated), (0, 1), "{edit:?}");
    let items = h.items(id).await;
    assert_eq!(items.len(), 3);
    assert!(items
        .iter()
        .any(|i| i.item.title.as_deref() == Some("Final title")));
    assert!(!items
        .iter()
        .any(|i| i.item.title.as_deref() == Some("Draft title")));
}

#[tokio::test]
async fn hostile_html_is_gone_after_ingest() {
    let server = TestServer::start(|_| {
        Reply::ok(
            RSS,
            rss(&[(
                "evil",
                "Evil &lt;script&gt;alert(1)&lt;/script&gt;",
                r#"<p onclick="steal()">Hi</p><script>alert(1)</script><img src="https://i.example/a.png" onerror="alert(2)"><a href="javascript:alert(3)">click</a><iframe src="https://evil.example/"></iframe><a href="/relative">rel</a>"#,
            )]),
        )
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("evil", &server.url("/feed")).await;
    assert_eq!(h.poll(id).await.error, None);
    let item = h.items(id).await.remove(0).item;
    let html = item.content_html.unwrap_or_default();
    for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe"] {
        assert!(!html.contains(bad), "{bad} survived: {html}");
    }
    assert!(html.contains("noopener noreferrer nofollow"), "{html}");
    assert!(html.contains("https://i.example/a.png"), "{html}");
}

#[tokio::test]
async fn html_page_instead_of_feed_says_so() {
    let server = TestServer::start(|_| {
        Reply::ok(
            "text/html",
            "<!doctype html><html><head><title>x</title></head><body>not a feed</body></html>",
        )
    })
    .await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("page", &server.url("/")).await;
    let err = h.poll(id).await.error.unwrap_or_default();
    assert!(
        err.contains("HTML page") && err.contains("not a feed"),
        "{err}"
    );
}

#[tokio::test]
async fn service_unavailable_with_retry_date() {
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let server = TestServer::start(move |_| Reply::status(503).header("Retry-After", &later)).await;
    let h = Harness::new(|_| {});
    let id = h.add_feed("maint", &server.url("/feed")).await;
    let before = Utc::now();
    h.poll(id).await;
    let s = h.source(id).await;
    assert_eq!(s.error_count, 0);
    assert!(s.next_poll.expect("next") >= before + chrono::Duration::seconds(3500));
}

#[tokio::test]
async fn one_failing_source_does_not_stop_others() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/bad" => Reply::ok(RSS, "garbage"),
        "/slow" => {
            let mut r = Reply::ok(RSS, rss(&[("s", "Slow", "x")]));
            r.drip = Some(Duration::from_millis(400));
            r
        }
        _ => Reply::ok(RSS, rss(&[("g", "Good", "x")])),
    })
    .await;
    let h = Harness::new(|c| c.fetch.timeout_secs = 2);
    h.add_feed("bad", &server.url("/bad")).await;
    h.add_feed("slow", &server.url("/slow")).await;
    let good = h.add_feed("good", &server.url("/good")).await;
    let sources = h.store.list_sources().await.expect("list");
    let outcomes = braid::scheduler::poll_many(h.ctx.clone(), sources, |_| {}).await;
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes.iter().filter(|o| o.error.is_some()).count(), 2);
    assert_eq!(h.items(good).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_per_host_and_overall() {
    // A well-formed feed delivered slowly keeps each connection open for about half a second,
    // so polls that are allowed to overlap do.
    let slow = |_: &crate::support::server::Seen| {
        let mut reply = Reply::ok(RSS, rss(&[("c", "C", "x")]));
        reply.drip = Some(Duration::from_micros(1500));
        reply
    };
    let server = TestServer::start(slow).await;
    // Six sources on one host: at most max_per_host (2) at once.
    let h = Harness::new(|c| c.scheduler.max_per_host = 2);
    for i in 0..6 {
        h.add_feed(&format!("same {i}"), &server.url(&format!("/f{i}")))
            .await;
    }
    let sources = h.store.list_sources().await.expect("list");
    let outcomes = braid::scheduler::poll_many(h.ctx.clone(), sources, |_| {}).await;
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:?}");
    let max = server.max_active.load(Ordering::SeqCst);
    assert!(max <= 2, "per-host limit exceeded: {max} at once");
    assert!(
        max >= 2,
        "polls of one host never overlapped ({max}); the limit is untested"
    );

    // Six hosts, global limit 3: at most 3 at once even though every host has room.
    let server2 = TestServer::start(slow).await;
    let addr2 = server2.addr;
    let h2 = Harness::with_http(
        |c| {
            c.scheduler.max_concurrency = 3;
            c.scheduler.max_per_host = 2;
        },
        move |http| {
            for i in 0..6 {
                http.resolve_overrides
                    .insert(format!("host{i}.test"), addr2);
            }
        },
    );
    for i in 0..6 {
        h2.add_feed(
            &format!("host {i}"),
            &format!("http://host{i}.test:{}/f", addr2.port()),
        )
        .await;
    }
    let sources = h2.store.list_sources().await.expect("list");
    let outcomes = braid::scheduler::poll_many(h2.ctx.clone(), sources, |_| {}).await;
    assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:?}");
    let max = server2.max_active.load(Ordering::SeqCst);
    assert!(
        (3..=3).contains(&max),
        "global limit: {max} at once, expected 3"
    );
}

#[tokio::test]
async fn server_hints_push_the_next_poll_later() {
    let server = TestServer::start(|req| match req.path.as_str() {
        "/ttl" => Reply::ok(
            RSS,
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link><description>d</description><ttl>240</ttl><item><guid>1</guid><title>x</title></item></channel></rss>"#,
        ),
        _ => Reply::ok(RSS, rss(&[("m", "M", "x")])).header("Cache-Control", "public, max-age=7200"),
    })
    .await;
    // A schedule of every minute: the hints, not cron, decide.
    let h = Harness::new(|c| c.scheduler.default_schedule = "* * * * *".into());
    let ttl = h.add_feed("ttl", &server.url("/ttl")).await;
    let max_age = h.add_feed("max-age", &server.url("/cache")).await;
    let before = Utc::now();
    h.poll(ttl).await;
    h.poll(max_age).await;
    let ttl_next = h.source(ttl).await.next_poll.expect("next");
    let cache_next = h.source(max_age).await.next_poll.expect("next");
    assert!(
        ttl_next >= before + chrono::Duration::minutes(239),
        "ttl ignored: {ttl_next}"
    );
    assert!(
        cache_next >= before + chrono::Duration::minutes(119),
        "max-age ignored: {cache_next}"
    );
    assert!(cache_next <= before + chrono::Duration::minutes(122));
}

#[tokio::test]
async fn retention_runs_with_per_source_overrides() {
    let server = TestServer::start(|req| {
        let items: Vec<(String, String, String)> = (0..5)
            .map(|i| {
                (
                    format!("{}-{i}", &req.path[1..]),
                    format!("T{i}"),
                    "x".to_owned(),
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        Reply::ok(RSS, rss(&refs))
    })
    .await;
    let h = Harness::new(|c| {
        c.retention.max_items_per_source = 3;
        c.retention.sources.insert(
            "keep one".into(),
            braid::config::SourceRetention {
                max_age_days: 0,
                max_items: 1,
            },
        );
    });
    let a = h.add_feed("default", &server.url("/a")).await;
    let b = h.add_feed("keep one", &server.url("/b")).await;
    h.poll(a).await;
    h.poll(b).await;
    assert_eq!(h.items(a).await.len() + h.items(b).await.len(), 10);
    let removed = braid::scheduler::run_retention(&h.ctx).await;
    assert_eq!(removed, 2 + 4);
    assert_eq!(h.items(a).await.len(), 3);
    assert_eq!(h.items(b).await.len(), 1);
    // Pruned entries the feed still lists do not come back.
    let again = h.poll(a).await;
    assert_eq!(again.stats.new, 0, "{again:?}");
    assert_eq!(h.items(a).await.len(), 3);
}

/// A redirect to another origin must not carry the Authorization header (an account's token)
/// along; a same-origin redirect keeps it.
#[tokio::test]
async fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let other = TestServer::start(|_| Reply::ok("text/plain", "elsewhere")).await;
    let target = other.url("/landing");
    let origin = TestServer::start(move |req| match req.path.as_str() {
        "/away" => Reply::redirect(302, &target),
        "/here" => Reply::redirect(302, "/final"),
        _ => Reply::ok("text/plain", "home"),
    })
    .await;
    let client = braid_core::http::SafeClient::new(braid_core::http::HttpConfig {
        allow_private_networks: true,
        ..Default::default()
    })
    .expect("client");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", "Bearer s3cret".parse().expect("header"));
    for path in ["/away", "/here"] {
        let url = url::Url::parse(&origin.url(path)).expect("url");
        let resp = client.get(&url, headers.clone()).await.expect("get");
        assert_eq!(resp.status, 200);
    }
    let landed = other.hits("/landing");
    assert_eq!(landed.len(), 1);
    assert!(
        !landed[0].headers.contains_key("authorization"),
        "token leaked to another origin"
    );
    let kept = origin.hits("/final");
    assert_eq!(
        kept[0].headers.get("authorization").map(String::as_str),
        Some("Bearer s3cret")
    );
}
