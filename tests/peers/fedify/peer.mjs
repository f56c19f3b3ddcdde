// A real ActivityPub peer for Braid's integration tests: one Fedify actor per process.
//
//   node peer.mjs --host 127.0.0.X --port P [--name peer]
//                 [--first-knock rfc9421|draft-cavage-http-signatures-12]
//                 [--shared-inbox on|off] [--page-size N]
//                 [--accept-signatures both|rfc9421|draft-cavage-http-signatures-12]
//
// Prints one JSON line on stdout once it listens ({"ready":true,"actor":…}) and logs to stderr
// only. Fedify serves the actor, its inbox (and the shared inbox when on), outbox, followers,
// following, posts, WebFinger and NodeInfo; the plain-JSON /control/ endpoints (unsigned, for the
// tests) make the actor post, follow and send, and show what it received. tests/support/fedify.rs
// starts it and documents the control API.
//
// No message queue: Fedify then delivers inline (the awaited sendActivity returns once every
// inbox answered) and runs inbox listeners before answering the POST, so a control call's
// effects have landed when it returns.

import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { inspect, parseArgs } from "node:util";
import { Temporal } from "@js-temporal/polyfill";
import { configure } from "@logtape/logtape";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";

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
const SPECS = ["rfc9421", "draft-cavage-http-signatures-12"];
if (!SPECS.includes(args["first-knock"])) {
  fail(`--first-knock must be one of ${SPECS.join(", ")}`);
}
if (!["on", "off"].includes(args["shared-inbox"])) fail("--shared-inbox must be on or off");
if (![...SPECS, "both"].includes(args["accept-signatures"])) {
  fail(`--accept-signatures must be both or one of ${SPECS.join(", ")}`);
}
const NAME = args.name;
const FIRST_KNOCK = args["first-knock"];
const SHARED_INBOX = args["shared-inbox"] === "on";
const PAGE_SIZE = Math.max(1, Number.parseInt(args["page-size"], 10) || 20);
/** The one HTTP Signatures scheme the inboxes accept, or null for both (Fedify's own rule). */
const ONLY_SCHEME = args["accept-signatures"] === "both" ? null : args["accept-signatures"];

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

// ---- state ---------------------------------------------------------------------------------

const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), // HTTP Signatures, LD Signatures
  await generateCryptoKeyPair("Ed25519"), // FEP-8b32 Object Integrity Proofs
];
/** Every activity the inboxes accepted, in order. */
let received = [];
/** Inbox POSTs answered with an error (a bad signature, bad JSON…), in order. */
let rejected = [];
/** Follower actor id → {id, inbox, sharedInbox}. */
let followers = new Map();
/** Followed actor id → {actor, follow (the Follow's id), state: pending|accepted|rejected}. */
let following = new Map();
/** Our posts, oldest first: {id, content, to, published, updated?, deleted?, activities}. */
let posts = [];
/** Activity id → what its delivery carried, captured before Fedify reads the request. */
const deliveries = new Map();
let counter = 0;

const nextId = (kind) => `${kind}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

// ---- federation ----------------------------------------------------------------------------

const federation = createFederation({
  kv: new MemoryKvStore(),
  // The peers live on 127.0.0.X over plain http: Fedify's SSRF guard would refuse them.
  allowPrivateAddress: true,
  firstKnock: FIRST_KNOCK,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== NAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `Fedify peer ${identifier}`,
      summary: "A Fedify actor that Braid's integration tests talk to.",
      url: ctx.getActorUri(identifier),
      manuallyApprovesFollowers: false,
      inbox: ctx.getInboxUri(identifier),
      endpoints: SHARED_INBOX ? new Endpoints({ sharedInbox: ctx.getInboxUri() }) : null,
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === NAME ? keyPairs : []))
  .mapHandle((_ctx, username) => (username === NAME ? NAME : null));

federation.setObjectDispatcher(Note, "/users/{identifier}/posts/{id}", (ctx, values) => {
  if (values.identifier !== NAME) return null;
  const post = posts.find((p) => p.key === values.id && !p.deleted);
  return post ? noteOf(ctx, post) : null;
});

federation
  .setOutboxDispatcher("/users/{identifier}/outbox", (ctx, identifier, cursor) => {
    if (identifier !== NAME || cursor == null) return null;
    // Newest first, PAGE_SIZE a page; the cursor is the index of the page's first item.
    const live = posts.filter((p) => !p.deleted).reverse();
    const start = Number.parseInt(cursor, 10) || 0;
    const items = live.slice(start, start + PAGE_SIZE).map((p) => createOf(ctx, p));
    const next = start + PAGE_SIZE < live.length ? String(start + PAGE_SIZE) : null;
    return { items, nextCursor: next };
  })
  .setCounter((_ctx, identifier) => (identifier === NAME ? posts.filter((p) => !p.deleted).length : null))
  .setFirstCursor((_ctx, identifier) => (identifier === NAME ? "0" : null));

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== NAME) return null;
    const items = [...followers.values()].map((f) => ({
      id: new URL(f.id),
      inboxId: f.inbox ? new URL(f.inbox) : null,
      endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
    }));
    return { items };
  })
  .setCounter((_ctx, identifier) => (identifier === NAME ? followers.size : null));

federation
  .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== NAME) return null;
    const items = [...following.values()]
      .filter((f) => f.state === "accepted")
      .map((f) => new URL(f.actor));
    return { items };
  });

federation
  .setInboxListeners("/users/{identifier}/inbox", SHARED_INBOX ? "/inbox" : undefined)
  .on(Follow, async (ctx, follow) => {
    const entry = await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(NAME).href) return;
    const actor = await follow.getActor(ctx);
    if (actor == null || actor.id == null || actor.inboxId == null) {
      entry.note = "follower actor could not be fetched: not accepted";
      return;
    }
    followers.set(actor.id.href, {
      id: actor.id.href,
      inbox: actor.inboxId.href,
      sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    });
    const accept = new Accept({
      id: new URL(`${ctx.getActorUri(NAME).href}/accepts/${nextId("accept")}`),
      actor: ctx.getActorUri(NAME),
      object: follow,
      to: actor.id,
    });
    try {
      await ctx.sendActivity({ identifier: NAME }, actor, accept);
      entry.accepted = accept.id.href;
    } catch (error) {
      entry.acceptError = String(error);
    }
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    answerFollow(accept, "accepted");
  })
  .on(Reject, async (ctx, reject) => {
    await record(ctx, reject);
    answerFollow(reject, "rejected");
  })
  .on(Undo, async (ctx, undo) => {
    const entry = await record(ctx, undo);
    // Undo{Follow}: the follower leaves. Its object is read from the wire (embedded or an id).
    const object = entry.raw?.object;
    const undoesFollow = typeof object === "string" || object?.type === "Follow";
    if (undoesFollow && undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Create, record)
  .on(Update, record)
  .on(Delete, record)
  .on(Announce, record)
  // Any other type (Like, Move, Flag…) is recorded too, instead of Fedify's silent 202.
  .on(Activity, record)
  .onError((_ctx, error) => {
    process.stderr.write(`fedify-peer: inbox listener failed: ${inspect(error)}\n`);
  });

/** Marks the Follow an Accept or Reject answers (by the Follow's id, else by its actor). */
function answerFollow(answer, state) {
  const followId = answer.objectId?.href;
  for (const f of following.values()) {
    if (f.follow === followId || (followId == null && f.actor === answer.actorId?.href)) {
      f.state = state;
      return;
    }
  }
  const byActor = following.get(answer.actorId?.href ?? "");
  if (byActor) byActor.state = state;
}

/** Records a received activity with what its delivery carried; returns the record. */
async function record(ctx, activity) {
  const id = activity.id?.href ?? null;
  const delivery = (id && deliveries.get(id)) ?? null;
  if (id) deliveries.delete(id);
  const raw = delivery?.body ?? null;
  const entry = {
    type: activity.constructor.typeId?.href?.split("#").pop() ?? activity.constructor.name,
    id,
    actor: activity.actorId?.href ?? null,
    object: summarize(raw?.object ?? null),
    jsonld: await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
    raw,
    inbox: delivery?.path ?? null,
    signature: delivery?.signature ?? null,
    headers: delivery?.headers ?? null,
    received_at: new Date().toISOString(),
  };
  received.push(entry);
  return entry;
}

/** The object of a wire activity, cut to what tests compare: a bare id, or its main fields. */
function summarize(object) {
  if (object == null) return null;
  if (typeof object === "string") return { id: object };
  const pick = (k) => (object[k] === undefined ? null : object[k]);
  return {
    id: pick("id"),
    type: pick("type"),
    content: pick("content"),
    summary: pick("summary"),
    name: pick("name"),
    attributedTo: pick("attributedTo"),
    inReplyTo: pick("inReplyTo"),
    object: typeof object.object === "string" ? object.object : (object.object?.id ?? null),
  };
}

// ---- our posts -----------------------------------------------------------------------------

function audience(ctx, to) {
  const followersUri = ctx.getFollowersUri(NAME);
  return to === "followers"
    ? { to: followersUri }
    : { to: PUBLIC_COLLECTION, cc: followersUri };
}

function noteOf(ctx, post) {
  return new Note({
    id: ctx.getObjectUri(Note, { identifier: NAME, id: post.key }),
    attribution: ctx.getActorUri(NAME),
    content: post.content,
    url: ctx.getObjectUri(Note, { identifier: NAME, id: post.key }),
    published: Temporal.Instant.from(post.published),
    updated: post.updated ? Temporal.Instant.from(post.updated) : null,
    ...audience(ctx, post.to),
  });
}

function createOf(ctx, post) {
  return new Create({
    id: new URL(`${ctx.getObjectUri(Note, { identifier: NAME, id: post.key }).href}/activity`),
    actor: ctx.getActorUri(NAME),
    object: noteOf(ctx, post),
    published: Temporal.Instant.from(post.published),
    ...audience(ctx, post.to),
  });
}

function findPost(ctx, id) {
  return posts.find(
    (p) => p.key === id || ctx.getObjectUri(Note, { identifier: NAME, id: p.key }).href === id,
  );
}

/** Sends to every follower (their shared inboxes when on); the outcome for the response. */
async function toFollowers(ctx, activity) {
  try {
    await ctx.sendActivity({ identifier: NAME }, "followers", activity, {
      preferSharedInbox: SHARED_INBOX,
    });
    return { delivered: followers.size, errors: [] };
  } catch (error) {
    return { delivered: null, errors: [String(error)] };
  }
}

// ---- control API ---------------------------------------------------------------------------

const control = {
  "GET /control/received": () => received,
  "GET /control/rejected": () => rejected,
  "GET /control/followers": () => [...followers.values()],
  "GET /control/following": () => [...following.values()],
  "GET /control/posts": () => posts,
  "POST /control/reset": () => {
    received = [];
    rejected = [];
    return { ok: true };
  },
  "POST /control/post": async (ctx, body) => {
    if (typeof body.content !== "string") throw new BadRequest("content: a string");
    const to = body.to ?? "public";
    if (!["public", "followers"].includes(to)) throw new BadRequest("to: public or followers");
    const post = { key: nextId("post"), content: body.content, to, published: now() };
    posts.push(post);
    const create = createOf(ctx, post);
    const sent = await toFollowers(ctx, create);
    return { id: noteOf(ctx, post).id.href, activity: create.id.href, ...sent };
  },
  "POST /control/update": async (ctx, body) => {
    const post = findPost(ctx, body.id);
    if (!post || post.deleted) throw new BadRequest(`no live post ${body.id}`);
    if (typeof body.content !== "string") throw new BadRequest("content: a string");
    post.content = body.content;
    post.updated = now();
    const update = new Update({
      id: new URL(`${ctx.getActorUri(NAME).href}/updates/${nextId("update")}`),
      actor: ctx.getActorUri(NAME),
      object: noteOf(ctx, post),
      ...audience(ctx, post.to),
    });
    const sent = await toFollowers(ctx, update);
    return { id: noteOf(ctx, post).id.href, activity: update.id.href, ...sent };
  },
  "POST /control/delete": async (ctx, body) => {
    const post = findPost(ctx, body.id);
    if (!post || post.deleted) throw new BadRequest(`no live post ${body.id}`);
    post.deleted = now();
    const noteId = ctx.getObjectUri(Note, { identifier: NAME, id: post.key });
    const del = new Delete({
      id: new URL(`${ctx.getActorUri(NAME).href}/deletes/${nextId("delete")}`),
      actor: ctx.getActorUri(NAME),
      object: new Tombstone({ id: noteId, deleted: Temporal.Instant.from(post.deleted) }),
      ...audience(ctx, post.to),
    });
    const sent = await toFollowers(ctx, del);
    return { id: noteId.href, activity: del.id.href, ...sent };
  },
  "POST /control/announce": async (ctx, body) => {
    if (typeof body.object !== "string") throw new BadRequest("object: a URL");
    const announce = new Announce({
      id: new URL(`${ctx.getActorUri(NAME).href}/announces/${nextId("announce")}`),
      actor: ctx.getActorUri(NAME),
      object: new URL(body.object),
      published: Temporal.Instant.from(now()),
      ...audience(ctx, "public"),
    });
    const sent = await toFollowers(ctx, announce);
    return { activity: announce.id.href, ...sent };
  },
  "POST /control/follow": async (ctx, body) => {
    const target = await lookupActor(ctx, body.actor);
    const follow = new Follow({
      id: new URL(`${ctx.getActorUri(NAME).href}/follows/${nextId("follow")}`),
      actor: ctx.getActorUri(NAME),
      object: target.id,
      to: target.id,
    });
    following.set(target.id.href, { actor: target.id.href, follow: follow.id.href, state: "pending" });
    const sent = await sendTo(ctx, target, follow);
    return { activity: follow.id.href, state: following.get(target.id.href).state, ...sent };
  },
  "POST /control/unfollow": async (ctx, body) => {
    const target = await lookupActor(ctx, body.actor);
    const entry = following.get(target.id.href);
    if (!entry) throw new BadRequest(`not following ${target.id.href}`);
    following.delete(target.id.href);
    const undo = new Undo({
      id: new URL(`${ctx.getActorUri(NAME).href}/undos/${nextId("undo")}`),
      actor: ctx.getActorUri(NAME),
      object: new Follow({ id: new URL(entry.follow), actor: ctx.getActorUri(NAME), object: target.id }),
      to: target.id,
    });
    const sent = await sendTo(ctx, target, undo);
    return { activity: undo.id.href, ...sent };
  },
  "POST /control/send": async (ctx, body) => {
    if (typeof body.inbox !== "string") throw new BadRequest("inbox: a URL");
    if (body.activity == null || typeof body.activity !== "object") {
      throw new BadRequest("activity: a JSON object");
    }
    return await sendRaw(ctx, new URL(body.inbox), body.activity, body.spec ?? FIRST_KNOCK);
  },
};

class BadRequest extends Error {}

const now = () => new Date().toISOString();

async function lookupActor(ctx, url) {
  if (typeof url !== "string") throw new BadRequest("actor: a URL");
  const actor = await ctx.lookupObject(url);
  if (!isActor(actor) || actor.id == null) throw new BadRequest(`${url} is not an actor`);
  return actor;
}

async function sendTo(ctx, actor, activity) {
  try {
    await ctx.sendActivity({ identifier: NAME }, actor, activity);
    return { delivered: 1, errors: [] };
  } catch (error) {
    return { delivered: 0, errors: [String(error)] };
  }
}

/**
 * Signs `activity` exactly as given (no JSON-LD round trip, no proofs) with the actor's RSA key
 * and POSTs it, double-knocking like Fedify: `spec` first, the other spec after a 4xx/5xx.
 */
async function sendRaw(ctx, inbox, activity, spec) {
  const keys = await ctx.getActorKeyPairs(NAME);
  const body = JSON.stringify(activity);
  const attempts = [];
  for (const s of [spec, SPECS.find((x) => x !== spec)]) {
    const request = new Request(inbox, {
      method: "POST",
      headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
      body,
    });
    const signed = await signRequest(request, keys[0].privateKey, keys[0].keyId, { spec: s });
    const response = await fetch(signed, { redirect: "manual" });
    const text = await response.text();
    attempts.push({ spec: s, status: response.status, body: text.slice(0, 2000) });
    if (response.status < 400) break;
  }
  const last = attempts[attempts.length - 1];
  return { status: last.status, spec: last.spec, attempts, errors: last.status < 400 ? [] : [last.body] };
}

// ---- HTTP ----------------------------------------------------------------------------------

/** Which HTTP Signatures scheme a request carries, with the headers that matter for it. */
function signatureOf(headers) {
  const pick = (names) =>
    Object.fromEntries(names.filter((n) => headers.has(n)).map((n) => [n, headers.get(n)]));
  if (headers.has("signature-input")) {
    return {
      scheme: "rfc9421",
      headers: pick(["signature-input", "signature", "content-digest", "date", "host"]),
    };
  }
  if (headers.has("signature")) {
    return { scheme: "draft-cavage-http-signatures-12", headers: pick(["signature", "digest", "date", "host"]) };
  }
  return { scheme: null, headers: {} };
}

async function handle(req, res) {
  const base = `http://${req.headers.host ?? `${args.host}:${listeningPort}`}`;
  const url = new URL(req.url ?? "/", base);
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    headers.set(k, Array.isArray(v) ? v.join(", ") : (v ?? ""));
  }

  const route = control[`${req.method} ${url.pathname}`];
  if (route) {
    const ctx = federation.createContext(new URL(ownOrigin()), undefined);
    try {
      const json = body.length ? JSON.parse(body.toString("utf8")) : {};
      return reply(res, 200, await route(ctx, json));
    } catch (error) {
      const status = error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500;
      process.stderr.write(`fedify-peer: ${req.method} ${url.pathname}: ${inspect(error)}\n`);
      return reply(res, status, { error: String(error) });
    }
  }
  if (url.pathname.startsWith("/control/")) return reply(res, 404, { error: "no such control" });

  let wire = null;
  if (req.method === "POST") {
    try {
      wire = JSON.parse(body.toString("utf8"));
    } catch {
      wire = null;
    }
    if (wire && typeof wire.id === "string") {
      deliveries.set(wire.id, {
        path: url.pathname,
        body: wire,
        signature: signatureOf(headers),
        headers: Object.fromEntries(headers),
      });
    }
  }
  // A stand-in for a server that verifies one scheme only: the other gets 401 before Fedify
  // sees it, as a draft-cavage-only Mastodon answers RFC 9421 (what makes a sender double-knock).
  const signature = signatureOf(headers);
  if (req.method === "POST" && ONLY_SCHEME && signature.scheme !== ONLY_SCHEME) {
    if (wire && typeof wire.id === "string") deliveries.delete(wire.id);
    const message = `This inbox accepts ${ONLY_SCHEME} signatures only.`;
    rejected.push({
      path: url.pathname,
      status: 401,
      response: message,
      signature,
      headers: Object.fromEntries(headers),
      raw: wire ?? body.toString("utf8").slice(0, 2000),
      received_at: now(),
    });
    res.writeHead(401, { "Content-Type": "text/plain" });
    return res.end(message);
  }
  const request = new Request(url, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const response = await federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => new Response("Not Found\n", { status: 404, headers: { "Content-Type": "text/plain" } }),
  });
  const out = Buffer.from(await response.arrayBuffer());
  if (req.method === "POST" && response.status >= 400) {
    if (wire && typeof wire.id === "string") deliveries.delete(wire.id);
    rejected.push({
      path: url.pathname,
      status: response.status,
      response: out.toString("utf8").slice(0, 2000),
      signature: signatureOf(headers),
      headers: Object.fromEntries(headers),
      raw: wire ?? body.toString("utf8").slice(0, 2000),
      received_at: now(),
    });
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(out);
}

function reply(res, status, value) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

let listeningPort = Number(args.port);
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
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      actor: `${self}/users/${NAME}`,
      base: self,
      inbox: `${self}/users/${NAME}/inbox`,
      shared_inbox: SHARED_INBOX ? `${self}/inbox` : null,
      first_knock: FIRST_KNOCK,
      accept_signatures: ONLY_SCHEME ?? "both",
      pid: process.pid,
    })}\n`,
  );
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
