//! `braid timeline`: the merged timeline on the terminal, or as JSON for scripts.

use std::sync::Arc;

use clap::Args;

use crate::config::Config;
use crate::store::TimelineQuery;

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// How many items to show.
    #[arg(long, default_value_t = 20)]
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
    let page = store
        .timeline(TimelineQuery {
            before: None,
            limit: args.limit.clamp(1, 500),
            source,
            search: args.search.clone(),
        })
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&page.items)?);
        return Ok(());
    }
    if page.items.is_empty() {
        println!("Nothing here yet. Add a feed with `braid source add URL`, then `braid sync`.");
        return Ok(());
    }
    for s in &page.items {
        let item = &s.item;
        let headline = item
            .title
            .clone()
            .or_else(|| item.content_text.as_deref().map(|t| excerpt(t, 100)))
            .unwrap_or_else(|| "(untitled)".into());
        println!(
            "{}  [{}]  {}",
            s.sort_time.format("%Y-%m-%d %H:%M"),
            s.source_name,
            headline
        );
        if let Some(url) = &item.url {
            println!("                    {url}");
        }
    }
    Ok(())
}

fn excerpt(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        line.chars().take(max).collect::<String>() + "…"
    }
}
