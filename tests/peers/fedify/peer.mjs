// A real ActivityPub peer for Braid's integration tests: one Fedify actor per process.
//
//   node peer.mjs --host 127.0.0.X --port P [--name peer]
//                 [--first-knock rfc9421|draft-cavage-http-signatures-12]
//                 [--shared-inbox on|off] [--page-size N]
//                 [--accept-signatures both|rfc9421|draft-cavage-http-signatures-12]
//
// Prints one JSON line on stdout once it listens ({"ready":true,"actor":…}; port 0 picks a free
// port and the line names it) and logs to stderr only. Fedify serves the actor, its inbox (and
// the shared inbox when on), outbox, followers, following, posts, WebFinger and NodeInfo
// (federation.mjs); the plain-JSON /control/ endpoints, unsigned and for tests, make the actor
// post, follow and send, and show what it received (control.mjs). tests/support/fedify.rs
// starts it and documents the control API.
//
// No message queue: Fedify delivers inline and runs inbox listeners before it answers the POST,
// so a control call's deliveries have landed when it returns.

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { inspect, parseArgs } from "node:util";
import { configure } from "@logtape/logtape";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { BadRequest, controlRoutes, SPECS } from "./control.mjs";
import { createPeerFederation } from "./federation.mjs";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    name: { type: "string", default: "peer" },
    "first-knock": { type: "string", default: "rfc9421" },
    "shared-inbox": { type: "string", default: "on" },
    "page-size": { type: "string", default: "20" },
    "accept-signatures": { type: "string", default: "both" },
  },
});
if (!SPECS.includes(args["first-knock"])) {
  fail(`--first-knock must be one of ${SPECS.join(", ")}`);
}
if (!["on", "off"].includes(args["shared-inbox"])) fail("--shared-inbox must be on or off");
if (![...SPECS, "both"].includes(args["accept-signatures"])) {
  fail(`--accept-signatures must be both or one of ${SPECS.join(", ")}`);
}
const config = {
  name: args.name,
  firstKnock: args["first-knock"],
  sharedInbox: args["shared-inbox"] === "on",
  pageSize: Math.max(1, Number.parseInt(args["page-size"], 10) || 20),
  /** The one HTTP Signatures scheme the inboxes accept, or null for both (Fedify's rule). */
  onlyScheme: args["accept-signatures"] === "both" ? null : args["accept-signatures"],
};

function fail(message) {
  process.stderr.write(`fedify-peer: ${message}\n`);
  process.exit(2);
}

// Fedify logs through LogTape; everything goes to stderr (stdout carries the ready line only).
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    stderr(record) {
      const msg = record.message
        .map((part, i) => (i % 2 === 0 ? part : inspect(part, { depth: 4, breakLength: Infinity })))
        .join("");
      process.stderr.write(`fedify-peer ${record.level} ${record.category.join(".")}: ${msg}\n`);
    },
  },
  loggers: [
    { category: "fedify", lowestLevel: process.env.FEDIFY_PEER_LOG ?? "info", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

const state = {
  keyPairs: [
    await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), // 4096 bits: HTTP and LD Signatures
    await generateCryptoKeyPair("Ed25519"), // FEP-8b32 Object Integrity Proofs
  ],
  /** Every activity the inboxes accepted, in order. */
  received: [],
  /** Inbox POSTs answered ≥ 400 (a bad signature, bad JSON-LD…), in order. */
  rejected: [],
  /** Every request to a federation path (not /control/), in order: duplicates and GETs too. */
  requests: [],
  /** Follower actor id → {id, inbox, sharedInbox}. */
  followers: new Map(),
  /** Followed actor id → {actor, follow (the Follow's id), state: pending|accepted|rejected}. */
  following: new Map(),
  /** Our posts, oldest first: {key, content, to, published, updated?, deleted?}. */
  posts: [],
  /** Activity id → what its delivery carried, captured before Fedify reads the request. */
  deliveries: new Map(),
};
const federation = createPeerFederation(config, state);
const control = controlRoutes(config, state);

// ---- HTTP ----------------------------------------------------------------------------------

/** Which HTTP Signatures scheme a request carries, with the headers that matter for it. */
function signatureOf(headers) {
  const pick = (names) =>
    Object.fromEntries(names.filter((n) => headers.has(n)).map((n) => [n, headers.get(n)]));
  if (headers.has("signature-input")) {
    const names = ["signature-input", "signature", "content-digest", "date", "host"];
    return { scheme: "rfc9421", headers: pick(names) };
  }
  if (headers.has("signature")) {
    const names = ["signature", "digest", "date", "host"];
    return { scheme: "draft-cavage-http-signatures-12", headers: pick(names) };
  }
  return { scheme: null, headers: {} };
}

async function handle(req, res) {
  // The request's own Host: RFC 9421 signs @authority and @target-uri, which Fedify rebuilds
  // from this URL when it verifies.
  const url = new URL(req.url ?? "/", req.headers.host ? `http://${req.headers.host}` : ownOrigin());
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    headers.set(k, Array.isArray(v) ? v.join(", ") : (v ?? ""));
  }

  const route = control[`${req.method} ${url.pathname}`];
  if (route) return await runControl(route, req, res, body);
  if (url.pathname.startsWith("/control/")) return reply(res, 404, { error: "no such control" });

  const wire = req.method === "POST" ? parseJson(body) : null;
  const activityId = typeof wire?.id === "string" ? wire.id : null;
  const signature = signatureOf(headers);
  if (activityId) {
    const delivery = { path: url.pathname, body: wire, signature, headers: Object.fromEntries(headers) };
    state.deliveries.set(activityId, delivery);
  }
  let status;
  let out;
  let outHeaders;
  // A stand-in for a server that verifies one scheme only: the other gets 401 before Fedify
  // sees it, as a draft-cavage-only Mastodon answers RFC 9421 (what makes a sender double-knock).
  if (req.method === "POST" && config.onlyScheme && signature.scheme !== config.onlyScheme) {
    status = 401;
    out = Buffer.from(`This inbox accepts ${config.onlyScheme} signatures only.`);
    outHeaders = { "Content-Type": "text/plain" };
  } else {
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () =>
        new Response("Not Found\n", { status: 404, headers: { "Content-Type": "text/plain" } }),
    });
    status = response.status;
    out = Buffer.from(await response.arrayBuffer());
    outHeaders = Object.fromEntries(response.headers);
  }
  // The listener took what it needed; a duplicate (Fedify skips an activity id an inbox has
  // already seen) or a refused delivery would leave its entry behind.
  if (activityId) state.deliveries.delete(activityId);
  state.requests.push({
    method: req.method,
    path: url.pathname + url.search,
    status,
    accept: headers.get("accept"),
    content_type: headers.get("content-type"),
    signature: signature.scheme,
    activity: activityId,
    type: typeof wire?.type === "string" ? wire.type : null,
    at: new Date().toISOString(),
  });
  if (req.method === "POST" && status >= 400) {
    state.rejected.push({
      path: url.pathname,
      status,
      response: out.toString("utf8").slice(0, 2000),
      signature,
      headers: Object.fromEntries(headers),
      raw: wire ?? body.toString("utf8").slice(0, 2000),
      received_at: new Date().toISOString(),
    });
  }
  res.writeHead(status, outHeaders);
  res.end(out);
}

async function runControl(route, req, res, body) {
  const ctx = federation.createContext(new URL(ownOrigin()), undefined);
  try {
    const json = body.length ? JSON.parse(body.toString("utf8")) : {};
    return reply(res, 200, await route(ctx, json));
  } catch (error) {
    const status = error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500;
    process.stderr.write(`fedify-peer: ${req.method} ${req.url}: ${inspect(error)}\n`);
    return reply(res, status, { error: String(error) });
  }
}

function parseJson(body) {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
}

function reply(res, status, value) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

let listeningPort = Number(args.port);
/** `http://HOST:PORT`: the origin control calls build the actor's URLs on. */
const ownOrigin = () => `http://${args.host}:${listeningPort}`;

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    process.stderr.write(`fedify-peer: ${req.method} ${req.url}: ${inspect(error)}\n`);
    if (!res.headersSent) reply(res, 500, { error: String(error) });
    else res.end();
  });
});
server.on("error", (error) => fail(`cannot listen on ${args.host}:${args.port}: ${error.message}`));
server.listen(Number(args.port), args.host, () => {
  listeningPort = server.address().port;
  const self = ownOrigin();
  const ready = {
    ready: true,
    actor: `${self}/users/${config.name}`,
    base: self,
    inbox: `${self}/users/${config.name}/inbox`,
    shared_inbox: config.sharedInbox ? `${self}/inbox` : null,
    first_knock: config.firstKnock,
    accept_signatures: config.onlyScheme ?? "both",
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
