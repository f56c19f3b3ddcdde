//! Golden conversion tests: statuses captured from mastodon-mock 0.6.1 in
//! `testdata/mastodon-mock/<case>.json` beside `<case>.golden.json`, the items Braid makes of
//! them. One table drives them all; conversion takes parsed JSON, so nothing touches the
//! network.
//!
//! After an intended change in conversion, regenerate with
//! `BRAID_BLESS=1 cargo test -p braid-mastodon golden` and review the diff by eye.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;

use braid_core::{Item, ItemKind, Visibility};
use url::Url;

use crate::convert::{status_to_item, Context};
use crate::wire::Status;

/// The instance the fixtures were captured from.
const INSTANCE: &str = "http://127.0.0.1:18765/";

/// `card` is `plain` with the PreviewCard example of the Mastodon documentation
/// (docs.joinmastodon.org/entities/PreviewCard/): mastodon-mock 0.6.1 never builds cards.
const CASES: &[&str] = &[
    "plain", "cw_media", "reply", "boost", "poll", "edited", "card",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/mastodon-mock")
}

fn convert(case: &str) -> Item {
    let raw = std::fs::read(dir().join(format!("{case}.json"))).unwrap();
    let status: Status = serde_json::from_slice(&raw).unwrap();
    let instance = Url::parse(INSTANCE).unwrap();
    let uris = HashMap::new();
    status_to_item(
        &status,
        &Context {
            instance: &instance,
            uris: &uris,
        },
    )
}

#[test]
fn golden() {
    let bless = std::env::var("BRAID_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in CASES {
        let item = convert(case);
        let got = serde_json::to_string_pretty(&item).unwrap() + "\n";
        let path = dir().join(format!("{case}.golden.json"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            failures.push(format!("{case}: got\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatch:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_link_card_keeps_its_texts_and_image_but_never_its_html() {
    let card = convert("card").card.expect("card");
    assert_eq!(card.url, "https://www.youtube.com/watch?v=OMv_EPMED8Y");
    assert_eq!(card.title, "♪ Brand New Friend (Christmas Song!)");
    assert_eq!(card.description, None, "an empty description is none");
    assert_eq!(card.provider.as_deref(), Some("YouTube"));
    assert!(card
        .image
        .unwrap()
        .starts_with("https://files.mastodon.social/"));
    let json = serde_json::to_string(&convert("card")).unwrap();
    assert!(!json.contains("iframe"), "the card's embed HTML is dropped");
    assert!(convert("plain").card.is_none());
}

#[test]
fn plain_status() {
    let item = convert("plain");
    assert_eq!(item.kind, ItemKind::Note);
    assert!(item.remote_id.as_str().ends_with("/@carol/1795533794311"));
    assert_eq!(item.tags, vec!["braid".to_owned(), "rust".to_owned()]);
    assert_eq!(item.language.as_deref(), Some("en"));
    let author = item.author.unwrap();
    assert_eq!(author.handle.as_deref(), Some("@carol@localhost"));
    assert_eq!(author.name.as_deref(), Some("carol"));
    assert!(author.avatar.is_some());
    assert_eq!(item.visibility, Visibility::Public);
    assert!(item.content_warning.is_none());
}

#[test]
fn content_warning_and_media_alt() {
    let item = convert("cw_media");
    assert_eq!(item.content_warning.as_deref(), Some("film spoilers"));
    assert_eq!(item.visibility, Visibility::FollowersOnly);
    assert_eq!(item.attachments.len(), 1);
    assert_eq!(item.attachments[0].alt.as_deref(), Some("A red pixel"));
    assert_eq!(item.attachments[0].media_type.as_deref(), Some("image/png"));
}

#[test]
fn reply_names_its_parent() {
    let item = convert("reply");
    assert_eq!(item.kind, ItemKind::Reply);
    assert_eq!(item.visibility, Visibility::Unlisted);
    assert_eq!(
        item.in_reply_to.as_deref(),
        Some("http://127.0.0.1:18765/api/v1/statuses/1795533794311")
    );
}

#[test]
fn boost_is_the_original_with_a_note() {
    let item = convert("boost");
    assert_eq!(item.kind, ItemKind::Share);
    assert!(item.remote_id.as_str().ends_with("/@carol/1795533794311"));
    assert_eq!(
        item.author.unwrap().handle.as_deref(),
        Some("@carol@localhost")
    );
    let html = item.content_html.unwrap();
    assert!(html.contains("Boosted by"), "{html}");
    assert!(html.contains("@bob@localhost"), "{html}");
    assert!(html.contains("Hello world"), "{html}");
}

#[test]
fn poll_is_text() {
    let item = convert("poll");
    let html = item.content_html.unwrap();
    assert!(html.contains("<li>Tea (0 votes)</li>"), "{html}");
    assert!(html.contains("<li>Coffee (0 votes)</li>"), "{html}");
}

#[test]
fn edit_sets_updated_and_direct_stays_direct() {
    let item = convert("edited");
    assert!(item.updated.is_some());
    assert!(item.updated > item.published);
    assert_eq!(item.visibility, Visibility::Direct);
    assert!(item.content_html.unwrap().contains("First post"));
}

#[test]
fn unknown_scopes_are_never_widened() {
    use crate::convert::visibility;
    assert_eq!(visibility("local"), Visibility::Direct);
    assert_eq!(visibility(""), Visibility::Direct);
    assert_eq!(visibility("private"), Visibility::FollowersOnly);
}

#[test]
fn hostile_html_is_sanitized() {
    let mut status: Status =
        serde_json::from_slice(&std::fs::read(dir().join("plain.json")).unwrap()).unwrap();
    status.content = r#"<p onclick="x()">hi<script>alert(1)</script></p>"#.into();
    status.poll = Some(crate::wire::Poll {
        expires_at: None,
        expired: true,
        multiple: false,
        votes_count: Some(1),
        options: vec![crate::wire::PollOption {
            title: "<img src=x onerror=alert(1)>".into(),
            votes_count: Some(1),
        }],
    });
    let instance = Url::parse(INSTANCE).unwrap();
    let uris = HashMap::new();
    let item = status_to_item(
        &status,
        &Context {
            instance: &instance,
            uris: &uris,
        },
    );
    let html = item.content_html.unwrap();
    assert!(
        !html.contains("script") && !html.contains("onclick") && !html.contains("<img"),
        "{html}"
    );
    assert!(
        html.contains("Poll (closed)") && html.contains("(1 vote)"),
        "{html}"
    );
}
