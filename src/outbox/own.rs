//! Composing into channels. A channel is Braid's own stream, so a post into it is not a
//! delivery: it becomes an item Braid itself authored (the owner as author), stored with the
//! post in one transaction (`crate::store::OwnPost`) and put in each chosen channel, where
//! its feeds (and, with ActivityPub, its followers) find it.
//!
//! The item is made from what the owner typed the way every sink reads it
//! ([`RichText::from_plain`]: paragraphs, links, mentions, hashtags), rendered as HTML and
//! sanitized like any other, then prepared by the same ingest step as every item. A channel
//! takes the whole text (no limit, no thread) and every file, each kept with its alt text in
//! the outbox's `post_media` and served at `/files/TOKEN`, an address made of 128 random bits
//! (only someone who can read the item learns it, as with a feed link).

use braid_core::model::{Attachment, Author, Item, ItemKind};
use braid_core::richtext::{RichText, Span};
use braid_core::sanitize::clean_html;
use braid_core::{RemoteId, Visibility};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{Fitting, QueueError, Queued};
use crate::config::Config;
use crate::store::{audience_refusal, ChannelRecord, OwnPost};

/// Why `q` may not go into `channels`, if it may not: a channel holds nothing more private
/// than its audience, and a post into a channel is published at once (a channel has no queue
/// to wait in, so a time to send is refused rather than ignored).
pub fn refusal(q: &Queued, channels: &[ChannelRecord]) -> Option<String> {
    if channels.is_empty() {
        return None;
    }
    if q.not_before.is_some_and(|t| t > Utc::now()) {
        return Some(
            "a post into a channel is published at once: leave the time to send empty, or leave the channels out"
                .into(),
        );
    }
    channels
        .iter()
        .find_map(|c| audience_refusal(q.draft.visibility, &c.name, &c.audience))
}

/// What a channel receives of `q`, in the shape of an account's preview: the whole text as
/// one part, every file, and a note saying so.
pub fn preview(q: &Queued, channel: &ChannelRecord) -> Result<Fitting, String> {
    if let Some(reason) = refusal(q, std::slice::from_ref(channel)) {
        return Err(reason);
    }
    Ok(Fitting {
        parts: vec![q.draft.text.clone()],
        content_warning: q.draft.content_warning.clone(),
        media: (0..q.media.len()).collect(),
        notes: vec![format!(
            "a channel takes the whole text, as HTML (links, mentions and hashtags linked), and every file with its description; it is {} to its feed's readers",
            match Visibility::parse(&channel.audience) {
                Some(Visibility::Unlisted) => "unlisted",
                Some(Visibility::FollowersOnly) => "followers-only",
                _ => "public",
            }
        )],
        refit: false,
        counted: String::new(),
    })
}

/// The owner's item of the post keyed `key`, for `channels`.
pub fn own_post(
    config: &Config,
    key: &str,
    q: &Queued,
    channels: &[ChannelRecord],
) -> Result<OwnPost, QueueError> {
    if let Some(reason) = refusal(q, channels) {
        return Err(QueueError::Refused(reason));
    }
    let base = config
        .public_url()
        .map_err(|e| QueueError::Refused(e.to_string()))?;
    let mut file_tokens = Vec::new();
    let mut attachments = Vec::new();
    for m in &q.media {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| QueueError::NoRandomness(e.to_string()))?;
        let token = hex::encode(random);
        let url = base
            .join(&format!("files/{token}"))
            .map_err(|e| QueueError::Refused(format!("web.base_url: {e}")))?;
        attachments.push(Attachment {
            url: url.to_string(),
            media_type: Some(m.media_type.clone()),
            alt: m.alt.clone().filter(|a| !a.trim().is_empty()),
            size: Some(m.bytes.len() as u64),
        });
        file_tokens.push(token);
    }
    let rich = RichText::from_plain(&q.draft.text);
    let tags = rich
        .paragraphs
        .iter()
        .flatten()
        .filter_map(|s| match s {
            Span::Hashtag { tag, .. } => Some(tag.clone()),
            _ => None,
        })
        .collect();
    let item = Item {
        remote_id: own_remote_id(key),
        kind: if q.draft.reply_to.is_some() {
            ItemKind::Reply
        } else {
            ItemKind::Note
        },
        author: Some(Author {
            name: Some(config.web.title.clone()),
            handle: None,
            url: Some(base.to_string()),
            avatar: None,
        }),
        title: None,
        content_html: Some(clean_html(&rich.html())),
        content_text: Some(rich.plain()),
        summary: None,
        content_warning: q.draft.content_warning.clone(),
        language: q.draft.language.clone(),
        published: Some(Utc::now()),
        updated: None,
        in_reply_to: q.draft.reply_to.clone(),
        attachments,
        tags,
        url: None,
        visibility: q.draft.visibility,
        card: None,
    };
    Ok(OwnPost {
        item: crate::ingest::prepare_item(item, config.storage.max_content_bytes),
        channels: channels.iter().map(|c| c.id).collect(),
        file_tokens,
    })
}

/// The item's remote id: a name-based UUID (RFC 9562 §5.8, version 8) of the post's key, so
/// the same post always names the same item, and an Atom entry id (RFC 4287 §4.2.6) that is a
/// valid URI whatever characters the key has.
fn own_remote_id(key: &str) -> RemoteId {
    let mut h = Sha256::new();
    h.update(b"braid-own-post\0");
    h.update(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    RemoteId(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::outbox::Draft;

    fn channel(name: &str, audience: &str) -> ChannelRecord {
        ChannelRecord {
            id: 1,
            name: name.into(),
            title: None,
            description: None,
            audience: audience.into(),
            origin: "cli".into(),
            published: false,
            items: 0,
            created_at: Utc::now(),
        }
    }

    fn queued(text: &str, visibility: Visibility) -> Queued {
        Queued::new(Draft {
            text: text.into(),
            content_warning: None,
            visibility,
            language: None,
            reply_to: None,
        })
    }

    #[test]
    fn the_item_is_the_text_as_sanitized_html_with_its_tags() {
        let q = queued(
            "Hello <script>x</script> #rust\n\nsee https://example.org/a",
            Visibility::Unlisted,
        );
        let own = own_post(&Config::default(), "k1", &q, &[channel("news", "unlisted")]).unwrap();
        let html = own.item.content_html.as_deref().unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("href=\"https://example.org/a\""), "{html}");
        assert_eq!(own.item.tags, vec!["rust".to_owned()]);
        assert_eq!(own.item.visibility, Visibility::Unlisted);
        let id = own_remote_id("k1");
        assert_eq!(own.item.remote_id, id);
        assert!(url::Url::parse(id.as_str()).is_ok());
        assert_ne!(own_remote_id("k2"), id);
    }

    #[test]
    fn a_channel_takes_nothing_more_private_than_its_audience() {
        let q = queued("hi", Visibility::FollowersOnly);
        let reason = refusal(&q, &[channel("news", "public")]).unwrap();
        assert!(reason.contains("followers-only") && reason.contains("\"news\" is public"));
        assert!(refusal(&q, &[channel("inner", "followers_only")]).is_none());
        let direct = queued("hi", Visibility::Direct);
        assert!(refusal(&direct, &[channel("inner", "followers_only")]).is_some());
        let mut later = queued("hi", Visibility::Public);
        later.not_before = Some(Utc::now() + chrono::Duration::hours(1));
        assert!(refusal(&later, &[channel("news", "public")]).is_some());
        assert!(refusal(&later, &[]).is_none());
    }
}
