//! What `--log-level`, `BRAID_LOG` and `log.level` accept.
//!
//! Why our own check: `tracing_subscriber::EnvFilter` reads a bare word such as `bogus` as a
//! target name, so `--log-level bogus` was accepted and then logged nothing at all. Here a
//! directive is a level, or `target=level`; anything else is refused with the accepted values.

/// The levels, quietest first, as the message lists them.
pub const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Checks a level or filter (`warn`, `braid=debug,warn`); the error lists what is accepted.
pub fn check(filter: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "not a log level; use one of {} or a filter like braid=debug,warn",
            LEVELS.join(", ")
        )
    };
    let is_level = |s: &str| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(s.trim()));
    let is_target = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-')
    };
    if filter.trim().is_empty() {
        return Err(bad());
    }
    for directive in filter.split(',') {
        let ok = match directive.trim().split_once('=') {
            Some((target, level)) => is_target(target.trim()) && is_level(level),
            None => is_level(directive),
        };
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// The clap value parser for `--log-level`: the same rule, so a typo stops at the command line.
pub fn parse(filter: &str) -> Result<String, String> {
    check(filter).map(|()| filter.to_owned())
}
