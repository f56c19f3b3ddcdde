//! `braid opml import FILE` / `braid opml export`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use crate::config::Config;
use crate::store::{NewSource, StoreError};

#[derive(Debug, Subcommand)]
pub enum OpmlCommand {
    /// Subscribe to every feed in an OPML file (folders become categories). Feeds already
    /// present are skipped.
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
    match cmd {
        OpmlCommand::Import { file } => {
            let xml = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let subs = crate::opml::parse(&xml).map_err(anyhow::Error::msg)?;
            let (mut added, mut skipped) = (0, 0);
            for sub in subs {
                if url::Url::parse(&sub.xml_url).is_err() {
                    println!("  skipped {:?}: {:?} is not a URL", sub.title, sub.xml_url);
                    skipped += 1;
                    continue;
                }
                let name = super::source::unique_name(&store, &sub.title, &sub.xml_url).await?;
                let new = NewSource {
                    name,
                    kind: "feed".into(),
                    url: sub.xml_url.clone(),
                    schedule: None,
                    category: sub.category,
                    settings: serde_json::json!({}),
                };
                match store.add_source(new).await {
                    Ok(_) => added += 1,
                    Err(StoreError::DuplicateUrl(_)) => skipped += 1,
                    Err(e) => return Err(e.into()),
                }
            }
            println!("Imported {added} feed(s), skipped {skipped} already present or invalid. Run `braid sync` to fetch them.");
        }
        OpmlCommand::Export { output } => {
            let sources = store.list_sources().await?;
            let xml =
                crate::opml::export(&sources, &config.web.title).map_err(anyhow::Error::msg)?;
            match output {
                Some(path) => std::fs::write(&path, xml)
                    .with_context(|| format!("could not write {}", path.display()))?,
                None => println!("{xml}"),
            }
        }
    }
    Ok(())
}
