//! `braid opml import FILE` / `braid opml export`.
//!
//! Import applies the rule of `braid source add` to every outline ([`super::check_feed_url`]),
//! reports each skipped outline and a summary, and refuses a file over `[opml]` limits before
//! parsing it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use super::{Out, OutputError};
use crate::config::Config;
use crate::opml::{ParseError, Subscription};
use crate::store::{NewSource, Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum OpmlCommand {
    /// Subscribe to every feed in an OPML file (folders become categories). Each URL passes the
    /// checks of `braid source add` (http/https only, no private addresses); feeds already
    /// present and refused URLs are skipped and listed. Files over [opml] max_file_bytes or
    /// max_outlines are refused whole.
    Import {
        /// The OPML file exported from another reader.
        file: PathBuf,
    },
    /// Write all feed sources as OPML 2.0 to standard output (or --output FILE).
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub async fn opml(cmd: OpmlCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    match cmd {
        OpmlCommand::Import { file } => import(&store, &config, &file, &mut out).await?,
        OpmlCommand::Export { output } => {
            // OPML lists what a URL alone subscribes to (feeds), not accounts' timelines.
            let registry = crate::connectors::Registry::builtin();
            let sources: Vec<_> = store
                .list_sources()
                .await?
                .into_iter()
                .filter(|s| registry.get(&s.kind).is_ok_and(|f| f.subscribes_by_url()))
                .collect();
            let xml =
                crate::opml::export(&sources, &config.web.title).map_err(anyhow::Error::msg)?;
            match output {
                Some(path) => std::fs::write(&path, xml)
                    .with_context(|| format!("could not write {}", path.display()))?,
                None => writeln!(out, "{xml}")?,
            }
        }
    }
    Ok(out.finish()?)
}

async fn import(store: &Store, config: &Config, file: &Path, out: &mut Out) -> anyhow::Result<()> {
    let limits = &config.opml;
    let xml = crate::opml::read_capped(file, limits.max_file_bytes).map_err(anyhow::Error::msg)?;
    let subs = match crate::opml::parse(&xml, limits.max_outlines) {
        Ok(subs) => subs,
        Err(ParseError::Invalid(message)) => anyhow::bail!(message),
        Err(ParseError::TooMany { max }) => anyhow::bail!(
            "opml: {} lists more than opml.max_outlines ({max}) feeds; raise that setting to \
             import it",
            file.display()
        ),
    };
    drop(xml);
    // An outline is a URL: it becomes a source of the network that subscribes by URL.
    let kind = crate::connectors::Registry::builtin().by_url()?.kind();
    // Names and URLs already taken, read once: checking each outline against the database
    // (and each " (2)", " (3)" … candidate name) made a file of same-titled feeds quadratic.
    let existing = store.list_sources().await?;
    let mut names = Names::new(existing.iter().map(|s| s.name.clone()));
    let mut urls: HashSet<String> = existing.into_iter().map(|s| s.url).collect();

    let mut tally = Tally::default();
    for sub in subs {
        let url = match super::check_feed_url(&sub.xml_url, config.fetch.allow_private_networks) {
            Ok(url) => url.to_string(),
            Err(refusal) => {
                tally.skip(out, &sub, Skip::Refused(refusal))?;
                continue;
            }
        };
        if !urls.insert(url.clone()) {
            tally.skip(out, &sub, Skip::Already)?;
            continue;
        }
        let new = NewSource {
            name: names.unique(&sub.title, &url),
            kind: kind.to_owned(),
            url,
            schedule: None,
            category: sub.category.clone(),
            settings: serde_json::json!({}),
            account: None,
        };
        match store.add_source(new).await {
            Ok(_) => tally.added += 1,
            Err(StoreError::DuplicateUrl(_)) => tally.skip(out, &sub, Skip::Already)?,
            Err(e) => return Err(e.into()),
        }
    }
    writeln!(out, "{}", tally.summary())?;
    Ok(())
}

/// Why an outline was not imported.
enum Skip {
    Refused(super::Refusal),
    Already,
}

impl Skip {
    /// Its place in the summary, and its name there (singular, plural).
    fn class(&self) -> (usize, &'static str, &'static str) {
        use super::Refusal::*;
        match self {
            Skip::Refused(r @ NotAUrl { .. }) => (0, r.class().0, r.class().1),
            Skip::Refused(r @ NotHttp { .. }) => (1, r.class().0, r.class().1),
            Skip::Refused(r @ PrivateAddress { .. }) => (2, r.class().0, r.class().1),
            Skip::Already => (3, "already subscribed", "already subscribed"),
        }
    }
}

/// What an import did: one line per skipped outline as it happens, a summary at the end.
#[derive(Default)]
struct Tally {
    added: usize,
    skipped: BTreeMap<usize, (&'static str, &'static str, usize)>,
}

impl Tally {
    fn skip(&mut self, out: &mut Out, sub: &Subscription, why: Skip) -> Result<(), OutputError> {
        let (order, one, many) = why.class();
        self.skipped.entry(order).or_insert((one, many, 0)).2 += 1;
        let reason = match why {
            Skip::Refused(refusal) => refusal.to_string(),
            Skip::Already => "already subscribed".into(),
        };
        writeln!(
            out,
            "opml: skipped {:?} ({}): {reason}",
            sub.title, sub.xml_url
        )
    }

    /// `opml: imported 12, skipped 3 (2 not http/https, 1 private address). …`
    fn summary(&self) -> String {
        let total: usize = self.skipped.values().map(|(_, _, n)| n).sum();
        let classes: Vec<String> = self
            .skipped
            .values()
            .map(|(one, many, n)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        let detail = if classes.is_empty() {
            String::new()
        } else {
            format!(" ({})", classes.join(", "))
        };
        format!(
            "opml: imported {}, skipped {total}{detail}. Run `braid sync` to fetch them.",
            self.added
        )
    }
}

/// Source names not yet taken: the title (else the host), with " (2)", " (3)" … on a clash,
/// as `braid source add` names them, counted in memory.
struct Names {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    fn new(taken: impl Iterator<Item = String>) -> Names {
        Names {
            taken: taken.collect(),
            next: HashMap::new(),
        }
    }

    fn unique(&mut self, title: &str, url: &str) -> String {
        let base = crate::subscribe::base_name(title, url);
        let mut candidate = base.clone();
        let n = self.next.entry(base.clone()).or_insert(2);
        while self.taken.contains(&candidate) {
            candidate = format!("{base} ({n})");
            *n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}
