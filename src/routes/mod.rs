//! Routes: the bridge's rules. A route carries new items from its sources (by source name,
//! account name or kind) to accounts and channels, filtered and rendered through a template.
//! The pipeline step between store and deliver: each pass reads the items stored since the
//! route's cursor, decides about each (and says why in the route's log), queues one post per
//! carried item in the outbox and puts it in channels, and moves the cursor, all in one
//! transaction.
//!
//! What a route never does:
//! - **post an entry twice.** An item is considered once (the cursor), and each carried
//!   entry's fingerprints (its id, its link, its title and text) are kept per route and source,
//!   so the same entry seen again under a new id (a feed without ids, whose hashed ids change
//!   with a date) is known. An update of an entry changes the stored item, not its id: it is
//!   never a new post (a route with `edits` edits the copies instead).
//! - **flood.** Items older than the route (or than their source, for a source added later)
//!   are skipped, as is everything that arrived while the route was paused; `--backfill N`
//!   carries the newest N on purpose. `min_interval` spaces its posts to each target.
//! - **widen an audience.** An item goes only where it is at least as private as the target:
//!   a followers-only status is not posted publicly, nor put in a public channel.
//! - **carry the owner's own posts.** What the owner composes into channels is an item of the
//!   built-in owner's source; compose already sent it to every target chosen, so no route
//!   takes it (a route from it to an account would post it a second time).
//! - **loop.** An item that is a copy Braid made (its remote id is a delivered part) is never
//!   carried; while a delivery to an account is in flight, that account's own posts dated
//!   after its claim wait for the outcome before they are weighed (the route's later items
//!   wait behind them, so order is kept).

mod manage;
mod spec;

use std::collections::HashMap;
use std::sync::Arc;

use braid_core::Visibility;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use manage::{
    channel_audience, check_names, format_duration, long_for, new_channel, nonempty,
    parse_duration, prepare,
};
pub use spec::{Filter, RouteSpec};

use crate::outbox::{Draft, PostOptions};
use crate::scheduler::PollContext;
use crate::store::{
    AccountRecord, ChannelRecord, NewMedia, NewPost, NewTarget, RouteDecision, RouteItem,
    RouteRecord, SourceRecord, StoreError, OWNER_KIND,
};

/// Items a pass weighs per route at most; the next pass goes on from there.
const BATCH: usize = 500;

/// Entries published this long before a route began (or their source was added) still count
/// as new: a feed is polled some minutes after it publishes.
const GRACE: chrono::Duration = chrono::Duration::minutes(10);

/// Where a route sends.
#[derive(Debug, Clone)]
enum Target {
    Account(AccountRecord),
    Channel(ChannelRecord),
}

impl Target {
    fn name(&self) -> &str {
        match self {
            Target::Account(a) => &a.name,
            Target::Channel(c) => &c.name,
        }
    }
}

/// What a pass knows about the world: sources, accounts, channels.
struct World {
    sources: Vec<SourceRecord>,
    accounts: Vec<AccountRecord>,
    channels: Vec<ChannelRecord>,
}

impl World {
    async fn load(store: &crate::store::Store) -> Result<World, StoreError> {
        Ok(World {
            sources: store.list_sources().await?,
            accounts: store.list_accounts().await?,
            channels: store.list_channels().await?,
        })
    }

    /// Resolves a `to` name: an account, else a channel (`channel:NAME` names a channel).
    fn target(&self, name: &str) -> Option<Target> {
        if let Some(channel) = name.strip_prefix("channel:") {
            return self
                .channels
                .iter()
                .find(|c| c.name == channel)
                .cloned()
                .map(Target::Channel);
        }
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .map(Target::Account)
            .or_else(|| {
                self.channels
                    .iter()
                    .find(|c| c.name == name)
                    .cloned()
                    .map(Target::Channel)
            })
    }

    /// Whether `item` comes from `from` (a source name, an account name, or a kind).
    fn comes_from(&self, from: &str, item: &RouteItem) -> bool {
        // What the owner composed went to every target the owner chose, at once; a route
        // carrying it again would post it twice (`crate::store::OwnPost`).
        if item.source_kind == OWNER_KIND {
            return false;
        }
        if let Some(kind) = from.strip_prefix("kind:") {
            return item.source_kind == kind;
        }
        if self.sources.iter().any(|s| s.name == from) {
            return item.source_name == from;
        }
        if let Some(account) = self.accounts.iter().find(|a| a.name == from) {
            return item.account_id == Some(account.id.0) && authored_by(item, account);
        }
        item.source_kind == from
    }

    /// Names in `from` that are no source, account or kind anyone has.
    fn unknown_from<'a>(&self, spec: &'a RouteSpec, kinds: &[&str]) -> Vec<&'a str> {
        spec.from
            .iter()
            .map(String::as_str)
            .filter(|f| {
                let kind = f.strip_prefix("kind:").unwrap_or(f);
                !self.sources.iter().any(|s| s.name == *f)
                    && !self.accounts.iter().any(|a| a.name == *f)
                    && !kinds.contains(&kind)
            })
            .collect()
    }

    /// The sources `from` names, for a backfill.
    fn sources_of(&self, spec: &RouteSpec) -> Vec<i64> {
        self.sources
            .iter()
            .filter(|s| {
                spec.from.iter().any(|f| {
                    f == &s.name
                        || f.strip_prefix("kind:") == Some(s.kind.as_str())
                        || f == &s.kind
                        || self
                            .accounts
                            .iter()
                            .any(|a| &a.name == f && s.account == Some(a.id))
                })
            })
            .map(|s| s.id.0)
            .collect()
    }

    fn account(&self, id: i64) -> Option<&AccountRecord> {
        self.accounts.iter().find(|a| a.id.0 == id)
    }
}

/// The account itself wrote `item` (its own post, read from one of its timelines).
fn authored_by(item: &RouteItem, account: &AccountRecord) -> bool {
    let same = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a.trim_start_matches('@').eq_ignore_ascii_case(b.trim_start_matches('@')));
    same(&item.author_url, &account.profile_url) || same(&item.author_handle, &account.handle)
}

/// How private a visibility is: higher is more private.
fn privacy(v: Visibility) -> u8 {
    match v {
        Visibility::Public => 0,
        Visibility::Unlisted => 1,
        Visibility::FollowersOnly => 2,
        Visibility::Direct => 3,
    }
}

fn visibility_name(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Unlisted => "unlisted",
        Visibility::FollowersOnly => "followers-only",
        Visibility::Direct => "direct",
    }
}

/// The entry's fingerprints: its id, its link, and (for a titled or long text) its words.
pub fn fingerprints(item: &RouteItem) -> Vec<String> {
    let mut out = vec![format!("id:{}", item.remote_id)];
    if let Some(url) = item.canonical_url.as_ref().or(item.url.as_ref()) {
        out.push(format!("url:{url}"));
    }
    let text = format!(
        "{}\n{}",
        item.title.as_deref().unwrap_or_default(),
        item.content_text.as_deref().unwrap_or_default()
    );
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let words = words.join(" ");
    // A short untitled note ("good morning") may well be said twice on purpose.
    if item.title.is_some() || words.chars().count() >= 80 {
        out.push(format!(
            "text:{}",
            hex::encode(&Sha256::digest(words.as_bytes())[..16])
        ));
    }
    out
}

/// One pass over every running route. Returns the posts queued.
pub async fn run(ctx: &Arc<PollContext>) -> Result<usize, StoreError> {
    let routes = ctx.store.list_routes().await?;
    if routes.iter().all(|r| r.paused) {
        return Ok(0);
    }
    // Most seconds nothing arrived: then nothing more is read.
    let newest = ctx.store.newest_item_id().await?;
    let behind = routes.iter().any(|r| !r.paused && r.cursor < newest);
    if !behind && !ctx.store.has_item_events().await? {
        return Ok(0);
    }
    let world = World::load(&ctx.store).await?;
    let mut queued = 0;
    for route in routes.iter().filter(|r| !r.paused) {
        loop {
            let before = route_cursor(ctx, route).await?;
            let items = ctx.store.items_after(before, BATCH).await?;
            if items.is_empty() {
                break;
            }
            let full = items.len() == BATCH;
            queued += pass(ctx, &world, route, items, None).await?;
            // A pass that stopped at an item waiting for a delivery's outcome goes on at the
            // next run, not in a loop now.
            if !full || route_cursor(ctx, route).await? == before {
                break;
            }
        }
    }
    queued += edits_and_deletes(ctx).await?;
    Ok(queued)
}

/// The route's cursor as stored now (a pass moves it).
async fn route_cursor(ctx: &PollContext, route: &RouteRecord) -> Result<i64, StoreError> {
    Ok(ctx
        .store
        .route(route.name.clone())
        .await?
        .map_or(route.cursor, |r| r.cursor))
}

/// Carries the newest `n` items of the route's sources that pass its rules, oldest first,
/// whatever their age (on `route add --backfill N` or `route resume --backfill N`).
pub async fn backfill(ctx: &Arc<PollContext>, name: &str, n: usize) -> Result<usize, StoreError> {
    let Some(route) = ctx.store.route(name.to_owned()).await? else {
        return Ok(0);
    };
    let world = World::load(&ctx.store).await?;
    let spec = RouteSpec::from_value(&route.spec).map_err(StoreError::Other)?;
    let mut items = ctx
        .store
        .newest_items(world.sources_of(&spec), n.saturating_mul(20).max(n))
        .await?;
    items.retain(|i| i.id <= route.cursor);
    // Newest first, to find the newest n that pass; carried oldest first.
    let mut chosen = Vec::new();
    for item in items {
        if chosen.len() >= n {
            break;
        }
        if spec.from.iter().any(|f| world.comes_from(f, &item))
            && spec.filter.accepts(&item).is_ok()
        {
            chosen.push(item);
        }
    }
    chosen.reverse();
    let items = chosen;
    pass(ctx, &world, &route, items, Some(n)).await
}

/// Decides about `items` (oldest first) and applies the decisions. `backfill` (at most that
/// many): older items count too, and the cursor does not move.
async fn pass(
    ctx: &PollContext,
    world: &World,
    route: &RouteRecord,
    items: Vec<RouteItem>,
    backfill: Option<usize>,
) -> Result<usize, StoreError> {
    let cap = backfill.unwrap_or(usize::MAX);
    let backfill = backfill.is_some();
    let spec = match RouteSpec::from_value(&route.spec) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(route = %route.name, error = %e, "routes: the route's rule is unreadable");
            return Ok(0);
        }
    };
    let mut decisions = Vec::new();
    let mut cursor = route.cursor;
    let mut slots: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut seen_now: Vec<(i64, String)> = Vec::new();
    let mut carried = 0;
    for item in items {
        if carried >= cap {
            break;
        }
        if !spec.from.iter().any(|f| world.comes_from(f, &item)) {
            if !backfill {
                cursor = cursor.max(item.id);
            }
            continue;
        }
        match decide(
            ctx, world, route, &spec, &item, &mut slots, &seen_now, backfill,
        )
        .await?
        {
            Decided::Wait => break,
            Decided::Done(d) => {
                if d.post.is_some() || !d.channels.is_empty() {
                    carried += 1;
                    seen_now.extend(d.fingerprints.iter().map(|f| (item.source_id, f.clone())));
                }
                if !backfill {
                    cursor = cursor.max(item.id);
                }
                decisions.push(*d);
            }
        }
    }
    if decisions.is_empty() && cursor == route.cursor {
        return Ok(0);
    }
    let posts = ctx.store.apply_route(route.id, cursor, decisions).await?;
    if !posts.is_empty() {
        tracing::info!(route = %route.name, posts = posts.len(), "routes: queued");
    }
    Ok(posts.len())
}

enum Decided {
    Done(Box<RouteDecision>),
    /// Not yet: the outcome of a delivery that may have made this item is unknown.
    Wait,
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    ctx: &PollContext,
    world: &World,
    route: &RouteRecord,
    spec: &RouteSpec,
    item: &RouteItem,
    slots: &mut HashMap<i64, DateTime<Utc>>,
    seen_now: &[(i64, String)],
    backfill: bool,
) -> Result<Decided, StoreError> {
    let mut d = RouteDecision {
        item_id: item.id,
        source_id: item.source_id,
        fingerprints: fingerprints(item),
        post: None,
        channels: Vec::new(),
        log: Vec::new(),
    };
    let skip = |d: &mut RouteDecision, reason: String| {
        d.log.push((None, "skipped".into(), reason));
    };
    // A copy Braid made, read back from where it went.
    if let Some(delivery) = ctx.store.copy_of(item.remote_id.clone()).await? {
        skip(
            &mut d,
            format!("a copy Braid made (delivery {delivery}); never carried again"),
        );
        d.fingerprints.clear();
        return Ok(Decided::Done(Box::new(d)));
    }
    if let Some(account) = item.account_id.and_then(|a| world.account(a)) {
        // A copy is dated after its delivery was claimed (a minute of clock skew allowed);
        // an older post of the account cannot be one.
        if authored_by(item, account) {
            if let Some(since) = ctx.store.in_flight_since(account.id.0).await? {
                if item.sort_time >= since - chrono::Duration::minutes(1) {
                    return Ok(Decided::Wait);
                }
            }
        }
    }
    let begins = route.since.max(item.source_created_at) - GRACE;
    if !backfill && item.sort_time < begins {
        skip(
            &mut d,
            format!(
                "older than the route (dated {}, the route carries what is new since {})",
                item.sort_time.format("%Y-%m-%d %H:%M"),
                begins.format("%Y-%m-%d %H:%M")
            ),
        );
        return Ok(Decided::Done(Box::new(d)));
    }
    let earlier = match ctx
        .store
        .sent_as(route.id, item.source_id, d.fingerprints.clone())
        .await?
    {
        Some(id) => Some(id),
        None => seen_now
            .iter()
            .any(|(s, f)| *s == item.source_id && d.fingerprints.contains(f))
            .then_some(item.id),
    };
    if let Some(earlier) = earlier {
        skip(
            &mut d,
            format!("already carried (item {earlier}: the same entry, by its id, link or text)"),
        );
        d.fingerprints.clear();
        return Ok(Decided::Done(Box::new(d)));
    }
    if let Err(reason) = spec.filter.accepts(item) {
        skip(&mut d, format!("filter: {reason}"));
        return Ok(Decided::Done(Box::new(d)));
    }
    let item_visibility = Visibility::parse(&item.visibility).unwrap_or(Visibility::Direct);
    let route_visibility = spec.visibility.unwrap_or(Visibility::Public);
    let mut accounts: Vec<(AccountRecord, Option<DateTime<Utc>>)> = Vec::new();
    for name in &spec.to {
        let Some(target) = world.target(name) else {
            d.log.push((
                Some(name.clone()),
                "skipped".into(),
                format!("no account or channel named {name:?}"),
            ));
            continue;
        };
        match &target {
            Target::Channel(c) => {
                let audience = Visibility::parse(&c.audience).unwrap_or(Visibility::Public);
                if privacy(item_visibility) > privacy(audience) {
                    d.log.push((
                        Some(target.name().to_owned()),
                        "skipped".into(),
                        format!(
                            "the item is {}; this channel is {}",
                            visibility_name(item_visibility),
                            visibility_name(audience)
                        ),
                    ));
                    continue;
                }
                d.channels.push(c.id);
                d.log.push((
                    Some(c.name.clone()),
                    "channel".into(),
                    "put in the channel".into(),
                ));
            }
            Target::Account(a) => {
                if privacy(item_visibility) > privacy(route_visibility) {
                    d.log.push((
                        Some(a.name.clone()),
                        "skipped".into(),
                        format!(
                            "the item is {}; this route posts {} (set the route's visibility to carry it)",
                            visibility_name(item_visibility),
                            visibility_name(route_visibility)
                        ),
                    ));
                    continue;
                }
                if item.account_id == Some(a.id.0) {
                    d.log.push((
                        Some(a.name.clone()),
                        "skipped".into(),
                        "the item came from this account".into(),
                    ));
                    continue;
                }
                let at = match spec.min_interval_secs {
                    Some(secs) if secs > 0 => {
                        let last = match slots.get(&a.id.0) {
                            Some(t) => Some(*t),
                            None => ctx.store.route_last_slot(route.id, a.id.0).await?,
                        };
                        let now = Utc::now();
                        let at = last
                            .map(|l| l + chrono::Duration::seconds(secs as i64))
                            .filter(|t| *t > now);
                        slots.insert(a.id.0, at.unwrap_or(now));
                        at
                    }
                    _ => None,
                };
                accounts.push((a.clone(), at));
            }
        }
    }
    if !accounts.is_empty() {
        let draft = Draft {
            text: spec.render(item),
            content_warning: item.content_warning.clone(),
            visibility: if privacy(item_visibility) > privacy(route_visibility) {
                item_visibility
            } else {
                route_visibility
            },
            language: item.language.clone(),
            reply_to: None,
        };
        let options = PostOptions {
            long: spec.long.or_else(|| {
                (item.title.is_some() && item.url.is_some())
                    .then_some(braid_core::fit::LongText::Truncate)
            }),
            number: spec.number,
            link: item.url.clone(),
            long_for: spec.long_for.clone(),
        };
        let key = format!("route-{}-item-{}", route.id, item.id);
        for (a, at) in &accounts {
            let when = at.map_or_else(
                || "queued".to_owned(),
                |t| {
                    format!(
                        "queued for {} (min_interval)",
                        t.format("%Y-%m-%d %H:%M:%S")
                    )
                },
            );
            d.log.push((Some(a.name.clone()), "queued".into(), when));
        }
        let (media, notes) = fetch_files(ctx, item).await;
        for note in notes {
            d.log.push((None, "note".into(), note));
        }
        d.post = Some(NewPost {
            targets: accounts
                .iter()
                .map(|(a, at)| NewTarget {
                    account: a.id,
                    name: a.name.clone(),
                    key: crate::outbox::delivery_key(&key, a.id),
                    not_before: *at,
                })
                .collect(),
            key,
            draft: serde_json::to_value(&draft).unwrap_or_default(),
            media,
            not_before: None,
            options: serde_json::to_value(&options).unwrap_or_default(),
            routed: Some((route.id, item.id)),
            own: None,
        });
    }
    Ok(Decided::Done(Box::new(d)))
}

/// Files of an item fetched at most, for one post (no network takes more than a few).
const MAX_FILES: usize = 8;

/// The item's files, fetched through the safe HTTP client (no private addresses, bodies
/// capped like every fetch) to go with the post, each with its alt text. A file that cannot be
/// fetched, or is not an image, video or audio, is left out with a note for the route's log;
/// fitting then leaves out what a target cannot take.
async fn fetch_files(ctx: &PollContext, item: &RouteItem) -> (Vec<NewMedia>, Vec<String>) {
    let mut media = Vec::new();
    let mut notes = Vec::new();
    if item.attachments.len() > MAX_FILES {
        notes.push(format!(
            "{} of the item's {} files are not carried (at most {MAX_FILES})",
            item.attachments.len() - MAX_FILES,
            item.attachments.len()
        ));
    }
    for a in item.attachments.iter().take(MAX_FILES) {
        let fetched = async {
            let url = url::Url::parse(&a.url).map_err(|e| e.to_string())?;
            let resp = ctx
                .connectors
                .http
                .get(&url, Default::default())
                .await
                .map_err(|e| e.to_string())?;
            if !resp.status.is_success() {
                return Err(format!("HTTP {}", resp.status.as_u16()));
            }
            let declared = a.media_type.clone().or_else(|| {
                resp.header_str("content-type")
                    .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
            });
            let media_type = declared
                .filter(|t| {
                    ["image/", "video/", "audio/"]
                        .iter()
                        .any(|f| t.starts_with(f))
                })
                .ok_or_else(|| "not an image, video or audio file".to_owned())?;
            Ok(NewMedia {
                media_type,
                alt: a.alt.clone(),
                bytes: resp.body.to_vec(),
            })
        }
        .await;
        match fetched {
            Ok(m) => media.push(m),
            Err(e) => notes.push(format!("file {} left out: {e}", a.url)),
        }
    }
    (media, notes)
}

/// Carries the changes of routed items to their copies, for the routes that say so: an
/// updated item edits every copy, a deleted one deletes them. Returns the deliveries queued.
async fn edits_and_deletes(ctx: &PollContext) -> Result<usize, StoreError> {
    let events = ctx.store.item_events(0, 200).await?;
    let Some(last) = events.last().map(|e| e.0) else {
        return Ok(0);
    };
    let routes = ctx.store.list_routes().await?;
    let mut queued = 0;
    for (event, item_id, kind) in &events {
        for (post, route_id) in ctx.store.posts_of_item(*item_id).await? {
            let Some(route) = routes.iter().find(|r| Some(r.id) == route_id) else {
                continue;
            };
            let Ok(spec) = RouteSpec::from_value(&route.spec) else {
                continue;
            };
            let tag = format!("{kind}-{event}");
            let (ids, decision) = if kind == "deleted" {
                if !spec.deletes {
                    continue;
                }
                (
                    ctx.store.queue_op(post, "delete", None, tag).await?,
                    "deleted",
                )
            } else {
                if !spec.edits {
                    continue;
                }
                let Some(item) = ctx.store.route_item(*item_id).await? else {
                    continue;
                };
                let draft = Draft {
                    text: spec.render(&item),
                    content_warning: item.content_warning.clone(),
                    visibility: Visibility::Public,
                    language: item.language.clone(),
                    reply_to: None,
                };
                let payload = serde_json::to_value(&draft).unwrap_or_default();
                (
                    ctx.store.queue_op(post, "edit", Some(payload), tag).await?,
                    "edited",
                )
            };
            queued += ids.len();
            ctx.store
                .route_log_line(
                    route.id,
                    Some(*item_id),
                    None,
                    decision,
                    format!(
                        "the item was {kind} at its origin: {} cop{} to {}",
                        ids.len(),
                        if ids.len() == 1 { "y" } else { "ies" },
                        if kind == "deleted" { "delete" } else { "edit" }
                    ),
                    Some(post),
                )
                .await?;
        }
    }
    ctx.store.done_item_events(last).await?;
    Ok(queued)
}

/// A channel's name is a path segment of its feeds: letters, digits, `-` and `_`.
pub fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Applies the config's `[[channel]]` and `[[route]]` tables: new ones added, changed ones
/// updated, and those removed from the file removed. A name the CLI already uses is left
/// alone, with a warning.
pub async fn apply_config(ctx: &PollContext) -> Result<(), StoreError> {
    use crate::store::{ConfigApplied, NewChannel};
    for c in &ctx.config.channel {
        let new = NewChannel {
            name: c.name.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            audience: c.audience.unwrap_or(Visibility::Public).as_str().to_owned(),
            published: c.public,
            origin: "config".into(),
        };
        if ctx.store.apply_config_channel(new).await? == ConfigApplied::NameTaken {
            tracing::warn!(channel = %c.name, "config: a channel of that name was made with the CLI; the [[channel]] table is not applied");
        }
    }
    for r in &ctx.config.route {
        match ctx
            .store
            .apply_config_route(r.name.clone(), r.spec().to_value())
            .await?
        {
            ConfigApplied::NameTaken => {
                tracing::warn!(route = %r.name, "config: a route of that name was made with the CLI; the [[route]] table is not applied")
            }
            ConfigApplied::Added => tracing::info!(route = %r.name, "config: route added"),
            ConfigApplied::Updated => tracing::info!(route = %r.name, "config: route updated"),
            ConfigApplied::Unchanged => {}
        }
        if let Err(e) = check(ctx, &r.spec()).await {
            tracing::warn!(route = %r.name, error = %e, "config: the route names something that does not exist (yet)");
        }
    }
    for stored in ctx.store.list_routes().await? {
        if stored.origin == "config" && !ctx.config.route.iter().any(|r| r.name == stored.name) {
            ctx.store.remove_route(stored.name.clone()).await?;
            tracing::info!(route = %stored.name, "config: route removed (no longer in the file)");
        }
    }
    for stored in ctx.store.list_channels().await? {
        if stored.origin == "config" && !ctx.config.channel.iter().any(|c| c.name == stored.name) {
            ctx.store.remove_channel(stored.name.clone()).await?;
            tracing::info!(channel = %stored.name, "config: channel removed (no longer in the file)");
        }
    }
    Ok(())
}

/// Checks a route's names against what exists now: `Err` with what is unknown.
pub async fn check(ctx: &PollContext, spec: &RouteSpec) -> Result<(), String> {
    check_names(&ctx.store, &ctx.connectors.registry.kinds(), spec).await
}
