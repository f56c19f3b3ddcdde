// The Fedify side of the peer: one actor and what Fedify serves for it (actor, posts, outbox,
// followers, following, inboxes), and the inbox listeners that record every accepted activity
// and accept follows. peer.mjs owns the state and the HTTP server.

import { inspect } from "node:util";
import { Temporal } from "@js-temporal/polyfill";
import { createFederation, MemoryKvStore } from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";

let counter = 0;
/** A fresh id segment: `KIND-TIME-N`, never the same twice in a process. */
export const nextId = (kind) => `${kind}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/**
 * The Federation for `config` ({name, firstKnock, sharedInbox, pageSize}) over `state` (see
 * peer.mjs). No message queue: Fedify then delivers inline (an awaited sendActivity returns once
 * every inbox answered) and runs inbox listeners before it answers the POST.
 */
export function createPeerFederation(config, state) {
  const NAME = config.name;
  const federation = createFederation({
    kv: new MemoryKvStore(),
    // The peers live on 127.0.0.X over plain http: Fedify's SSRF guard would refuse them.
    allowPrivateAddress: true,
    // The scheme of the first signature to an origin not met yet; the other after a 4xx/5xx.
    firstKnock: config.firstKnock,
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
        endpoints: config.sharedInbox ? new Endpoints({ sharedInbox: ctx.getInboxUri() }) : null,
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        // The RSA key for HTTP Signatures; both keys as FEP-521a Multikeys.
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === NAME ? state.keyPairs : []))
    .mapHandle((_ctx, username) => (username === NAME ? NAME : null));

  federation.setObjectDispatcher(Note, "/users/{identifier}/posts/{id}", (ctx, values) => {
    if (values.identifier !== NAME) return null;
    const post = state.posts.find((p) => p.key === values.id && !p.deleted);
    return post ? noteOf(ctx, NAME, post) : null;
  });

  const livePosts = () => state.posts.filter((p) => !p.deleted);
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", (ctx, identifier, cursor) => {
      if (identifier !== NAME || cursor == null) return null;
      // Newest first, pageSize a page; the cursor is the index of the page's first item.
      const live = livePosts().reverse();
      const start = Number.parseInt(cursor, 10) || 0;
      const end = start + config.pageSize;
      const items = live.slice(start, end).map((p) => createOf(ctx, NAME, p));
      return { items, nextCursor: end < live.length ? String(end) : null };
    })
    .setCounter((_ctx, identifier) => (identifier === NAME ? livePosts().length : null))
    .setFirstCursor((_ctx, identifier) => (identifier === NAME ? "0" : null));

  federation
    .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
      if (identifier !== NAME) return null;
      // Recipients: what sendActivity(…, "followers", …) delivers to.
      const items = [...state.followers.values()].map((f) => ({
        id: new URL(f.id),
        inboxId: f.inbox ? new URL(f.inbox) : null,
        endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
      }));
      return { items };
    })
    .setCounter((_ctx, identifier) => (identifier === NAME ? state.followers.size : null));

  federation.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== NAME) return null;
    const items = [...state.following.values()]
      .filter((f) => f.state === "accepted")
      .map((f) => new URL(f.actor));
    return { items };
  });

  const record = (ctx, activity) => recordActivity(state, ctx, activity);
  federation
    .setInboxListeners("/users/{identifier}/inbox", config.sharedInbox ? "/inbox" : undefined)
    .on(Follow, async (ctx, follow) => {
      const entry = await record(ctx, follow);
      if (follow.objectId?.href !== ctx.getActorUri(NAME).href) return;
      await acceptFollow(ctx, NAME, state, follow, entry);
    })
    .on(Accept, async (ctx, accept) => {
      await record(ctx, accept);
      answerFollow(state, accept, "accepted");
    })
    .on(Reject, async (ctx, reject) => {
      await record(ctx, reject);
      answerFollow(state, reject, "rejected");
    })
    .on(Undo, async (ctx, undo) => {
      const entry = await record(ctx, undo);
      // Undo{Follow}: the follower leaves. Its object is read from the wire (embedded or an id).
      const object = entry.raw?.object;
      const undoesFollow = typeof object === "string" || object?.type === "Follow";
      if (undoesFollow && undo.actorId != null) state.followers.delete(undo.actorId.href);
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

  return federation;
}

/** Records the follower and sends the Accept while the Follow's POST is still open. */
async function acceptFollow(ctx, name, state, follow, entry) {
  const actor = await follow.getActor(ctx);
  if (actor == null || actor.id == null || actor.inboxId == null) {
    entry.note = "follower actor could not be fetched: not accepted";
    return;
  }
  state.followers.set(actor.id.href, {
    id: actor.id.href,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
  });
  const accept = new Accept({
    id: new URL(`${ctx.getActorUri(name).href}/accepts/${nextId("accept")}`),
    actor: ctx.getActorUri(name),
    object: follow,
    to: actor.id,
  });
  try {
    await ctx.sendActivity({ identifier: name }, actor, accept);
    entry.accepted = accept.id.href;
  } catch (error) {
    entry.acceptError = String(error);
  }
}

/** Marks the Follow an Accept or Reject answers (by the Follow's id, else by its actor). */
function answerFollow(state, answer, to) {
  const followId = answer.objectId?.href;
  for (const f of state.following.values()) {
    if (f.follow === followId || (followId == null && f.actor === answer.actorId?.href)) {
      f.state = to;
      return;
    }
  }
  const byActor = state.following.get(answer.actorId?.href ?? "");
  if (byActor) byActor.state = to;
}

/** Records a received activity with what its delivery carried; returns the record. */
async function recordActivity(state, ctx, activity) {
  const id = activity.id?.href ?? null;
  const delivery = (id && state.deliveries.get(id)) ?? null;
  if (id) state.deliveries.delete(id);
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
  state.received.push(entry);
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

// ---- our posts: state.posts entries {key, content, to, published, updated?, deleted?} -------

/** A post's addressing: public (followers in cc) or followers only. */
export function audience(ctx, name, to) {
  const followersUri = ctx.getFollowersUri(name);
  return to === "followers" ? { to: followersUri } : { to: PUBLIC_COLLECTION, cc: followersUri };
}

export const noteUri = (ctx, name, post) => ctx.getObjectUri(Note, { identifier: name, id: post.key });

export function noteOf(ctx, name, post) {
  return new Note({
    id: noteUri(ctx, name, post),
    attribution: ctx.getActorUri(name),
    content: post.content,
    url: noteUri(ctx, name, post),
    published: Temporal.Instant.from(post.published),
    updated: post.updated ? Temporal.Instant.from(post.updated) : null,
    ...audience(ctx, name, post.to),
  });
}

export function createOf(ctx, name, post) {
  return new Create({
    id: new URL(`${noteUri(ctx, name, post).href}/activity`),
    actor: ctx.getActorUri(name),
    object: noteOf(ctx, name, post),
    published: Temporal.Instant.from(post.published),
    ...audience(ctx, name, post.to),
  });
}
