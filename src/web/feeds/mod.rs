//! The feeds Braid serves: the merged timeline (or any `?source=` / `?q=` view of it), and each
//! channel's (`/channels/NAME/feed.atom`, `.rss`, `.json`: what routes put in it), as Atom
//! (`atom.rs`, RFC 4287), RSS 2.0 (`rss.rs`) and JSON Feed 1.1 (`json.rs`), newest 50 items.
//!
//! This file turns a timeline page into [`FeedDoc`], the format-neutral description all three
//! writers share: absolute URLs (feed readers resolve nothing), the entry id, a title for
//! title-less notes, and the body as HTML.

mod atom;
mod json;
mod rss;

use std::sync::Arc;

use braid_core::sanitize::SafeHtml;
use chrono::{DateTime, Utc};
use url::Url;
use warp::Filter;

use super::owner::{self, Owner};
use super::query::{self, ListParams, RawQuery};
use super::respond::{self, Format};
use super::view::safe_url;
use super::{with_ctx, HandlerResult, WebContext, WebError};
use crate::store::StoredItem;

/// Entries per feed document: what feed readers expect, and the newest page is what they poll.
const FEED_SIZE: usize = 50;

/// Title-less notes get one made of their first words, since Atom requires a title and feed
/// readers list entries by it.
const DERIVED_TITLE_CHARS: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Atom,
    Rss,
    Json,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Atom => "feed.atom",
            Kind::Rss => "feed.rss",
            Kind::Json => "feed.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::Atom => "application/atom+xml; charset=utf-8",
            Kind::Rss => "application/rss+xml; charset=utf-8",
            Kind::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// One feed document, format-neutral.
pub struct FeedDoc {
    pub title: String,
    pub description: String,
    /// This document's own URL (`rel="self"`; JSON Feed `feed_url`).
    pub self_url: String,
    /// The feed's permanent id (Atom `<id>`), unique among the feeds Braid serves: RFC 4287
    /// §4.2.6 makes it what a reader knows the feed by, so two feeds sharing one may be
    /// merged into one subscription.
    pub id: String,
    /// The HTML page showing the same view (`rel="alternate"`; `home_page_url`).
    pub home_url: String,
    /// The next (older) page of this feed (RFC 5005 `rel="next"`; JSON Feed `next_url`).
    pub next_url: Option<String>,
    /// Newest entry update, or now for an empty feed (Atom requires `<updated>`).
    pub updated: DateTime<Utc>,
    pub entries: Vec<FeedEntry>,
}

/// One entry, format-neutral.
pub struct FeedEntry {
    /// Stable id: the origin's remote id when it is a URI, else a URI made from our item id.
    pub id: String,
    /// The item's title, or its first words.
    pub title: String,
    /// True when `title` is the item's own (JSON Feed omits derived titles).
    pub has_own_title: bool,
    /// Absolute link: the item's own page, else its place on our timeline.
    pub link: String,
    pub author: Option<FeedAuthor>,
    pub published: Option<DateTime<Utc>>,
    /// Last change: `updated`, else `published`, else when Braid first saw it.
    pub updated: DateTime<Utc>,
    /// The body as (sanitized) HTML, with the content warning in front if there is one.
    pub content_html: Option<String>,
    /// The item's own summary (sanitized HTML).
    pub summary_html: Option<String>,
    pub tags: Vec<String>,
    pub attachments: Vec<braid_core::Attachment>,
    pub language: Option<String>,
}

pub struct FeedAuthor {
    pub name: String,
    pub url: Option<String>,
    pub avatar: Option<String>,
}

pub fn routes(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let ctx2 = ctx.clone();
    let one = move |kind: Kind| {
        warp::path(kind.path())
            .and(warp::path::end())
            .and(read())
            .and(with_ctx(ctx.clone()))
            .and(owner::optional())
            .and(query::raw())
            .then(
                move |ctx: Arc<WebContext>, owner: Option<Owner>, raw: RawQuery| async move {
                    let result = feed(&ctx, kind, owner, &raw).await;
                    respond::finish(&ctx, Format::Text, result)
                },
            )
    };
    let channel = move |kind: Kind| {
        warp::path!("channels" / String / String)
            .and_then(move |name: String, file: String| async move {
                if file == kind.path() {
                    Ok(name)
                } else {
                    Err(warp::reject::not_found())
                }
            })
            .and(read())
            .and(with_ctx(ctx2.clone()))
            .and(owner::optional())
            .and(query::raw())
            .then(
                move |name: String, ctx: Arc<WebContext>, owner: Option<Owner>, raw: RawQuery| async move {
                    let result = channel_feed(&ctx, kind, &name, owner, &raw).await;
                    respond::finish(&ctx, Format::Text, result)
                },
            )
    };
    one(Kind::Atom)
        .or(one(Kind::Rss))
        .unify()
        .or(one(Kind::Json))
        .unify()
        .or(channel(Kind::Atom))
        .unify()
        .or(channel(Kind::Rss))
        .unify()
        .or(channel(Kind::Json))
        .unify()
}

/// GET and HEAD only.
fn read() -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::get().or(warp::head()).unify()
}

/// What a request may read of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Everything in it: the owner, or the token of a link made for this feed.
    Full,
    /// A published channel's public items, to anyone.
    PublicOnly,
}

/// The feed token sent (`?token=`), if any.
fn sent_token(raw: &RawQuery) -> Option<&str> {
    raw.iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Decides what the request may read of the feed of `channel` (`None`: the merged timeline),
/// or the 401 to answer. A token that is sent must be right, even for a published channel,
/// so a revoked link fails loudly instead of quietly showing less.
async fn access(
    ctx: &WebContext,
    channel: Option<(i64, bool)>,
    owner: Option<Owner>,
    raw: &RawQuery,
) -> Result<Result<Access, warp::reply::Response>, WebError> {
    if let Some(token) = sent_token(raw) {
        let valid = ctx
            .store
            .check_feed_token(channel.map(|(id, _)| id), crate::auth::token_hash(token))
            .await?;
        return Ok(if valid {
            Ok(Access::Full)
        } else {
            Err(denied(ctx, "this feed link's token is not valid (it was revoked, or is for another feed); make a new link under Settings or with `braid feeds link`"))
        });
    }
    if owner.is_some() {
        return Ok(Ok(Access::Full));
    }
    if channel.is_some_and(|(_, published)| published) {
        return Ok(Ok(Access::PublicOnly));
    }
    Ok(Err(denied(ctx, "this feed is private: its address needs the token of a feed link (make one under Settings or with `braid feeds link`)")))
}

fn denied(ctx: &WebContext, message: &str) -> warp::reply::Response {
    respond::error_page(
        ctx,
        Format::Text,
        warp::http::StatusCode::UNAUTHORIZED,
        message,
    )
}

/// The `token=…` to carry in a feed's own links (self, next), so a reader can follow them.
fn token_query(raw: &RawQuery) -> String {
    sent_token(raw)
        .map(|t| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", t)
                .finish()
        })
        .unwrap_or_default()
}

/// `a&b`, leaving out empty parts.
fn join_query(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}&{b}"),
    }
}

/// A channel's feed: what routes put in it, newest first. Its audience was checked when each
/// item went in; a published channel read without a token shows its public items only.
async fn channel_feed(
    ctx: &WebContext,
    kind: Kind,
    name: &str,
    owner: Option<Owner>,
    raw: &RawQuery,
) -> HandlerResult {
    let channel = ctx.store.channel(name.to_owned()).await?;
    let access = match access(
        ctx,
        Some(channel.as_ref().map_or((0, false), |c| (c.id, c.published))),
        owner,
        raw,
    )
    .await?
    {
        Ok(access) => access,
        Err(resp) => return Ok(resp),
    };
    let Some(channel) = channel else {
        return Ok(respond::error_page(
            ctx,
            Format::Text,
            warp::http::StatusCode::NOT_FOUND,
            &format!("there is no channel named {name:?}"),
        ));
    };
    let base = ctx.public_url.clone();
    let mut items = Vec::new();
    let public_only = access == Access::PublicOnly;
    for id in ctx
        .store
        .channel_item_ids(channel.id, FEED_SIZE, public_only)
        .await?
    {
        if let Some(item) = ctx.store.item(braid_core::ItemId(id)).await? {
            items.push(item);
        }
    }
    let title = channel
        .title
        .clone()
        .unwrap_or_else(|| format!("{}: {}", ctx.site_title, channel.name));
    let path = format!("channels/{}/{}", channel.name, kind.path());
    let doc = FeedDoc {
        description: channel
            .description
            .clone()
            .unwrap_or_else(|| format!("{title}, a channel of Braid")),
        title,
        self_url: absolute(&base, &path, &token_query(raw)),
        // Not the site's address, which is the merged timeline's id: where the channel's
        // feeds live.
        id: absolute(&base, &format!("channels/{}/", channel.name), ""),
        home_url: absolute(&base, "", ""),
        next_url: None,
        updated: items
            .iter()
            .map(|i| i.item.updated.unwrap_or(i.sort_time))
            .max()
            .unwrap_or_else(Utc::now),
        entries: items.iter().map(|i| entry(&base, i)).collect(),
    };
    let body = match kind {
        Kind::Atom => atom::render(&doc)?,
        Kind::Rss => rss::render(&doc)?,
        Kind::Json => json::render(&doc)?,
    };
    Ok(respond::no_store(respond::ok(body, kind.content_type())))
}

async fn feed(ctx: &WebContext, kind: Kind, owner: Option<Owner>, raw: &RawQuery) -> HandlerResult {
    if let Err(resp) = access(ctx, None, owner, raw).await? {
        return Ok(resp);
    }
    let mut params = ListParams::parse(ctx, raw).await?;
    params.limit = None;
    let page = ctx.store.timeline(params.timeline_query(FEED_SIZE)).await?;
    let base = ctx.public_url.clone();
    let token = token_query(raw);

    let title = match (&params.source, &params.search) {
        (_, Some(q)) => format!("{}: search “{q}”", ctx.site_title),
        (Some(source), None) => format!("{}: {}", ctx.site_title, source.name),
        (None, None) => ctx.site_title.clone(),
    };
    let doc = FeedDoc {
        description: format!("{title}, merged by Braid"),
        title,
        self_url: absolute(
            &base,
            kind.path(),
            &join_query(&params.query_with(params.before.as_ref()), &token),
        ),
        // The unfiltered-or-filtered self URL without paging: stable across polls.
        id: absolute(&base, "", &params.filter_query()),
        home_url: absolute(&base, "", &params.filter_query()),
        next_url: page.next.map(|key| {
            absolute(
                &base,
                kind.path(),
                &join_query(&params.query_with(Some(&key)), &token),
            )
        }),
        updated: page
            .items
            .iter()
            .map(|i| i.item.updated.unwrap_or(i.sort_time))
            .max()
            .unwrap_or_else(Utc::now),
        entries: page.items.iter().map(|i| entry(&base, i)).collect(),
    };
    let body = match kind {
        Kind::Atom => atom::render(&doc)?,
        Kind::Rss => rss::render(&doc)?,
        Kind::Json => json::render(&doc)?,
    };
    Ok(respond::no_store(respond::ok(body, kind.content_type())))
}

/// `base` + `path` + `?query`.
fn absolute(base: &Url, path: &str, query: &str) -> String {
    let mut url = base.join(path).unwrap_or_else(|_| base.clone());
    url.set_query(Some(query).filter(|q| !q.is_empty()));
    url.to_string()
}

fn entry(base: &Url, stored: &StoredItem) -> FeedEntry {
    let item = &stored.item;
    let timeline_anchor = {
        let mut url = base.clone();
        url.set_fragment(Some(&format!("item-{}", stored.id.0)));
        url.to_string()
    };
    let own_title = item
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    FeedEntry {
        id: entry_id(stored, &timeline_anchor),
        title: own_title
            .map(str::to_owned)
            .unwrap_or_else(|| derived_title(stored)),
        has_own_title: own_title.is_some(),
        link: item
            .url
            .as_deref()
            .and_then(safe_url)
            .unwrap_or(timeline_anchor),
        author: item.author.as_ref().and_then(|a| {
            Some(FeedAuthor {
                name: a.label()?.to_owned(),
                url: a.url.as_deref().and_then(safe_url),
                avatar: a.avatar.as_deref().and_then(safe_url),
            })
        }),
        published: item.published,
        updated: item.updated.or(item.published).unwrap_or(stored.sort_time),
        content_html: body_html(stored),
        summary_html: item
            .summary
            .as_ref()
            .filter(|s| !s.is_blank())
            .map(|s| s.to_string()),
        tags: item.tags.clone(),
        attachments: item
            .attachments
            .iter()
            .filter(|a| safe_url(&a.url).is_some())
            .cloned()
            .collect(),
        language: item.language.clone(),
    }
}

/// The origin's id when it is already a URI (Atom ids must be IRIs, RFC 4287 §4.2.6), so a
/// reader that also follows the origin sees the same entry; else our own anchor.
fn entry_id(stored: &StoredItem, fallback: &str) -> String {
    let remote = stored.item.remote_id.as_str();
    match Url::parse(remote) {
        Ok(url) if !url.cannot_be_a_base() || matches!(url.scheme(), "urn" | "tag") => {
            remote.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

fn derived_title(stored: &StoredItem) -> String {
    let text = stored.item.content_text.as_deref().unwrap_or("");
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return format!("Post from {}", stored.source_name);
    }
    let mut title: String = words.chars().take(DERIVED_TITLE_CHARS).collect();
    if words.chars().count() > DERIVED_TITLE_CHARS {
        title.push('…');
    }
    title
}

/// The body: sanitized HTML, else the summary, else the plain text escaped. A content warning
/// goes first as a labelled paragraph: feed readers know no spoiler element.
fn body_html(stored: &StoredItem) -> Option<String> {
    let item = &stored.item;
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let html = |s: &Option<SafeHtml>| s.as_ref().filter(|s| !s.is_blank()).map(|s| s.to_string());
    let body = html(&item.content_html)
        .or_else(|| html(&item.summary))
        .or_else(|| nonempty(&item.content_text).map(|t| format!("<p>{}</p>", escape_html(&t))));
    match nonempty(&item.content_warning) {
        Some(cw) => Some(format!(
            "<p><strong>Content warning: {}</strong></p>{}",
            escape_html(&cw),
            body.unwrap_or_default()
        )),
        None => body,
    }
}

pub use braid_core::sanitize::escape_html;
