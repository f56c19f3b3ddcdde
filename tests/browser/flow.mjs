// A new owner's first visit, as a person clicks through it: set the password from the setup link
// `braid run` printed, log in, add a feed (choosing among those a page advertises), read it in
// the timeline, search, write a post to two accounts with the preview of what each receives,
// watch it be delivered, make a channel and read its feed through a private link, log out.
// Run by tests/web/browser.rs, which starts `braid run`, the feed's server and mastodon-mock.
import { env, check, until, pathOf, main } from "./lib.mjs";

const BASE = env("BASE");
const SETUP_LINK = env("SETUP_LINK");
const FEED_PAGE = env("FEED_PAGE");
// The feed to pick among those the page offers (its label), and the source it becomes.
const FEED_CHOICE = env("FEED_CHOICE");
const SOURCE_NAME = env("SOURCE_NAME");
// The chosen feed's titles, newest first.
const TITLES = env("TITLES").split("|");
const ITEM_TITLE = TITLES[0];
const SEARCH_WORD = env("SEARCH_WORD");
const SEARCH_HIT = env("SEARCH_HIT");
const ACCOUNTS = env("ACCOUNTS").split(",");
const POST_TEXT = env("POST_TEXT");
const PASSWORD = "correct horse battery staple";
const CHANNEL = "harbour-picks";
/// A 1×1 PNG, to attach.
const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const CHANNEL_TITLE = "Harbour picks";

/// The link `name` in the header's main navigation.
const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

await main("flow", async (report, browser) => {
  // The browser that opens the setup link; the owner logs in again in a fresh one below.
  const first = await browser.newContext();
  let page = await first.newPage();
  report.page = page;

  await report.step("setup from the printed link", async () => {
    const resp = await page.goto(SETUP_LINK);
    check(resp.status() === 200, `setup link answered ${resp.status()}`);
    await page.getByRole("heading", { name: "Welcome to Braid" }).waitFor();
    await report.shot(page, "setup");
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByLabel("The same again").fill(PASSWORD);
    await page.getByRole("button", { name: "Set the password and log in" }).click();
    await page.waitForURL(`${BASE}/`);
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await report.shot(page, "timeline-empty");
    // The link works once.
    await page.goto(SETUP_LINK);
    check(
      (await page.getByRole("heading", { name: "Welcome to Braid" }).count()) === 0,
      `the setup link still offers the form at ${page.url()}`,
    );
  });

  const ctx = await browser.newContext();
  page = await ctx.newPage();
  report.page = page;

  await report.step("log in", async () => {
    await page.goto(`${BASE}/sources`);
    check(new URL(page.url()).pathname === "/login", `a new browser was not sent to /login but to ${page.url()}`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await report.shot(page, "login");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").waitFor();
    await report.shot(page, "login-wrong-password");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${BASE}/sources`);
    await page.getByRole("heading", { level: 1 }).waitFor();
  });

  await report.step("add a feed, choosing among those the page offers", async () => {
    await page.getByRole("link", { name: "Add sources" }).click();
    await page.waitForURL(`${BASE}/sources/add`);
    await report.shot(page, "sources-add");
    // An account named by its handle is not listed with the handle twice.
    const accounts = await page.getByLabel("Account", { exact: true }).locator("option").allInnerTexts();
    const once = (a) => ACCOUNTS.some((n) => a.startsWith(n) && !a.includes(n, n.length));
    check(accounts.length === ACCOUNTS.length && accounts.every(once), `the account choices: ${JSON.stringify(accounts)}`);
    await page.getByRole("textbox", { name: "Address", exact: true }).fill(FEED_PAGE);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const choices = page.getByRole("group", { name: /This page offers \d+ feeds/ });
    await choices.waitFor();
    check((await choices.getByRole("radio").count()) >= 2, "discovery offered fewer than two feeds");
    await report.shot(page, "feed-choices");
    const wanted = choices.getByLabel(FEED_CHOICE);
    check(!(await wanted.isChecked()), `"${FEED_CHOICE}" is offered first: choosing it proves nothing`);
    await wanted.check();
    await page.getByRole("button", { name: "Subscribe to the chosen feed" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/sources/add"));
    await page.getByRole("heading", { level: 1, name: SOURCE_NAME }).waitFor();
    await report.shot(page, "source-added");
    report.data.source_page = pathOf(page);
  });

  await report.step("see its items in the timeline", async () => {
    // `braid run`'s scheduler polls a new source at once; reload until it has.
    await until(async () => {
      await page.goto(`${BASE}/`);
      return (await page.locator("article", { hasText: ITEM_TITLE }).count()) > 0;
    }, `"${ITEM_TITLE}" in the timeline`);
    const texts = await page.locator("article").allInnerTexts();
    const order = TITLES.map((t) => texts.findIndex((a) => a.includes(t)));
    check(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `the timeline is not newest first: ${JSON.stringify(texts)}`);
    report.data.timeline_articles = texts.length;
    await report.shot(page, "timeline");
  });

  await report.step("search from the header", async () => {
    const box = page.getByRole("searchbox", { name: "Search the timeline" });
    await box.fill(SEARCH_WORD);
    await box.press("Enter");
    await page.waitForURL((u) => u.searchParams.get("q") === SEARCH_WORD);
    const found = page.locator("article");
    await found.first().waitFor();
    const texts = await found.allInnerTexts();
    check(texts.some((t) => t.includes(SEARCH_HIT)), `no result shows "${SEARCH_HIT}": ${JSON.stringify(texts)}`);
    check(!texts.some((t) => t.includes(ITEM_TITLE)), `"${ITEM_TITLE}" does not match "${SEARCH_WORD}" yet is shown`);
    report.data.search_results = texts.length;
    await report.shot(page, "search");
  });

  await report.step("the same pages on a phone-sized screen", async () => {
    const phone = await ctx.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const [path, name] of [["/", "timeline-phone"], ["/sources", "sources-phone"]]) {
      await phone.goto(`${BASE}${path}`);
      // Nothing wider than the screen: no sideways scrolling on a phone.
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `${path} is ${wide} px wide on a 390 px screen`);
      await report.shot(phone, name, { fullPage: false });
    }
    await phone.close();
  });

  await report.step("compose to two accounts with a preview for each", async () => {
    await nav(page, "Compose").click();
    await page.waitForURL(`${BASE}/compose`);
    await page.getByLabel("What to post").fill(POST_TEXT);
    for (const name of ACCOUNTS) await page.locator(`input[name=to][value="${name}"]`).check();
    // compose.js previews as the user types: one card per ticked account.
    const previews = page.locator("#previews article");
    await until(async () => (await previews.count()) === ACCOUNTS.length, "the live preview of each account");
    const live = await previews.allInnerTexts();
    await report.shot(page, "compose-live-preview");

    // Without script the Preview button asks the server: the same page in a browser with
    // JavaScript off (compose.js would otherwise redo the preview on load).
    const nojs = await browser.newContext({ javaScriptEnabled: false });
    await nojs.addCookies(await ctx.cookies());
    const plain = await nojs.newPage();
    report.page = plain;
    await plain.goto(`${BASE}/compose`);
    await plain.getByLabel("What to post").fill(POST_TEXT);
    for (const name of ACCOUNTS) await plain.locator(`input[name=to][value="${name}"]`).check();
    await plain.getByRole("button", { name: "Preview" }).click();
    await plain.waitForURL(`${BASE}/compose`);
    const cards = await plain.locator("#previews article").allInnerTexts();
    check(cards.length === ACCOUNTS.length, `the server previewed ${cards.length} accounts`);
    for (const name of ACCOUNTS) {
      check(cards.some((c) => c.includes(name)), `no preview names ${name}: ${JSON.stringify(cards)}`);
    }
    check(cards.every((c) => c.includes(POST_TEXT)), `a preview lacks the text: ${JSON.stringify(cards)}`);
    check(cards.every((c) => /1 post · limit \d+ characters/.test(c)), `a preview does not say its shape and limit: ${JSON.stringify(cards)}`);
    check((await plain.getByLabel("What to post").inputValue()) === POST_TEXT, "the preview lost what was typed");
    for (const name of ACCOUNTS) {
      check(await plain.locator(`input[name=to][value="${name}"]`).isChecked(), `${name} was unticked by the preview`);
    }
    check(JSON.stringify(live) === JSON.stringify(cards), `the live preview ${JSON.stringify(live)} differs from the server's ${JSON.stringify(cards)}`);
    report.data.previews = cards;
    await report.shot(plain, "compose-preview-without-script");
    await nojs.close();
    report.page = page;

    // With script, the Preview button's answer stays: it counted a chosen file, which the
    // live preview (JSON, no files) cannot, so compose.js must not redo it on load.
    await page.locator("#media0").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from(PNG_1X1, "base64") });
    await page.getByLabel("Description of file 1").fill("a single dot");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(`${BASE}/compose`);
    await page.waitForTimeout(1000); // longer than compose.js waits before it asks
    const withFile = await previews.allInnerTexts();
    check(withFile.length === ACCOUNTS.length && withFile.every((c) => c.includes("1 post, 1 file")), `the server's preview of a post with a file was replaced: ${JSON.stringify(withFile)}`);
    check((await page.getByLabel("Description of file 1").inputValue()) === "a single dot", "the preview lost the file's description");
    await page.getByRole("status").filter({ hasText: "choose it again" }).waitFor();
    await report.shot(page, "compose-preview-with-file");
  });

  await report.step("send and watch both deliveries finish", async () => {
    await page.getByRole("button", { name: "Send" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/compose/posts/"));
    report.data.post_page = pathOf(page);
    await report.shot(page, "delivery-pending");
    const states = await until(async () => {
      await page.goto(`${BASE}${report.data.post_page}`);
      const rows = await page.locator("table tbody tr").allInnerTexts();
      return rows.length === ACCOUNTS.length && rows.every((r) => /delivered/.test(r)) && rows;
    }, "both deliveries to be delivered", 60000, 1000);
    for (const name of ACCOUNTS) {
      check(states.some((r) => r.includes(name)), `no delivery row for ${name}: ${JSON.stringify(states)}`);
    }
    check((await page.getByRole("link", { name: "the copy" }).count()) === ACCOUNTS.length, "a delivered row has no link to the copy");
    report.data.deliveries = states;
    await report.shot(page, "delivered");
  });

  let feedUrl;
  await report.step("make a channel", async () => {
    await nav(page, "Channels").click();
    await page.waitForURL(`${BASE}/channels`);
    await report.shot(page, "channels-empty");
    // The timeline's feeds are offered under the timeline, not as "this view" of every page.
    check((await page.getByText("Feeds of this view").count()) === 0, "/channels offers the timeline's feeds as its own");
    await page.getByLabel("Name", { exact: true }).fill(CHANNEL);
    await page.getByLabel(/^Title/).fill(CHANNEL_TITLE);
    await page.getByLabel("Description").fill("What the browser test chose");
    await page.getByRole("button", { name: "Add the channel" }).click();
    const card = page.locator(`article#channel-${CHANNEL}`);
    await card.waitFor();
    const feeds = await card.getByRole("list", { name: `Feeds of ${CHANNEL}` }).getByRole("link").evaluateAll((as) => as.map((a) => a.href));
    feedUrl = feeds.find((u) => u.endsWith("/feed.atom"));
    check(feedUrl, `no Atom feed among ${JSON.stringify(feeds)}`);
    check(feedUrl.startsWith(`${BASE}/channels/${CHANNEL}/`), `the feed address ${feedUrl} is not this server's`);
    report.data.channel_feeds = feeds;
    await report.shot(page, "channel-made");
  });

  await report.step("open the channel's feed through a private link", async () => {
    // Without a token a feed reader is refused: the channel is not published.
    const stranger = await browser.newContext();
    const refused = await stranger.request.get(feedUrl);
    check(refused.status() === 401, `the unpublished channel's feed answered ${refused.status()} without a token`);

    await nav(page, "Settings").click();
    await page.waitForURL(`${BASE}/settings`);
    const feed = page.getByLabel("Feed", { exact: true });
    const option = await feed.locator("option", { hasText: CHANNEL }).first().getAttribute("value");
    check(option, `the feed links form does not offer ${CHANNEL}`);
    await feed.selectOption(option);
    await page.getByLabel("Name (which reader)").fill("browser test");
    await page.getByRole("button", { name: "Make a link" }).click();
    const secret = page.locator("p.secret", { hasText: `/channels/${CHANNEL}/feed.atom?token=` });
    await secret.waitFor();
    const link = (await secret.innerText()).trim();
    report.data.feed_link = link.replace(/token=.*/, "token=…");
    await report.shot(page, "feed-link");

    const resp = await stranger.request.get(link);
    check(resp.status() === 200, `the private link answered ${resp.status()}`);
    const type = resp.headers()["content-type"] || "";
    check(type.startsWith("application/atom+xml"), `the channel's feed is ${type}`);
    const body = await resp.text();
    // Parsed by the browser's own XML parser: a well-formed Atom feed titled as the channel.
    const reader = await stranger.newPage();
    const parsed = await reader.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, "application/xml");
      const root = doc.documentElement;
      return {
        error: doc.getElementsByTagName("parsererror").length > 0,
        root: root.localName,
        ns: root.namespaceURI,
        title: root.getElementsByTagNameNS("http://www.w3.org/2005/Atom", "title")[0]?.textContent,
        id: root.getElementsByTagNameNS("http://www.w3.org/2005/Atom", "id")[0]?.textContent,
      };
    }, body);
    check(!parsed.error && parsed.root === "feed" && parsed.ns === "http://www.w3.org/2005/Atom", `not an Atom feed: ${JSON.stringify(parsed)}`);
    check(parsed.title === CHANNEL_TITLE, `the feed is titled ${parsed.title}`);
    check(parsed.id === `${BASE}/channels/${CHANNEL}/`, `the channel's feed has the id ${parsed.id}`);
    report.data.channel_feed = parsed;
    // What a person sees who opens the link in a browser.
    await reader.goto(link).catch(() => {});
    await report.shot(reader, "channel-feed");
    await stranger.close();
  });

  await report.step("the accounts and routes pages", async () => {
    for (const [link, path, heading] of [["Accounts", "/accounts", "Accounts"], ["Routes", "/routes", "Routes"]]) {
      await nav(page, link).click();
      await page.waitForURL(`${BASE}${path}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      await report.shot(page, path.slice(1));
    }
    const accounts = await page.goto(`${BASE}/accounts`).then(() => page.locator("main").innerText());
    for (const name of ACCOUNTS) check(accounts.includes(name), `/accounts does not list ${name}`);
    await page.goto(`${BASE}/routes/new`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await report.shot(page, "routes-new");
  });

  await report.step("log out", async () => {
    await page.getByRole("banner").getByRole("button", { name: "Log out", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    await report.shot(page, "logged-out");
    for (const path of ["/settings", "/compose", "/"]) {
      await page.goto(`${BASE}${path}`);
      check(new URL(page.url()).pathname === "/login", `${path} after logging out showed ${page.url()}`);
    }
    report.data.after_logout = pathOf(page);
  });
});
