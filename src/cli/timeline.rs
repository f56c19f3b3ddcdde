//! `braid timeline`: the merged timeline on the terminal, or as JSON for scripts.
//!
//! The store answers at most 500 items a request; a larger `--limit` is honoured by walking its
//! keyset pages (`before` = the last item shown), writing each page as it arrives, so memory
//! stays at one page whatever the limit.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;

use super::{JsonArray, Out};
use crate::config::Config;
use crate::store::{StoredItem, TimelineQuery};

/// Items asked of the store per request (its own maximum).
const PAGE: usize = 500;

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// How many items to show (any number: long listings are read page by page).
    #[arg(long, default_value_t = 20, value_parser = at_least_one)]
    pub limit: usize,
    /// Full-text search over titles, text and authors (words, "exact phrases", prefix*).
    #[arg(long, value_name = "QUERY")]
    pub search: Option<String>,
    /// Only items from this source (name or URL).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Print a JSON array of normalized items instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn timeline(args: TimelineArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let source = match &args.source {
        Some(name) => Some(super::find_source(&store, name).await?.id),
        None => None,
    };
    let mut out = Out::stdout();
    let mut json = if args.json {
        Some(JsonArray::start(&mut out)?)
    } else {
        None
    };
    let mut query = TimelineQuery {
        before: None,
        limit: PAGE,
        source,
        search: args.search.clone(),
        ..Default::default()
    };
    let mut shown = 0;
    while shown < args.limit {
        query.limit = (args.limit - shown).min(PAGE);
        let page = store.timeline(query.clone()).await?;
        for item in &page.items {
            match &mut json {
                Some(array) => array.push(&mut out, item)?,
                None => text_line(&mut out, item)?,
            }
        }
        shown += page.items.len();
        // A terminal reader sees the first page at once; a pipe gets large writes.
        if std::io::stdout().is_terminal() {
            out.flush()?;
        }
        match page.next {
            Some(next) if !page.items.is_empty() => query.before = Some(next),
            _ => break,
        }
    }
    match json {
        Some(array) => array.end(&mut out)?,
        None if shown == 0 => writeln!(
            out,
            "Nothing here yet. Add a feed with `braid source add URL`, then `braid sync`."
        )?,
        None => {}
    }
    out.finish()?;
    Ok(())
}

fn text_line(out: &mut Out, s: &StoredItem) -> anyhow::Result<()> {
    let item = &s.item;
    let headline = item
        .title
        .clone()
        .or_else(|| item.content_text.as_deref().map(|t| excerpt(t, 100)))
        .unwrap_or_else(|| "(untitled)".into());
    writeln!(
        out,
        "{}  [{}]  {}",
        s.sort_time.format("%Y-%m-%d %H:%M"),
        s.source_name,
        headline
    )?;
    if let Some(url) = &item.url {
        writeln!(out, "                    {url}")?;
    }
    Ok(())
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("give a whole number of items, at least 1".into()),
    }
}

fn excerpt(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        line.chars().take(max).collect::<String>() + "…"
    }
}
