//! `braid owner set-password|logout-everywhere|sessions`: the web UI's one owner, from the
//! server's shell (the way back in when the password is forgotten).

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use clap::Subcommand;

use super::Out;
use crate::auth;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Set the owner's password (and log every browser out). At a terminal it asks twice
    /// without echo; otherwise it reads one line from standard input, for scripts:
    /// `printf '%s\n' "$PW" | braid owner set-password`.
    SetPassword,
    /// End every browser session; API tokens stay (`braid token revoke` ends those).
    LogoutEverywhere,
    /// List the browser sessions: when each began and was last used, from where.
    Sessions {
        #[arg(long)]
        json: bool,
    },
}

pub async fn owner(cmd: OwnerCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    match cmd {
        OwnerCommand::SetPassword => {
            let password = read_password()?;
            auth::check_new_password(&password)?;
            let hash =
                tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??;
            let had = store.owner_password_hash().await?.is_some();
            store.set_owner_password_hash(hash).await?;
            if had {
                writeln!(
                    out,
                    "Password changed; every browser was logged out. Log in at {}login",
                    config.public_url()?
                )?;
            } else {
                writeln!(out, "Password set. Log in at {}login", config.public_url()?)?;
            }
        }
        OwnerCommand::LogoutEverywhere => {
            let n = store.end_all_sessions().await?;
            writeln!(out, "Ended {n} browser session(s).")?;
        }
        OwnerCommand::Sessions { json } => {
            let sessions = store.list_sessions().await?;
            if json {
                out.json(&sessions)?;
            } else if sessions.is_empty() {
                writeln!(out, "No browser is logged in.")?;
            } else {
                for s in sessions {
                    writeln!(
                        out,
                        "since {}  last used {}  from {}  {}",
                        s.created_at.format("%Y-%m-%d %H:%M"),
                        s.seen_at.format("%Y-%m-%d %H:%M"),
                        s.address.as_deref().unwrap_or("?"),
                        s.user_agent.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
    }
    Ok(out.finish()?)
}

/// The new password: asked twice at a terminal, else the first line of standard input
/// (without its line ending; nothing else trimmed, spaces may be part of it).
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("The same again: ")?;
        if first != second {
            anyhow::bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        anyhow::bail!("no password on standard input; nothing was changed");
    }
    Ok(password.to_owned())
}
