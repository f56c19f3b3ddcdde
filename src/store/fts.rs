//! Turning what the owner typed into a safe FTS5 query.
//!
//! FTS5's query syntax (sqlite.org/fts5.html §3) gives meaning to `"`, `*`, `^`, `:`, `(`, `)`,
//! `+`, `-`, `NEAR`, `AND`, `OR` and `NOT`; raw input like `c++`, `(draft` or `title:` is a syntax
//! error. So every word becomes an FTS5 *string* (double-quoted, inner quotes doubled), which the
//! tokenizer splits like the indexed text and which can never be parsed as an operator. On top of
//! that we keep the few things people actually type:
//!
//! - `"two words"`: a phrase;
//! - `word*`: a prefix query (`"word"*`);
//! - `a OR b` (upper-case, as in FTS5 and web search engines): either.
//!
//! Everything else is implicit AND. Terms with no letter or digit are dropped: the tokenizer
//! would make them empty phrases.

/// A safe MATCH expression and what the search planner needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Match {
    pub expr: String,
    /// Has a prefix term (`word*`).
    pub prefix: bool,
    /// One plain word, no prefix, phrase or OR: the cheapest to probe per row.
    pub single_word: bool,
}

/// A prefix needs this many letters or digits: FTS5 expands a prefix by merging the doclists of
/// every term it covers, so `a*` would cost as much as a scan of the whole index.
const MIN_PREFIX_CHARS: usize = 2;

/// The FTS5 MATCH expression for `input`, or `None` when nothing in it is searchable.
pub(super) fn query(input: &str) -> Option<Match> {
    let mut out = String::new();
    let mut pending_or = false;
    let mut any_prefix = false;
    let mut texts = 0;
    let mut plain = true;
    for term in terms(input) {
        match term {
            Term::Or => pending_or = !out.is_empty(),
            Term::Text { text, prefix } => {
                if !text.chars().any(char::is_alphanumeric) {
                    continue;
                }
                if !out.is_empty() {
                    out.push_str(if pending_or { " OR " } else { " " });
                }
                pending_or = false;
                texts += 1;
                plain &= text.chars().all(char::is_alphanumeric);
                out.push('"');
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
                if prefix
                    && text.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_PREFIX_CHARS
                {
                    out.push('*');
                    any_prefix = true;
                }
            }
        }
    }
    (!out.is_empty()).then_some(Match {
        expr: out,
        prefix: any_prefix,
        single_word: texts == 1 && plain && !any_prefix,
    })
}

enum Term {
    Or,
    Text { text: String, prefix: bool },
}

fn terms(input: &str) -> Vec<Term> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        if first == '"' {
            chars.next();
            // A phrase runs to the closing quote, or to the end when the owner forgot it.
            let text: String = chars.by_ref().take_while(|&c| c != '"').collect();
            let prefix = chars.next_if_eq(&'*').is_some();
            out.push(Term::Text { text, prefix });
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '"') {
            word.push(c);
        }
        if word == "OR" {
            out.push(Term::Or);
            continue;
        }
        let stem = word.trim_end_matches('*');
        let prefix = stem.len() < word.len();
        out.push(Term::Text {
            text: stem.to_owned(),
            prefix,
        });
    }
    out
}

/// True for errors FTS5 raises while parsing a MATCH expression.
pub(super) fn is_syntax_error(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(_, Some(msg))
        if msg.starts_with("fts5:") || msg.contains("syntax error"))
}

#[cfg(test)]
mod tests {
    fn query(input: &str) -> Option<String> {
        super::query(input).map(|m| m.expr)
    }

    #[test]
    fn quotes_every_word() {
        assert_eq!(query("rust sqlite").as_deref(), Some(r#""rust" "sqlite""#));
        assert_eq!(query("AND NOT x").as_deref(), Some(r#""AND" "NOT" "x""#));
        assert_eq!(query(r#"say "hi"#).as_deref(), Some(r#""say" "hi""#));
        assert_eq!(query(r#"a"b"#).as_deref(), Some(r#""a" "b""#));
    }

    #[test]
    fn phrases_prefixes_and_or() {
        assert_eq!(
            query(r#""two words" x"#).as_deref(),
            Some(r#""two words" "x""#)
        );
        assert_eq!(query("feder*").as_deref(), Some(r#""feder"*"#));
        assert!(super::query("feder*").is_some_and(|m| m.prefix && !m.single_word));
        assert!(super::query("rust").is_some_and(|m| m.single_word));
        for several in ["rust sqlite", "\"open source\"", "a OR b", "c++"] {
            assert!(
                super::query(several).is_some_and(|m| !m.single_word),
                "{several}"
            );
        }
        // Too short to expand cheaply: searched as the word itself.
        assert_eq!(query("a* b").as_deref(), Some(r#""a" "b""#));
        assert_eq!(query("a OR b").as_deref(), Some(r#""a" OR "b""#));
        assert_eq!(query("OR a OR OR").as_deref(), Some(r#""a""#));
        assert_eq!(query("a or b").as_deref(), Some(r#""a" "or" "b""#));
    }

    #[test]
    fn nothing_searchable() {
        assert_eq!(query(r#"" ( ) * - : ^"#), None);
        assert_eq!(query("   "), None);
    }
}
