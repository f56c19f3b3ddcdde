//! `braid run`: the scheduler and the web server in one process, or the scheduler alone
//! (`--no-web`) as a headless sync daemon. SIGINT/SIGTERM stop it cleanly: no new polls start,
//! polls in flight finish writing, the web server drains.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tokio::sync::watch;

use super::Out;
use crate::config::Config;
use crate::scheduler::{self, PollContext};
use crate::web;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address for the web UI (default 127.0.0.1:8080; env BRAID_LISTEN). Any address but
    /// loopback needs web.base_url (the https address people use, behind a reverse proxy).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Run headless: poll and store, no web server (so no connector's listener is served
    /// either).
    #[arg(long)]
    pub no_web: bool,
}

pub async fn run(args: RunArgs, config: Arc<Config>) -> anyhow::Result<()> {
    let mut config = (*config).clone();
    if let Some(listen) = args.listen {
        config.web.listen = listen;
    }
    // A listen address other than loopback needs web.base_url.
    config.web_base_url()?;
    let config = Arc::new(config);
    let store = super::open_store(&config)?;
    let http = braid_core::http::SafeClient::new(config.http_config())?;
    let ctx = Arc::new(
        PollContext::new(store.clone(), config.clone(), http).map_err(anyhow::Error::msg)?,
    );
    // The config's [[channel]] and [[route]] tables.
    crate::routes::apply_config(&ctx)
        .await
        .context("could not apply the config's routes and channels")?;

    let mut out = Out::stdout();
    let (stop_tx, stop_rx) = watch::channel(false);
    let web_task = if args.no_web {
        None
    } else {
        let listener = tokio::net::TcpListener::bind(config.web.listen)
            .await
            .with_context(|| format!("could not listen on {}", config.web.listen))?;
        let local = listener.local_addr()?;
        // Connectors that listen get their routes mounted before the first request.
        ctx.listeners.enable();
        if let Err(e) = crate::listeners::refresh_if_changed(&ctx).await {
            tracing::warn!(error = %e, "listeners: could not mount at start");
        }
        let web_ctx = web::WebContext::new(store.clone(), &config, local, Some(ctx.clone()))?;
        let mut rx = stop_rx.clone();
        let shutdown = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let _ = writeln!(
            out,
            "Braid is serving {} on {local} (Ctrl-C to stop)",
            web_ctx.public_url
        );
        if store.owner_password_hash().await?.is_none() {
            // Printed, never logged: the link is a secret for whoever reads this console.
            let token = web_ctx.setup.begin()?;
            let _ = writeln!(
                out,
                "Braid has no owner yet. Open this link to set the password (it works once):\n  {}",
                web::owner::setup::link(&web_ctx, &token)
            );
        }
        tracing::info!(listen = %local, "web: listening");
        Some(tokio::spawn(web::serve(web_ctx, listener, shutdown)))
    };
    if args.no_web {
        let _ = writeln!(out, "Braid is polling (headless; Ctrl-C to stop)");
    }
    // Whoever started the daemon may be waiting for this line (the address to open). The
    // daemon's work does not depend on anyone reading it, so a closed stdout does not stop it.
    let _ = out.finish();

    let mut rx = stop_rx.clone();
    let scheduler = tokio::spawn(scheduler::run(ctx, async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }));

    wait_for_signal().await;
    tracing::info!("braid: shutting down");
    let _ = stop_tx.send(true);
    let _ = scheduler.await;
    if let Some(task) = web_task {
        match task.await {
            Ok(Err(e)) => tracing::error!(error = %e, "web: stopped with an error"),
            Err(e) => tracing::error!(error = %e, "web: task failed"),
            Ok(Ok(())) => {}
        }
    }
    tracing::info!("braid: stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
