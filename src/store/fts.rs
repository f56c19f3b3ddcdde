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

/// How to find the newest matches. The timeline wants matches by `(sort_time, id)`, while FTS5
/// yields them by rowid, and `sort_time` (the published date) does not follow insertion order
/// (a new source back-fills years of entries). What is cheap: FTS5 decoding rowids from its
/// doclists (~0.05 µs each, measured on 1M items). What is not: touching the wide item rows, and
/// a per-row `rowid = ?` probe (~20 µs; for a prefix query each probe rebuilds the prefix's whole
/// doclist). So the plan is picked from a capped count of the matches:
///
/// - [`Plan::Few`] (< `few` matches): rank all matches through the narrow `items_search` index.
/// - [`Plan::Medium`]: FTS5 fills an in-memory rowid set once; the timeline index is walked
///   newest first and tested against it. A page walks about `limit * items / matches` rows.
/// - [`Plan::Many`] (≥ `many` matches, no prefix term, the merged timeline): decoding every match
///   would dominate, so walk the timeline and probe FTS5 per row, which needs few probes at that
///   density. The walk is bounded by a window (`window` rows): a term common overall but absent
///   from recent items falls back to Medium instead of probing years of history.
///
/// A source's own view always uses Few or Medium: a term common elsewhere may be rare in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    Few,
    Medium,
    Many,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Thresholds {
    pub few: i64,
    pub many: i64,
    pub window: i64,
}

pub(super) const THRESHOLDS: Thresholds = Thresholds {
    few: 10_000,
    many: 200_000,
    window: 2_000,
};

/// A safe MATCH expression and whether it has a prefix term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Match {
    pub expr: String,
    pub prefix: bool,
}

pub(super) fn plan(
    conn: &rusqlite::Connection,
    m: &Match,
    one_source: bool,
    t: Thresholds,
) -> rusqlite::Result<Plan> {
    let mut count = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ?1 LIMIT ?2)",
    )?;
    let n: i64 = count.query_row(rusqlite::params![m.expr, t.few], |r| r.get(0))?;
    if n < t.few {
        return Ok(Plan::Few);
    }
    if m.prefix || one_source {
        return Ok(Plan::Medium);
    }
    let n: i64 = count.query_row(rusqlite::params![m.expr, t.many], |r| r.get(0))?;
    Ok(if n < t.many { Plan::Medium } else { Plan::Many })
}

impl Plan {
    /// The page query. Parameters: ?1, ?2 the keyset position, ?3 the source, ?4 the MATCH
    /// expression, ?5 the limit, and for Many ?6, ?7 the window's far end; `filter` is the
    /// source/primary condition and `index` the index that serves it in timeline order.
    pub(super) fn sql(self, columns: &str, filter: &str, index: &str) -> String {
        let keyset = "(i.sort_time, i.id) < (?1, ?2)";
        let order = "ORDER BY i.sort_time DESC, i.id DESC";
        match self {
            // MATERIALIZED keeps the ranking a separate step: wide rows are read for the page only.
            Plan::Few => format!(
                "WITH hits AS MATERIALIZED (
                     SELECT i.id, i.sort_time
                     FROM items_fts f JOIN items i INDEXED BY items_search ON i.id = f.rowid
                     WHERE f.items_fts MATCH ?4 AND {keyset} AND {filter} {order} LIMIT ?5)
                 SELECT {columns} FROM hits h
                     JOIN items i ON i.id = h.id JOIN sources s ON s.id = i.source_id
                 ORDER BY h.sort_time DESC, h.id DESC"
            ),
            Plan::Medium => format!(
                "SELECT {columns} FROM items i INDEXED BY {index}
                     JOIN sources s ON s.id = i.source_id
                 WHERE {keyset} AND {filter}
                   AND i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?4)
                 {order} LIMIT ?5"
            ),
            Plan::Many => format!(
                "SELECT {columns} FROM items i INDEXED BY {index}
                     JOIN sources s ON s.id = i.source_id
                 WHERE {keyset} AND (i.sort_time, i.id) >= (?6, ?7) AND {filter}
                   AND EXISTS (SELECT 1 FROM items_fts f
                               WHERE f.items_fts MATCH ?4 AND f.rowid = i.id)
                 {order} LIMIT ?5"
            ),
        }
    }
}

/// A prefix needs this many letters or digits: FTS5 expands a prefix by merging the doclists of
/// every term it covers, so `a*` would cost as much as a scan of the whole index.
const MIN_PREFIX_CHARS: usize = 2;

/// The FTS5 MATCH expression for `input`, or `None` when nothing in it is searchable.
pub(super) fn query(input: &str) -> Option<Match> {
    let mut out = String::new();
    let mut pending_or = false;
    let mut any_prefix = false;
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
        assert!(super::query("feder*").is_some_and(|m| m.prefix));
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
