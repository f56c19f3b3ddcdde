//! What the templates show, computed from store records in Rust so the templates stay plain:
//! times already formatted, links already checked, attachments already sorted by kind.
//!
//! Escaping: askama escapes every `{{ value }}` in `.html` templates. The one exception is
//! `content_html`, which is a `SafeHtml` (sanitized by construction with the allow-list), so
//! the templates print it with `|safe`.

use braid_core::sanitize::SafeHtml;
use chrono::{DateTime, Utc};

use super::WebContext;
use crate::store::{SourceRecord, StoredItem};

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_title: String,
    /// The `<title>` of this page (before the site title).
    pub page_title: String,
    /// Which nav entry is current: `"timeline"`, `"sources"` or `""`.
    pub nav: &'static str,
    /// The search box's current value.
    pub q: String,
    /// `?source=…&q=…` for the feed links in `<head>`, so a search can be subscribed to.
    pub feed_query: String,
    /// The signed-in session's CSRF token (for the log-out form and every other form);
    /// `None` on pages shown to no one in particular (login, setup, errors).
    pub csrf: Option<String>,
}

impl Layout {
    pub fn new(ctx: &WebContext, page_title: &str, nav: &'static str) -> Layout {
        Layout {
            site_title: ctx.site_title.clone(),
            page_title: page_title.to_owned(),
            nav,
            q: String::new(),
            feed_query: String::new(),
            csrf: None,
        }
    }

    /// The layout of a page shown to the owner: navigation, search and the log-out form.
    pub fn owned(
        ctx: &WebContext,
        page_title: &str,
        nav: &'static str,
        owner: &super::Owner,
    ) -> Layout {
        Layout {
            csrf: Some(owner.csrf().to_owned()),
            ..Layout::new(ctx, page_title, nav)
        }
    }
}

/// A time shown to people (`2024-05-01 14:03 UTC`) with its machine form for `<time>`.
#[derive(Debug, Clone)]
pub struct TimeView {
    pub iso: String,
    pub human: String,
}

impl TimeView {
    pub fn new(t: DateTime<Utc>) -> TimeView {
        TimeView {
            iso: t.to_rfc3339(),
            human: t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    pub fn maybe(t: Option<DateTime<Utc>>) -> Option<TimeView> {
        t.map(TimeView::new)
    }
}

/// Only `http`/`https` URLs become links or media: a stored `javascript:` or `data:` URL must
/// never reach an `href` (the CSP would block it too; this is the first line).
pub fn safe_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Other,
}

#[derive(Debug, Clone)]
pub struct AttachmentView {
    /// The original, linked (following a link is the owner's choice; loading is not).
    pub url: String,
    /// For an image: its media-proxy address, which the page embeds (see `media.rs`).
    pub src: Option<String>,
    pub kind: MediaKind,
    pub alt: String,
    /// "audio/mpeg, 1.2 MB" — what a link to a file says about it.
    pub label: String,
}

impl AttachmentView {
    pub fn is_image(&self) -> bool {
        self.kind == MediaKind::Image
    }
    pub fn is_audio(&self) -> bool {
        self.kind == MediaKind::Audio
    }
    pub fn is_video(&self) -> bool {
        self.kind == MediaKind::Video
    }
}

/// One timeline entry as the page shows it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub id: i64,
    pub title: Option<String>,
    pub link: Option<String>,
    pub author: Option<String>,
    pub author_url: Option<String>,
    pub avatar: Option<String>,
    pub source_id: i64,
    pub source_name: String,
    pub time: TimeView,
    /// Sanitized HTML (printed with `|safe`); the type is what makes that safe.
    pub content_html: Option<SafeHtml>,
    /// Plain text, shown (escaped) only when there is no HTML body.
    pub content_text: Option<String>,
    pub content_warning: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub tags: Vec<String>,
    /// The network of the item's source: its connector kind and the name shown on the badge.
    pub network: String,
    pub network_label: String,
    /// The other sources that hold the same post, each with its own link.
    pub origins: Vec<OriginView>,
    /// The item this one replies to, when the store holds it.
    pub parent: Option<ParentView>,
    /// The link's preview card.
    pub card: Option<CardView>,
    /// The bodies were cut to the list's preview; the item page has them whole.
    pub truncated: bool,
}

/// Another source's copy of an item.
#[derive(Debug, Clone)]
pub struct OriginView {
    pub source_id: i64,
    pub source_name: String,
    pub network_label: String,
    /// That copy's page, when it has a web link.
    pub url: Option<String>,
}

/// The parent a reply answers, shown above it.
#[derive(Debug, Clone)]
pub struct ParentView {
    pub id: i64,
    pub author: Option<String>,
    pub excerpt: String,
}

/// A link's preview: checked links, its image through the media proxy.
#[derive(Debug, Clone)]
pub struct CardView {
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    /// The preview image's proxied address (set by `local_media`).
    pub image: Option<String>,
}

/// The name a network's badge shows: its connector's short name, "Braid" for what the owner
/// composed here, else its kind.
pub fn network_label(kind: &str) -> String {
    if kind == crate::store::OWNER_KIND {
        return "Braid".to_owned();
    }
    crate::connectors::builtin(kind)
        .map_or(kind, |f| f.short_name())
        .to_owned()
}

impl ItemView {
    /// An entry of a list (the timeline page): its bodies cut to a preview (see `preview.rs`).
    pub fn listed(stored: StoredItem, signer: &super::media::MediaSigner) -> ItemView {
        let (stored, truncated) = super::preview::bounded(stored);
        ItemView {
            truncated,
            ..ItemView::new(&stored)
        }
        .local_media(&stored, signer)
    }

    /// Remote media made local for the page: the avatar, attached images and images inside
    /// the body go through the media proxy (signed addresses); nothing else is embedded.
    pub fn local_media(
        mut self,
        stored: &StoredItem,
        signer: &super::media::MediaSigner,
    ) -> ItemView {
        self.avatar = stored
            .item
            .author
            .as_ref()
            .and_then(|a| a.avatar.as_deref())
            .and_then(|u| signer.path(u));
        for a in &mut self.attachments {
            if a.kind == MediaKind::Image {
                a.src = signer.path(&a.url);
            }
        }
        if let Some(card) = &mut self.card {
            card.image = stored
                .item
                .card
                .as_ref()
                .and_then(|c| c.image.as_deref())
                .and_then(|u| signer.path(u));
        }
        if let Some(html) = &self.content_html {
            self.content_html = Some(signer.local_body(html));
        }
        self
    }

    pub fn new(stored: &StoredItem) -> ItemView {
        let item = &stored.item;
        let author = item.author.as_ref();
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        ItemView {
            id: stored.id.0,
            title: nonempty(&item.title),
            link: item.url.as_deref().and_then(safe_url),
            author: author.and_then(|a| a.label()).map(str::to_owned),
            author_url: author.and_then(|a| a.url.as_deref()).and_then(safe_url),
            // Shown only through the media proxy: see `local_media`.
            avatar: None,
            source_id: stored.source.0,
            source_name: stored.source_name.clone(),
            time: TimeView::new(stored.sort_time),
            // A body, else the summary (both sanitized HTML).
            content_html: item
                .content_html
                .as_ref()
                .or(item.summary.as_ref())
                .filter(|h| !h.is_blank())
                .cloned(),
            content_text: nonempty(&item.content_text),
            content_warning: nonempty(&item.content_warning),
            attachments: item.attachments.iter().filter_map(attachment).collect(),
            tags: item.tags.clone(),
            network: stored.network.clone(),
            network_label: network_label(&stored.network),
            origins: stored
                .origins
                .iter()
                .map(|o| OriginView {
                    source_id: o.source.0,
                    source_name: o.source_name.clone(),
                    network_label: network_label(&o.network),
                    url: o.url.as_deref().and_then(safe_url),
                })
                .collect(),
            parent: stored.parent.as_ref().map(|p| ParentView {
                id: p.id.0,
                author: p.author.clone(),
                excerpt: p.excerpt.clone(),
            }),
            card: item.card.as_ref().and_then(|c| {
                Some(CardView {
                    url: safe_url(&c.url)?,
                    title: c.title.clone(),
                    description: c.description.clone(),
                    provider: c.provider.clone(),
                    // Shown only through the media proxy: see `local_media`.
                    image: None,
                })
            }),
            truncated: false,
        }
    }
}

fn attachment(a: &braid_core::Attachment) -> Option<AttachmentView> {
    let url = safe_url(&a.url)?;
    let media_type = a.media_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let kind = match media_type.split('/').next() {
        // SVG is an image type that can carry script: never embedded, only linked.
        Some("image") if media_type != "image/svg+xml" => MediaKind::Image,
        Some("audio") => MediaKind::Audio,
        Some("video") => MediaKind::Video,
        _ => MediaKind::Other,
    };
    let mut label = Vec::new();
    if !media_type.is_empty() {
        label.push(media_type.clone());
    }
    if let Some(size) = a.size {
        label.push(human_size(size));
    }
    Some(AttachmentView {
        url,
        src: None,
        kind,
        alt: a.alt.clone().unwrap_or_default(),
        label: label.join(", "),
    })
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    // A display value: f64's precision is plenty.
    let mut value = bytes as f64 / 1000.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// One row of the sources table.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub id: i64,
    pub name: String,
    pub title: Option<String>,
    pub url: String,
    pub link: Option<String>,
    pub kind: String,
    pub category: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub last_success: Option<TimeView>,
    pub last_error: Option<String>,
    pub last_error_at: Option<TimeView>,
    pub next_poll: Option<TimeView>,
    pub error_count: i64,
    pub item_count: i64,
    /// What the last successful poll could not read.
    pub last_warning: Option<String>,
}

impl SourceView {
    pub fn new(s: &SourceRecord) -> SourceView {
        SourceView {
            id: s.id.0,
            name: s.name.clone(),
            title: s.title.clone().filter(|t| t != &s.name && !t.is_empty()),
            url: s.url.clone(),
            link: safe_url(&s.url),
            kind: s.kind.clone(),
            category: s.category.clone(),
            enabled: s.enabled,
            disabled_reason: s.disabled_reason.clone(),
            last_success: TimeView::maybe(s.last_success),
            last_error: s.last_error.clone(),
            last_error_at: TimeView::maybe(s.last_error_at),
            next_poll: TimeView::maybe(s.next_poll),
            error_count: s.error_count,
            item_count: s.item_count,
            last_warning: s.last_warning.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(
            safe_url("https://a.example/x").as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,hi"), None);
        assert_eq!(safe_url("/relative"), None);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_234_567), "1.2 MB");
    }
}
