//! `GET /feed.rss`: RSS 2.0, written by the `rss` crate. Dates are RFC 822 (RFC 2822 form, as
//! the RSS 2.0 spec's "Date and time" note asks); the self link is `atom:link rel="self"`, as
//! the RSS Advisory Board's best practices recommend.

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Enclosure, Guid, Item};

use super::{FeedDoc, FeedEntry};
use crate::web::WebError;

pub fn render(doc: &FeedDoc) -> Result<String, WebError> {
    let mut links = vec![Link {
        href: doc.self_url.clone(),
        rel: "self".to_owned(),
        mime_type: Some("application/rss+xml".to_owned()),
        ..Link::default()
    }];
    if let Some(next) = &doc.next_url {
        links.push(Link {
            href: next.clone(),
            rel: "next".to_owned(),
            mime_type: Some("application/rss+xml".to_owned()),
            ..Link::default()
        });
    }
    let channel = Channel {
        title: doc.title.clone(),
        link: doc.home_url.clone(),
        description: doc.description.clone(),
        last_build_date: Some(doc.updated.to_rfc2822()),
        generator: Some(format!("Braid {}", env!("CARGO_PKG_VERSION"))),
        docs: Some("https://www.rssboard.org/rss-specification".to_owned()),
        atom_ext: Some(AtomExtension { links }),
        items: doc.entries.iter().map(item).collect(),
        ..Channel::default()
    };
    let bytes = channel
        .pretty_write_to(Vec::new(), b' ', 1)
        .map_err(|e| WebError::Feed(format!("rss: {e}")))?;
    String::from_utf8(bytes).map_err(|e| WebError::Feed(format!("rss: {e}")))
}

fn item(e: &FeedEntry) -> Item {
    // `<description>` carries the summary when there is one and the body goes in
    // `content:encoded` (the common WordPress shape); otherwise the body is the description.
    let (description, content) = match (&e.summary_html, &e.content_html) {
        (Some(summary), Some(body)) => (Some(summary.clone()), Some(body.clone())),
        (summary, body) => (body.clone().or_else(|| summary.clone()), None),
    };
    Item {
        // Title-less notes stay title-less: RSS 2.0 needs a title *or* a description.
        title: e
            .has_own_title
            .then(|| e.title.clone())
            .or_else(|| description.is_none().then(|| e.title.clone())),
        link: Some(e.link.clone()),
        description,
        content,
        guid: Some(Guid {
            permalink: e.id == e.link,
            value: e.id.clone(),
        }),
        pub_date: Some(e.published.unwrap_or(e.updated).to_rfc2822()),
        // `<author>` must be an e-mail address in RSS 2.0; Dublin Core's creator takes a name.
        dublin_core_ext: e.author.as_ref().map(|a| DublinCoreExtension {
            creators: vec![a.name.clone()],
            ..DublinCoreExtension::default()
        }),
        categories: e
            .tags
            .iter()
            .map(|t| Category {
                name: t.clone(),
                domain: None,
            })
            .collect(),
        // RSS 2.0 allows one enclosure an item, with length and type required.
        enclosure: e.attachments.first().map(|a| Enclosure {
            url: a.url.clone(),
            length: a.size.unwrap_or(0).to_string(),
            mime_type: a
                .media_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        }),
        ..Item::default()
    }
}
