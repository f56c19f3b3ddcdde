//! Shared pieces of the benchmarks: realistic synthetic feeds and small statistics.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An HTML body of about 1.7 KB, like a typical blog entry (paragraphs, links, an image).
pub fn entry_html(i: usize) -> String {
    format!(
        "<p>Entry {i} opens with a paragraph about <a href=\"https://example.org/topic/{i}\">a topic</a> \
         and <em>some emphasis</em>, the way most blog posts do. It goes on for a while to reach a \
         realistic length, mentioning feeds, bridges and timelines along the way.</p>\
         <p><img src=\"https://cdn.example.org/img/{i}.jpg\" alt=\"A picture for entry {i}\" width=\"640\" height=\"480\"></p>\
         <p>Second paragraph with a <strong>bold claim</strong>, a list of things:</p>\
         <ul><li>first thing to note</li><li>second thing, with <code>code</code></li><li>third thing</li></ul>\
         <blockquote>A quotation from somewhere else on the web, carried along for context.</blockquote>\
         <p>Closing words for entry {i}, with one more <a href=\"/relative/{i}\">relative link</a> that \
         must be resolved against the feed URL, and a final sentence to round off the piece nicely. \
         Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut \
         labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco.</p>"
    )
}

pub fn rss_feed(n: usize, seed: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Bench RSS</title><link>https://blog.example/</link><description>bench</description>",
    );
    for i in 0..n {
        let id = seed * 100_000 + i;
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">rss-{id}</guid><title>RSS entry {id}: a title of usual length</title>\
             <link>https://blog.example/posts/{id}</link><dc:creator>Author {}</dc:creator>\
             <pubDate>Tue, 24 Nov 2026 {:02}:{:02}:00 GMT</pubDate><category>bench</category>\
             <description>Summary of entry {id}.</description><content:encoded><![CDATA[{}]]></content:encoded></item>",
            i % 7, (i / 60) % 24, i % 60, entry_html(id)
        ));
    }
    out.push_str("</channel></rss>");
    out
}

pub fn atom_feed(n: usize, seed: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Bench Atom</title><id>urn:bench</id><updated>2026-11-24T10:00:00Z</updated><link href=\"https://blog.example/\"/>",
    );
    for i in 0..n {
        let id = seed * 100_000 + i;
        let html = entry_html(id)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        out.push_str(&format!(
            "<entry><id>urn:atom:{id}</id><title>Atom entry {id}: a title of usual length</title>\
             <link rel=\"alternate\" href=\"https://blog.example/posts/{id}\"/><author><name>Author {}</name></author>\
             <published>2026-11-24T{:02}:{:02}:00Z</published><updated>2026-11-24T{:02}:{:02}:00Z</updated>\
             <category term=\"bench\"/><summary>Summary of entry {id}.</summary><content type=\"html\">{html}</content></entry>",
            i % 7, (i / 60) % 24, i % 60, (i / 60) % 24, i % 60
        ));
    }
    out.push_str("</feed>");
    out
}

/// p50 and p99 of `samples`.
pub fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

/// Peak resident set size of this process so far, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// mastodon-mock (PyPI, installed by tests/run.sh) running as a child process.
pub struct Mock {
    pub base: String,
    child: Child,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn mock_executable() -> Option<PathBuf> {
    let python = std::env::var("BRAID_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/venv/bin/python")
        });
    let exe = python.parent()?.join("mastodon_mock");
    exe.exists().then_some(exe)
}

/// Starts mastodon-mock on a free port of 127.0.0.1; `None` when it is not installed.
pub async fn start_mock() -> Option<Mock> {
    let exe = mock_executable()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(exe)
        .args([
            "serve",
            "--in-memory",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mock = Mock {
        base: format!("http://127.0.0.1:{port}"),
        child,
    };
    for _ in 0..300 {
        if reqwest::get(format!("{}/api/v1/instance", mock.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some(mock);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

pub async fn mock_user(mock: &Mock, name: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/_mock/dev_user", mock.base))
        .json(&serde_json::json!({ "username": name }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}
