//! What the command line (`braid route add`, `braid channel add`) and the web's forms share
//! when they make or change a route or a channel: the same tidying, the same checks, the same
//! messages, so a rule refused by one is refused by the other with the same reason.

use std::collections::BTreeMap;

use braid_core::fit::LongText;
use braid_core::Visibility;

use super::{RouteSpec, World};
use crate::store::{NewChannel, Store};

/// Everything checked before a route is stored (added or changed): the rule tidied (names
/// trimmed, empty entries dropped), then the rule itself ([`RouteSpec::validate`]: `from`
/// and `to` given, the template's placeholders, the regular expressions), then its names
/// against what exists now ([`check_names`]). `kinds` are the connector kinds a `from` may
/// name. `Err` is a sentence for the user.
pub async fn prepare(store: &Store, kinds: &[&str], spec: RouteSpec) -> Result<RouteSpec, String> {
    let spec = spec.tidied();
    spec.validate()?;
    check_names(store, kinds, &spec).await?;
    Ok(spec)
}

/// Checks a route's names against what exists now: `Err` with what is unknown.
pub async fn check_names(store: &Store, kinds: &[&str], spec: &RouteSpec) -> Result<(), String> {
    let world = World::load(store).await.map_err(|e| e.to_string())?;
    let unknown = world.unknown_from(spec, kinds);
    if !unknown.is_empty() {
        return Err(format!(
            "from: no source, account or kind named {} (`braid source list`, `braid account list`)",
            unknown.join(", ")
        ));
    }
    let missing: Vec<&str> = spec
        .to
        .iter()
        .map(String::as_str)
        .filter(|t| world.target(t).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "to: no account or channel named {} (`braid account list`, `braid channel list`)",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// A channel to add, checked: its name is a path segment of its feeds, its audience one of
/// `public`, `unlisted`, `followers_only`; an empty title or description is none.
pub fn new_channel(
    name: &str,
    title: Option<String>,
    description: Option<String>,
    audience: &str,
    published: bool,
    origin: &str,
) -> Result<NewChannel, String> {
    let name = name.trim();
    if !super::valid_channel_name(name) {
        return Err(format!(
            "{name:?} is not a channel name: use letters, digits, - and _ (at most 64)"
        ));
    }
    Ok(NewChannel {
        name: name.to_owned(),
        title: nonempty(title),
        description: nonempty(description),
        audience: channel_audience(audience)?.to_owned(),
        published,
        origin: origin.to_owned(),
    })
}

/// A channel's audience as stored; a channel never holds direct messages.
pub fn channel_audience(raw: &str) -> Result<&'static str, String> {
    match Visibility::parse(raw.trim()) {
        Some(v @ (Visibility::Public | Visibility::Unlisted | Visibility::FollowersOnly)) => {
            Ok(v.as_str())
        }
        _ => Err(format!(
            "audience: {raw:?} is not one of public, unlisted, followers_only"
        )),
    }
}

/// A trimmed text, `None` when empty.
pub fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A route's `min_interval`: `90s`, `10m`, `2h`, `1d`, or plain seconds.
pub fn parse_duration(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (n, unit) = raw.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{raw:?}: give a number with a unit, like 90s, 10m or 2h"))?;
    let unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{raw:?}: the unit is s, m, h or d")),
    };
    Ok(n.saturating_mul(unit))
}

/// Seconds as [`parse_duration`] reads them back, in the largest whole unit (`600` → `10m`).
pub fn format_duration(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Per-target long-text choices: the names to thread and to truncate, as one map (a name in
/// both is truncated), for `--thread-for`/`--truncate-for` and the route form alike.
pub fn long_for(thread_for: &[String], truncate_for: &[String]) -> BTreeMap<String, LongText> {
    let named = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect()
    };
    let mut map = BTreeMap::new();
    for name in named(thread_for) {
        map.insert(name, LongText::Thread);
    }
    for name in named(truncate_for) {
        map.insert(name, LongText::Truncate);
    }
    map
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations_take_a_unit_and_read_back() {
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("10m").unwrap(), 600);
        assert_eq!(parse_duration("2h").unwrap(), 7200);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("m").is_err());
        for s in [0, 45, 90, 600, 7200, 86_400, 3601] {
            assert_eq!(parse_duration(&format_duration(s)).unwrap(), s);
        }
        assert_eq!(format_duration(600), "10m");
    }

    #[test]
    fn channels_are_checked() {
        let c = new_channel(" links ", Some(" ".into()), None, "unlisted", true, "web").unwrap();
        assert_eq!(
            (c.name.as_str(), c.title, c.audience.as_str()),
            ("links", None, "unlisted")
        );
        assert!(new_channel("a/b", None, None, "public", false, "web").is_err());
        assert!(new_channel("ok", None, None, "direct", false, "web")
            .unwrap_err()
            .contains("audience"));
    }

    #[test]
    fn truncate_wins_for_a_name_in_both() {
        let map = long_for(&["a".into(), " b ".into()], &["b".into(), "".into()]);
        assert_eq!(map.get("a"), Some(&LongText::Thread));
        assert_eq!(map.get("b"), Some(&LongText::Truncate));
        assert_eq!(map.len(), 2);
    }
}
