//! Subscribing to the outlines of an OPML file, for `braid opml import` and the web UI's
//! upload alike: every URL passes the rule of `braid source add`
//! ([`crate::cli::check_feed_url`]), feeds already present are skipped, and each skipped
//! outline keeps its reason so the caller can show it.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::cli::{check_feed_url, Refusal};
use crate::opml::Subscription;
use crate::store::{NewSource, Store, StoreError};

/// Why an outline was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Refused(Refusal),
    Already,
}

impl Skip {
    /// Its place in the summary, and its name there (singular, plural).
    fn class(&self) -> (usize, &'static str, &'static str) {
        use Refusal::*;
        match self {
            Skip::Refused(r @ NotAUrl { .. }) => (0, r.class().0, r.class().1),
            Skip::Refused(r @ NotHttp { .. }) => (1, r.class().0, r.class().1),
            Skip::Refused(r @ PrivateAddress { .. }) => (2, r.class().0, r.class().1),
            Skip::Already => (3, "already subscribed", "already subscribed"),
        }
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Refused(refusal) => refusal.fmt(f),
            Skip::Already => f.write_str("already subscribed"),
        }
    }
}

/// An outline that was not imported, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub title: String,
    pub url: String,
    pub why: Skip,
}

/// What an import did, in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// The sources added: name and URL.
    pub added: Vec<(String, String)>,
    pub skipped: Vec<Skipped>,
}

impl Imported {
    /// `imported 12, skipped 3 (2 not http/https, 1 private address)`.
    pub fn summary(&self) -> String {
        let mut classes: BTreeMap<usize, (&str, &str, usize)> = BTreeMap::new();
        for s in &self.skipped {
            let (order, one, many) = s.why.class();
            classes.entry(order).or_insert((one, many, 0)).2 += 1;
        }
        let detail: Vec<String> = classes
            .values()
            .map(|(one, many, n)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        };
        format!(
            "imported {}, skipped {}{detail}",
            self.added.len(),
            self.skipped.len()
        )
    }
}

/// Adds a source of network `kind` (the one that subscribes by URL) for each outline of
/// `subs` that passes the URL rule and is not a source yet. Nothing is fetched: the sources'
/// first polls read them.
pub async fn import_outlines(
    store: &Store,
    kind: &str,
    subs: Vec<Subscription>,
    allow_private_networks: bool,
) -> Result<Imported, StoreError> {
    // Names and URLs already taken, read once: checking each outline against the database
    // (and each " (2)", " (3)" … candidate name) made a file of same-titled feeds quadratic.
    let existing = store.list_sources().await?;
    let mut names = Names::new(existing.iter().map(|s| s.name.clone()));
    let mut urls: HashSet<String> = existing.into_iter().map(|s| s.url).collect();

    let mut done = Imported::default();
    for sub in subs {
        let skip = |why| Skipped {
            title: sub.title.clone(),
            url: sub.xml_url.clone(),
            why,
        };
        let url = match check_feed_url(&sub.xml_url, allow_private_networks) {
            Ok(url) => url.to_string(),
            Err(refusal) => {
                done.skipped.push(skip(Skip::Refused(refusal)));
                continue;
            }
        };
        if !urls.insert(url.clone()) {
            done.skipped.push(skip(Skip::Already));
            continue;
        }
        let name = names.unique(&sub.title, &url);
        let new = NewSource {
            name: name.clone(),
            kind: kind.to_owned(),
            url: url.clone(),
            schedule: None,
            category: sub.category.clone(),
            settings: serde_json::json!({}),
            account: None,
        };
        match store.add_source(new).await {
            Ok(_) => done.added.push((name, url)),
            Err(StoreError::DuplicateUrl(_)) => done.skipped.push(skip(Skip::Already)),
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Source names not yet taken: the title (else the host), with " (2)", " (3)" … on a clash,
/// as `braid source add` names them, counted in memory.
struct Names {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    fn new(taken: impl Iterator<Item = String>) -> Names {
        Names {
            taken: taken.collect(),
            next: HashMap::new(),
        }
    }

    fn unique(&mut self, title: &str, url: &str) -> String {
        let base = super::base_name(title, url);
        let mut candidate = base.clone();
        let n = self.next.entry(base.clone()).or_insert(2);
        while self.taken.contains(&candidate) {
            candidate = format!("{base} ({n})");
            *n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}
