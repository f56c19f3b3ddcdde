//! `/compose` through its form, against the Mastodon-API peer: the per-account preview, a
//! post to two accounts sent once even when the form is sent twice, a file with its alt text,
//! the delivery status page, and a form with nothing to send refused with the reason.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::multipart::{Form, Part};

use crate::support::mastodon::{log_in, MastodonMock};
use crate::support::{self, Harness};

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_previews_sends_once_and_shows_each_delivery() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let (alice, bob) = (mock.user("alice").await, mock.user("bob").await);
    let h = Harness::new(|c| c.fetch.allow_private_networks = true);
    let (a, _) = log_in(&h, &mock.base, &alice, 0).await;
    let (b, _) = log_in(&h, &mock.base, &bob, 0).await;
    let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |c| {
        c.fetch.allow_private_networks = true
    })
    .await;
    let (cookie, csrf) = support::owner_session(&h.store).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/compose", web.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&a.name) && page.contains(&b.name), "{page}");
    assert!(page.contains("src=\"/static/compose.js\""));
    let key = hidden(&page, "key");
    let post = |fields: Vec<(&'static str, String)>, file: bool| {
        let mut form = Form::new()
            .text("csrf", csrf.clone())
            .text("key", key.clone());
        for (k, v) in fields {
            form = form.text(k, v);
        }
        if file {
            form = form
                .part(
                    "media",
                    Part::bytes(crate::accounts::PNG_1X1.to_vec())
                        .file_name("dot.png")
                        .mime_str("image/png")
                        .unwrap(),
                )
                .text("alt0", "a single red dot");
        }
        http.post(format!("{}/compose", web.base))
            .header(COOKIE, &cookie)
            .header("origin", &web.base)
            .multipart(form)
            .send()
    };

    // Preview: a long text is a thread for one, shortened for the other.
    let long = "Every sentence here adds to the length of it all. ".repeat(14);
    let preview = post(
        vec![
            ("text", long.clone()),
            ("to", a.name.clone()),
            ("to", b.name.clone()),
            ("long", "truncate".into()),
            ("link", "https://blog.example/long".into()),
            ("action", "preview".into()),
        ],
        false,
    )
    .await
    .unwrap();
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert_eq!(html.matches("class=\"card preview\"").count(), 2, "{html}");
    assert!(
        html.contains("https://blog.example/long"),
        "the truncation links: {html}"
    );
    assert!(html.contains(&long[..40]), "what was typed is kept");
    assert!(
        h.store.list_deliveries(10).await.unwrap().is_empty(),
        "preview sends nothing"
    );
    // With a file: counted, its description kept, and the page asks for the file again (a
    // browser never fills a file input back in).
    let html = post(
        vec![
            ("text", "a picture".into()),
            ("to", a.name.clone()),
            ("action", "preview".into()),
        ],
        true,
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(html.contains("1 post, 1 file"), "{html}");
    assert!(html.contains(r#"value="a single red dot""#), "{html}");
    assert!(html.contains("You chose 1 file"), "{html}");

    // Nothing ticked, nothing written: refused with the reason.
    let none = post(
        vec![("text", "hello".into()), ("action", "send".into())],
        false,
    )
    .await
    .unwrap();
    assert_eq!(none.status(), 422);
    assert!(none
        .text()
        .await
        .unwrap()
        .contains("tick at least one account"));

    // Send, twice (a double click): one post, one copy on each account.
    let fields = || {
        vec![
            ("text", "hello from the compose page".to_owned()),
            ("to", a.name.clone()),
            ("to", b.name.clone()),
            ("action", "send".into()),
        ]
    };
    let sent = post(fields(), true).await.unwrap();
    assert_eq!(sent.status(), 303);
    let location = sent.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/compose/posts/"), "{location}");
    let again = post(fields(), true).await.unwrap();
    assert_eq!(again.headers()[LOCATION].to_str().unwrap(), location);

    // The status page, until both are delivered.
    let mut html = String::new();
    for _ in 0..100 {
        html = http
            .get(format!("{}{location}", web.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.matches(">delivered<").count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(html.matches(">delivered<").count(), 2, "{html}");
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "no refresh once finished"
    );
    for token in [&alice, &bob] {
        let statuses = mock.own_status_objects(token).await;
        let mine: Vec<_> = statuses
            .iter()
            .filter(|s| {
                s["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("hello from the compose page")
            })
            .collect();
        assert_eq!(mine.len(), 1, "{statuses:?}");
        let media = mine[0]["media_attachments"].as_array().unwrap();
        assert_eq!(media.len(), 1, "{:?}", mine[0]);
        assert_eq!(media[0]["description"], "a single red dot");
    }
    web.stop();
}

/// The status page of a delivery being sent says "sending" and gives no "next attempt": its
/// stored time is the one it was claimed for, already past. Queued, it says when it goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_being_sent_shows_no_next_attempt() {
    use braid::store::{NewPost, NewTarget};
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let alice = mock.user("alice").await;
    let h = Harness::new(|_| {});
    let (a, _) = log_in(&h, &mock.base, &alice, 0).await;
    let (post, _) = h
        .store
        .enqueue_post(NewPost {
            key: "status-page".into(),
            draft: serde_json::json!({ "text": "being sent" }),
            media: vec![],
            not_before: None,
            targets: vec![NewTarget {
                account: a.id,
                name: a.name.clone(),
                key: "status-page-a".into(),
                not_before: None,
            }],
            options: serde_json::json!({}),
            routed: None,
            own: None,
        })
        .await
        .unwrap();
    let web = support::serve_web(&h.store).await;
    let (cookie, _) = support::owner_session(&h.store).await;
    let page = || async {
        reqwest::Client::new()
            .get(format!("{}/compose/posts/{post}", web.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let queued = page().await;
    assert!(
        queued.contains(">queued<") && queued.contains("next attempt"),
        "{queued}"
    );
    let due = h.store.due_deliveries(10).await.unwrap().remove(0);
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert!(h.store.claim_delivery(due, deadline).await.unwrap());
    let sending = page().await;
    assert!(sending.contains(">sending<"), "{sending}");
    assert!(!sending.contains("next attempt"), "{sending}");
    web.stop();
}
