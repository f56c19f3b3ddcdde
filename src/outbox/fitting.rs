//! Fitting a post to one target, from the limits its sink reports: the text cut into a thread
//! or truncated ([`braid_core::fit`] does the cutting), files the target cannot take left out
//! with a warning, a content warning carried as the network allows. The result is kept on the
//! delivery before anything is sent, so every attempt and every part of a thread sends what
//! `braid post --preview` showed.

use std::collections::BTreeMap;

use braid_core::connector::{CountUnit, Limits, TextLimit};
use braid_core::fit::{fit_text, stricter, FitOptions, LongText};
use serde::{Deserialize, Serialize};

use super::Draft;

/// How a post is to be fitted, chosen by whoever queued it (the CLI's flags, a route's
/// settings). Kept with the post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostOptions {
    /// Thread or truncate a long text; `None`: a thread where the target has threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<LongText>,
    /// Number a thread's parts (` 1/3`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub number: bool,
    /// The original's address, linked from a truncated post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Thread or truncate for one target (by its name), over `long`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub long_for: BTreeMap<String, LongText>,
}

impl PostOptions {
    /// The options for the target named `target`: its own choice of thread or truncation.
    pub fn for_target(&self, target: &str) -> PostOptions {
        PostOptions {
            long: self.long_for.get(target).copied().or(self.long),
            long_for: BTreeMap::new(),
            ..self.clone()
        }
    }
}

/// A file as fitting sees it.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub media_type: String,
    pub bytes: u64,
}

/// What one target receives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fitting {
    /// The text of each post, in order: one, or a thread.
    pub parts: Vec<String>,
    /// The content warning each part carries (`None` where the network has none: then it
    /// leads the text instead).
    #[serde(default)]
    pub content_warning: Option<String>,
    /// The positions of the post's files that go with the first part.
    #[serde(default)]
    pub media: Vec<usize>,
    /// What the owner should know before it is sent: files left out, text cut.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Fitted again by the strictest count after the server refused a part as too long.
    #[serde(default)]
    pub refit: bool,
    /// How the text was counted, for showing (`500 graphemes, every URL as 23`).
    #[serde(default)]
    pub counted: String,
}

/// Fits `draft` with its `files` to `limits`.
pub fn fit(draft: &Draft, files: &[FileInfo], options: &PostOptions, limits: &Limits) -> Fitting {
    let mut notes = Vec::new();
    let media = fit_media(files, limits, &mut notes);
    let (text, content_warning) = match &draft.content_warning {
        Some(cw) if !cw.trim().is_empty() && !limits.content_warnings => {
            notes.push(
                "this network has no content warnings: the warning leads the text instead".into(),
            );
            (format!("CW: {}\n\n{}", cw.trim(), draft.text), None)
        }
        cw => (
            draft.text.clone(),
            cw.clone().filter(|c| !c.trim().is_empty()),
        ),
    };
    // Mastodon counts the content warning with the text, and so does every network we know
    // that has one.
    let reserved = content_warning
        .as_deref()
        .map_or(0, |cw| limits.text.count(cw));
    let parts = fit_parts(
        &text,
        &limits.text,
        limits.threads,
        options,
        reserved,
        &mut notes,
    );
    Fitting {
        parts,
        content_warning,
        media,
        notes,
        refit: false,
        counted: describe(&limits.text),
    }
}

/// Part `index` of `fitting` refused as too long: it and the parts after it fitted again by
/// the strictest count. `false` when that was done before (a second refusal is final).
pub fn refit(fitting: &mut Fitting, index: usize, options: &PostOptions, limits: &Limits) -> bool {
    if fitting.refit || index >= fitting.parts.len() {
        return false;
    }
    let strict = stricter(&limits.text);
    let rest = fitting.parts.split_off(index).join("\n\n");
    let reserved = fitting
        .content_warning
        .as_deref()
        .map_or(0, |cw| strict.count(cw));
    let mut notes = Vec::new();
    // A thread already started goes on as a thread; a single post keeps the owner's choice.
    let mut options = options.clone();
    if index > 0 {
        options.long = Some(LongText::Thread);
    }
    let more = fit_parts(
        &rest,
        &strict,
        limits.threads,
        &options,
        reserved,
        &mut notes,
    );
    fitting.parts.extend(more);
    fitting.notes.extend(notes);
    fitting.notes.push(format!(
        "the server refused part {} as too long: fitted again as {}",
        index + 1,
        describe(&strict)
    ));
    fitting.refit = true;
    fitting.counted = describe(&strict);
    true
}

fn fit_parts(
    text: &str,
    limit: &TextLimit,
    threads: bool,
    options: &PostOptions,
    reserved: usize,
    notes: &mut Vec<String>,
) -> Vec<String> {
    if text.trim().is_empty() {
        return vec![String::new()];
    }
    let fitted = fit_text(
        text,
        limit,
        threads,
        &FitOptions {
            long: options.long,
            number: options.number,
            link: options.link.clone(),
            reserved,
        },
    );
    let n = fitted.parts.len();
    if n > 1 {
        notes.push(format!("too long for one post: sent as a thread of {n}"));
    } else if fitted.truncated {
        notes.push("too long for one post: truncated".into());
    }
    fitted.parts
}

/// The files that fit, in order; a note for each left out.
fn fit_media(files: &[FileInfo], limits: &Limits, notes: &mut Vec<String>) -> Vec<usize> {
    let mut kept = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let which = format!("file {} ({})", i + 1, file.media_type);
        match limits.media_bytes(&file.media_type) {
            None => notes.push(format!(
                "left out {which}: this network does not take {}",
                file.media_type
            )),
            Some(max) if file.bytes > max => notes.push(format!(
                "left out {which}: {} is over this network's {} per file",
                size(file.bytes),
                size(max)
            )),
            Some(_) if kept.len() >= limits.max_media => notes.push(format!(
                "left out {which}: at most {} files per post",
                limits.max_media
            )),
            Some(_) => kept.push(i),
        }
    }
    kept
}

fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// `500 graphemes, every URL as 23, remote mentions without their domain`.
pub fn describe(limit: &TextLimit) -> String {
    let unit = match limit.unit {
        CountUnit::Graphemes => "characters",
        CountUnit::CodePoints => "code points",
        CountUnit::Bytes => "bytes",
    };
    let mut out = format!("{} {unit}", limit.max);
    if let Some(n) = limit.url_length {
        out.push_str(&format!(", every URL as {n}"));
    }
    if limit.mention_without_domain {
        out.push_str(", mentions without their domain");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use braid_core::connector::MediaLimit;

    fn mastodon() -> Limits {
        Limits {
            text: TextLimit {
                max: 500,
                unit: CountUnit::Graphemes,
                url_length: Some(23),
                mention_without_domain: true,
            },
            max_media: 2,
            media: vec![MediaLimit {
                media_type: "image/*".into(),
                max_bytes: 1024 * 1024,
            }],
            content_warnings: true,
            threads: true,
        }
    }

    fn draft(text: &str, cw: Option<&str>) -> Draft {
        Draft {
            text: text.into(),
            content_warning: cw.map(str::to_owned),
            visibility: braid_core::Visibility::Public,
            language: None,
            reply_to: None,
        }
    }

    #[test]
    fn files_over_the_count_size_or_type_are_left_out_with_a_note() {
        let files = [
            ("image/png", 10),
            ("image/tiff", 10),
            ("video/mp4", 10),
            ("image/png", 2 * 1024 * 1024),
            ("image/jpeg", 10),
            ("image/gif", 10),
        ]
        .map(|(t, b)| FileInfo {
            media_type: t.into(),
            bytes: b,
        });
        let f = fit(
            &draft("hi", None),
            &files,
            &PostOptions::default(),
            &mastodon(),
        );
        // image/tiff is an image/*: kept; video is not accepted; 2 MB is over 1 MB; the
        // sixth file is over the count of two.
        assert_eq!(f.media, vec![0, 1]);
        assert_eq!(f.notes.len(), 4, "{:?}", f.notes);
        assert!(f.notes[0].contains("file 3 (video/mp4)"), "{:?}", f.notes);
        assert!(f.notes[1].contains("2.0 MB is over this network's 1.0 MB"));
        assert!(f.notes[2].contains("at most 2 files"));
    }

    #[test]
    fn a_content_warning_counts_with_the_text_or_leads_it_where_there_are_none() {
        let text = "word ".repeat(99); // 494 characters, trimmed
        let f = fit(
            &draft(&text, Some("spoilers")),
            &[],
            &PostOptions::default(),
            &mastodon(),
        );
        assert_eq!(f.parts.len(), 2, "{:?}", f.parts);
        assert_eq!(f.content_warning.as_deref(), Some("spoilers"));
        let mut no_cw = mastodon();
        no_cw.content_warnings = false;
        let f = fit(
            &draft("short", Some("spoilers")),
            &[],
            &PostOptions::default(),
            &no_cw,
        );
        assert_eq!(f.parts, vec!["CW: spoilers\n\nshort".to_owned()]);
        assert_eq!(f.content_warning, None);
    }

    #[test]
    fn refit_splits_the_refused_part_by_the_strictest_count_once() {
        // 30 URLs of 40 code points count 23 each for Mastodon (fits in 500 with spaces) but
        // not as code points.
        let text = (0..20)
            .map(|i| format!("https://example.com/some/long/path/{i:04}"))
            .collect::<Vec<_>>()
            .join(" ");
        let limits = mastodon();
        let mut f = fit(&draft(&text, None), &[], &PostOptions::default(), &limits);
        assert_eq!(f.parts.len(), 1);
        assert!(refit(&mut f, 0, &PostOptions::default(), &limits));
        assert!(f.parts.len() > 1, "{:?}", f.parts);
        assert!(f.parts.iter().all(|p| p.chars().count() <= 500));
        assert!(!refit(&mut f, 0, &PostOptions::default(), &limits));
    }
}
