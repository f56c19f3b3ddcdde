//! `braid account add | list | remove`: logins on Mastodon-family servers (Mastodon,
//! Pleroma/Akkoma, Friendica, GoToSocial, Firefish).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use clap::{Subcommand, ValueEnum};

use crate::accounts::{self, MastodonLogin};
use crate::config::Config;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Network {
    /// The Mastodon API family: Mastodon, Pleroma/Akkoma, Friendica, GoToSocial, Firefish.
    Mastodon,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Log in to an account and add its home timeline as a source. Braid registers itself on
    /// the instance, prints a link to authorize it, and asks for the code the page shows (or
    /// takes it from --code). With --token, a token made in the server's settings is used.
    Add {
        /// The network: mastodon (covers the whole Mastodon API family).
        network: Network,
        /// The instance, e.g. https://mastodon.social or mastodon.social.
        instance: String,
        /// A short local name for the account (default: user@host).
        #[arg(long)]
        name: Option<String>,
        /// An access token made in the server's settings (Development → New application).
        #[arg(
            long,
            value_name = "TOKEN",
            conflicts_with = "code",
            allow_hyphen_values = true
        )]
        token: Option<String>,
        /// The authorization code, when you already opened the authorize link. Text some
        /// servers show beside it (`&state=…`, a `code=` prefix, spaces) is ignored.
        #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
        code: Option<String>,
        /// Server software, when nodeinfo detection fails: mastodon, pleroma, friendica,
        /// gotosocial, firefish. Software Braid does not know that answers the Mastodon API
        /// is used as mastodon without it.
        #[arg(long, value_name = "TYPE")]
        server_type: Option<String>,
        /// Do not add the home timeline as a source.
        #[arg(long)]
        no_home: bool,
        /// Statuses fetched on the first poll of the home timeline.
        #[arg(long, default_value_t = 40)]
        backfill: u32,
    },
    /// List accounts with their health (a refused token shows "log in again").
    List {
        /// Print JSON instead of a table: name, kind, identity, handle, display_name,
        /// profile_url, server_url and health. Never includes credentials.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and the sources that read through it.
    Remove {
        /// Account name (or user@host).
        name: String,
    },
}

pub async fn account(cmd: AccountCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    match cmd {
        AccountCommand::Add {
            network: Network::Mastodon,
            instance,
            name,
            token,
            code,
            server_type,
            no_home,
            backfill,
        } => {
            let http = braid_core::http::SafeClient::new(config.http_config())?;
            let mut login = MastodonLogin {
                instance: accounts::instance_url(&instance)?,
                name,
                server_type,
                add_home: !no_home,
                backfill,
            };
            let kind = accounts::server_type(&login, &http).await?;
            if let Some(note) = kind.note() {
                eprintln!("{note}");
            }
            let server_type = kind.server_type;
            login.server_type = Some(server_type.clone());
            let (token, app) = match token {
                Some(t) => (t, None),
                None => {
                    let pending =
                        braid_mastodon::oauth::start(&login.instance, &server_type, &http).await?;
                    let code = match code {
                        Some(c) => c,
                        None => {
                            println!("Open this link, authorize Braid, and paste the code it shows:\n\n  {}\n", pending.authorize_url);
                            prompt_code()?
                        }
                    };
                    let token =
                        braid_mastodon::oauth::finish(&login.instance, &pending, &code, &http)
                            .await?;
                    (
                        token,
                        Some((pending.client_id.clone(), pending.client_secret.clone())),
                    )
                }
            };
            let account =
                accounts::add_mastodon_with_token(&store, &http, &login, token, app).await?;
            println!(
                "Logged in as {} ({}){}.",
                account.handle.as_deref().unwrap_or(&account.name),
                login.server_type.as_deref().unwrap_or("mastodon"),
                if login.add_home {
                    "; its home timeline is now a source — run `braid sync` to fetch it"
                } else {
                    ""
                }
            );
            Ok(())
        }
        AccountCommand::List { json } => {
            let accounts = store.list_accounts().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
                return Ok(());
            }
            if accounts.is_empty() {
                println!("No accounts yet. Add one with `braid account add mastodon https://your.instance`.");
                return Ok(());
            }
            println!("{:<32}  {:<10}  {:<14}  SERVER", "NAME", "KIND", "STATUS");
            for a in &accounts {
                let status = if a.needs_login {
                    "log in again"
                } else if a.last_error.is_some() {
                    "error"
                } else {
                    "ok"
                };
                println!(
                    "{:<32}  {:<10}  {:<14}  {}",
                    a.name,
                    a.kind,
                    status,
                    a.server_url.as_deref().unwrap_or("")
                );
                if let Some(err) = &a.last_error {
                    println!(
                        "{:<32}  last error ({}): {err}",
                        "",
                        super::relative_time(a.last_error_at)
                    );
                }
            }
            Ok(())
        }
        AccountCommand::Remove { name } => {
            let account = store.find_account(&name).await?.ok_or_else(|| {
                anyhow::anyhow!("no account named {name:?}; `braid account list` shows them")
            })?;
            let sources = store.remove_account(account.id).await?;
            println!(
                "Removed {} and {sources} source(s) that read through it.",
                account.name
            );
            Ok(())
        }
    }
}

fn prompt_code() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        print!("Code: ");
        std::io::stdout().flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let code = line.trim().to_owned();
    if code.is_empty() {
        anyhow::bail!("no authorization code given: paste it when asked, or pass --code CODE (or --token TOKEN)");
    }
    Ok(code)
}
