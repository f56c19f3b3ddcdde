//! `/settings` through its forms, as the owner's browser uses it: feed links and API tokens
//! made (shown once), used and revoked; the password changed, which ends every session.

use reqwest::header::{COOKIE, LOCATION};

use crate::support;

struct Browser {
    base: String,
    cookie: String,
    csrf: String,
    http: reqwest::Client,
}

impl Browser {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = form.to_vec();
        fields.push(("csrf", &self.csrf));
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("origin", &self.base)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    async fn page(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// The text of each `<p class="secret">` on the page.
fn secrets(html: &str) -> Vec<String> {
    html.split("<p class=\"secret\">")
        .skip(1)
        .map(|rest| {
            rest[..rest.find("</p>").unwrap()]
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_tokens_and_password_from_the_settings_page() {
    let h = support::Harness::new(|_| {});
    let web = support::serve_web(&h.store).await;
    let (cookie, csrf) = support::owner_session(&h.store).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let b = Browser {
        base: web.base.clone(),
        cookie,
        csrf,
        http: http.clone(),
    };
    let (status, page) = b.page("/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("No links yet."), "{page}");

    // A feed link for the merged timeline: three addresses, shown once, that work.
    let made = b
        .post("/settings/feed-links", &[("feed", ""), ("name", "phone")])
        .await;
    assert_eq!(made.status(), 200);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let lines = secrets(&made.text().await.unwrap());
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("{}/feed.atom?token=", web.base)),
        "{lines:?}"
    );
    for url in &lines {
        assert_eq!(http.get(url).send().await.unwrap().status(), 200, "{url}");
    }
    let (_, page) = b.page("/settings").await;
    assert!(
        page.contains("phone") && !page.contains(&lines[0]),
        "listed, not shown again"
    );
    // Same name for the same feed: refused with the reason, nothing made.
    let twice = b
        .post("/settings/feed-links", &[("feed", ""), ("name", "phone")])
        .await;
    assert_eq!(twice.status(), 422);
    assert!(twice.text().await.unwrap().contains("exists already"));
    let id = h.store.list_feed_tokens().await.unwrap()[0].id.to_string();
    let revoked = b.post("/settings/feed-links/revoke", &[("id", &id)]).await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(revoked.headers()[LOCATION], "/settings?done=link-revoked");
    assert_eq!(http.get(&lines[0]).send().await.unwrap().status(), 401);

    // An API token: shown once, works, revoked.
    let made = b.post("/settings/tokens", &[("name", "backup")]).await;
    let token = secrets(&made.text().await.unwrap()).remove(0);
    assert!(token.starts_with("braid_"), "{token}");
    let api = format!("{}/api/sources", web.base);
    assert_eq!(
        http.get(&api)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let revoked = b
        .post("/settings/tokens/revoke", &[("name", "backup")])
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        http.get(&api)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Without the CSRF field, nothing is made.
    let forged = http
        .post(format!("{}/settings/tokens", web.base))
        .header(COOKIE, &b.cookie)
        .form(&[("name", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(h
        .store
        .list_api_tokens()
        .await
        .unwrap()
        .iter()
        .all(|t| t.name != "forged"));

    // The password: the current one must be right; a change ends every session.
    h.store
        .set_owner_password_hash(braid::auth::hash_password("first password").unwrap())
        .await
        .unwrap();
    let (cookie, csrf) = support::owner_session(&h.store).await;
    let b = Browser { cookie, csrf, ..b };
    let wrong = b
        .post(
            "/settings/password",
            &[
                ("current", "not it at all"),
                ("password", "second password"),
                ("confirm", "second password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("current password is not right"));
    let changed = b
        .post(
            "/settings/password",
            &[
                ("current", "first password"),
                ("password", "second password"),
                ("confirm", "second password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(changed.headers()[LOCATION], "/login");
    let (status, _) = b.page("/settings").await;
    assert_eq!(status, 303, "the session ended with the change");
    let stored = h.store.owner_password_hash().await.unwrap().unwrap();
    assert!(braid::auth::verify_password(&stored, "second password"));
    web.stop();
}
