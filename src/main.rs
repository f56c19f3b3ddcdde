//! The `braid` binary: parse the command line, set up logging, run, and turn any error into one
//! clear sentence and a non-zero exit code (never a panic or a backtrace).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use braid::cli::{self, Cli, OutputError};
use braid::config::LogFormat;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli::load_config(&cli) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let level = config
        .log
        .level
        .clone()
        .unwrap_or_else(|| cli.command.default_log_level().to_owned());
    init_logging(&level, config.log.format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::Error::new(e).context("could not start the async runtime")),
    };
    match runtime.block_on(cli::dispatch(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    // The reader of our output went away (`braid timeline | head -1`): it has what it wanted,
    // so end quietly with success, as ripgrep does.
    let broken_pipe = err.chain().any(|e| {
        e.downcast_ref::<OutputError>()
            .is_some_and(OutputError::is_broken_pipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    // `{:#}` joins the context chain into one line: "could not open …: store: …". A failed
    // write to stderr has nowhere left to be reported, so it is ignored rather than a panic.
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}

/// Logs go to stderr. Colour only when stderr is a terminal and `NO_COLOR` is unset or empty
/// (https://no-color.org/), so pipes and log files get plain text.
fn init_logging(level: &str, format: LogFormat) {
    // The level was checked when the config loaded (`config::log_level`), so this fallback
    // only guards against a filter tracing reads differently.
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && !no_color)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
