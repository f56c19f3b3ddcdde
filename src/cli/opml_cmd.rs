//! `braid opml import FILE` / `braid opml export`.
//!
//! Import applies the rule of `braid source add` to every outline ([`super::check_feed_url`]),
//! reports each skipped outline and a summary, and refuses a file over `[opml]` limits before
//! parsing it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use super::Out;
use crate::config::Config;
use crate::opml::ParseError;
use crate::store::Store;

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
    let done =
        crate::subscribe::import_outlines(store, kind, subs, config.fetch.allow_private_networks)
            .await?;
    for s in &done.skipped {
        writeln!(out, "opml: skipped {:?} ({}): {}", s.title, s.url, s.why)?;
    }
    writeln!(
        out,
        "opml: {}. Run `braid sync` to fetch them.",
        done.summary()
    )?;
    Ok(())
}
