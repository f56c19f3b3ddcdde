//! What an instance accepts, from `/api/v2/instance` (`configuration`) or `/api/v1/instance`
//! (`configuration` since Mastodon 3.4; `max_toot_chars` on Pleroma/Akkoma), with Mastodon's
//! defaults for whatever it does not say.

use braid_core::connector::Limits;
use serde::Deserialize;

/// Mastodon's defaults (4.x), used for whatever an instance does not say.
const DEFAULT_MAX_CHARACTERS: usize = 500;
const DEFAULT_MAX_MEDIA: usize = 4;
const DEFAULT_MAX_MEDIA_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InstanceDoc {
    #[serde(default)]
    pub(crate) configuration: Option<Configuration>,
    /// Pleroma/Akkoma (v1).
    #[serde(default)]
    max_toot_chars: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Configuration {
    #[serde(default)]
    statuses: Option<StatusConfig>,
    #[serde(default)]
    media_attachments: Option<MediaConfig>,
}

#[derive(Debug, Default, Deserialize)]
struct StatusConfig {
    max_characters: Option<usize>,
    max_media_attachments: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
struct MediaConfig {
    #[serde(default)]
    supported_mime_types: Vec<String>,
    image_size_limit: Option<u64>,
    video_size_limit: Option<u64>,
}

/// The limits an instance document declares, Mastodon's defaults for the rest.
pub(crate) fn limits_from(doc: &InstanceDoc) -> Limits {
    let config = doc.configuration.as_ref();
    let statuses = config.and_then(|c| c.statuses.as_ref());
    let media = config.and_then(|c| c.media_attachments.as_ref());
    let max_media_bytes = media
        .map(|m| match (m.image_size_limit, m.video_size_limit) {
            (Some(i), Some(v)) => i.max(v),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => DEFAULT_MAX_MEDIA_BYTES,
        })
        .unwrap_or(DEFAULT_MAX_MEDIA_BYTES);
    Limits {
        max_graphemes: statuses
            .and_then(|s| s.max_characters)
            .or(doc.max_toot_chars)
            .unwrap_or(DEFAULT_MAX_CHARACTERS),
        max_media: statuses
            .and_then(|s| s.max_media_attachments)
            .unwrap_or(DEFAULT_MAX_MEDIA),
        max_media_bytes,
        media_types: media
            .map(|m| m.supported_mime_types.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                [
                    "image/jpeg",
                    "image/png",
                    "image/gif",
                    "image/webp",
                    "video/mp4",
                ]
                .map(str::to_owned)
                .to_vec()
            }),
        content_warnings: true,
        threads: true,
        edits: true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn reads_v2_and_v1_limits() {
        let v2: InstanceDoc = serde_json::from_str(
            r#"{"configuration":{"statuses":{"max_characters":1000,"max_media_attachments":6},
               "media_attachments":{"supported_mime_types":["image/png"],"image_size_limit":10485760,"video_size_limit":41943040}}}"#,
        )
        .unwrap();
        let l = limits_from(&v2);
        assert_eq!(
            (l.max_graphemes, l.max_media, l.max_media_bytes),
            (1000, 6, 41943040)
        );
        assert_eq!(l.media_types, vec!["image/png".to_owned()]);
        let pleroma: InstanceDoc = serde_json::from_str(r#"{"max_toot_chars":5000}"#).unwrap();
        let l = limits_from(&pleroma);
        assert_eq!((l.max_graphemes, l.max_media), (5000, DEFAULT_MAX_MEDIA));
    }
}
