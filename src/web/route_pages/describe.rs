//! A route's rule in words, for its page and (shortened) for the list: what a person would
//! say about it, not its JSON.

use braid_core::fit::LongText;
use braid_core::Visibility;

use crate::routes::RouteSpec;

/// `kind:feed` as "every feed source"; other names as they are.
fn source_name(from: &str) -> String {
    match from.strip_prefix("kind:") {
        Some(kind) => format!("every {kind} source"),
        None => from.to_owned(),
    }
}

fn target_name(to: &str) -> String {
    match to.strip_prefix("channel:") {
        Some(channel) => format!("channel {channel}"),
        None => to.to_owned(),
    }
}

/// "a, b and c".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn or_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn quoted(words: &[String]) -> Vec<String> {
    words.iter().map(|w| format!("“{w}”")).collect()
}

/// From where to where, in one sentence.
pub(super) fn path(spec: &RouteSpec) -> String {
    let from: Vec<String> = spec.from.iter().map(|f| source_name(f)).collect();
    let to: Vec<String> = spec.to.iter().map(|t| target_name(t)).collect();
    format!("{} → {}", and_list(&from), and_list(&to))
}

/// The filter's conditions, one sentence each (empty when every item passes).
pub(super) fn conditions(spec: &RouteSpec) -> Vec<String> {
    let f = &spec.filter;
    let mut out = Vec::new();
    if !f.include.is_empty() {
        out.push(format!(
            "Only items with the word {}.",
            or_list(&quoted(&f.include))
        ));
    }
    if !f.exclude.is_empty() {
        out.push(format!(
            "Never items with {}.",
            or_list(&quoted(&f.exclude))
        ));
    }
    if let Some(re) = &f.include_regex {
        out.push(format!("Only items whose title or text matches /{re}/."));
    }
    if let Some(re) = &f.exclude_regex {
        out.push(format!("Never items whose title or text matches /{re}/."));
    }
    let tags = |t: &[String]| -> Vec<String> {
        t.iter()
            .map(|t| format!("#{}", t.trim_start_matches('#')))
            .collect()
    };
    if !f.tags.is_empty() {
        out.push(format!("Only items tagged {}.", or_list(&tags(&f.tags))));
    }
    if !f.exclude_tags.is_empty() {
        out.push(format!(
            "Never items tagged {}.",
            or_list(&tags(&f.exclude_tags))
        ));
    }
    if !f.languages.is_empty() {
        out.push(format!(
            "Only items in {} (or that say no language).",
            or_list(&f.languages)
        ));
    }
    if f.originals_only {
        out.push("Originals only: no replies, no boosts.".into());
    } else {
        if f.no_replies {
            out.push("No replies.".into());
        }
        if f.no_boosts {
            out.push("No boosts.".into());
        }
    }
    if f.has_media {
        out.push("Only items with files.".into());
    }
    out
}

/// How copies are made, one sentence each.
pub(super) fn delivery(spec: &RouteSpec) -> Vec<String> {
    let mut out = Vec::new();
    let visibility = spec.visibility.unwrap_or_default();
    if visibility != Visibility::Public {
        out.push(format!(
            "Posts to accounts at most {}; more private items are not carried to them.",
            visibility.as_str().replace('_', " ")
        ));
    } else {
        out.push("Posts to accounts as public as each item is (never more).".into());
    }
    out.push(
        match spec.long {
            Some(LongText::Thread) => "A long text becomes a thread where the network has threads.",
            Some(LongText::Truncate) => "A long text is truncated, with a link to the original.",
            None => "A long text: a titled entry with a link is truncated, anything else becomes a thread.",
        }
        .into(),
    );
    let named = |l: LongText| -> Vec<String> {
        spec.long_for
            .iter()
            .filter(|(_, v)| **v == l)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let threaded = named(LongText::Thread);
    if !threaded.is_empty() {
        out.push(format!("Threads anyway for {}.", and_list(&threaded)));
    }
    let truncated = named(LongText::Truncate);
    if !truncated.is_empty() {
        out.push(format!("Truncates anyway for {}.", and_list(&truncated)));
    }
    if spec.number {
        out.push("A thread's parts are numbered.".into());
    }
    if let Some(secs) = spec.min_interval_secs.filter(|s| *s > 0) {
        out.push(format!(
            "At least {} between two of its posts to one account.",
            crate::routes::format_duration(secs)
        ));
    }
    if spec.edits {
        out.push("An entry changed at its origin edits its copies.".into());
    }
    if spec.deletes {
        out.push("An entry deleted at its origin deletes its copies.".into());
    }
    out
}

/// The filter in a few words, for the list ("all items" when there is none).
pub(super) fn summary(spec: &RouteSpec) -> String {
    let f = &spec.filter;
    let mut parts = Vec::new();
    if !f.include.is_empty() {
        parts.push(format!("words: {}", f.include.join(", ")));
    }
    if !f.exclude.is_empty() {
        parts.push(format!("not: {}", f.exclude.join(", ")));
    }
    if f.include_regex.is_some() || f.exclude_regex.is_some() {
        parts.push("regex".into());
    }
    if !f.tags.is_empty() {
        parts.push(format!("tags: {}", f.tags.join(", ")));
    }
    if !f.exclude_tags.is_empty() {
        parts.push(format!("not tagged: {}", f.exclude_tags.join(", ")));
    }
    if !f.languages.is_empty() {
        parts.push(f.languages.join("/"));
    }
    if f.originals_only {
        parts.push("originals only".into());
    } else {
        if f.no_replies {
            parts.push("no replies".into());
        }
        if f.no_boosts {
            parts.push("no boosts".into());
        }
    }
    if f.has_media {
        parts.push("with files".into());
    }
    if parts.is_empty() {
        "all items".into()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Filter;

    #[test]
    fn rules_read_as_sentences() {
        let spec = RouteSpec {
            from: vec!["blog".into(), "kind:feed".into()],
            to: vec!["alice".into(), "channel:links".into()],
            filter: Filter {
                include: vec!["rust".into(), "go".into()],
                originals_only: true,
                ..Filter::default()
            },
            min_interval_secs: Some(600),
            ..RouteSpec::default()
        };
        assert_eq!(
            path(&spec),
            "blog and every feed source → alice and channel links"
        );
        assert_eq!(
            conditions(&spec),
            [
                "Only items with the word “rust” or “go”.",
                "Originals only: no replies, no boosts."
            ]
        );
        assert!(delivery(&spec).iter().any(|s| s.contains("At least 10m")));
        assert_eq!(summary(&spec), "words: rust, go; originals only");
        assert_eq!(summary(&RouteSpec::default()), "all items");
    }
}
