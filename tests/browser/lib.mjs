// What the browser scripts share: launching Debian's chromium, numbered screenshots, waiting
// for what a user would see, and the one JSON line the Rust test reads (tests/support/browser.rs).
// playwright-core has no test runner and no `expect`: a failed check throws, the script prints
// it and exits 1, and the Rust test shows that output.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

/// An environment variable the Rust test must set.
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run this through cargo test)`);
  return v;
}

/// Debian's chromium, headless. Playwright's `launch` gives each run a fresh temporary profile
/// (user-data dir) and deletes it afterwards. The network here is closed: without the flags
/// that turn off background networking, component updates, sync and QUIC, Chromium keeps
/// trying to reach Google and fills the log with errors. --no-sandbox: CI runs as root.
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/// Throws `message` unless `cond`.
export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/// Polls `probe` until it returns something truthy (and returns that), or throws `what` after
/// `ms` milliseconds.
export async function until(probe, what, ms = 30000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

/// The path of a page's URL, with its query.
export function pathOf(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/// A run of steps, each with a screenshot, reported as JSON at the end.
export class Report {
  constructor(prefix) {
    this.prefix = prefix;
    this.dir = env("SCREENSHOTS");
    this.n = 0;
    this.steps = [];
    this.shots = [];
    this.data = {};
    this.page = null;
    // A run's screenshots replace the last run's, failures included.
    fs.mkdirSync(this.dir, { recursive: true });
    for (const f of fs.readdirSync(this.dir)) {
      if (f.startsWith(`${prefix}-`) && f.endsWith(".png")) fs.rmSync(path.join(this.dir, f));
    }
  }

  /// Saves the page as `PREFIX-NN-name.png`: all of it, or with `{ fullPage: false }` the
  /// first screen (a long page shrinks past reading when viewed whole).
  async shot(page, name, { fullPage = true } = {}) {
    this.n += 1;
    const file = path.join(this.dir, `${this.prefix}-${String(this.n).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    this.shots.push(file);
    return file;
  }

  /// Runs one step, logging its name to stderr (set `this.page` to the page a failure should
  /// photograph).
  async step(name, fn) {
    const started = Date.now();
    process.stderr.write(`step: ${name}\n`);
    await fn();
    this.steps.push({ name, ms: Date.now() - started });
  }
}

/// Runs `body(report)`, prints the JSON report, and exits 0; on a failure prints the error (and
/// photographs `report.page`, the page being worked on) and exits 1.
export async function main(prefix, body) {
  const report = new Report(prefix);
  let browser;
  try {
    browser = await launch();
    await body(report, browser);
    console.log(JSON.stringify({ ok: true, steps: report.steps, shots: report.shots, ...report.data }));
    await browser.close();
    process.exit(0);
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    if (report.page) {
      try {
        console.error(`page at failure: ${report.page.url()}`);
        await report.shot(report.page, "FAILED");
      } catch (_) {
        // The page may be gone; the error above is what matters.
      }
    }
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  }
}
