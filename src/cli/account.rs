//! `braid account add | list | remove`: logins on the networks that have accounts.
//!
//! `braid account add NETWORK …` has one subcommand per network with accounts, assembled at
//! run time from the registry: each network's factory declares its login fields, and they
//! become that subcommand's arguments and flags (Mastodon: `INSTANCE`, `--token`, `--code`,
//! `--server-type`, `--no-home`, `--backfill`). `--name` is common to all. So the commands and
//! flags people use stay as they are, and a new network brings its own without a change here.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use braid_core::factory::{FieldKind, LoginInput, LoginQuestion};
use braid_core::LoginContext;
use clap::{Arg, ArgAction, ArgMatches, Command, Subcommand};

use crate::accounts::{self, LoginError};
use crate::config::Config;
use crate::connectors::Registry;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Log in to an account and add its home timeline as a source. On the Mastodon API
    /// family, Braid registers itself on the instance, prints a link to authorize it, and asks
    /// for the code the page shows (or takes it from --code); with --token, a token made in
    /// the server's settings is used.
    Add(AddArgs),
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

/// `braid account add NETWORK …`, as the registry's factories declare it.
#[derive(Debug)]
pub struct AddArgs {
    kind: String,
    name: Option<String>,
    input: LoginInput,
}

impl clap::FromArgMatches for AddArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((kind, sub)) = matches.subcommand() else {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "name the network: braid account add NETWORK …\n",
            ));
        };
        let registry = Registry::builtin();
        let fields = registry
            .get(kind)
            .ok()
            .and_then(|f| f.login())
            .map(|spec| spec.fields)
            .unwrap_or_default();
        let mut values = BTreeMap::new();
        for field in fields {
            let value = match field.kind {
                FieldKind::Flag => sub.get_flag(field.id).then(|| "true".to_owned()),
                _ => sub.get_one::<String>(field.id).cloned(),
            };
            if let Some(value) = value {
                values.insert(field.id.to_owned(), value);
            }
        }
        Ok(AddArgs {
            kind: kind.to_owned(),
            name: sub.get_one::<String>("name").cloned(),
            input: LoginInput { values },
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for AddArgs {
    /// One subcommand per network with accounts, its arguments from the factory's login fields.
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = cmd
            .subcommand_required(true)
            .subcommand_value_name("NETWORK");
        for factory in Registry::builtin().with_accounts() {
            let Some(spec) = factory.login() else {
                continue;
            };
            let mut sub = Command::new(factory.kind())
                .about(format!("{}: {}", factory.display_name(), factory.about()))
                .next_help_heading("Login")
                .arg(
                    Arg::new("name")
                        .long("name")
                        .value_name("NAME")
                        .help(format!(
                            "A short local name for the account (default: {})",
                            spec.name_default
                        )),
                );
            for field in spec.fields {
                // clap's own help lines end without a full stop.
                let mut arg = Arg::new(field.id).help(field.help.trim_end_matches('.'));
                arg = if field.positional {
                    arg.required(field.required)
                } else {
                    arg.long(field.id).required(field.required)
                };
                arg = match field.kind {
                    FieldKind::Flag => arg.action(ArgAction::SetTrue),
                    FieldKind::Number => arg.value_parser(|v: &str| {
                        v.trim()
                            .parse::<u32>()
                            .map(|_| v.trim().to_owned())
                            .map_err(|e| e.to_string())
                    }),
                    // Tokens and codes may start with '-'.
                    FieldKind::Secret => arg.allow_hyphen_values(true),
                    FieldKind::Text | FieldKind::Url => arg,
                };
                if !field.value_name.is_empty() {
                    arg = arg.value_name(field.value_name);
                }
                if let Some(default) = field.default {
                    arg = arg.default_value(default);
                }
                if !field.conflicts_with.is_empty() {
                    arg = arg.conflicts_with_all(field.conflicts_with);
                }
                sub = sub.arg(arg);
            }
            cmd = cmd.subcommand(sub);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

pub async fn account(cmd: AccountCommand, config: Arc<Config>) -> anyhow::Result<()> {
    let store = super::open_store(&config)?;
    match cmd {
        AccountCommand::Add(args) => {
            let registry = Registry::builtin();
            let factory = registry.get(&args.kind)?;
            let ctx = LoginContext::new(braid_core::http::SafeClient::new(config.http_config())?);
            let outcome = accounts::login(
                &store,
                factory,
                &ctx,
                args.name,
                &args.input,
                |note| eprintln!("{note}"),
                ask,
            )
            .await?;
            let account = &outcome.account;
            let mut line = format!(
                "Logged in as {}",
                account.handle.as_deref().unwrap_or(&account.name)
            );
            if let Some(detail) = &outcome.detail {
                line.push_str(&format!(" ({detail})"));
            }
            match outcome.sources.as_slice() {
                [] => {}
                [one] => line.push_str(&format!(
                    "; {one:?} is now a source — run `braid sync` to fetch it"
                )),
                many => line.push_str(&format!(
                    "; {} are now sources — run `braid sync` to fetch them",
                    many.join(", ")
                )),
            }
            println!("{line}.");
            Ok(())
        }
        AccountCommand::List { json } => {
            let accounts = store.list_accounts().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
                return Ok(());
            }
            if accounts.is_empty() {
                let networks: Vec<String> = Registry::builtin()
                    .with_accounts()
                    .map(|f| format!("{} ({})", f.kind(), f.display_name()))
                    .collect();
                println!(
                    "No accounts yet. Add one with `braid account add NETWORK …`; networks: {}.",
                    networks.join(", ")
                );
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

/// Asks the person a login's question on the terminal (or reads the answer from standard
/// input when it is not one).
fn ask(question: &LoginQuestion) -> Result<String, LoginError> {
    match &question.link {
        Some(link) => println!("{}\n\n  {link}\n", question.prompt),
        None => println!("{}", question.prompt),
    }
    let flag = question.answer.id;
    let io = |e: std::io::Error| LoginError::Invalid(format!("could not read the answer: {e}"));
    if std::io::stdin().is_terminal() {
        print!("{}: ", question.answer.label);
        std::io::stdout().flush().map_err(io)?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(io)?;
    let answer = line.trim().to_owned();
    if answer.is_empty() {
        return Err(LoginError::Invalid(format!(
            "no {} given: paste it when asked, or pass --{flag} {}",
            question.answer.label.to_lowercase(),
            question.answer.value_name
        )));
    }
    Ok(answer)
}
