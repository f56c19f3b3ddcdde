//! `braid token create|list|revoke`: API tokens for scripts, sent as
//! `Authorization: Bearer TOKEN`. A token is printed once, when it is made; Braid keeps only
//! its hash.

use std::sync::Arc;

use clap::Subcommand;

use super::Out;
use crate::auth;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it (once: Braid keeps only its hash).
    Create {
        /// A name to know it by ("backup-script"), unique.
        name: String,
    },
    /// List tokens by name, with when each was made and last used.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: requests with it are refused from now on.
    Revoke { name: String },
}

/// Longest token name.
const MAX_NAME_CHARS: usize = 64;

pub async fn token(cmd: TokenCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    let mut out = Out::stdout();
    match cmd {
        TokenCommand::Create { name } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                anyhow::bail!("a token's name must be 1 to {MAX_NAME_CHARS} characters");
            }
            let token = auth::new_api_token()?;
            store
                .add_api_token(name.clone(), auth::token_hash(&token))
                .await?;
            writeln!(out, "{token}")?;
            eprintln!(
                "Token {name:?} made. It is shown this once; send it as `Authorization: Bearer TOKEN`."
            );
        }
        TokenCommand::List { json } => {
            let tokens = store.list_api_tokens().await?;
            if json {
                out.json(&tokens)?;
            } else if tokens.is_empty() {
                writeln!(out, "No API tokens. `braid token create NAME` makes one.")?;
            } else {
                for t in tokens {
                    writeln!(
                        out,
                        "{}  made {}  last used {}",
                        t.name,
                        t.created_at.format("%Y-%m-%d %H:%M"),
                        t.used_at
                            .map(|u| u.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never".into())
                    )?;
                }
            }
        }
        TokenCommand::Revoke { name } => {
            if !store.revoke_api_token(name.clone()).await? {
                anyhow::bail!("no API token named {name:?}; `braid token list` shows them");
            }
            writeln!(out, "Token {name:?} revoked.")?;
        }
    }
    Ok(out.finish()?)
}
