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

/// Reads the subscriptions in an OPML document. Outlines without `xmlUrl` are folders.
pub fn parse(xml: &str) -> Result<Vec<Subscription>, String> {
    let doc = OPML::from_str(xml).map_err(|e| format!("opml: not a valid OPML file: {e}"))?;
    let mut out = Vec::new();
    for outline in &doc.body.outlines {
        collect(outline, None, &mut out);
    }
    Ok(out)
}

fn collect(outline: &Outline, folder: Option<&str>, out: &mut Vec<Subscription>) {
    if let Some(url) = outline.xml_url.as_deref().filter(|u| !u.trim().is_empty()) {
        let title = outline
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| outline.text.clone());
        let category = folder
            .map(str::to_owned)
            .or_else(|| outline.category.clone())
            .map(|c| c.trim().trim_start_matches('/').to_owned())
            .filter(|c| !c.is_empty());
        out.push(Subscription {
            title: title.trim().to_owned(),
            xml_url: url.trim().to_owned(),
            category,
        });
    }
    let name = if outline.xml_url.is_none() && !outline.text.trim().is_empty() {
        Some(outline.text.trim())
    } else {
        folder
    };
    for child in &outline.outlines {
        collect(child, name, out);
    }
}

/// Writes `sources` (feeds only) as an OPML 2.0 document, grouped by category.
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
    for s in sources.iter().filter(|s| s.kind == "feed") {
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
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_folders_and_flat_entries() {
        let xml = r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="Tech"><outline text="A" type="rss" xmlUrl="https://a.example/feed"/></outline>
  <outline text="B" title="B title" type="rss" xmlUrl="https://b.example/rss" category="/News"/>
  <outline text="empty folder"/>
</body></opml>"#;
        let subs = parse(xml).unwrap();
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
    fn rejects_garbage() {
        assert!(parse("<html>").unwrap_err().starts_with("opml:"));
    }
}
