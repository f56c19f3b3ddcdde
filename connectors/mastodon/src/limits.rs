//! What an instance accepts, from `/api/v2/instance` (`configuration`) or `/api/v1/instance`
//! (`configuration` since Mastodon 3.4; `max_toot_chars` on Pleroma/Akkoma), with Mastodon's
//! defaults for whatever it does not say.

use braid_core::connector::{CountUnit, Limits, MediaLimit, TextLimit};
use serde::Deserialize;

/// Mastodon's defaults (4.x), used for whatever an instance does not say.
const DEFAULT_MAX_CHARACTERS: usize = 500;
const DEFAULT_MAX_MEDIA: usize = 4;
const DEFAULT_IMAGE_BYTES: u64 = 16 * 1024 * 1024;
const DEFAULT_VIDEO_BYTES: u64 = 99 * 1024 * 1024;
/// Every URL counts as this many characters (Mastodon's `StatusLengthValidator`).
const DEFAULT_URL_LENGTH: usize = 23;

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
    characters_reserved_per_url: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
struct MediaConfig {
    #[serde(default)]
    supported_mime_types: Vec<String>,
    image_size_limit: Option<u64>,
    video_size_limit: Option<u64>,
}

/// The limits an instance document declares, Mastodon's defaults for the rest. Text counts as
/// Mastodon counts it: grapheme clusters, every URL as 23 (or what the instance reserves), a
/// remote mention without its domain. Images take the image size limit; video and audio the
/// video one.
pub(crate) fn limits_from(doc: &InstanceDoc) -> Limits {
    let config = doc.configuration.as_ref();
    let statuses = config.and_then(|c| c.statuses.as_ref());
    let media = config.and_then(|c| c.media_attachments.as_ref());
    let image_bytes = media
        .and_then(|m| m.image_size_limit)
        .unwrap_or(DEFAULT_IMAGE_BYTES);
    let video_bytes = media
        .and_then(|m| m.video_size_limit)
        .unwrap_or(DEFAULT_VIDEO_BYTES);
    let types = media
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
        });
    Limits {
        text: TextLimit {
            max: statuses
                .and_then(|s| s.max_characters)
                .or(doc.max_toot_chars)
                .unwrap_or(DEFAULT_MAX_CHARACTERS),
            unit: CountUnit::Graphemes,
            url_length: Some(
                statuses
                    .and_then(|s| s.characters_reserved_per_url)
                    .unwrap_or(DEFAULT_URL_LENGTH),
            ),
            mention_without_domain: true,
        },
        max_media: statuses
            .and_then(|s| s.max_media_attachments)
            .unwrap_or(DEFAULT_MAX_MEDIA),
        media: types
            .into_iter()
            .map(|media_type| {
                let max_bytes = if media_type.starts_with("image/") {
                    image_bytes
                } else {
                    video_bytes
                };
                MediaLimit {
                    media_type,
                    max_bytes,
                }
            })
            .collect(),
        content_warnings: true,
        threads: true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn reads_v2_and_v1_limits() {
        let v2: InstanceDoc = serde_json::from_str(
            r#"{"configuration":{"statuses":{"max_characters":1000,"max_media_attachments":6,"characters_reserved_per_url":20},
               "media_attachments":{"supported_mime_types":["image/png","video/mp4"],"image_size_limit":10485760,"video_size_limit":41943040}}}"#,
        )
        .unwrap();
        let l = limits_from(&v2);
        assert_eq!(
            (l.text.max, l.max_media, l.text.url_length),
            (1000, 6, Some(20))
        );
        assert_eq!(l.media_bytes("image/png"), Some(10485760));
        assert_eq!(l.media_bytes("video/mp4"), Some(41943040));
        assert_eq!(l.media_bytes("image/gif"), None);
        let pleroma: InstanceDoc = serde_json::from_str(r#"{"max_toot_chars":5000}"#).unwrap();
        let l = limits_from(&pleroma);
        assert_eq!((l.text.max, l.max_media), (5000, DEFAULT_MAX_MEDIA));
        assert_eq!(l.text.unit, CountUnit::Graphemes);
        assert_eq!(l.media_bytes("image/jpeg"), Some(DEFAULT_IMAGE_BYTES));
    }
}
