//! The accounts pages against the real Mastodon-API peer (`mastodon-mock`): the whole OAuth
//! redirect login as a browser does it (our form → the server's authorize page → its approval
//! form → our callback), a callback Braid did not start refused, a token login, a revoked token
//! shown as "needs a new login" and logged in again with its sources kept, disconnecting, and
//! CSRF. Each request is what a browser sends: the owner's session cookie, the form's `csrf`
//! field, our `Origin`; redirects are followed by hand so each hop is checked.

use braid::store::Store;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, ORIGIN};
use reqwest::redirect::Policy;
use url::Url;

use crate::support::{self, mastodon::MastodonMock, Harness};

/// Braid's web server with the daemon's context, and a browser session of the owner's.
struct Browser {
    h: Harness,
    web: support::Web,
    cookie: String,
    csrf: String,
    /// Follows no redirect and keeps no cookie: each test sends what it means.
    http: reqwest::Client,
}

async fn browser() -> Browser {
    let h = Harness::new(|_| {});
    let web = support::serve_web_with(&h.store, Some(h.ctx.clone()), |_| {}).await;
    let (cookie, csrf) = support::owner_session(&h.store).await;
    Browser {
        h,
        web,
        cookie,
        csrf,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
    }
}

/// A response's status, `Location` and body.
struct Answer {
    status: u16,
    location: String,
    csp: String,
    body: String,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (location, csp) = (header(LOCATION), header(CONTENT_SECURITY_POLICY));
    Answer {
        status: resp.status().as_u16(),
        location,
        csp,
        body: resp.text().await.unwrap(),
    }
}

impl Browser {
    /// `GET url` (a path of ours, or a whole URL) with the session cookie.
    async fn get(&self, url: &str) -> Answer {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.web.base)
        } else {
            url.to_owned()
        };
        answer(
            self.http
                .get(url)
                .header(COOKIE, &self.cookie)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A form posted from our page: cookie, `Origin` and the `csrf` field.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    /// The same without adding the `csrf` field.
    async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.http
                .post(format!("{}{path}", self.web.base))
                .header(COOKIE, &self.cookie)
                .header(ORIGIN, &self.web.base)
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn accounts(&self) -> Vec<braid::store::AccountRecord> {
        self.h.store.list_accounts().await.unwrap()
    }

    async fn sources_of(&self, account: braid_core::AccountId) -> Vec<braid::store::SourceRecord> {
        let all = self.h.store.list_sources().await.unwrap();
        all.into_iter()
            .filter(|s| s.account == Some(account))
            .collect()
    }
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of the input `name` in a page (mastodon-mock writes plain attribute values).
fn input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} input in:\n{html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Starts a redirect login of the instance at `base` through our form; returns the authorize
/// URL the browser is sent to.
async fn start_redirect_login(b: &Browser, path: &str, form: &[(&str, &str)]) -> String {
    let started = b.post(path, form).await;
    assert_eq!(started.status, 303, "{}", started.body);
    started.location
}

/// What the person does on mastodon-mock's authorize page: picks `user` on its form, which
/// answers with the redirect to our callback.
async fn authorize_as(authorize: &str, user: &str) -> String {
    let plain = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let page = plain.get(authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let fields: Vec<(&str, String)> = ["redirect_uri", "client_id", "scope", "state"]
        .into_iter()
        .map(|name| (name, input(&html, name)))
        .chain([("username", user.to_owned())])
        .collect();
    let url = Url::parse(authorize)
        .unwrap()
        .join("/oauth/authorize")
        .unwrap();
    let approved = plain.post(url).form(&fields).send().await.unwrap();
    assert_eq!(approved.status(), 302, "the server sends the browser back");
    approved.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_redirect_login_goes_to_the_server_and_back_and_adds_the_account() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    mock.user("alice").await;
    let b = browser().await;

    let list = b.get("/accounts").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No accounts yet"), "{}", list.body);
    assert!(list.body.contains("href=\"/accounts/new\""));

    // The networks come from the registry; the form from the factory's fields.
    let networks = b.get("/accounts/new").await;
    assert_eq!(networks.status, 200);
    assert!(
        networks.body.contains("Mastodon API family"),
        "{}",
        networks.body
    );
    let form = b.get("/accounts/new?network=mastodon").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("name=\"field-instance\""),
        "{}",
        form.body
    );
    assert!(form
        .body
        .contains("id=\"field-token\" name=\"field-token\" type=\"password\""));
    assert!(
        form.body.contains("for=\"field-instance\""),
        "every input has its label"
    );
    assert!(
        !form.body.contains("field-code"),
        "the code comes back to the callback; the form does not ask for it"
    );
    assert!(
        form.csp.contains("form-action 'self' https: http:"),
        "{}",
        form.csp
    );

    // Our form sends the browser to the server's authorize page, with our callback and a
    // random state.
    let authorize = start_redirect_login(
        &b,
        "/accounts/new",
        &[("network", "mastodon"), ("field-instance", &mock.base)],
    )
    .await;
    assert!(
        authorize.starts_with(&format!("{}/oauth/authorize?", mock.base)),
        "{authorize}"
    );
    assert_eq!(
        param(&authorize, "redirect_uri").as_deref(),
        Some(format!("{}/accounts/callback", b.web.base).as_str())
    );
    let state = param(&authorize, "state").expect("a state in the authorize link");
    assert!(state.len() >= 32, "{state}");
    assert!(!authorize.contains("secret"), "{authorize}");

    // The server sends the browser back with a code and our state.
    let callback = authorize_as(&authorize, "alice").await;
    assert!(
        callback.starts_with(&format!("{}/accounts/callback?", b.web.base)),
        "{callback}"
    );
    assert_eq!(param(&callback, "state"), Some(state));
    assert!(
        b.accounts().await.is_empty(),
        "nothing stored before the callback"
    );

    let done = b.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let accounts = b.accounts().await;
    assert_eq!(accounts.len(), 1);
    let alice = &accounts[0];
    assert_eq!(alice.handle.as_deref(), Some("alice@127.0.0.1"));
    assert_eq!(done.location, format!("/accounts?added={}", alice.id.0));
    let sources = b.sources_of(alice.id).await;
    assert_eq!(sources.len(), 1, "its home timeline is a source");
    let credentials =
        b.h.store
            .account_credentials(alice.id)
            .await
            .unwrap()
            .unwrap();
    assert!(
        credentials["client_secret"].is_string(),
        "the app registered for the callback is kept with the account"
    );

    let page = b.get(&done.location).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Logged in as alice@127.0.0.1"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("href=\"/?source={}\"", sources[0].id.0)));
    assert!(page.body.contains(&sources[0].name));
    assert!(page.body.contains("badge ok"));
    assert!(page.body.contains("Mastodon API family"));

    // The same callback again (a reload, a replay) finishes nothing.
    let again = b.get(&callback).await;
    assert_eq!(again.status, 400);
    assert!(
        again.body.contains("not one Braid is waiting for"),
        "{}",
        again.body
    );
    assert_eq!(b.accounts().await.len(), 1);
    b.web.stop();
}

#[tokio::test]
async fn a_callback_braid_did_not_start_is_refused() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    mock.user("alice").await;
    let b = browser().await;
    let authorize = start_redirect_login(
        &b,
        "/accounts/new",
        &[("network", "mastodon"), ("field-instance", &mock.base)],
    )
    .await;
    let callback = authorize_as(&authorize, "alice").await;
    let state = param(&callback, "state").unwrap();

    // A forged state, or none, with a code that would work: refused, nothing stored.
    for query in [
        "code=mockcode_alice&state=forged",
        "code=mockcode_alice",
        "state=",
    ] {
        let refused = b.get(&format!("/accounts/callback?{query}")).await;
        assert_eq!(refused.status, 400, "{query}");
        assert!(
            refused.body.contains("not one Braid is waiting for"),
            "{}",
            refused.body
        );
    }
    // Without the owner's session the callback is not even reached.
    let stranger = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(&callback)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 303);
    assert!(stranger.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert!(b.accounts().await.is_empty());

    // The person refused on the server's page: the reason is shown, the login is over.
    let denied = b
        .get(&format!(
            "/accounts/callback?error=access_denied&error_description=The+user+said+no&state={state}"
        ))
        .await;
    assert_eq!(denied.status, 400);
    assert!(
        denied
            .body
            .contains("did not authorize Braid: The user said no"),
        "{}",
        denied.body
    );
    assert!(
        denied.body.contains("name=\"field-instance\""),
        "the form to start again"
    );
    let late = b.get(&callback).await;
    assert_eq!(
        late.status, 400,
        "a finished login cannot be finished again"
    );
    assert!(b.accounts().await.is_empty());
    b.web.stop();
}

#[tokio::test]
async fn a_token_login_a_revoked_token_a_new_login_and_disconnecting() {
    let Some(mock) = MastodonMock::start().await else {
        return;
    };
    let token = mock.user("bob").await;
    let b = browser().await;

    // Bad input shows the form again with the reason, keeps what was typed, never the secret.
    let missing = b.post("/accounts/new", &[("network", "mastodon")]).await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.body.contains("Instance is required"),
        "{}",
        missing.body
    );
    let refused = b
        .post(
            "/accounts/new",
            &[
                ("network", "mastodon"),
                ("field-instance", &mock.base),
                ("field-token", "not-a-token-42"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""));
    assert!(refused.body.contains(&format!("value=\"{}\"", mock.base)));
    assert!(
        !refused.body.contains("not-a-token-42"),
        "a secret is never shown back"
    );
    let unknown = b.post("/accounts/new", &[("network", "nonesuch")]).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("mastodon"), "{}", unknown.body);
    assert!(b.accounts().await.is_empty());

    // A token logs in at once.
    let added = b
        .post(
            "/accounts/new",
            &[
                ("network", "mastodon"),
                ("field-instance", &mock.base),
                ("field-token", &token),
                ("field-backfill", "5"),
                ("name", "bob-here"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let bob = b.accounts().await.remove(0);
    assert_eq!(bob.name, "bob-here");
    assert_eq!(added.location, format!("/accounts?added={}", bob.id.0));
    let home = b.sources_of(bob.id).await.remove(0);
    assert_eq!(home.settings["backfill"], 5);

    // The server revokes the token; the next poll records it on the account.
    let revoked = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", mock.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    b.h.poll(home.id).await;
    let page = b.get("/accounts").await;
    assert!(page.body.contains("needs a new login"), "{}", page.body);
    let reason = b
        .accounts()
        .await
        .remove(0)
        .last_error
        .expect("the reason is stored");
    assert!(
        page.body.contains(&askama_escaped(&reason)),
        "{reason}\n{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("href=\"/accounts/{}/login\"", bob.id.0)));

    // Logging in again: the server is the account's, only the new token is asked.
    let path = format!("/accounts/{}/login", bob.id.0);
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains(&format!("name=\"field-instance\" value=\"{}/\"", mock.base)),
        "{}",
        form.body
    );
    assert!(
        !form.body.contains("id=\"field-instance\""),
        "the server is the account's, not asked again"
    );
    assert!(form.body.contains("Log in again"), "{}", form.body);
    // Someone else's token does not renew bob, and says so.
    let carol = mock.user("carol").await;
    let wrong = b.post(&path, &[("field-token", &carol)]).await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("not bob"), "{}", wrong.body);
    assert!(b.accounts().await[0].needs_login);
    assert_eq!(b.accounts().await.len(), 1);

    let fresh = mock.login("bob").await;
    let renewed = b.post(&path, &[("field-token", &fresh)]).await;
    assert_eq!(renewed.status, 303, "{}", renewed.body);
    assert_eq!(renewed.location, format!("/accounts?renewed={}", bob.id.0));
    let now = b.accounts().await.remove(0);
    assert!(!now.needs_login && now.last_error.is_none());
    let kept = b.sources_of(bob.id).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, home.id, "the account keeps its sources");
    let page = b.get(&renewed.location).await;
    assert!(page.body.contains("is logged in again"), "{}", page.body);
    assert!(!page.body.contains("needs a new login"));

    // Disconnecting: a POST without the CSRF token is refused, the question says what goes.
    let remove = format!("/accounts/{}/remove", bob.id.0);
    let forged = b.post_raw(&remove, &[]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(b.accounts().await.len(), 1);
    let question = b.get(&remove).await;
    assert_eq!(question.status, 200);
    assert!(question.body.contains(&home.name), "{}", question.body);
    assert!(
        question.body.contains("deletes the 1 source(s)"),
        "{}",
        question.body
    );
    assert!(question
        .body
        .contains(&format!("action=\"{remove}\" method=\"post\"")));
    let gone = b.post(&remove, &[]).await;
    assert_eq!(gone.status, 303);
    assert_eq!(gone.location, "/accounts?removed=1");
    assert!(b.accounts().await.is_empty());
    assert!(b.h.store.list_sources().await.unwrap().is_empty());
    b.web.stop();
}

#[tokio::test]
async fn without_the_daemon_accounts_are_shown_but_not_added() {
    let dir = support::temp_dir();
    let store = Store::open(&dir.path().join("braid.db")).unwrap();
    let web = support::serve_web(&store).await;
    let page = web
        .client
        .get(format!("{}/accounts", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(body.contains("need the daemon"), "{body}");
    assert!(!body.contains("href=\"/accounts/new\""));
    let new = web
        .client
        .get(format!("{}/accounts/new", web.base))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 503);
    assert!(new.text().await.unwrap().contains("need the daemon"));
    web.stop();
}

/// `s` as askama escapes it in a page.
fn askama_escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
