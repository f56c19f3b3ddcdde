//! The text of an item: the body and its language, the paragraphs Braid adds (a heading,
//! a poll's options, an event's times, a boost note), and the hashtags. Everything added
//! is escaped here; the whole is sanitized by the caller.

use std::collections::HashSet;

use braid_core::model::Author;
use braid_core::sanitize::escape_html as escape;
use serde_json::{Map, Value};

use super::{time, type_of, MAX_TAGS};

/// The entries of `tag`, `oneOf` or `anyOf` looked at.
const MAX_ENTRIES: usize = 256;

/// A BCP 47 tag as far as Braid checks one: letters, digits and `-`, short, not `und`.
fn language_tag(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= 35
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.eq_ignore_ascii_case("und");
    ok.then(|| s.to_owned())
}

/// The object's own language: JSON-LD's `@language` in its `@context` (Akkoma writes
/// `{"@language": "und"}` there, which names none).
fn context_language(object: &Value) -> Option<String> {
    let entries: Vec<&Value> = match &object["@context"] {
        Value::Array(a) => a.iter().take(16).collect(),
        v => vec![v],
    };
    entries
        .into_iter()
        .find_map(|c| c["@language"].as_str().and_then(language_tag))
}

/// The body HTML (unsanitized) and its language. `content` when it is there; its language
/// is the `contentMap` key whose text is the same (Mastodon and Akkoma send both), else
/// the object's language, else the map's first key. Without `content`, the `contentMap`
/// text in the object's language, else its first (a map of several gives no way to prefer
/// the reader's language here).
pub(super) fn content(object: &Value) -> (Option<&str>, Option<String>) {
    let map: Option<&Map<String, Value>> = object["contentMap"].as_object();
    let texts = || {
        map.into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
    };
    let own = context_language(object);
    match object["content"].as_str() {
        Some(body) => {
            let lang = texts()
                .find(|(_, v)| *v == body)
                .and_then(|(k, _)| language_tag(k))
                .or(own)
                .or_else(|| texts().find_map(|(k, _)| language_tag(k)));
            (Some(body), lang)
        }
        None => {
            let in_own = own
                .as_deref()
                .and_then(|l| texts().find(|(k, _)| k.eq_ignore_ascii_case(l)));
            match in_own.or_else(|| texts().find(|(k, _)| language_tag(k).is_some())) {
                Some((k, v)) => (Some(v), language_tag(k)),
                None => (texts().next().map(|(_, v)| v), None),
            }
        }
    }
}

/// The name of a `Video`, `Audio`, `Image` or `Event` as the body's first paragraph
/// (linked to its page), as `documents::object` writes a titled item as a `Note`.
pub(super) fn heading(name: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => format!(
            "<p><strong><a href=\"{}\">{}</a></strong></p>",
            escape(url),
            escape(name)
        ),
        None => format!("<p><strong>{}</strong></p>", escape(name)),
    }
}

/// A `Question`'s options as plain paragraphs after the text, with their votes, so a
/// reader sees what was asked even where polls cannot be answered: one paragraph per
/// option (`oneOf` for one choice, `anyOf` for several), as Mastodon sends them.
pub(super) fn poll_html(question: &Value) -> String {
    let (options, several) = match (&question["oneOf"], &question["anyOf"]) {
        (Value::Null, any) => (any, true),
        (one, _) => (one, false),
    };
    let options: Vec<&Value> = match options {
        Value::Array(a) => a.iter().take(MAX_ENTRIES).collect(),
        v @ Value::Object(_) => vec![v],
        _ => return String::new(),
    };
    let closed = time(&question["closed"]).is_some() || question["closed"] == Value::Bool(true);
    let mut out = String::from("<p>");
    out.push_str(match (closed, several) {
        (true, _) => "Poll (closed)",
        (false, true) => "Poll (several choices)",
        (false, false) => "Poll",
    });
    if let (false, Some(at)) = (closed, time(&question["endTime"])) {
        out.push_str(&format!(", closes {}", at.format("%Y-%m-%d %H:%M UTC")));
    }
    out.push_str(":</p>");
    for option in options {
        let Some(name) = option["name"]
            .as_str()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        out.push_str("<p>");
        out.push_str(&escape(name));
        if let Some(votes) = option["replies"]["totalItems"].as_u64() {
            let s = if votes == 1 { "" } else { "s" };
            out.push_str(&format!(" ({votes} vote{s})"));
        }
        out.push_str("</p>");
    }
    out
}

/// An `Event`'s start, end and place, as a paragraph after its description.
pub(super) fn event_html(event: &Value) -> String {
    let at = |k: &str| time(&event[k]).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let mut parts = Vec::new();
    if let Some(start) = at("startTime") {
        parts.push(format!("Starts {start}"));
    }
    if let Some(end) = at("endTime") {
        parts.push(format!("ends {end}"));
    }
    if let Some(place) = event["location"]["name"]
        .as_str()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        parts.push(format!("at {}", escape(place)));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("<p>{}</p>", parts.join(", "))
}

/// The `Hashtag`s of `tag` (one object or an array), without `#`, each once, in order, at
/// most [`MAX_TAGS`]. `Mention`s and `Emoji` are not tags.
pub(super) fn hashtags(tag: &Value) -> Vec<String> {
    let entries: Vec<&Value> = match tag {
        Value::Array(a) => a.iter().take(MAX_ENTRIES).collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for entry in entries {
        if out.len() >= MAX_TAGS {
            break;
        }
        if type_of(entry) != Some("Hashtag") {
            continue;
        }
        let Some(name) = entry["name"].as_str() else {
            continue;
        };
        let name = name.trim().trim_start_matches('#').trim();
        if name.is_empty() || name.chars().count() > 100 {
            continue;
        }
        if seen.insert(name.to_lowercase()) {
            out.push(name.to_owned());
        }
    }
    out
}

/// "Boosted by NAME (@handle)", linked to the booster, as the Mastodon connector writes it.
pub(super) fn boost_note(booster: &Author) -> String {
    let name = escape(booster.label().unwrap_or("someone"));
    let who = match (&booster.url, &booster.handle, &booster.name) {
        (Some(url), Some(handle), Some(_)) => format!(
            "<a href=\"{}\">{name}</a> ({})",
            escape(url),
            escape(handle)
        ),
        (Some(url), _, _) => format!("<a href=\"{}\">{name}</a>", escape(url)),
        _ => name,
    };
    format!("<p>Boosted by {who}</p>")
}
