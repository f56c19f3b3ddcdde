//! A tolerant pre-pass over an XML feed, before feed-rs sees it. feed-rs refuses some
//! documents other readers (Python feedparser among them) read, reads others as empty, and
//! drops elements publishers use. This pass walks the document once with quick-xml (the reader
//! feed-rs itself uses: no DTD is read and no entity defined in one is expanded, so an entity
//! bomb stays inert here too) and
//!
//! - **repairs** what feed-rs refuses, by small edits to the text: an `<rss>` version other
//!   than 0.91/0.92/2.0 (0.93, 0.94 and friends are read as 0.92), the Atom 0.3 and RSS 0.90
//!   namespaces (read as Atom 1.0 and RSS 1.0), Atom 0.3 `mode`/MIME `type` attributes and
//!   empty or unknown `type` attributes (RFC 4287 §3.1.1 and §4.1.3.1 name the values feed-rs
//!   takes), empty and XML-typed Atom `<content>` (§4.1.3.3), and RSS 1.0 items identified
//!   only by `rdf:about` (RSS 1.0 §5.5), given a `<link>` so feed-rs keeps them;
//! - **notes** per entry what feed-rs drops ([`EntryScan`]): `dc:title`, Dublin Core and
//!   Atom 0.3 dates, and HTML written unescaped into `<description>`/`<content:encoded>`.
//!
//! The document is handed to feed-rs unchanged when nothing needs repair, so a feed that read
//! well before reads exactly as before. Repairs are only made where feed-rs would otherwise
//! refuse the feed or drop the entry, never to fields that go into a hashed id
//! ([`crate::convert::content_hash_id`]): what this pass adds is applied after the hash.

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

mod atom;
mod decode;
mod scan;

/// What the pre-pass learned about one entry element (`<item>`, `<entry>`), in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct EntryScan {
    /// 1-based position among the document's entries, as the owner would count them.
    pub index: usize,
    /// Why feed-rs will not return this entry, if it will not (it is then not counted when
    /// entries are matched with feed-rs's).
    pub dropped: Option<String>,
    /// `dc:title` (DCMI Metadata Terms), used when the entry has no title of its own.
    pub dc_title: Option<String>,
    /// Dates feed-rs does not read, best first: Atom 0.3 `issued`/`created`, `dcterms:issued`,
    /// `dcterms:created`, `dcterms:date`, `dc:date`.
    pub published: Vec<String>,
    /// Atom 0.3 `modified`, `dcterms:modified`.
    pub updated: Vec<String>,
    /// The inner markup of an RSS `<description>` that holds elements, not escaped text.
    pub description_markup: Option<String>,
    /// The inner markup of a `<content:encoded>` that holds elements.
    pub content_markup: Option<String>,
    /// The media type of an Atom `<content>` removed because feed-rs cannot read it (XML).
    pub unreadable_content: Option<String>,
    /// Where the entry is in [`Prepared::text`].
    span: Range<usize>,
}

/// A document made ready for feed-rs.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The document as UTF-8 with every repair applied and its XML declaration saying UTF-8
    /// (once [`Self::settle`]d).
    pub text: String,
    /// True when a repair was made: feed-rs must read [`Self::text`], not the original bytes.
    pub repaired: bool,
    /// Every entry element in document order.
    pub entries: Vec<EntryScan>,
    /// Edits not yet made to `text`. When nothing needs repair, the text is only needed if
    /// feed-rs refuses the original bytes, so the copy is not made until then.
    pending: Vec<Patch>,
}

impl Prepared {
    /// The entries feed-rs returns (those not [`EntryScan::dropped`]), in its order.
    pub fn kept(&self) -> impl Iterator<Item = &EntryScan> {
        self.entries.iter().filter(|e| e.dropped.is_none())
    }

    /// Makes the pending edits, so `text` is the document to read.
    pub fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let (text, map) = apply(&self.text, &std::mem::take(&mut self.pending));
        for e in &mut self.entries {
            e.span = map(e.span.start)..map(e.span.end);
        }
        self.text = text;
    }

    /// The (settled) document with only the entries `keep` says yes to (the text between entries goes
    /// with them). `None` when there are no entries to choose from.
    pub fn with_entries(&self, keep: impl Fn(&EntryScan) -> bool) -> Option<String> {
        let first = self.entries.first()?.span.start;
        let last = self.entries.last()?.span.end;
        let mut out = String::with_capacity(self.text.len());
        out.push_str(&self.text[..first]);
        for e in self.entries.iter().filter(|e| keep(e)) {
            out.push_str(&self.text[e.span.clone()]);
            out.push('\n');
        }
        out.push_str(&self.text[last..]);
        Some(out)
    }

    /// Marks entry `index` (1-based) as dropped for `why`.
    pub fn drop_entry(&mut self, index: usize, why: String) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.index == index) {
            e.dropped = Some(why);
        }
    }
}

/// Runs the pre-pass. `None` when the bytes are not an XML document this pass can walk (not
/// well-formed, say): feed-rs then reads the original bytes and reports what is wrong.
pub(crate) fn prepare(bytes: &[u8]) -> Option<Prepared> {
    let text = decode::to_utf8(bytes)?;
    let found = scan::scan(&text).ok()?;
    let repaired = found.patches.iter().any(|p| !p.declaration);
    let mut prepared = Prepared {
        text,
        repaired,
        entries: found.entries,
        pending: found.patches,
    };
    if repaired {
        prepared.settle();
    }
    Some(prepared)
}

/// One edit: replace `range` of the decoded text with `with`.
#[derive(Debug, Clone)]
struct Patch {
    range: Range<usize>,
    with: String,
    /// The XML declaration rewritten to say UTF-8: needed whenever the decoded text is read,
    /// but no reason on its own to read it instead of the original bytes.
    declaration: bool,
}

/// Applies non-overlapping `patches`; returns the new text and a map from old positions to
/// new ones (for positions not inside a patch).
fn apply(text: &str, patches: &[Patch]) -> (String, impl Fn(usize) -> usize) {
    let mut sorted: Vec<&Patch> = patches.iter().collect();
    sorted.sort_by_key(|p| (p.range.start, p.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    // (old end, cumulative shift after it)
    let mut shifts: Vec<(usize, isize)> = Vec::with_capacity(sorted.len());
    let mut shift: isize = 0;
    for p in sorted {
        if p.range.start < at {
            continue; // overlapping edits are never made; skip rather than corrupt
        }
        out.push_str(&text[at..p.range.start]);
        out.push_str(&p.with);
        at = p.range.end;
        shift += p.with.len() as isize - p.range.len() as isize;
        shifts.push((p.range.end, shift));
    }
    out.push_str(&text[at..]);
    let map = move |pos: usize| {
        let i = shifts.partition_point(|&(end, _)| end <= pos);
        let delta = if i == 0 { 0 } else { shifts[i - 1].1 };
        pos.saturating_add_signed(delta)
    };
    (out, map)
}

/// The namespaces the pre-pass tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No prefix and no default namespace.
    None,
    Rss,
    Atom,
    /// Atom 0.3, `http://purl.org/atom/ns#`.
    Atom03,
    Dc,
    DcTerms,
    Content,
    Other,
}

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";

impl Ns {
    fn of(r: &ResolveResult<'_>) -> Ns {
        match r {
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Unknown(_) => Ns::Other,
            ResolveResult::Bound(ns) => match ns.0 {
                RSS_10 | RSS_090 => Ns::Rss,
                ATOM_10 => Ns::Atom,
                ATOM_03 => Ns::Atom03,
                "http://purl.org/dc/elements/1.1/" => Ns::Dc,
                "http://purl.org/dc/terms/" => Ns::DcTerms,
                "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
                _ => Ns::Other,
            },
        }
    }
}

/// Text of a text, CDATA or reference event, entities resolved as feed-rs resolves them
/// (predefined and character references; any other is kept as written, never expanded).
fn event_text(ev: &Event<'_>) -> Option<String> {
    match ev {
        Event::Text(t) => Some(t.xml10_content().into_owned()),
        Event::CData(c) => Some(c.xml10_content().into_owned()),
        Event::GeneralRef(r) => Some(match r.resolve_char_ref() {
            Ok(Some(c)) => c.to_string(),
            _ => match quick_xml::escape::resolve_predefined_entity(r.as_ref()) {
                Some(s) => s.to_owned(),
                None => format!("&{};", r.as_ref() as &str),
            },
        }),
        _ => None,
    }
}

fn reader(text: &str) -> NsReader<&[u8]> {
    let mut r = NsReader::from_str(text);
    let c = r.config_mut();
    c.expand_empty_elements = false;
    c.trim_text(false);
    r
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
