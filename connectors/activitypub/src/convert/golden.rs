//! Golden conversion tests: objects as each server sends them, in
//! `tests/data/<software>/<case>.json`, beside `<case>.golden.json`, the items Braid makes
//! of them. One table drives them all; conversion takes parsed JSON, so nothing touches the
//! network. Each object also passes [`check_object_origin`] with its author: the check must
//! not refuse what real servers send.
//!
//! The payloads follow what each server writes (Mastodon's `ActivityPub::NoteSerializer`,
//! Akkoma's litepub, Plume's and WriteFreely's articles, Fedify's compact `toJsonLd`, which
//! gives one-valued properties as a bare value and the public collection as `as:Public`);
//! the hosts are made up.
//!
//! After an intended change in conversion, regenerate with
//! `BRAID_BLESS=1 cargo test -p braid-activitypub golden` and review the diff by eye.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use braid_core::Item;
use serde_json::Value;

use super::{check_object_origin, item_from_announce, item_from_object};
use crate::remote::RemoteActor;

struct Case {
    /// The object (or, for a boost, the `Announce`), under `tests/data`, without `.json`.
    name: &'static str,
    /// The object's author.
    author: &'static str,
    /// For a boost: the boosted object and the booster.
    boost: Option<(&'static str, &'static str)>,
}

const fn plain(name: &'static str, author: &'static str) -> Case {
    Case {
        name,
        author,
        boost: None,
    }
}

const CASES: &[Case] = &[
    plain("mastodon/public_note", "mastodon/actor"),
    plain("mastodon/followers_only", "mastodon/actor"),
    plain("mastodon/direct", "mastodon/actor"),
    plain("mastodon/reply", "mastodon/actor"),
    plain("mastodon/question", "mastodon/actor"),
    plain("akkoma/note_content_map", "akkoma/actor"),
    plain("plume/article", "plume/actor"),
    plain("writefreely/article", "writefreely/actor"),
    plain("fedify/note", "fedify/actor"),
    Case {
        name: "mastodon/announce",
        author: "akkoma/actor",
        boost: Some(("akkoma/note_content_map", "mastodon/actor")),
    },
];

pub(super) fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub(super) fn load(name: &str) -> Value {
    let raw =
        std::fs::read(dir().join(format!("{name}.json"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(super) fn actor(name: &str) -> RemoteActor {
    RemoteActor::parse(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The item a case makes.
pub(super) fn convert(name: &str) -> Item {
    let case = CASES.iter().find(|c| c.name == name).unwrap();
    let author = actor(case.author);
    match case.boost {
        None => {
            let object = load(case.name);
            check_object_origin(&object, &author).unwrap();
            item_from_object(&object, &author).unwrap()
        }
        Some((object, booster)) => {
            let object = load(object);
            check_object_origin(&object, &author).unwrap();
            item_from_announce(&load(case.name), &actor(booster), &object, &author).unwrap()
        }
    }
}

#[test]
fn golden() {
    let bless = std::env::var("BRAID_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in CASES {
        let item = convert(case.name);
        let got = serde_json::to_string_pretty(&item).unwrap() + "\n";
        let path = dir().join(format!("{}.golden.json", case.name));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            failures.push(format!("{}:\n--- want\n{want}\n--- got\n{got}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (BRAID_BLESS=1 to regenerate):\n{}",
        failures.join("\n")
    );
}
