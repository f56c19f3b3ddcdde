//! The walk: one pass of quick-xml events over the decoded text with a stack of open
//! elements; repairs are collected as [`Patch`]es and applied afterwards.

use std::fmt::Write as _;
use std::ops::Range;

use quick_xml::events::{BytesStart, Event};

use super::atom::{self, ContentFix};
use super::{event_text, reader, EntryScan, Ns, Patch, ATOM_03, ATOM_10, RSS_090, RSS_10};

const UTF8_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

pub(super) struct Found {
    pub patches: Vec<Patch>,
    pub entries: Vec<EntryScan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rss,
    Rdf,
    Atom { v03: bool },
    Other,
}

struct Attr {
    name: String,
    /// As written (still escaped).
    value: String,
}

struct Frame {
    ns: Ns,
    qname: String,
    local: String,
    tag: Range<usize>,
    attrs: Vec<Attr>,
    /// An attribute was changed: the start tag is written anew.
    dirty: bool,
    empty: bool,
    /// Holds child elements (markup, where text was expected).
    elements: bool,
    /// Its text is read (a link, a title, a date); other elements only note whether they
    /// hold any, so a long body is never copied.
    want_text: bool,
    /// Holds text other than white space.
    has_text: bool,
    text: String,
}

impl Frame {
    fn new(ns: Ns, e: &BytesStart<'_>, tag: Range<usize>, empty: bool) -> Frame {
        let qname = e.name().0.to_owned();
        let local = qname.rsplit(':').next().unwrap_or_default().to_owned();
        let attrs = e
            .attributes()
            .with_checks(false)
            .flatten()
            .map(|a| Attr {
                name: a.key.0.to_owned(),
                value: a.value.into_owned(),
            })
            .collect();
        Frame {
            ns,
            qname,
            local,
            tag,
            attrs,
            dirty: false,
            empty,
            elements: false,
            want_text: false,
            has_text: false,
            text: String::new(),
        }
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Sets (`Some`) or removes (`None`) an attribute, marking the tag for rewriting.
    fn set_attr(&mut self, name: &str, value: Option<&str>) {
        match (self.attrs.iter().position(|a| a.name == name), value) {
            (Some(i), Some(v)) if self.attrs[i].value != v => self.attrs[i].value = v.to_owned(),
            (Some(_), Some(_)) => return,
            (Some(i), None) => {
                self.attrs.remove(i);
            }
            (None, Some(v)) => self.attrs.push(Attr {
                name: name.to_owned(),
                value: v.to_owned(),
            }),
            (None, None) => return,
        }
        self.dirty = true;
    }

    fn start_tag(&self, empty: bool) -> String {
        let mut s = format!("<{}", self.qname);
        for a in &self.attrs {
            let q = if a.value.contains('"') { '\'' } else { '"' };
            let _ = write!(s, " {}={q}{}{q}", a.name, a.value);
        }
        s.push_str(if empty { "/>" } else { ">" });
        s
    }

    fn rssish(&self) -> bool {
        matches!(self.ns, Ns::Rss | Ns::None)
    }

    fn atomish(&self) -> bool {
        matches!(self.ns, Ns::Atom | Ns::Atom03 | Ns::None)
    }
}

struct OpenEntry {
    depth: usize,
    scan: EntryScan,
    start: usize,
    has_link: bool,
    about: Option<String>,
    /// (rank, text): the lower the rank, the better the date.
    published: Vec<(u8, String)>,
}

struct Walk<'t> {
    text: &'t str,
    kind: Kind,
    /// The root `<rss>` carried a default namespace feed-rs does not know; it is dropped and
    /// elements in it are read as RSS.
    rss_ns_dropped: bool,
    in_first_channel: bool,
    channel_seen: bool,
    entry: Option<OpenEntry>,
    entries: Vec<EntryScan>,
    patches: Vec<Patch>,
    stack: Vec<Frame>,
}

pub(super) fn scan(text: &str) -> Result<Found, quick_xml::Error> {
    let mut r = reader(text);
    let mut w = Walk {
        text,
        kind: Kind::Other,
        rss_ns_dropped: false,
        in_first_channel: false,
        channel_seen: false,
        entry: None,
        entries: Vec::new(),
        patches: Vec::new(),
        stack: Vec::new(),
    };
    loop {
        let start = position(&r);
        let (res, ev) = r.read_resolved_event()?;
        let ns = Ns::of(&res);
        let end = position(&r);
        match ev {
            Event::Decl(_) => w.patch(start..end, UTF8_DECLARATION, true),
            Event::Start(ref e) => w.open(Frame::new(ns, e, start..end, false)),
            Event::Empty(ref e) => {
                w.open(Frame::new(ns, e, start..end, true));
                if let Some(f) = w.stack.pop() {
                    w.close(f, end, end);
                }
            }
            Event::End(_) => {
                if let Some(f) = w.stack.pop() {
                    w.close(f, start, end);
                }
            }
            Event::Eof => break,
            other => {
                if let Some(f) = w.stack.last_mut() {
                    if f.want_text {
                        if let Some(t) = event_text(&other) {
                            f.has_text |= !t.trim().is_empty();
                            f.text.push_str(&t);
                        }
                    } else if !f.has_text {
                        f.has_text = match &other {
                            Event::Text(t) => !t.xml10_content().trim().is_empty(),
                            Event::CData(_) | Event::GeneralRef(_) => true,
                            _ => false,
                        };
                    }
                }
            }
        }
    }
    Ok(Found {
        patches: w.patches,
        entries: w.entries,
    })
}

fn position(r: &quick_xml::NsReader<&[u8]>) -> usize {
    usize::try_from(r.buffer_position()).unwrap_or(usize::MAX)
}

impl Walk<'_> {
    fn patch(&mut self, range: Range<usize>, with: &str, declaration: bool) {
        self.patches.push(Patch {
            range,
            with: with.to_owned(),
            declaration,
        });
    }

    fn entry_child_depth(&self) -> Option<usize> {
        self.entry.as_ref().map(|e| e.depth + 1)
    }

    fn open(&mut self, mut f: Frame) {
        let depth = self.stack.len() + 1;
        if let Some(parent) = self.stack.last_mut() {
            parent.elements = true;
        }
        // Namespaces feed-rs does not know, for formats it reads (see the module docs).
        for a in f.attrs.iter_mut() {
            if a.name == "xmlns" || a.name.starts_with("xmlns:") {
                let new = match a.value.trim() {
                    ATOM_03 => ATOM_10,
                    RSS_090 => RSS_10,
                    _ => continue,
                };
                a.value = new.to_owned();
                f.dirty = true;
            }
        }
        if self.rss_ns_dropped && f.ns == Ns::Other && !f.qname.contains(':') {
            f.ns = Ns::None;
        }
        if depth == 1 {
            self.kind = match f.local.as_str() {
                "rss" => {
                    self.fix_rss_root(&mut f);
                    Kind::Rss
                }
                "RDF" => Kind::Rdf,
                "feed" => Kind::Atom {
                    v03: f.ns == Ns::Atom03,
                },
                _ => Kind::Other,
            };
        }
        let starts_entry = match self.kind {
            Kind::Rss => {
                if depth == 2 && f.local == "channel" && !self.channel_seen {
                    self.channel_seen = true;
                    self.in_first_channel = true;
                }
                depth == 3 && self.in_first_channel && f.local == "item" && f.rssish()
            }
            Kind::Rdf => depth == 2 && f.local == "item" && f.rssish(),
            Kind::Atom { .. } => depth == 2 && f.local == "entry" && f.atomish(),
            Kind::Other => false,
        };
        if starts_entry {
            let about = f
                .attrs
                .iter()
                .find(|a| a.name == "about" || a.name.ends_with(":about"))
                .map(|a| a.value.trim().to_owned())
                .filter(|a| !a.is_empty());
            self.entry = Some(OpenEntry {
                depth,
                scan: EntryScan {
                    index: self.entries.len() + 1,
                    ..EntryScan::default()
                },
                start: f.tag.start,
                has_link: false,
                about,
                published: Vec::new(),
            });
        }
        f.want_text = (depth == 2 || Some(depth) == self.entry_child_depth())
            && matches!(
                f.local.as_str(),
                "link" | "title" | "date" | "issued" | "created" | "modified"
            );
        self.stack.push(f);
    }

    /// feed-rs reads `<rss>` only at versions 0.91, 0.92 and 2.0 (and an empty one), and only
    /// elements in no namespace or RSS 1.0's.
    fn fix_rss_root(&mut self, f: &mut Frame) {
        match f.attr("version").map(str::trim) {
            Some("2.0" | "0.91" | "0.92") => {}
            Some(v) if v.starts_with("0.") => f.set_attr("version", Some("0.92")),
            _ => f.set_attr("version", Some("2.0")),
        }
        if f.attr("xmlns").is_some_and(|ns| ns.trim() != RSS_10) {
            f.set_attr("xmlns", None);
            self.rss_ns_dropped = true;
        }
    }

    fn close(&mut self, mut f: Frame, inner_end: usize, end: usize) {
        let depth = self.stack.len() + 1;
        let entry_child = Some(depth) == self.entry_child_depth();
        if entry_child {
            self.entry_child(&f, f.tag.end..inner_end.max(f.tag.end));
        }
        if let Kind::Atom { v03 } = self.kind {
            if (depth == 2 || entry_child) && f.atomish() {
                let local = f.local.clone();
                match local.as_str() {
                    "title" | "subtitle" | "summary" | "rights" => fix_text_type(&mut f, v03),
                    // Atom 0.3's names, which feed-rs does not read at all.
                    "tagline" | "copyright" | "info" if v03 => fix_text_type(&mut f, v03),
                    // Removed (see fix_content): no tag of it is left to rewrite.
                    "content" if entry_child && self.fix_content(&mut f, end) => return,
                    _ => {}
                }
            }
        }
        if self.entry.as_ref().is_some_and(|e| e.depth == depth) {
            self.finish_entry(&mut f, end);
        }
        if f.dirty {
            let tag = f.start_tag(f.empty);
            self.patch(f.tag.clone(), &tag, false);
        }
        if self.kind == Kind::Rss && depth == 2 && f.local == "channel" {
            self.in_first_channel = false;
        }
    }

    fn entry_child(&mut self, f: &Frame, inner: Range<usize>) {
        let kind = self.kind;
        let doc = self.text;
        let markup = || Some(doc[inner.clone()].trim().to_owned());
        let Some(e) = self.entry.as_mut() else {
            return;
        };
        let text = f.text.trim();
        let rss = matches!(kind, Kind::Rss | Kind::Rdf);
        let v03 = kind == Kind::Atom { v03: true } && matches!(f.ns, Ns::Atom03 | Ns::None);
        match (f.ns, f.local.as_str()) {
            (_, "link") if rss && f.rssish() && !f.text.is_empty() => e.has_link = true,
            (_, "description") if rss && f.rssish() && f.elements => {
                e.scan.description_markup = markup();
            }
            (Ns::Content, "encoded") if f.elements => e.scan.content_markup = markup(),
            // Atom 1.0 content typed `application/xhtml+xml` holds markup, which feed-rs reads
            // as a media type's text (none, or the blank before the first tag).
            (_, "content")
                if kind == (Kind::Atom { v03: false })
                    && f.elements
                    && f.attr("type").is_some_and(|t| {
                        t.trim().eq_ignore_ascii_case("application/xhtml+xml")
                    }) =>
            {
                e.scan.content_markup = markup();
            }
            (Ns::Dc, "title") if e.scan.dc_title.is_none() && !text.is_empty() => {
                e.scan.dc_title = Some(text.to_owned());
            }
            _ if text.is_empty() => {}
            (_, "issued") if v03 => e.published.push((0, text.to_owned())),
            (_, "created") if v03 => e.published.push((1, text.to_owned())),
            (_, "modified") if v03 => e.scan.updated.push(text.to_owned()),
            (Ns::DcTerms, "issued") => e.published.push((2, text.to_owned())),
            (Ns::DcTerms, "created") => e.published.push((3, text.to_owned())),
            (Ns::DcTerms, "date") => e.published.push((4, text.to_owned())),
            (Ns::Dc, "date") => e.published.push((5, text.to_owned())),
            (Ns::DcTerms, "modified") => e.scan.updated.push(text.to_owned()),
            _ => {}
        }
    }

    fn finish_entry(&mut self, f: &mut Frame, end: usize) {
        let Some(mut e) = self.entry.take() else {
            return;
        };
        e.scan.span = e.start..end;
        e.published.sort_by_key(|(rank, _)| *rank);
        e.scan.published = e.published.into_iter().map(|(_, d)| d).collect();
        if self.kind == Kind::Rdf && !e.has_link {
            match e.about {
                // RSS 1.0 §5.5: rdf:about is the item's URI; feed-rs keeps only items with a
                // <link>, so the URI is written in as one (and becomes the id, and the URL
                // when it is http(s)).
                Some(about) => {
                    let p = f.qname.rsplit_once(':').map_or("", |(p, _)| p);
                    let p = if p.is_empty() {
                        String::new()
                    } else {
                        format!("{p}:")
                    };
                    let link = format!("<{p}link>{about}</{p}link>");
                    if f.empty {
                        let whole = format!("{}{link}</{}>", f.start_tag(false), f.qname);
                        self.patch(f.tag.clone(), &whole, false);
                        f.dirty = false;
                    } else {
                        self.patch(f.tag.end..f.tag.end, &link, false);
                    }
                }
                None => e.scan.dropped = Some("has no link, id or rdf:about".to_owned()),
            }
        }
        self.entries.push(e.scan);
    }

    /// Atom `<content>` (RFC 4287 §4.1.3) as feed-rs can read it. Returns true when the
    /// element was removed.
    fn fix_content(&mut self, f: &mut Frame, end: usize) -> bool {
        let blank = !f.has_text && !f.elements;
        let v03 = self.kind == (Kind::Atom { v03: true });
        let fix = atom::content_type(
            f.attr("type"),
            f.attr("mode"),
            f.attr("src").is_some(),
            v03,
            f.elements,
            blank,
        );
        match fix {
            ContentFix::Keep => false,
            ContentFix::Retype(t) => {
                f.set_attr("type", t.as_deref());
                false
            }
            ContentFix::Remove { unreadable } => {
                self.remove(f, end);
                if let Some(e) = self.entry.as_mut() {
                    e.scan.unreadable_content = unreadable;
                }
                true
            }
        }
    }

    fn remove(&mut self, f: &Frame, end: usize) {
        self.patch(f.tag.start..end, "", false);
    }
}

fn fix_text_type(f: &mut Frame, v03: bool) {
    if let Some(t) = atom::text_type(f.attr("type"), f.attr("mode"), v03, f.elements) {
        f.set_attr("type", t);
    }
}
