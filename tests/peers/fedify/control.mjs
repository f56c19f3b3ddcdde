// The peer's control API: plain JSON under /control/, unsigned, for the tests only. Each route
// is `(ctx, body) => answer`; tests/support/fedify.rs documents the shapes.

import { Temporal } from "@js-temporal/polyfill";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { Announce, Delete, Follow, isActor, Tombstone, Undo, Update } from "@fedify/vocab";
import { audience, createOf, nextId, noteOf, noteUri } from "./federation.mjs";

/** The two HTTP Signatures schemes, by Fedify's names. */
export const SPECS = ["rfc9421", "draft-cavage-http-signatures-12"];

/** A control call the caller got wrong: answered 400. */
export class BadRequest extends Error {}

const now = () => new Date().toISOString();

/** The routes, keyed `METHOD /control/NAME`, for `config` and `state` (see peer.mjs). */
export function controlRoutes(config, state) {
  const NAME = config.name;
  const me = (ctx) => ctx.getActorUri(NAME);
  const newId = (ctx, kind) => new URL(`${me(ctx).href}/${kind}s/${nextId(kind)}`);

  /** Sends to every follower (their shared inboxes when on); the outcome for the answer. */
  async function toFollowers(ctx, activity) {
    try {
      await ctx.sendActivity({ identifier: NAME }, "followers", activity, {
        preferSharedInbox: config.sharedInbox,
      });
      return { delivered: state.followers.size, errors: [] };
    } catch (error) {
      return { delivered: null, errors: [String(error)] };
    }
  }

  async function sendTo(ctx, actor, activity) {
    try {
      await ctx.sendActivity({ identifier: NAME }, actor, activity);
      return { delivered: 1, errors: [] };
    } catch (error) {
      return { delivered: 0, errors: [String(error)] };
    }
  }

  function livePost(ctx, id) {
    const post = state.posts.find((p) => p.key === id || noteUri(ctx, NAME, p).href === id);
    if (!post || post.deleted) throw new BadRequest(`no live post ${id}`);
    return post;
  }

  return {
    "GET /control/received": () => state.received,
    "GET /control/rejected": () => state.rejected,
    "GET /control/requests": () => state.requests,
    "GET /control/followers": () => [...state.followers.values()],
    "GET /control/following": () => [...state.following.values()],
    "GET /control/posts": () => state.posts,
    /** A new RSA key (key rotation): the actor serves it from now on, under the same key id. */
    "POST /control/rotate": async () => {
      state.keyPairs[0] = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      return { ok: true };
    },
    "POST /control/reset": () => {
      state.received = [];
      state.rejected = [];
      state.requests = [];
      return { ok: true };
    },
    "POST /control/post": async (ctx, body) => {
      if (typeof body.content !== "string") throw new BadRequest("content: a string");
      const to = body.to ?? "public";
      if (!["public", "followers"].includes(to)) throw new BadRequest("to: public or followers");
      const post = { key: nextId("post"), content: body.content, to, published: now() };
      state.posts.push(post);
      const create = createOf(ctx, NAME, post);
      const sent = await toFollowers(ctx, create);
      return { id: noteUri(ctx, NAME, post).href, activity: create.id.href, ...sent };
    },
    "POST /control/update": async (ctx, body) => {
      const post = livePost(ctx, body.id);
      if (typeof body.content !== "string") throw new BadRequest("content: a string");
      post.content = body.content;
      post.updated = now();
      const update = new Update({
        id: newId(ctx, "update"),
        actor: me(ctx),
        object: noteOf(ctx, NAME, post),
        ...audience(ctx, NAME, post.to),
      });
      const sent = await toFollowers(ctx, update);
      return { id: noteUri(ctx, NAME, post).href, activity: update.id.href, ...sent };
    },
    "POST /control/delete": async (ctx, body) => {
      const post = livePost(ctx, body.id);
      post.deleted = now();
      const id = noteUri(ctx, NAME, post);
      const del = new Delete({
        id: newId(ctx, "delete"),
        actor: me(ctx),
        object: new Tombstone({ id, deleted: Temporal.Instant.from(post.deleted) }),
        ...audience(ctx, NAME, post.to),
      });
      const sent = await toFollowers(ctx, del);
      return { id: id.href, activity: del.id.href, ...sent };
    },
    "POST /control/announce": async (ctx, body) => {
      if (typeof body.object !== "string") throw new BadRequest("object: a URL");
      const announce = new Announce({
        id: newId(ctx, "announce"),
        actor: me(ctx),
        object: new URL(body.object),
        published: Temporal.Instant.from(now()),
        ...audience(ctx, NAME, "public"),
      });
      const sent = await toFollowers(ctx, announce);
      return { activity: announce.id.href, ...sent };
    },
    "POST /control/follow": async (ctx, body) => {
      const target = await lookupActor(ctx, body.actor);
      const follow = new Follow({
        id: newId(ctx, "follow"),
        actor: me(ctx),
        object: target.id,
        to: target.id,
      });
      const entry = { actor: target.id.href, follow: follow.id.href, state: "pending" };
      state.following.set(target.id.href, entry);
      const sent = await sendTo(ctx, target, follow);
      // The Accept came back inline, before the Follow's POST was answered.
      return { activity: follow.id.href, state: entry.state, ...sent };
    },
    "POST /control/unfollow": async (ctx, body) => {
      const target = await lookupActor(ctx, body.actor);
      const entry = state.following.get(target.id.href);
      if (!entry) throw new BadRequest(`not following ${target.id.href}`);
      state.following.delete(target.id.href);
      const undo = new Undo({
        id: newId(ctx, "undo"),
        actor: me(ctx),
        object: new Follow({ id: new URL(entry.follow), actor: me(ctx), object: target.id }),
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
      const spec = body.spec ?? config.firstKnock;
      if (!SPECS.includes(spec)) throw new BadRequest(`spec: one of ${SPECS.join(", ")}`);
      const keys = await ctx.getActorKeyPairs(NAME);
      return await sendRaw(keys[0], new URL(body.inbox), body.activity, spec, {
        ageSecs: Number(body.age_secs ?? 0),
        tamper: body.tamper ?? null,
        once: body.once === true,
      });
    },
  };
}

/** The actor at `url` (fetched by URL: Fedify resolves acct: handles over https only). */
async function lookupActor(ctx, url) {
  if (typeof url !== "string") throw new BadRequest("actor: a URL");
  const actor = await ctx.lookupObject(url);
  if (!isActor(actor) || actor.id == null) throw new BadRequest(`${url} is not an actor`);
  return actor;
}

/**
 * Signs `activity` exactly as given (no JSON-LD round trip, no proofs) with the RSA `key` and
 * POSTs it, double-knocking like Fedify: `spec` first, the other scheme after a 4xx/5xx.
 * For tests of a receiver's checks: `ageSecs` signs as of that long ago (a replayed request),
 * `tamper` sends what was not signed ("body": another body under the signed digest;
 * "signature": the signature's bytes changed), `once` skips the second knock.
 */
async function sendRaw(key, inbox, activity, spec, { ageSecs = 0, tamper = null, once = false } = {}) {
  const body = JSON.stringify(activity);
  const attempts = [];
  const specs = once ? [spec] : [spec, SPECS.find((x) => x !== spec)];
  for (const s of specs) {
    const request = new Request(inbox, {
      method: "POST",
      headers: {
        "Content-Type": "application/activity+json",
        Accept: "application/activity+json",
      },
      body,
    });
    const currentTime = Temporal.Now.instant().subtract({ seconds: ageSecs });
    let signed = await signRequest(request, key.privateKey, key.keyId, { spec: s, currentTime });
    if (tamper === "body") {
      const other = JSON.stringify({ ...activity, tampered: true });
      signed = new Request(signed, { body: other });
    } else if (tamper === "signature") {
      const headers = new Headers(signed.headers);
      const v = headers.get("signature") ?? "";
      const m = v.match(/(signature="|sig1=:)([A-Za-z0-9+/]{8})/);
      const other = m && m[2] === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA";
      headers.set("signature", m ? v.replace(m[0], m[1] + other) : v);
      signed = new Request(signed, { headers, body });
    }
    const response = await fetch(signed, { redirect: "manual" });
    const text = await response.text();
    attempts.push({ spec: s, status: response.status, body: text.slice(0, 2000) });
    if (response.status < 400) break;
  }
  const last = attempts[attempts.length - 1];
  const errors = last.status < 400 ? [] : [`${last.status}: ${last.body}`];
  return { status: last.status, spec: last.spec, attempts, errors };
}
