//! `GET /`: the merged timeline, newest first, 30 items a page. `?before=` pages back (keyset
//! pagination: stable while new items arrive, unlike offsets); `?source=`, `?network=`,
//! `?channel=` and `?media=1` filter, `?q=` searches (FTS5 in the store), all combined. The
//! first page carries what `/static/timeline.js` needs to add new items on top (`live.rs`).

use std::sync::Arc;

use askama::Template;
use warp::Filter;

use super::owner::{self, Owner};
use super::query::{self, ListParams, RawQuery};
use super::respond::{self, Format};
use super::view::{network_label, ItemView, Layout};
use super::{with_ctx, HandlerResult, WebContext};

/// Items per page: enough to scroll, few enough to render fast with media.
const PAGE_SIZE: usize = 30;

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    source: Option<SourceLink>,
    search: Option<String>,
    networks: Vec<Choice>,
    channels: Vec<Choice>,
    has_media: bool,
    /// The filters in force, each with the link that drops it.
    chips: Vec<Chip>,
    filtered: bool,
    items: Vec<ItemView>,
    is_later_page: bool,
    newest_href: String,
    older_href: Option<String>,
    /// Only on the first page: where live updates start.
    live: Option<Live>,
}

struct SourceLink {
    id: i64,
}

/// An option of a filter's `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct Chip {
    label: String,
    remove_href: String,
}

struct Live {
    /// The newest item id when the page was read: new items are those after it.
    after: i64,
    /// The page's filters, for fetching new items that pass them.
    filters: String,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path::end()
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(query::raw())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, raw: RawQuery| async move {
                let result = page(&ctx, &owner, &raw).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn page(ctx: &WebContext, owner: &Owner, raw: &RawQuery) -> HandlerResult {
    let mut params = ListParams::parse(ctx, raw).await?;
    // The page has a fixed size; `limit` is for the API, `after` for live updates.
    params.limit = None;
    params.after = None;
    // Read before the page: an item stored in between comes live (the script drops repeats).
    let newest = ctx.store.newest_item_id().await?;
    let timeline = ctx.store.timeline(params.timeline_query(PAGE_SIZE)).await?;
    let signer = ctx.media_signer().await?;

    let filters = params.filter_query();
    let mut layout = Layout::owned(ctx, "", "timeline", owner);
    layout.q = params.search.clone().unwrap_or_default();
    layout.feed_query = filters.clone();
    let chips = chips(&params);
    if !chips.is_empty() {
        layout.page_title = chips
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(", ");
    }
    let networks = ctx
        .store
        .source_kinds()
        .await?
        .into_iter()
        .map(|kind| Choice {
            label: network_label(&kind),
            selected: params.network.as_deref() == Some(kind.as_str()),
            value: kind,
        })
        .collect();
    let channels = ctx
        .store
        .channel_names()
        .await?
        .into_iter()
        .map(|(name, title)| Choice {
            selected: params.channel.as_ref().is_some_and(|p| p.name == name),
            label: title.unwrap_or_else(|| name.clone()),
            value: name,
        })
        .collect();

    let page = TimelinePage {
        layout,
        source: params.source.as_ref().map(|s| SourceLink { id: s.id.0 }),
        search: params.search.clone(),
        networks,
        channels,
        has_media: params.has_media,
        filtered: params.is_filtered(),
        chips,
        items: timeline
            .items
            .into_iter()
            .map(|i| ItemView::listed(i, &signer))
            .collect(),
        is_later_page: params.before.is_some(),
        newest_href: query::with_query("/", &filters),
        older_href: timeline
            .next
            .map(|key| query::with_query("/", &params.query_with(Some(&key)))),
        live: params.before.is_none().then(|| Live {
            after: newest,
            filters: filters.clone(),
        }),
    };
    Ok(respond::no_store(respond::ok(
        page.render()?,
        respond::HTML,
    )))
}

/// The filters in force, each with the link to the same view without it.
fn chips(params: &ListParams) -> Vec<Chip> {
    let without = |drop: &dyn Fn(&mut ListParams)| {
        let mut p = params.clone();
        p.before = None;
        drop(&mut p);
        query::with_query("/", &p.filter_query())
    };
    let mut chips = Vec::new();
    if let Some(q) = &params.search {
        chips.push(Chip {
            label: format!("results for “{q}”"),
            remove_href: without(&|p| p.search = None),
        });
    }
    if let Some(source) = &params.source {
        chips.push(Chip {
            label: format!("from {}", source.name),
            remove_href: without(&|p| p.source = None),
        });
    }
    if let Some(network) = &params.network {
        chips.push(Chip {
            label: format!("on {}", network_label(network)),
            remove_href: without(&|p| p.network = None),
        });
    }
    if let Some(channel) = &params.channel {
        chips.push(Chip {
            label: format!(
                "in the channel {}",
                channel.title.as_deref().unwrap_or(&channel.name)
            ),
            remove_href: without(&|p| p.channel = None),
        });
    }
    if params.has_media {
        chips.push(Chip {
            label: "with media".into(),
            remove_href: without(&|p| p.has_media = false),
        });
    }
    chips
}
