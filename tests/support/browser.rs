//! The browser tests' peers and how to run them: Debian's `chromium` driven by `playwright-core`
//! (npm, pinned by `tests/browser/package-lock.json`, installed by `tests/run.sh` with `npm ci`
//! into `tests/browser/node_modules`) through the scripts in `tests/browser/`.
//!
//! A script is a user's visit to Braid: it gets what it needs (the base URL, a setup link, a
//! feed's address, account names) as environment variables, asserts on what the page shows,
//! saves a screenshot of each step under `target/browser/`, and prints one JSON object on its
//! last line of stdout for the Rust test to check.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Debian's chromium (`apt-get install chromium`); Playwright's own browser download is skipped.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// `tests/browser/`: the scripts, their package.json and node_modules.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// `target/browser/`: the screenshots, beside the test binary's `target/tmp/`.
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser")
}

/// True when Node, playwright-core and chromium are all here. Otherwise reports the missing
/// one (a failure under `CI=true`, a loud skip elsewhere) and returns false.
pub fn available() -> bool {
    if !super::command_exists("node") {
        super::missing_peer("node", "apt-get install nodejs (Node 18 or newer)");
        return false;
    }
    if !Path::new(CHROMIUM).exists() {
        super::missing_peer("chromium", "apt-get install chromium");
        return false;
    }
    if !scripts_dir()
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        super::missing_peer(
            "playwright-core",
            "cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci",
        );
        return false;
    }
    true
}

/// Runs `node tests/browser/SCRIPT` with `env` (plus `CHROMIUM` and `SCREENSHOTS`) and returns
/// the JSON object on its last line of stdout. Panics with everything it printed when it exits
/// with an error, prints no JSON, or runs longer than four minutes.
pub async fn run(script: &str, env: &[(&str, String)]) -> serde_json::Value {
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).expect("make target/browser");
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(scripts_dir().join(script))
        .current_dir(scripts_dir())
        .env("CHROMIUM", CHROMIUM)
        .env("SCREENSHOTS", &shots)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(240), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} ran longer than four minutes"))
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}); screenshots in {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        shots.display()
    );
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    last.and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!("{script} printed no JSON\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
        })
}
