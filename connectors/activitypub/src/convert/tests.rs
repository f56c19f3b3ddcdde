//! What a reader sees of hostile, odd and narrowly addressed objects; the origin checks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use braid_core::{ItemKind, Visibility};
use serde_json::{json, Value};

use super::golden::{actor, convert, load};
use super::*;

fn alice() -> RemoteActor {
    actor("mastodon/actor")
}

/// A minimal Note by alice with `extra` fields merged in.
fn note(extra: Value) -> Value {
    let mut n = json!({
        "id": "https://mastodon.example/users/alice/statuses/1",
        "type": "Note",
        "attributedTo": "https://mastodon.example/users/alice",
        "content": "<p>hello</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    for (k, v) in extra.as_object().unwrap() {
        n[k] = v.clone();
    }
    n
}

fn html(item: &Item) -> &str {
    item.content_html.as_ref().map(|h| h.as_str()).unwrap_or("")
}

#[test]
fn mentions_and_hashtags_stay_links_without_their_classes() {
    let item = convert("mastodon/public_note");
    let body = html(&item);
    assert!(
        body.contains(r#"<a href="https://akkoma.example/users/bob" rel="noopener noreferrer nofollow">@<span>bob</span></a>"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<a href="https://mastodon.example/tags/spiders" rel="noopener noreferrer nofollow">#<span>Spiders</span></a>"#),
        "{body}"
    );
    assert!(!body.contains("class="), "{body}");
    // Custom emoji are left as their shortcode.
    assert!(body.contains(":blobcat:"), "{body}");
    assert_eq!(item.tags, ["Spiders", "nature"]);
    assert_eq!(item.content_warning.as_deref(), Some("Spiders (photo)"));
    assert_eq!(
        item.attachments[0].alt.as_deref(),
        Some("A garden spider in the middle of its web, lit by the morning sun")
    );
}

#[test]
fn visibility_is_read_from_the_addressing_and_never_widened() {
    let a = alice();
    let followers = "https://mastodon.example/users/alice/followers";
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let cases = [
        (
            json!({ "to": [public], "cc": [followers] }),
            Visibility::Public,
        ),
        (json!({ "to": "as:Public" }), Visibility::Public),
        (json!({ "to": ["Public"] }), Visibility::Public),
        (json!({ "to": { "id": public } }), Visibility::Public),
        (
            json!({ "to": [followers], "cc": [public] }),
            Visibility::Unlisted,
        ),
        (json!({ "to": [], "cc": "as:Public" }), Visibility::Unlisted),
        (json!({ "to": [followers] }), Visibility::FollowersOnly),
        (
            json!({ "to": ["https://b.example/u/bob"], "cc": [followers] }),
            Visibility::FollowersOnly,
        ),
        (
            json!({ "to": ["https://b.example/u/bob"] }),
            Visibility::Direct,
        ),
        // Someone else's followers are not the author's audience.
        (
            json!({ "to": ["https://mastodon.example/users/mallory/followers"] }),
            Visibility::Direct,
        ),
        // The public collection blind-copied is not an address anyone sees.
        (json!({ "to": null, "bto": [public] }), Visibility::Direct),
        (
            json!({ "to": 42, "cc": { "no": "id" } }),
            Visibility::Direct,
        ),
        (
            json!({ "to": "https://www.w3.org/ns/activitystreams#PublicX" }),
            Visibility::Direct,
        ),
    ];
    for (addressing, want) in cases {
        let mut n = note(json!({}));
        n["to"] = Value::Null;
        for (k, v) in addressing.as_object().unwrap() {
            n[k] = v.clone();
        }
        let item = item_from_object(&n, &a).unwrap();
        assert_eq!(item.visibility, want, "{addressing}");
    }
}

#[test]
fn hostile_markup_is_sanitized_everywhere_it_can_arrive() {
    let a = alice();
    let evil = r#"<p onclick="x()">hi<script>alert(1)</script><img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">j</a><a href="https://ok.example/">ok</a><iframe src="https://evil.example/"></iframe><style>body{}</style></p>"#;
    let n = note(json!({ "content": evil, "summary": "<b onmouseover=x()>cw</b>" }));
    let item = item_from_object(&n, &a).unwrap();
    let body = html(&item);
    for bad in [
        "script",
        "onerror",
        "onclick",
        "javascript:",
        "iframe",
        "<style",
    ] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    assert!(
        body.contains(r#"<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>"#),
        "{body}"
    );
    // The relative image is resolved against the object's page.
    assert!(
        body.contains(r#"src="https://mastodon.example/users/alice/statuses/x.png""#),
        "{body}"
    );
    assert_eq!(item.content_warning.as_deref(), Some("cw"));

    let article = json!({
        "id": "https://mastodon.example/a/1", "type": "Article", "name": "T",
        "summary": "<img src=x onerror=alert(1)><script>s()</script>sum",
        "content": "<a href=\"javascript:x()\">c</a>", "to": "as:Public",
    });
    let item = item_from_object(&article, &a).unwrap();
    let summary = item.summary.as_ref().unwrap().as_str();
    assert!(
        !summary.contains("onerror") && !summary.contains("script"),
        "{summary}"
    );
    assert!(!html(&item).contains("javascript"), "{}", html(&item));

    let video = json!({
        "id": "https://mastodon.example/v/1", "type": "Video",
        "name": "<script>alert(1)</script>Cats",
        "url": "javascript:alert(1)",
        "attachment": [
            { "type": "Document", "url": "javascript:alert(1)", "mediaType": "image/png" },
            { "type": "Document", "url": "data:image/png;base64,AAAA" },
            { "type": "Image", "url": "ftp://files.example/a.png" },
        ],
    });
    let item = item_from_object(&video, &a).unwrap();
    assert!(
        html(&item).contains("&lt;script&gt;alert(1)&lt;/script&gt;Cats"),
        "{}",
        html(&item)
    );
    assert!(item.attachments.is_empty(), "{:?}", item.attachments);
    // No usable page: the id stands in.
    assert_eq!(item.url.as_deref(), Some("https://mastodon.example/v/1"));

    let question =
        note(json!({ "type": "Question", "oneOf": [{ "name": "<img src=x onerror=y()>A" }] }));
    let item = item_from_object(&question, &a).unwrap();
    assert!(
        html(&item).contains("<p>&lt;img src=x onerror=y()&gt;A</p>"),
        "{}",
        html(&item)
    );
}

#[test]
fn a_spoofed_author_or_a_foreign_id_is_refused() {
    let a = alice();
    let mine = note(json!({}));
    assert_eq!(check_object_origin(&mine, &a), Ok(()));
    for attributed in [
        json!({ "type": "Person", "id": "https://mastodon.example/users/alice" }),
        json!([
            "https://mastodon.example/users/alice",
            "https://mastodon.example/groups/g"
        ]),
        json!([{ "type": "Group", "id": "https://mastodon.example/groups/g" },
               { "type": "Person", "id": "https://mastodon.example/users/alice" }]),
    ] {
        let n = note(json!({ "attributedTo": attributed }));
        assert_eq!(check_object_origin(&n, &a), Ok(()), "{attributed}");
    }

    let spoofed = note(json!({ "attributedTo": "https://mastodon.example/users/mallory" }));
    let err = check_object_origin(&spoofed, &a).unwrap_err();
    assert!(matches!(err, ConvertError::NotAttributed { .. }), "{err}");
    assert!(err.to_string().starts_with("activitypub: "), "{err}");
    for attributed in [
        Value::Null,
        json!(7),
        json!([]),
        json!([{ "type": "Person", "id": "https://mastodon.example/users/mallory" },
               "https://mastodon.example/users/alice"]),
    ] {
        let n = note(json!({ "attributedTo": attributed }));
        assert!(check_object_origin(&n, &a).is_err(), "{attributed}");
    }

    // Alice's name on an object that lives on another server: it must come from there.
    for id in [
        "https://evil.example/users/alice/statuses/1",
        "http://mastodon.example/users/alice/statuses/1",
        "https://mastodon.example:8443/users/alice/statuses/1",
        "urn:uuid:1",
    ] {
        let n = note(json!({ "id": id }));
        let err = check_object_origin(&n, &a).unwrap_err();
        assert!(
            matches!(err, ConvertError::CrossOrigin { .. }),
            "{id}: {err}"
        );
    }
    // Opaque origins are all "null": an actor with one vouches for no one's objects.
    let mut opaque = a.clone();
    opaque.id = "urn:uuid:2".into();
    let n = note(json!({ "id": "urn:uuid:1", "attributedTo": "urn:uuid:2" }));
    assert!(matches!(
        check_object_origin(&n, &opaque),
        Err(ConvertError::CrossOrigin { .. })
    ));
    assert!(matches!(
        check_object_origin(&json!({ "type": "Note" }), &a),
        Err(ConvertError::NoId(_))
    ));
}

#[test]
fn a_boost_names_its_booster_and_keeps_the_narrower_audience() {
    let item = convert("mastodon/announce");
    assert_eq!(item.kind, ItemKind::Share);
    assert!(
        html(&item).starts_with("<p>Boosted by <a href=\"https://mastodon.example/@alice\""),
        "{}",
        html(&item)
    );
    assert_eq!(
        item.author.as_ref().unwrap().handle.as_deref(),
        Some("@bob@akkoma.example")
    );

    let (booster, author) = (alice(), actor("akkoma/actor"));
    let object = load("akkoma/note_content_map");
    let mut announce = load("mastodon/announce");
    announce["to"] = json!(["https://mastodon.example/users/alice/followers"]);
    announce["cc"] = json!([]);
    let item = item_from_announce(&announce, &booster, &object, &author).unwrap();
    assert_eq!(item.visibility, Visibility::FollowersOnly);

    let mut other_actor = load("mastodon/announce");
    other_actor["actor"] = json!("https://mastodon.example/users/mallory");
    let err = item_from_announce(&other_actor, &booster, &object, &author).unwrap_err();
    assert!(matches!(err, ConvertError::NotTheBooster { .. }), "{err}");
    let mut other_object = load("mastodon/announce");
    other_object["object"] = json!("https://akkoma.example/objects/else");
    let err = item_from_announce(&other_object, &booster, &object, &author).unwrap_err();
    assert!(matches!(err, ConvertError::NotTheObject { .. }), "{err}");
    let err = item_from_announce(&object, &booster, &object, &author).unwrap_err();
    assert!(err.to_string().starts_with("activitypub: "), "{err}");
}

#[test]
fn other_types_are_not_shown() {
    let a = alice();
    for kind in ["Tombstone", "Person", "Create", "Collection", "Link"] {
        let err = item_from_object(&note(json!({ "type": kind })), &a).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("activitypub: {kind} objects are not shown")
        );
    }
    for v in [
        Value::Null,
        json!("Note"),
        json!([note(json!({}))]),
        json!({ "id": "x" }),
    ] {
        assert_eq!(
            item_from_object(&v, &a),
            Err(ConvertError::NotAnObject),
            "{v}"
        );
    }
    let err = item_from_object(&note(json!({ "id": null })), &a).unwrap_err();
    assert_eq!(err.to_string(), "activitypub: the Note has no id");
    // A type among several (JSON-LD allows it).
    let item = item_from_object(&note(json!({ "type": ["sc:Thing", "Note"] })), &a).unwrap();
    assert_eq!(item.kind, ItemKind::Note);
}

#[test]
fn huge_lists_are_capped() {
    let a = alice();
    let attachments: Vec<Value> = (0..1000)
        .map(|i| json!({ "type": "Image", "url": format!("https://cdn.example/{i}.png") }))
        .collect();
    let tags: Vec<Value> = (0..1000)
        .map(|i| json!({ "type": "Hashtag", "name": format!("#t{i}") }))
        .collect();
    let to: Vec<Value> = (0..100_000)
        .map(|i| json!(format!("https://b.example/u/{i}")))
        .collect();
    let n = note(json!({ "attachment": attachments, "tag": tags, "to": to }));
    let item = item_from_object(&n, &a).unwrap();
    assert_eq!(item.attachments.len(), MAX_ATTACHMENTS);
    assert_eq!(item.tags.len(), MAX_TAGS);
    assert_eq!(item.tags[0], "t0");
    assert_eq!(item.visibility, Visibility::Direct);
}

#[test]
fn fields_of_the_wrong_type_are_ignored_not_fatal() {
    let a = alice();
    let odd = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("not a url"),
        json!([]),
        json!({}),
        json!([[[[["deep"]]]]]),
        json!([null, 1, {"href": 2}, {"url": {"url": {"url": "https://x.example/"}}}]),
        json!({ "type": "Hashtag", "name": 5 }),
    ];
    for object in [
        "mastodon/public_note",
        "mastodon/question",
        "plume/article",
        "fedify/note",
    ] {
        let base = load(object);
        for key in base.as_object().unwrap().keys() {
            if key == "id" || key == "type" {
                continue;
            }
            for v in &odd {
                let mut o = base.clone();
                o[key] = v.clone();
                let item =
                    item_from_object(&o, &a).unwrap_or_else(|e| panic!("{object} {key}={v}: {e}"));
                assert_eq!(item.remote_id.0, base["id"].as_str().unwrap());
            }
        }
    }
}

#[test]
fn content_map_alone_gives_the_text_and_its_language() {
    let a = alice();
    let mut n = note(json!({ "contentMap": { "fr": "<p>bonjour</p>" } }));
    n.as_object_mut().unwrap().remove("content");
    let item = item_from_object(&n, &a).unwrap();
    assert_eq!(html(&item), "<p>bonjour</p>");
    assert_eq!(item.language.as_deref(), Some("fr"));
    // Several: the one in the object's own language (JSON-LD `@language`).
    let mut n = note(json!({
        "@context": ["https://www.w3.org/ns/activitystreams", { "@language": "nl" }],
        "contentMap": { "en": "<p>hello</p>", "nl": "<p>hallo</p>" },
    }));
    n.as_object_mut().unwrap().remove("content");
    let item = item_from_object(&n, &a).unwrap();
    assert_eq!(
        (html(&item), item.language.as_deref()),
        ("<p>hallo</p>", Some("nl"))
    );
    // `content` without a map: the object's language.
    let n = note(json!({ "@context": { "@language": "pt-BR" } }));
    assert_eq!(
        item_from_object(&n, &a).unwrap().language.as_deref(),
        Some("pt-BR")
    );
    // A key that is no language tag names none.
    let n = note(json!({ "contentMap": { "<b>": "<p>hello</p>" } }));
    assert_eq!(item_from_object(&n, &a).unwrap().language, None);
}

#[test]
fn a_video_is_its_page_its_title_and_its_file() {
    // PeerTube's shape: `url` lists the watch page and the files.
    let a = alice();
    let video = json!({
        "id": "https://mastodon.example/videos/watch/9c9de5e8",
        "type": "Video",
        "name": "Knitting a puffin",
        "content": "<p>Part one.</p>",
        "sensitive": true,
        "url": [
            { "type": "Link", "mediaType": "video/mp4", "href": "https://mastodon.example/static/9c9de5e8-720.mp4" },
            { "type": "Link", "mediaType": "text/html", "href": "https://mastodon.example/w/9c9de5e8" },
        ],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    let item = item_from_object(&video, &a).unwrap();
    assert_eq!(
        item.url.as_deref(),
        Some("https://mastodon.example/w/9c9de5e8")
    );
    assert_eq!(item.title, None);
    assert_eq!(item.kind, ItemKind::Note);
    assert!(
        html(&item).starts_with("<p><strong><a href=\"https://mastodon.example/w/9c9de5e8\""),
        "{}",
        html(&item)
    );
    assert!(html(&item).contains("Knitting a puffin"), "{}", html(&item));
    assert_eq!(item.attachments.len(), 1);
    assert_eq!(item.attachments[0].media_type.as_deref(), Some("video/mp4"));
    assert_eq!(item.content_warning.as_deref(), Some("Sensitive media"));
}
