//! JSON Feed (https://jsonfeed.org/version/1.1) read item by item. feed-rs deserializes the
//! whole document into typed structs, so one item of the wrong shape (a string in `items`,
//! `"id": {}`, `"content_html": 5`) rejects every other item with it. Here each item is checked
//! against the types feed-rs expects; one that does not fit is left out and the reason kept,
//! and feed-rs reads the rest.

use serde_json::{Map, Value};

/// A document feed-rs can read, and what was left out of it.
pub(crate) struct Checked {
    /// `None`: read the original bytes, nothing needed leaving out.
    pub json: Option<Vec<u8>>,
    pub warning: Option<String>,
}

/// Fields of an item that, when present and not null, must be strings.
const STRINGS: &[&str] = &[
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "date_published",
    "date_modified",
];

/// Checks the items of a JSON Feed. `None` when the bytes are not a JSON object with an
/// `items` array: feed-rs then says what is wrong with them.
pub(crate) fn check(bytes: &[u8]) -> Option<Checked> {
    let mut doc: Value = serde_json::from_slice(bytes).ok()?;
    let items = doc.as_object_mut()?.get_mut("items")?.as_array_mut()?;
    let total = items.len();
    let mut changed = false;
    let mut skipped: Vec<(usize, String)> = Vec::new();
    let mut kept = Vec::with_capacity(total);
    for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
        match check_item(&mut item) {
            Ok(fixed) => {
                changed |= fixed;
                kept.push(item);
            }
            Err(why) => skipped.push((i + 1, why)),
        }
    }
    *items = kept;
    if skipped.is_empty() && !changed {
        return Some(Checked {
            json: None,
            warning: None,
        });
    }
    Some(Checked {
        json: serde_json::to_vec(&doc).ok(),
        warning: warning(total, &skipped),
    })
}

fn warning(total: usize, skipped: &[(usize, String)]) -> Option<String> {
    match skipped {
        [] => None,
        [(n, why)] => Some(format!(
            "feed: JSON Feed item {n} skipped: {}",
            why.strip_prefix("it ").unwrap_or(why)
        )),
        many => {
            let mut details: Vec<String> = many
                .iter()
                .take(3)
                .map(|(n, why)| match why.strip_prefix("it ") {
                    Some(rest) => format!("item {n} {rest}"),
                    None => format!("item {n}: {why}"),
                })
                .collect();
            if many.len() > 3 {
                details.push(format!("and {} more", many.len() - 3));
            }
            Some(format!(
                "feed: {} of {total} JSON Feed items skipped: {}",
                many.len(),
                details.join("; ")
            ))
        }
    }
}

/// `Ok(true)` when the item was made readable (a numeric id written as a string), `Err` with
/// the reason when it cannot be read.
fn check_item(item: &mut Value) -> Result<bool, String> {
    let Some(obj) = item.as_object_mut() else {
        return Err(format!("it is {}, not an object", kind(item)));
    };
    let mut fixed = false;
    // JSON Feed 1.1: "id (required, string) ... If an id is presented as a number or other
    // type, a JSON Feed reader must coerce it to a string."
    match obj.get("id") {
        Some(Value::Number(n)) => {
            let s = n.to_string();
            obj.insert("id".to_owned(), Value::String(s));
            fixed = true;
        }
        Some(v) => string_or_null("id", v)?,
        None => {}
    }
    for key in STRINGS {
        if let Some(v) = obj.get(*key) {
            string_or_null(key, v)?;
        }
    }
    if let Some(a) = obj.get("author") {
        author("author", a)?;
    }
    if let Some(list) = obj.get("authors").filter(|v| !v.is_null()) {
        let list = list
            .as_array()
            .ok_or_else(|| format!("authors is {}, not an array", kind(list)))?;
        for (i, a) in list.iter().enumerate() {
            author(&format!("authors[{i}]"), a)?;
        }
    }
    if let Some(tags) = obj.get("tags").filter(|v| !v.is_null()) {
        let tags = tags
            .as_array()
            .ok_or_else(|| format!("tags is {}, not an array", kind(tags)))?;
        for (i, t) in tags.iter().enumerate() {
            if !t.is_string() {
                return Err(format!("tags[{i}] is {}, not a string", kind(t)));
            }
        }
    }
    if let Some(list) = obj.get("attachments").filter(|v| !v.is_null()) {
        let list = list
            .as_array()
            .ok_or_else(|| format!("attachments is {}, not an array", kind(list)))?;
        for (i, a) in list.iter().enumerate() {
            attachment(&format!("attachments[{i}]"), a)?;
        }
    }
    Ok(fixed)
}

fn author(path: &str, v: &Value) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let obj = object(path, v)?;
    for key in ["name", "url"] {
        if let Some(f) = obj.get(key) {
            string_or_null(&format!("{path}.{key}"), f)?;
        }
    }
    Ok(())
}

fn attachment(path: &str, v: &Value) -> Result<(), String> {
    let obj = object(path, v)?;
    for key in ["url", "mime_type"] {
        match obj.get(key) {
            Some(Value::String(_)) => {}
            Some(f) => return Err(format!("{path}.{key} is {}, not a string", kind(f))),
            None => return Err(format!("{path} has no {key}")),
        }
    }
    if let Some(t) = obj.get("title") {
        string_or_null(&format!("{path}.title"), t)?;
    }
    match obj.get("size_in_bytes") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) if n.is_u64() => Ok(()),
        Some(f) => Err(format!(
            "{path}.size_in_bytes is {}, not a whole number",
            kind(f)
        )),
    }
}

fn object<'v>(path: &str, v: &'v Value) -> Result<&'v Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{path} is {}, not an object", kind(v)))
}

fn string_or_null(key: &str, v: &Value) -> Result<(), String> {
    match v {
        Value::String(_) | Value::Null => Ok(()),
        other => Err(format!("{key} is {}, not a string", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
