//! `braid route add|list|remove|pause|resume|log`: the bridging rules. `braid run` carries what
//! they match; `braid route log NAME` says what each sent and skipped, and why.

use std::sync::Arc;

use clap::{Args, Subcommand};

use super::post::VisibilityArg;
use super::Out;
use crate::config::Config;
use crate::routes::{self, Filter, RouteSpec};

#[derive(Debug, Subcommand)]
pub enum RouteCommand {
    /// Add a route: new items from FROM go to TO (from now on; --backfill N carries the
    /// newest N already here).
    Add(Box<AddArgs>),
    /// List routes with their rule and state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a route (what it queued stays in the outbox).
    Remove { name: String },
    /// Stop carrying items until `braid route resume`.
    Pause { name: String },
    /// Carry items again, from now on: what arrived while it was paused is not carried,
    /// unless --backfill N.
    Resume {
        name: String,
        /// Also carry the newest N items already here that pass the route's rules.
        #[arg(long, value_name = "N")]
        backfill: Option<usize>,
    },
    /// What a route sent and skipped, and why, newest first.
    Log {
        name: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The route's name.
    pub name: String,
    /// Where items come from: sources by name, accounts by name (their own posts), or a kind
    /// (`feed`, `kind:mastodon`), comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        value_name = "SOURCE[,…]"
    )]
    pub from: Vec<String>,
    /// Where they go: accounts or channels by name (`channel:NAME` when a name is both),
    /// comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        value_name = "TARGET[,…]"
    )]
    pub to: Vec<String>,
    /// Only items with one of these words (whole words, any case); repeatable.
    #[arg(long, value_name = "WORD")]
    pub include: Vec<String>,
    /// No items with this word; repeatable.
    #[arg(long, value_name = "WORD")]
    pub exclude: Vec<String>,
    /// Only items whose title or text matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub include_regex: Option<String>,
    /// No items whose title or text matches this one.
    #[arg(long, value_name = "REGEX")]
    pub exclude_regex: Option<String>,
    /// Only items with one of these tags; repeatable.
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// No items with this tag; repeatable.
    #[arg(long, value_name = "TAG")]
    pub exclude_tag: Vec<String>,
    /// Only items in these languages (ISO 639, e.g. en); items without one pass.
    #[arg(long, value_name = "LANG", value_delimiter = ',')]
    pub language: Vec<String>,
    /// No replies and no boosts.
    #[arg(long)]
    pub originals_only: bool,
    #[arg(long)]
    pub no_replies: bool,
    #[arg(long)]
    pub no_boosts: bool,
    /// Only items with files.
    #[arg(long)]
    pub has_media: bool,
    /// The post's text: {title}, {text}, {url}, {author}, {tags} (default: title and link for
    /// a titled entry, the text for anything else).
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,
    /// The most public a copy may be; items more private than this are not carried to
    /// accounts (a copy is never more public than its item).
    #[arg(long, value_enum, default_value = "public")]
    pub visibility: VisibilityArg,
    #[command(flatten)]
    pub long: super::post::LongArgs,
    /// At least this long between two posts of this route to one account (90s, 10m, 2h).
    #[arg(long, value_name = "DURATION", value_parser = routes::parse_duration)]
    pub min_interval: Option<u64>,
    /// An entry updated at its origin edits its copies.
    #[arg(long)]
    pub edits: bool,
    /// An entry deleted at its origin deletes its copies.
    #[arg(long)]
    pub deletes: bool,
    /// Also carry the newest N items already here that pass the route's rules.
    #[arg(long, value_name = "N")]
    pub backfill: Option<usize>,
}

impl AddArgs {
    fn spec(&self) -> RouteSpec {
        RouteSpec {
            from: self.from.iter().map(|s| s.trim().to_owned()).collect(),
            to: self.to.iter().map(|s| s.trim().to_owned()).collect(),
            filter: Filter {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
                include_regex: self.include_regex.clone(),
                exclude_regex: self.exclude_regex.clone(),
                tags: self.tag.clone(),
                exclude_tags: self.exclude_tag.clone(),
                languages: self.language.clone(),
                originals_only: self.originals_only,
                no_replies: self.no_replies,
                no_boosts: self.no_boosts,
                has_media: self.has_media,
            },
            template: self.template.clone(),
            visibility: match self.visibility {
                VisibilityArg::Public => None,
                v => Some(v.into()),
            },
            long: self.long.choice(),
            long_for: self.long.per_target(),
            number: self.long.number,
            min_interval_secs: self.min_interval,
            edits: self.edits,
            deletes: self.deletes,
        }
    }
}

pub async fn route(cmd: RouteCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let ctx = super::context(&config)?;
    crate::listeners::apply_blocks(&ctx).await?;
    let store = &ctx.store;
    let mut out = Out::stdout();
    match cmd {
        RouteCommand::Add(args) => {
            let kinds = ctx.connectors.registry.kinds();
            let spec = routes::prepare(store, &kinds, args.spec())
                .await
                .map_err(anyhow::Error::msg)?;
            store.add_route(args.name.clone(), spec.to_value()).await?;
            writeln!(
                out,
                "Route {} added: new items from {} go to {}.",
                args.name,
                spec.from.join(", "),
                spec.to.join(", ")
            )?;
            if let Some(n) = args.backfill {
                let queued = routes::backfill(&ctx, &args.name, n).await?;
                writeln!(out, "Backfill: {queued} item(s) carried.")?;
            }
            writeln!(
                out,
                "`braid run` carries what arrives; `braid route log {}` shows each decision.",
                args.name
            )?;
        }
        RouteCommand::List { json } => {
            let list = store.list_routes().await?;
            if json {
                out.json(&list)?;
            } else if list.is_empty() {
                writeln!(
                    out,
                    "No routes. `braid route add NAME --from SOURCE --to ACCOUNT` makes one."
                )?;
            }
            for r in list.iter().filter(|_| !json) {
                let spec = RouteSpec::from_value(&r.spec).unwrap_or_default();
                writeln!(
                    out,
                    "{}{}{}: {} -> {}",
                    r.name,
                    if r.paused { " (paused)" } else { "" },
                    if r.origin == "config" {
                        " (from the config)"
                    } else {
                        ""
                    },
                    spec.from.join(", "),
                    spec.to.join(", ")
                )?;
                let mut details = Vec::new();
                if !spec.filter.is_empty() {
                    details.push(format!(
                        "filter {}",
                        serde_json::to_string(&spec.filter).unwrap_or_default()
                    ));
                }
                if let Some(t) = &spec.template {
                    details.push(format!("template {t:?}"));
                }
                if let Some(v) = spec.visibility {
                    details.push(format!("visibility {}", v.as_str()));
                }
                if let Some(s) = spec.min_interval_secs {
                    details.push(format!("min_interval {s}s"));
                }
                if spec.edits {
                    details.push("edits".into());
                }
                if spec.deletes {
                    details.push("deletes".into());
                }
                if !details.is_empty() {
                    writeln!(out, "  {}", details.join("; "))?;
                }
            }
        }
        RouteCommand::Remove { name } => {
            if !store.remove_route(name.clone()).await? {
                anyhow::bail!("no route named {name:?}; `braid route list` shows them");
            }
            writeln!(out, "Route {name} removed.")?;
        }
        RouteCommand::Pause { name } => {
            exists(store, &name).await?;
            store.set_route_paused(name.clone(), true).await?;
            writeln!(out, "Route {name} is paused.")?;
        }
        RouteCommand::Resume { name, backfill } => {
            exists(store, &name).await?;
            store.set_route_paused(name.clone(), false).await?;
            writeln!(out, "Route {name} carries new items again (from now on).")?;
            if let Some(n) = backfill {
                let queued = routes::backfill(&ctx, &name, n).await?;
                writeln!(out, "Backfill: {queued} item(s) carried.")?;
            }
        }
        RouteCommand::Log { name, limit, json } => {
            let route = exists(store, &name).await?;
            let log = store.route_log(route.id, limit).await?;
            if json {
                out.json(&log)?;
            } else if log.is_empty() {
                writeln!(out, "Route {name} has decided nothing yet.")?;
            }
            for l in log.iter().filter(|_| !json) {
                let what = l
                    .item
                    .as_deref()
                    .map(|t| format!(" \"{}\"", t.lines().next().unwrap_or_default()))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}  {:<8} item {}{what}{}{}: {}",
                    l.at.format("%Y-%m-%d %H:%M:%S"),
                    l.decision,
                    l.item_id.map(|i| i.to_string()).unwrap_or("-".into()),
                    l.target
                        .as_deref()
                        .map(|t| format!(" -> {t}"))
                        .unwrap_or_default(),
                    l.post_id
                        .map(|p| format!(" (post {p})"))
                        .unwrap_or_default(),
                    l.reason
                )?;
            }
        }
    }
    Ok(out.finish()?)
}

async fn exists(
    store: &crate::store::Store,
    name: &str,
) -> anyhow::Result<crate::store::RouteRecord> {
    store
        .route(name.to_owned())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no route named {name:?}; `braid route list` shows them"))
}
