// A feed of XSS vectors, read in Chromium: the timeline, /sources and every item's own page,
// with each link and control the vectors would have made clicked. Nothing may run: no payload
// sets `window.__xss` (in any frame), none reaches the listener (the Rust test counts its
// hits), no dialog opens. Every page is served with a Content-Security-Policy without
// 'unsafe-inline', and its DOM holds no script in items, no on* attribute, no javascript:/data:
// address. All of it twice: as served, then with `bypassCSP`, so the sanitizer is shown to
// stop the vectors on its own and the CSP is a second wall, not the only one.
// First a control: the same vectors raw, on the listener's own page, must run.
// Run by tests/web/browser.rs, which serves the feed and the listener and polls the feed.
import { env, check, main } from "./lib.mjs";

const BASE = env("BASE");
const COOKIE = env("COOKIE");
const LISTENER = env("LISTENER");
const ITEMS = Number(env("ITEMS"));

/// What the page's DOM holds that it must not: run in the page.
function violations() {
  const bad = [];
  const main = document.querySelector("main") || document.body;
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcset", "cite", "ping"];
  for (const el of main.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      // What a browser's URL parser ignores: whitespace and control characters anywhere.
      const v = a.value.replace(/[\u0000-\u0020]+/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`<${el.localName} ${name}>`);
      if (name === "srcdoc" || name === "style") bad.push(`<${el.localName} ${name}>`);
      if (urlAttrs.includes(name)) {
        if (/^(javascript|vbscript):/.test(v) || /(^|[\s,])javascript:/.test(v)) bad.push(`<${el.localName} ${name}=${a.value}>`);
        const rasterImage = el.localName === "img" && name === "src" && /^data:image\/(png|jpeg|gif|webp|avif)[;,]/.test(v);
        if (v.startsWith("data:") && !rasterImage) bad.push(`<${el.localName} ${name}=${a.value.slice(0, 40)}>`);
      }
    }
  }
  for (const el of main.querySelectorAll("script, iframe, frame, object, embed, applet, base, meta, link, style, noscript")) {
    bad.push(`<${el.localName}> in main`);
  }
  // The page's own scripts are files from /static/, never inline.
  for (const s of document.scripts) {
    if (!s.src || new URL(s.src).pathname.indexOf("/static/") !== 0) bad.push(`inline or foreign <script> ${s.src}`);
  }
  return bad;
}

/// `window.__xss` of every frame of `page` that can be read.
async function marks(page) {
  const found = [];
  for (const frame of page.frames()) {
    const v = await frame.evaluate(() => window.__xss).catch(() => undefined);
    if (v !== undefined) found.push(`${frame.url()}: ${v}`);
  }
  return found;
}

await main("xss", async (report, browser) => {
  const [cookieName, cookieValue] = COOKIE.split(/=(.*)/s);
  let pages = 0;
  let clicks = 0;
  const csps = new Set();

  await report.step("control: the raw vectors run on a page without sanitizer or CSP", async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    report.page = page;
    page.on("dialog", (d) => d.dismiss().catch(() => {}));
    await page.goto(`${LISTENER}/control`);
    await page.waitForTimeout(1000);
    const ran = await marks(page);
    check(ran.length > 0, "no payload ran on the control page: the test could not see an XSS");
    const bad = await page.evaluate(violations);
    check(bad.length > 0, "the DOM check finds nothing wrong on the control page");
    report.data.control = ran;
    report.data.control_violations = bad.length;
    await report.shot(page, "control");
    await ctx.close();
  });

  for (const bypassCSP of [false, true]) {
    const label = bypassCSP ? "without CSP" : "with CSP";
    const ctx = await browser.newContext({ bypassCSP });
    await ctx.addCookies([{ name: cookieName, value: cookieValue, url: BASE }]);
    // Only Braid and the listener are reachable (a payload that runs must be able to call it).
    await ctx.route("**/*", (route) => {
      const origin = new URL(route.request().url()).origin;
      return origin === BASE || origin === LISTENER ? route.continue() : route.abort();
    });
    const dialogs = [];
    const popups = [];
    const opened = [];
    const page = await ctx.newPage();
    // Windows a click opened (the one above is ours).
    ctx.on("page", (p) => popups.push(p));
    report.page = page;
    page.on("dialog", (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });

    const api = await ctx.request.get(`${BASE}/api/timeline?limit=100`);
    check(api.ok(), `/api/timeline answered ${api.status()}`);
    const ids = (await api.json()).items.map((i) => i.id);
    check(ids.length === ITEMS, `the API lists ${ids.length} items, not ${ITEMS}`);

    const visit = async (path, name, shot = {}) => {
      const url = `${BASE}${path}`;
      const resp = await page.goto(url);
      check(resp.status() === 200, `${path} answered ${resp.status()}`);
      const csp = resp.headers()["content-security-policy"];
      check(csp, `${path} has no Content-Security-Policy`);
      check(!/unsafe-inline|unsafe-eval/.test(csp), `${path}'s CSP allows inline script or eval: ${csp}`);
      check(/script-src|default-src/.test(csp), `${path}'s CSP does not restrict scripts: ${csp}`);
      csps.add(csp);
      await page.waitForTimeout(300); // onload, onerror, autofocus
      const bad = await page.evaluate(violations);
      check(bad.length === 0, `${path} (${label}) holds ${JSON.stringify(bad)}`);
      // Click what the vectors would have made: every "vector …" text, and every link that
      // is not plain http(s) or mailto.
      const targets = page.locator("main").getByText(/^vector /);
      const odd = page.locator("main a[href]:not([href^='http://']):not([href^='https://']):not([href^='mailto:']):not([href^='/']):not([href^='#'])");
      for (const set of [targets, odd]) {
        const n = await set.count();
        for (let i = 0; i < n; i++) {
          const before = popups.length;
          const what = await set.nth(i).evaluate((e) => e.outerHTML.slice(0, 200)).catch(() => "?");
          await set.nth(i).click({ timeout: 2000, noWaitAfter: true, force: true }).catch(() => {});
          clicks += 1;
          if (popups.length > before) opened.push({ on: path, clicked: what });
          await page.waitForTimeout(150);
          const ran = await marks(page);
          check(ran.length === 0, `clicking on ${path} (${label}) ran ${JSON.stringify(ran)}`);
          if (page.url() !== url) await page.goto(url);
        }
      }
      const ran = await marks(page);
      check(ran.length === 0, `${path} (${label}) ran ${JSON.stringify(ran)}`);
      pages += 1;
      if (name) {
        await page.evaluate(() => window.scrollTo(0, 0)); // the clicks above scrolled it
        await report.shot(page, name, shot);
      }
    };

    const suffix = bypassCSP ? "-no-csp" : "";
    await report.step(`timeline ${label}`, async () => {
      await visit("/", `timeline${suffix}`, { fullPage: false });
      const shown = await page.locator("main article", { hasText: /Hostile \d+/ }).count();
      check(shown >= Math.min(ITEMS, 20), `the timeline shows ${shown} hostile items`);
      report.data.timeline_items = shown;
    });
    await report.step(`sources ${label}`, async () => {
      await visit("/sources", `sources${suffix}`);
    });
    await report.step(`every item's page ${label}`, async () => {
      for (const [i, id] of ids.entries()) {
        await visit(`/items/${id}`, i === 0 || i === 12 ? `item-${id}${suffix}` : null);
        const text = await page.locator("main").innerText();
        check(/Hostile \d+/.test(text), `/items/${id} does not show its item`);
      }
    });
    for (const p of popups) {
      const ran = await marks(p);
      check(ran.length === 0, `a window opened by a click ran ${JSON.stringify(ran)}`);
    }
    check(dialogs.length === 0, `dialogs opened (${label}): ${JSON.stringify(dialogs)}`);
    report.data[bypassCSP ? "popups_no_csp" : "popups"] = { urls: popups.map((p) => p.url()), opened };
    await ctx.close();
  }
  report.data.pages = pages;
  report.data.clicks = clicks;
  report.data.csp = [...csps];
});
