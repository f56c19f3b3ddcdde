//! `GET /feed.atom`: Atom 1.0 (RFC 4287), written by `atom_syndication` so every text is
//! escaped by an XML writer, never by hand.

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::{FeedDoc, FeedEntry};
use crate::web::WebError;

pub fn render(doc: &FeedDoc) -> Result<String, WebError> {
    let mut links = vec![
        link(&doc.self_url, "self", Some("application/atom+xml")),
        link(&doc.home_url, "alternate", Some("text/html")),
    ];
    // RFC 5005 §3 (paged feeds): where the older entries are.
    if let Some(next) = &doc.next_url {
        links.push(link(next, "next", Some("application/atom+xml")));
    }
    let feed = Feed {
        title: Text::plain(doc.title.clone()),
        subtitle: Some(Text::plain(doc.description.clone())),
        // RFC 4287 §4.2.6 asks for a permanent, universally unique IRI.
        id: doc.id.clone(),
        updated: fixed(doc.updated),
        // RFC 4287 §4.1.1: a feed needs an author unless every entry has one; the site stands
        // in for entries whose origin named none.
        authors: vec![Person {
            name: doc.title.clone(),
            uri: Some(doc.home_url.clone()),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "Braid".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            uri: None,
        }),
        links,
        entries: doc.entries.iter().map(entry).collect(),
        ..Feed::default()
    };
    let bytes = feed
        .write_with_config(
            Vec::new(),
            WriteConfig {
                write_document_declaration: true,
                indent_size: Some(1),
            },
        )
        .map_err(|e| WebError::Feed(format!("atom: {e}")))?;
    String::from_utf8(bytes).map_err(|e| WebError::Feed(format!("atom: {e}")))
}

fn entry(e: &FeedEntry) -> Entry {
    let mut links = vec![link(&e.link, "alternate", Some("text/html"))];
    for a in &e.attachments {
        let mut enclosure = link(&a.url, "enclosure", a.media_type.as_deref());
        enclosure.length = a.size.map(|s| s.to_string());
        enclosure.title = a.alt.clone();
        links.push(enclosure);
    }
    Entry {
        title: Text::plain(e.title.clone()),
        id: e.id.clone(),
        updated: fixed(e.updated),
        published: e.published.map(fixed),
        authors: e
            .author
            .iter()
            .map(|a| Person {
                name: a.name.clone(),
                uri: a.url.clone(),
                ..Person::default()
            })
            .collect(),
        categories: e
            .tags
            .iter()
            .map(|t| Category {
                term: t.clone(),
                ..Category::default()
            })
            .collect(),
        links,
        summary: e.summary_html.clone().map(Text::html),
        content: e.content_html.clone().map(|html| Content {
            value: Some(html),
            content_type: Some("html".to_owned()),
            lang: e.language.clone(),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn link(href: &str, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        ..Link::default()
    }
}

/// Atom dates are RFC 3339; ours are UTC.
fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}
