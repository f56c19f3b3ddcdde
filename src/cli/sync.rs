//! `braid sync`: poll now, once, and report. A progress bar shows on a terminal; the summary
//! always prints. Exits non-zero when any source failed, so scripts notice.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::Out;
use crate::config::Config;
use crate::scheduler::{poll_many, PollContext};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Poll only this source (name or URL), even if it is disabled.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
}

pub async fn sync(args: SyncArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let sources = match &args.source {
        Some(name) => {
            let source = super::find_source(&store, name).await?;
            if source.kind == crate::store::OWNER_KIND {
                anyhow::bail!(
                    "{name:?} holds what you composed into channels; it is Braid's own and has nothing to poll"
                );
            }
            vec![source]
        }
        None => store
            .list_sources()
            .await?
            .into_iter()
            .filter(|s| s.enabled && !s.paused)
            .collect(),
    };
    let mut out = Out::stdout();
    if sources.is_empty() {
        writeln!(
            out,
            "No sources to poll. Add one with `braid source add URL`."
        )?;
        return Ok(out.finish()?);
    }
    let http = braid_core::http::SafeClient::new(config.http_config())?;
    let ctx = Arc::new(PollContext::new(store, config.clone(), http).map_err(anyhow::Error::msg)?);
    crate::listeners::apply_blocks(&ctx).await?;

    let total = sources.len();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let outcomes = poll_many(ctx, sources, |o| {
        bar.inc(1);
        bar.set_message(o.source.clone());
    })
    .await;
    bar.finish_and_clear();

    let (mut new, mut updated, mut unchanged) = (0, 0, 0);
    let mut failed = Vec::new();
    let mut partial = Vec::new();
    for o in &outcomes {
        if let Some(warning) = &o.warning {
            partial.push((o.source.clone(), warning.clone()));
        }
        new += o.stats.new;
        updated += o.stats.updated;
        if o.not_modified {
            unchanged += 1;
        }
        if let Some(err) = &o.error {
            failed.push((o.source.clone(), err.clone(), o.disabled.is_some()));
        }
    }
    let report = (|| {
        writeln!(
            out,
            "Polled {total} source{}: {new} new, {updated} updated, {unchanged} not modified, {} failed.",
            if total == 1 { "" } else { "s" },
            failed.len()
        )?;
        for (name, err, disabled) in &failed {
            let note = if *disabled { " (source disabled)" } else { "" };
            writeln!(out, "  {name}: {err}{note}")?;
        }
        // Read, but not in full: not a failure (the exit code stays 0), never an unremarked ok.
        for (name, warning) in &partial {
            writeln!(out, "  {name}: read with losses: {warning}")?;
        }
        out.finish()
    })();
    // Failed sources decide the exit code even when nobody read the report (`| head -1`
    // ends quietly with 0 otherwise): scripts check it.
    if failed.is_empty() {
        Ok(report?)
    } else {
        Err(anyhow::anyhow!(
            "{} of {total} sources failed",
            failed.len()
        ))
    }
}
