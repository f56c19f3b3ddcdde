//! A route's rule, as `braid route add`, the API and `[[route]]` tables in the config say it,
//! and as the store keeps it (JSON).

use braid_core::fit::LongText;
use braid_core::Visibility;
use serde::{Deserialize, Serialize};

use crate::store::RouteItem;

/// What a route carries, where, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Sources by name, accounts by name (their own posts), or a kind (`feed`, `kind:feed`).
    pub from: Vec<String>,
    /// Accounts or channels by name (`channel:NAME` where a name is both).
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Filter::is_empty")]
    pub filter: Filter,
    /// The post's text: `{title}`, `{text}`, `{url}`, `{author}`, `{tags}`. Default: the title
    /// and the link for a titled entry, the text for anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The most public a copy may be (default public). Items more private than this are not
    /// carried to accounts; a copy is never more public than its item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// A long text: `thread` or `truncate` (default: truncate a titled entry with a link,
    /// thread anything else where the target has threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<LongText>,
    /// Thread or truncate for one target (by name), over `long`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub long_for: std::collections::BTreeMap<String, LongText>,
    /// Number a thread's parts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub number: bool,
    /// At least this long between two posts of this route to one account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval_secs: Option<u64>,
    /// An entry updated at its origin edits its copies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edits: bool,
    /// An entry deleted at its origin deletes its copies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deletes: bool,
}

/// Which items a route carries; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// At least one of these words (case-insensitive, whole words) in the title or text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// None of these words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// The title or text matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_regex: Option<String>,
    /// The title or text does not match this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_regex: Option<String>,
    /// At least one of these tags (without `#`, case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// None of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_tags: Vec<String>,
    /// The item's language is one of these (ISO 639, `en`); items without one pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// No replies and no boosts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub originals_only: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_replies: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_boosts: bool,
    /// Only items with files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_media: bool,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }

    /// Checks the regular expressions, so a bad one is refused when the route is made.
    pub fn validate(&self) -> Result<(), String> {
        for re in [&self.include_regex, &self.exclude_regex]
            .into_iter()
            .flatten()
        {
            regex::RegexBuilder::new(re)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("filter: {re:?} is not a regular expression: {e}"))?;
        }
        Ok(())
    }

    /// `Ok` when `item` passes; else why not.
    pub fn accepts(&self, item: &RouteItem) -> Result<(), String> {
        let text = format!(
            "{}\n{}",
            item.title.as_deref().unwrap_or_default(),
            item.content_text.as_deref().unwrap_or_default()
        );
        let words: Vec<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '\''))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let has = |w: &String| {
            let w = w.to_lowercase();
            if w.contains(char::is_whitespace) {
                text.to_lowercase().contains(&w)
            } else {
                words.contains(&w)
            }
        };
        if !self.include.is_empty() && !self.include.iter().any(has) {
            return Err(format!("none of the words {}", self.include.join(", ")));
        }
        if let Some(w) = self.exclude.iter().find(|w| has(w)) {
            return Err(format!("has the excluded word {w:?}"));
        }
        let matches = |re: &str| {
            regex::RegexBuilder::new(re)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map(|r| r.is_match(&text))
        };
        if let Some(re) = &self.include_regex {
            match matches(re) {
                Ok(true) => {}
                Ok(false) => return Err(format!("does not match {re:?}")),
                Err(e) => return Err(format!("the regular expression {re:?} is bad: {e}")),
            }
        }
        if let Some(re) = &self.exclude_regex {
            match matches(re) {
                Ok(false) => {}
                Ok(true) => return Err(format!("matches the excluded {re:?}")),
                Err(e) => return Err(format!("the regular expression {re:?} is bad: {e}")),
            }
        }
        let tag = |t: &String| {
            let t = t.trim_start_matches('#');
            item.tags
                .iter()
                .any(|it| it.trim_start_matches('#').eq_ignore_ascii_case(t))
        };
        if !self.tags.is_empty() && !self.tags.iter().any(tag) {
            return Err(format!("none of the tags {}", self.tags.join(", ")));
        }
        if let Some(t) = self.exclude_tags.iter().find(|t| tag(t)) {
            return Err(format!("has the excluded tag {t:?}"));
        }
        if let (false, Some(lang)) = (self.languages.is_empty(), &item.language) {
            let primary = lang.split(['-', '_']).next().unwrap_or(lang);
            if !self
                .languages
                .iter()
                .any(|l| l.eq_ignore_ascii_case(lang) || l.eq_ignore_ascii_case(primary))
            {
                return Err(format!("in {lang}, not {}", self.languages.join(", ")));
            }
        }
        let reply = item.kind == "reply" || item.in_reply_to.is_some();
        if (self.originals_only || self.no_replies) && reply {
            return Err("a reply".into());
        }
        if (self.originals_only || self.no_boosts) && item.kind == "share" {
            return Err("a boost".into());
        }
        if self.has_media && item.attachments.is_empty() {
            return Err("has no files".into());
        }
        Ok(())
    }
}

impl RouteSpec {
    /// Reads a stored rule.
    pub fn from_value(v: &serde_json::Value) -> Result<RouteSpec, String> {
        serde_json::from_value(v.clone()).map_err(|e| format!("route: {e}"))
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The rule as it is stored, whoever typed it: names, words, tags and languages trimmed,
    /// empty entries and repeated names dropped, an empty template or regular expression
    /// none, and the default visibility (public) left unsaid. A template's line ends are
    /// `\n` (a browser's textarea sends `\r\n`).
    pub fn tidied(mut self) -> RouteSpec {
        fn list(v: Vec<String>) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_owned());
                }
            }
            out
        }
        let some = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        self.from = list(self.from);
        self.to = list(self.to);
        let f = &mut self.filter;
        f.include = list(std::mem::take(&mut f.include));
        f.exclude = list(std::mem::take(&mut f.exclude));
        f.tags = list(std::mem::take(&mut f.tags));
        f.exclude_tags = list(std::mem::take(&mut f.exclude_tags));
        f.languages = list(std::mem::take(&mut f.languages));
        f.include_regex = some(f.include_regex.take());
        f.exclude_regex = some(f.exclude_regex.take());
        self.template = some(self.template.take()).map(|t| t.replace("\r\n", "\n"));
        if self.visibility == Some(Visibility::Public) {
            self.visibility = None;
        }
        self.long_for = std::mem::take(&mut self.long_for)
            .into_iter()
            .map(|(k, v)| (k.trim().to_owned(), v))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        self
    }

    /// What is wrong with it, before it is stored: empty `from` or `to`, a bad template or
    /// regular expression.
    pub fn validate(&self) -> Result<(), String> {
        if self.from.iter().all(|f| f.trim().is_empty()) {
            return Err("a route needs at least one source in from".into());
        }
        if self.to.iter().all(|t| t.trim().is_empty()) {
            return Err("a route needs at least one account or channel in to".into());
        }
        if let Some(t) = &self.template {
            check_template(t)?;
        }
        if self.visibility == Some(Visibility::Direct) {
            return Err("visibility: direct messages are never carried".into());
        }
        self.filter.validate()
    }

    /// The post's text for `item`.
    pub fn render(&self, item: &RouteItem) -> String {
        let template = self.template.clone().unwrap_or_else(|| {
            if item.title.is_some() && item.url.is_some() {
                "{title}\n\n{url}".to_owned()
            } else if item
                .content_text
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
            {
                "{text}".to_owned()
            } else {
                "{title}\n\n{url}".to_owned()
            }
        });
        let tags: Vec<String> = item
            .tags
            .iter()
            .map(|t| {
                format!(
                    "#{}",
                    t.trim_start_matches('#').replace(char::is_whitespace, "")
                )
            })
            .collect();
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let value = match &after[..close] {
                "title" => item.title.clone().unwrap_or_default(),
                "text" => item.content_text.clone().unwrap_or_default(),
                "url" => item.url.clone().unwrap_or_default(),
                "author" => item
                    .author_name
                    .clone()
                    .or_else(|| item.author_handle.clone())
                    .unwrap_or_default(),
                "tags" => tags.join(" "),
                other => format!("{{{other}}}"),
            };
            out.push_str(value.trim());
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        tidy(&out)
    }
}

/// Refuses placeholders the template does not know.
fn check_template(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("template: an unclosed {{ in {t:?}"))?;
        let name = &after[..close];
        if !["title", "text", "url", "author", "tags"].contains(&name) {
            return Err(format!(
                "template: unknown {{{name}}}; use {{title}}, {{text}}, {{url}}, {{author}}, {{tags}}"
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Lines trimmed at their end, at most one blank line in a row, no blank start or end (an
/// empty placeholder leaves none behind).
fn tidy(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in s.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Utc;

    fn item() -> RouteItem {
        RouteItem {
            id: 1,
            source_id: 1,
            source_name: "blog".into(),
            source_kind: "web".into(),
            source_created_at: Utc::now(),
            account_id: None,
            sort_time: Utc::now(),
            kind: "article".into(),
            visibility: "public".into(),
            remote_id: "urn:1".into(),
            url: Some("https://blog.example/post".into()),
            canonical_url: None,
            title: Some("Hello Rust".into()),
            content_text: Some("A post about Rust-lang and café culture.".into()),
            content_warning: None,
            author_name: Some("Ann".into()),
            author_handle: None,
            author_url: None,
            language: Some("en-GB".into()),
            in_reply_to: None,
            tags: vec!["rust".into(), "Open Source".into()],
            attachments: Vec::new(),
        }
    }

    #[test]
    fn templates_fill_placeholders_and_drop_empty_lines() {
        let spec = RouteSpec {
            template: Some("{title} by {author}\n\n{text}\n\n{tags}\n\n{url}".into()),
            ..RouteSpec::default()
        };
        assert_eq!(
            spec.render(&item()),
            "Hello Rust by Ann\n\nA post about Rust-lang and café culture.\n\n#rust #OpenSource\n\nhttps://blog.example/post"
        );
        let mut untitled = item();
        untitled.title = None;
        assert_eq!(
            RouteSpec::default().render(&untitled),
            "A post about Rust-lang and café culture."
        );
        assert_eq!(
            RouteSpec::default().render(&item()),
            "Hello Rust\n\nhttps://blog.example/post"
        );
        assert!(check_template("{title} {nope}")
            .unwrap_err()
            .contains("{nope}"));
        assert!(check_template("{title").is_err());
    }

    #[test]
    fn filters_say_why_an_item_is_left() {
        let f = |filter: Filter| filter.accepts(&item());
        assert!(f(Filter::default()).is_ok());
        assert!(f(Filter {
            include: vec!["rust".into()],
            ..Filter::default()
        })
        .is_ok());
        assert!(f(Filter {
            include: vec!["rus".into()],
            ..Filter::default()
        })
        .is_err());
        assert!(f(Filter {
            exclude: vec!["CAFÉ".into()],
            ..Filter::default()
        })
        .unwrap_err()
        .contains("CAFÉ"));
        assert!(f(Filter {
            include_regex: Some(r"rust-?lang".into()),
            ..Filter::default()
        })
        .is_ok());
        assert!(f(Filter {
            exclude_regex: Some("^hello".into()),
            ..Filter::default()
        })
        .is_err());
        assert!(f(Filter {
            tags: vec!["#OPENSOURCE".into(), "open source".into()],
            ..Filter::default()
        })
        .is_ok());
        assert!(f(Filter {
            languages: vec!["en".into()],
            ..Filter::default()
        })
        .is_ok());
        assert!(f(Filter {
            languages: vec!["de".into()],
            ..Filter::default()
        })
        .is_err());
        assert_eq!(
            f(Filter {
                has_media: true,
                ..Filter::default()
            }),
            Err("has no files".into())
        );
        let mut reply = item();
        reply.in_reply_to = Some("x".into());
        assert!(Filter {
            originals_only: true,
            ..Filter::default()
        }
        .accepts(&reply)
        .is_err());
        assert!(Filter {
            include_regex: Some("(".into()),
            ..Filter::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn a_typed_rule_is_tidied_the_same_everywhere() {
        let spec = RouteSpec {
            from: vec![" blog ".into(), "".into(), "blog".into()],
            to: vec!["links".into()],
            filter: Filter {
                include: vec![" rust ".into(), " ".into()],
                include_regex: Some("  ".into()),
                ..Filter::default()
            },
            template: Some("{title}\r\n{url}".into()),
            visibility: Some(Visibility::Public),
            ..RouteSpec::default()
        }
        .tidied();
        assert_eq!(spec.from, ["blog"]);
        assert_eq!(spec.filter.include, ["rust"]);
        assert_eq!(spec.filter.include_regex, None);
        assert_eq!(spec.template.as_deref(), Some("{title}\n{url}"));
        assert_eq!(spec.visibility, None);
    }
}
