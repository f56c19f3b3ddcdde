//! The media proxy on a real server: the timeline embeds remote avatars, attached images and
//! images inside items only through signed `/media/…` addresses; the proxy fetches them from a
//! server on 127.0.0.1 and passes on raster images only (by their bytes, never the remote's
//! `Content-Type`), refuses unsigned or altered addresses, private addresses when they are not
//! allowed, oversized images, and anyone but the owner.

use braid::store::{NewSource, PollSuccess};
use braid_core::{Attachment, Author, Item, ItemKind, RemoteId};
use reqwest::redirect::Policy;

use crate::support::server::{Reply, TestServer};
use crate::support::{self, Harness};

const PNG: &[u8] = crate::accounts::PNG_1X1;

async fn remote() -> TestServer {
    TestServer::start(|seen| match seen.path.as_str() {
        "/a.png" | "/avatar.png" | "/inline.png" => Reply::ok("image/png", PNG),
        // An SVG with script, claiming to be a PNG.
        "/lies.png" => Reply::ok(
            "image/png",
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
        ),
        "/page.png" => Reply::ok("text/html", "<html><script>alert(1)</script></html>"),
        "/huge.png" => {
            let mut body = PNG.to_vec();
            body.resize(9 * 1024 * 1024, 0);
            Reply::ok("image/png", body)
        }
        _ => Reply::status(404),
    })
    .await
}

async fn with_item(h: &Harness, img: &TestServer) {
    let source = h
        .store
        .add_source(NewSource {
            name: "pics".into(),
            kind: "feed".into(),
            url: "https://pics.example/feed.xml".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap();
    let html = format!(
        r#"<p>look <img src="{}" alt="inline one"></p>"#,
        img.url("/inline.png")
    );
    let item = Item {
        remote_id: RemoteId::from("https://pics.example/1"),
        kind: ItemKind::Note,
        content_html: Some(braid_core::sanitize::clean_html(&html)),
        author: Some(Author {
            name: Some("Pic Poster".into()),
            avatar: Some(img.url("/avatar.png")),
            ..Author::default()
        }),
        attachments: vec![Attachment {
            url: img.url("/a.png"),
            media_type: Some("image/png".into()),
            alt: Some("a red dot".into()),
            ..Attachment::default()
        }],
        published: Some(chrono::Utc::now()),
        ..Item::default()
    };
    h.store
        .record_poll_success(source, vec![item], vec![], PollSuccess::default())
        .await
        .unwrap();
}

/// Every `/media/…` address in the page.
fn media_srcs(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .filter(|src| src.starts_with("/media/"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_images_come_through_the_signed_proxy_and_nothing_else_does() {
    let img = remote().await;
    let h = Harness::new(|c| c.fetch.allow_private_networks = true);
    with_item(&h, &img).await;
    let web =
        support::serve_web_with(&h.store, None, |c| c.fetch.allow_private_networks = true).await;
    let page = web
        .client
        .get(format!("{}/", web.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("src=\"http"),
        "a remote address is embedded: {page}"
    );
    let srcs = media_srcs(&page);
    assert_eq!(
        srcs.len(),
        3,
        "avatar, attachment and inline image: {srcs:?}"
    );
    for src in &srcs {
        let resp = web
            .client
            .get(format!("{}{src}", web.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{src}");
        assert_eq!(resp.headers()["content-type"], "image/png");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("sandbox") && csp.starts_with("default-src 'none'"),
            "{csp}"
        );
        assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    }
    assert!(page.contains("alt=\"a red dot\""), "alt text kept");

    // Addresses Braid signs for other files: only raster images pass, whatever the remote says.
    let signer = web_signer(&h).await;
    for (path, status) in [
        ("/lies.png", 415),
        ("/page.png", 415),
        ("/huge.png", 502),
        ("/gone.png", 502),
    ] {
        let src = signer.path(&img.url(path)).unwrap();
        let resp = web
            .client
            .get(format!("{}{src}", web.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{path}");
        assert_ne!(resp.headers()["content-type"], "image/svg+xml");
    }
    // An altered or unsigned address is refused before anything is fetched.
    let hits = img.hits("/a.png").len();
    let good = &srcs[1];
    let (sig, _) = good.trim_start_matches("/media/").split_once('/').unwrap();
    let other = base64_url(&img.url("/avatar.png?x"));
    for bad in [
        format!("/media/{sig}/{other}"),
        format!("/media/AAAA/{other}"),
        format!("/media/{sig}/"),
    ] {
        let resp = web
            .client
            .get(format!("{}{bad}", web.base))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(resp.status().as_u16(), 403 | 404),
            "{bad}: {}",
            resp.status()
        );
    }
    assert_eq!(
        img.hits("/a.png").len(),
        hits,
        "nothing fetched for a bad signature"
    );
    // Not for anyone but the owner.
    let anonymous = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{good}", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    web.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_refuses_private_addresses_by_default() {
    let img = remote().await;
    let h = Harness::new(|_| {});
    with_item(&h, &img).await;
    let web = support::serve_web(&h.store).await;
    let signer = web_signer(&h).await;
    let src = signer.path(&img.url("/a.png")).unwrap();
    let resp = web
        .client
        .get(format!("{}{src}", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.text().await.unwrap().contains("private"));
    assert!(img.hits("/a.png").is_empty(), "nothing was fetched");
    web.stop();
}

/// The proxy's signer for this store (the key is the store's, as the server's is).
async fn web_signer(h: &Harness) -> braid::web::media::MediaSigner {
    let ctx = braid::web::WebContext::new(
        h.store.clone(),
        &braid::config::Config::default(),
        "127.0.0.1:1".parse().unwrap(),
        None,
    )
    .unwrap();
    ctx.media_signer().await.unwrap()
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
