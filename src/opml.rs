//! OPML 2.0 import and export of feed subscriptions (the `opml` crate does the XML).
//!
//! Categories: an outline nested in a non-feed outline takes that outline's text as its
//! category (the way most readers export folders); a `category` attribute is used when there is
//! no folder. Export writes one folder outline per category (OPML 2.0 spec, "subscription
//! lists").

use std::fs::File;
use std::io::Read;
use std::path::Path;

use opml::{Outline, OPML};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::store::SourceRecord;

/// One subscription read from an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub title: String,
    pub xml_url: String,
    pub category: Option<String>,
}

/// Reads an OPML file of at most `max_bytes`. At most `max_bytes + 1` bytes are read, so an
/// endless or huge file is refused before any of it is parsed or held in memory.
pub fn read_capped(path: &Path, max_bytes: u64) -> Result<String, String> {
    let file =
        File::open(path).map_err(|e| format!("opml: could not read {}: {e}", path.display()))?;
    let mut buf = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("opml: could not read {}: {e}", path.display()))?;
    if buf.len() as u64 > max_bytes {
        return Err(format!(
            "opml: {} is larger than opml.max_file_bytes ({max_bytes} bytes); raise that \
             setting to import it",
            path.display()
        ));
    }
    String::from_utf8(buf).map_err(|_| {
        format!(
            "opml: {} is not a valid OPML file: not UTF-8 text",
            path.display()
        )
    })
}

/// Reads the subscriptions in an OPML document, stopping with [`ParseError::TooMany`] at the
/// `max`+1st feed outline.
///
/// A streaming read (quick-xml events), not the `opml` crate's document tree: that tree cost
/// about 700 bytes an outline (353 MB for a 50 MB file of 486,000 feeds), and it had to be
/// built whole before the outlines could even be counted. Here memory is the kept
/// subscriptions, and a file over the cap stops at the first outline past it. Entities declared
/// in a DOCTYPE are never expanded (quick-xml knows only the five predefined ones).
pub fn parse(xml: &str, max: u64) -> Result<Vec<Subscription>, ParseError> {
    let invalid = |why: String| ParseError::Invalid(format!("opml: not a valid OPML file: {why}"));
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    // For each open <outline>: the folder its children belong to.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut root_seen = false;
    loop {
        let (element, has_children) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, true),
            Ok(Event::Empty(e)) => (e, false),
            Ok(Event::End(e)) => {
                if e.local_name().as_ref() == "outline" {
                    folders.pop();
                }
                continue;
            }
            Ok(Event::Eof) => break,
            Ok(_) => continue,
            Err(e) => return Err(invalid(e.to_string())),
        };
        if !root_seen {
            if element.local_name().as_ref() != "opml" {
                return Err(invalid("the root element is not <opml>".into()));
            }
            root_seen = true;
        }
        if element.local_name().as_ref() != "outline" {
            continue;
        }
        let outline = OutlineAttrs::read(&element).map_err(|e| invalid(e.to_string()))?;
        let folder = folders.last().cloned().flatten();
        if let Some(url) = outline.xml_url.as_deref().filter(|u| !u.trim().is_empty()) {
            if out.len() as u64 >= max {
                return Err(ParseError::TooMany { max });
            }
            let title = outline
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| outline.text.clone());
            let category = folder
                .clone()
                .or_else(|| outline.category.clone())
                .map(|c| c.trim().trim_start_matches('/').to_owned())
                .filter(|c| !c.is_empty());
            out.push(Subscription {
                title: title.trim().to_owned(),
                xml_url: url.trim().to_owned(),
                category,
            });
        }
        if has_children {
            // Readers export folders as outlines without xmlUrl whose text names the folder.
            let name = if outline.xml_url.is_none() && !outline.text.trim().is_empty() {
                Some(outline.text.trim().to_owned())
            } else {
                folder
            };
            folders.push(name);
        }
    }
    if !root_seen {
        return Err(invalid("no <opml> element".into()));
    }
    Ok(out)
}

/// Why an OPML document was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not well-formed XML, or not OPML; the message starts with `opml:`.
    Invalid(String),
    /// More than `max` feed outlines.
    TooMany { max: u64 },
}

/// The attributes of an `<outline>` Braid reads (OPML 2.0, "<outline>" attributes).
#[derive(Default)]
struct OutlineAttrs {
    text: String,
    title: Option<String>,
    xml_url: Option<String>,
    category: Option<String>,
}

impl OutlineAttrs {
    fn read(element: &BytesStart<'_>) -> Result<OutlineAttrs, quick_xml::Error> {
        let mut o = OutlineAttrs::default();
        for attr in element.attributes() {
            let attr = attr.map_err(quick_xml::Error::from)?;
            let value = || -> Result<String, quick_xml::Error> {
                Ok(attr.normalized_value(XmlVersion::Implicit1_0)?.into_owned())
            };
            match attr.key.as_ref() {
                "text" => o.text = value()?,
                "title" => o.title = Some(value()?),
                "xmlUrl" => o.xml_url = Some(value()?),
                "category" => o.category = Some(value()?),
                _ => {}
            }
        }
        Ok(o)
    }
}

/// Writes `sources` as an OPML 2.0 document, grouped by category. The caller passes the
/// sources a URL alone subscribes to (feeds); an account's timeline is not an OPML outline.
pub fn export(sources: &[SourceRecord], title: &str) -> Result<String, String> {
    let mut doc = OPML {
        version: "2.0".into(),
        ..OPML::default()
    };
    doc.head = Some(opml::Head {
        title: Some(title.to_owned()),
        date_created: Some(chrono::Utc::now().to_rfc2822()),
        ..Default::default()
    });
    let mut folders: Vec<Outline> = Vec::new();
    for s in sources {
        let outline = Outline {
            text: s.name.clone(),
            title: Some(s.name.clone()),
            r#type: Some("rss".into()),
            xml_url: Some(s.url.clone()),
            html_url: s.site_url.clone(),
            ..Outline::default()
        };
        match &s.category {
            Some(cat) => match folders.iter_mut().find(|f| &f.text == cat) {
                Some(folder) => folder.outlines.push(outline),
                None => folders.push(Outline {
                    text: cat.clone(),
                    title: Some(cat.clone()),
                    outlines: vec![outline],
                    ..Outline::default()
                }),
            },
            None => doc.body.outlines.push(outline),
        }
    }
    doc.body.outlines.extend(folders);
    doc.to_string()
        .map_err(|e| format!("opml: could not write: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn reads_folders_and_flat_entries() {
        let xml = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="Tech"><outline text="A" type="rss" xmlUrl="https://a.example/feed"/></outline>
  <outline text="B" title="B title" type="rss" xmlUrl="https://b.example/rss" category="/News"/>
  <outline text="empty folder"/>
</body></opml>"#;
        let subs = parse(xml, 10).unwrap();
        assert_eq!(
            subs,
            vec![
                Subscription {
                    title: "A".into(),
                    xml_url: "https://a.example/feed".into(),
                    category: Some("Tech".into())
                },
                Subscription {
                    title: "B title".into(),
                    xml_url: "https://b.example/rss".into(),
                    category: Some("News".into())
                },
            ]
        );
    }

    #[test]
    fn unescapes_attributes_nests_folders_and_stops_at_the_cap() {
        let xml = r#"<?xml version="1.0"?><opml version="1.0"><body>
  <outline text="Outer"><outline text="Inner">
    <outline text="Q &amp; A" xmlUrl="https://a.example/feed?x=1&amp;y=2"/>
  </outline><outline text="B" xmlUrl="https://b.example/"/></outline>
</body></opml>"#;
        let subs = parse(xml, 2).unwrap();
        assert_eq!(subs[0].title, "Q & A");
        assert_eq!(subs[0].xml_url, "https://a.example/feed?x=1&y=2");
        assert_eq!(subs[0].category.as_deref(), Some("Inner"));
        assert_eq!(subs[1].category.as_deref(), Some("Outer"));
        assert_eq!(parse(xml, 1), Err(ParseError::TooMany { max: 1 }));
        // A DOCTYPE's own entities are never expanded (no entity bombs, no smuggled URLs).
        let declared = r#"<!DOCTYPE opml [<!ENTITY e "http://10.0.0.1/">]>
<opml><body><outline text="e" xmlUrl="&e;"/></body></opml>"#;
        assert!(matches!(parse(declared, 10), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn rejects_garbage() {
        for garbage in [
            "<html>",
            "",
            "<opml><body><outline text='a' xmlUrl='x'></body>",
        ] {
            match parse(garbage, 10) {
                Err(ParseError::Invalid(m)) => assert!(m.starts_with("opml: "), "{m}"),
                other => panic!("{garbage:?}: {other:?}"),
            }
        }
    }
}
