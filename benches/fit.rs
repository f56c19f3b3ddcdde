//! Fitting figures (`braid_core::fit`): the time to fit real texts (the golden fixtures: blog
//! prose with links and mentions, emoji, Japanese, Chinese) to Mastodon's and Bluesky's limits
//! as threads, and a 100 KB text as a thread and as a truncation. Fitting runs once per
//! delivery, before its first send.
//!
//! `cargo bench --bench fit`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use braid_core::connector::{CountUnit, TextLimit};
use braid_core::fit::{fit_text, FitOptions, LongText};

fn limit(max: usize, url_length: Option<usize>, mentions: bool) -> TextLimit {
    TextLimit {
        max,
        unit: CountUnit::Graphemes,
        url_length,
        mention_without_domain: mentions,
    }
}

/// Median time of `runs` fits of `text`.
fn time(text: &str, limit: &TextLimit, opts: &FitOptions, runs: usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut parts = 0;
    for _ in 0..runs {
        let started = Instant::now();
        parts = fit_text(text, limit, true, opts).parts.len();
        times.push(started.elapsed());
    }
    let (p50, _) = common::percentiles(&mut times);
    (p50, parts)
}

fn main() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/core/tests/fixtures/fit");
    let mastodon = limit(500, Some(23), true);
    let bluesky = limit(300, None, false);
    let thread = FitOptions::default();
    println!("fit benchmark (median of 200 runs each)");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (m, mp) = time(&text, &mastodon, &thread, 200);
        let (b, bp) = time(&text, &bluesky, &thread, 200);
        println!(
            "  {name:<14} {:>6} chars  mastodon {:>7.1} us ({mp} parts)  bluesky {:>7.1} us ({bp} parts)",
            text.chars().count(),
            m.as_secs_f64() * 1e6,
            b.as_secs_f64() * 1e6
        );
    }
    let blog = std::fs::read_to_string(dir.join("blog_en.txt")).unwrap();
    let big = blog.repeat(100_000 / blog.len() + 1);
    let (t, parts) = time(&big, &mastodon, &thread, 20);
    println!(
        "  {} KB text as a Mastodon thread: {:.1} ms ({parts} parts)",
        big.len() / 1024,
        t.as_secs_f64() * 1e3
    );
    let truncate = FitOptions {
        long: Some(LongText::Truncate),
        link: Some("https://blog.example/a/post".into()),
        ..FitOptions::default()
    };
    let (t, _) = time(&big, &bluesky, &truncate, 20);
    println!(
        "  {} KB text truncated for Bluesky with a link: {:.1} ms",
        big.len() / 1024,
        t.as_secs_f64() * 1e3
    );
}
