//! The factory: what a network is and how to make its connectors. Each connector crate exports
//! one value implementing [`Factory`]; the core's registry is the list of them, and nothing else
//! in the core names a network.
//!
//! A factory answers four questions, each without the core knowing the network:
//! - **What is it?** [`Factory::kind`] (stored in every source and account row) and
//!   [`Factory::display_name`].
//! - **How does one log in?** [`Factory::login`] declares the fields (the CLI turns them into
//!   flags, the web UI into a form); [`Factory::begin_login`] and [`Factory::continue_login`]
//!   run the steps (a token is one step; an OAuth out-of-band flow asks for the code the
//!   authorize page shows), ending in a verified [`LoggedIn`].
//! - **How is a source made?** By URL ([`Factory::subscribe`], feeds) or as one of an account's
//!   timelines ([`Factory::timeline_source`], listed by [`Factory::timelines`]).
//! - **How is a connector built?** [`Factory::connector`] from a source record (and its
//!   account), [`Factory::sink`] from an account. The core keeps what it builds while the
//!   records are unchanged, so a connector may hold a session or a rate-limit window.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use crate::connector::Connector;
use crate::error::ConnectorError;
use crate::http::SafeClient;
use crate::ids::{AccountId, SourceId};
use crate::state::{CredentialSaver, StateStore};

/// One network's factory. Implemented by a unit struct in each connector crate, exported as
/// `pub static FACTORY`.
#[async_trait]
pub trait Factory: Send + Sync {
    /// The registry kind, stored in source and account rows: `"feed"`, `"mastodon"`. Never
    /// changes once released.
    fn kind(&self) -> &'static str;

    /// The name people see: "RSS, Atom and JSON Feed", "Mastodon API family".
    fn display_name(&self) -> &'static str;

    /// A word or two for where space is short, such as the timeline's network badges:
    /// "Feed", "Mastodon". The display name unless the network says otherwise.
    fn short_name(&self) -> &'static str {
        self.display_name()
    }

    /// One line for help texts: what an account or source of this network is.
    fn about(&self) -> &'static str;

    /// How an account logs in. `None`: the network has no accounts (feeds are read by URL).
    fn login(&self) -> Option<&'static LoginSpec> {
        None
    }

    /// Starts a login with the values of [`LoginSpec::fields`]. Either ends it (a token, an app
    /// password, a generated keypair) or asks for one more answer (the code of an OAuth
    /// out-of-band flow; with [`LoginContext::callback`], a link whose page sends the browser
    /// back there with the answer and [`LoginContext::callback_state`]).
    async fn begin_login(
        &self,
        ctx: &LoginContext,
        input: &LoginInput,
    ) -> Result<LoginStep, ConnectorError> {
        let _ = (ctx, input);
        Err(self.no_accounts())
    }

    /// Goes on with a login after [`LoginStep::Ask`], with its `state` and the answer.
    async fn continue_login(
        &self,
        ctx: &LoginContext,
        state: &Value,
        answer: &str,
    ) -> Result<LoginStep, ConnectorError> {
        let _ = (ctx, state, answer);
        Err(self.no_accounts())
    }

    /// The credentials to keep when an account Braid already has logs in again: by default the
    /// new ones. A network may carry over what the new login did not make (an OAuth app).
    fn merge_credentials(&self, old: &Value, new: Value) -> Value {
        let _ = old;
        new
    }

    /// The command (or words) that fixes an account whose credentials were refused.
    fn login_again(&self, account: &AccountView) -> String {
        format!("braid account add {} …", account.kind)
    }

    /// The login values that log `account` in again (its server, say), so a form to log in
    /// again asks only for what is new. Its credentials are not in `account`.
    fn login_again_input(&self, account: &AccountView) -> LoginInput {
        let _ = account;
        LoginInput::default()
    }

    /// True when a URL alone makes a source of this network (`braid source add URL`, OPML).
    fn subscribes_by_url(&self) -> bool {
        false
    }

    /// True when this network's sources are accounts people follow, named by a handle
    /// (`@user@host`, given to [`Factory::subscribe`] as the URL `acct:user@host`) or by their
    /// profile's URL: `braid follow`.
    fn follows(&self) -> bool {
        false
    }

    /// Makes a source from a URL a person gave (a feed, or a page that links to one).
    async fn subscribe(
        &self,
        ctx: &LoginContext,
        url: &url::Url,
    ) -> Result<NewSourceSpec, ConnectorError> {
        let _ = (ctx, url);
        Err(ConnectorError::Unsupported(format!(
            "{}: sources are not added by URL",
            self.kind()
        )))
    }

    /// The sources a URL offers when there is a choice to make: a page advertising several
    /// feeds (posts, comments, a podcast) lists them, best first, so a front end that can ask
    /// (the web UI's radio buttons) lets the person pick one and passes its URL to
    /// [`Factory::subscribe`]. Empty when there is nothing to choose (the URL is a source
    /// itself, or offers one): `subscribe` with the URL as given then picks as it always did.
    /// Errors are those `subscribe` would give for the URL (not reachable, not a feed…).
    async fn choices(
        &self,
        ctx: &LoginContext,
        url: &url::Url,
    ) -> Result<Vec<SourceChoice>, ConnectorError> {
        let _ = (ctx, url);
        Ok(Vec::new())
    }

    /// True when this network's connectors may listen for pushes over HTTP
    /// ([`crate::connector::Listener`]): the web server then builds them at start and whenever
    /// a record changes, to mount their routes. Polling-only networks say no and are built on
    /// their first poll.
    fn listens(&self) -> bool {
        false
    }

    /// Builds the network's **hosted connector**: one per process, for what the network does
    /// as Braid itself rather than as one source or account (an ActivityPub actor for each
    /// stream, with its inbox; see [`crate::host`]). Called when the site has a public address
    /// ([`BuildContext::site`]) and again when sources or accounts change. `None`: the
    /// network has none (the default).
    async fn hosted(
        &self,
        ctx: &BuildContext,
    ) -> Result<Option<Arc<dyn Connector>>, ConnectorError> {
        let _ = ctx;
        Ok(None)
    }

    /// The timelines an account offers, for help texts and the web UI.
    fn timelines(&self) -> &'static [TimelineSpec] {
        &[]
    }

    /// How many entries a timeline's first poll reads when the person does not say.
    fn default_backfill(&self) -> u32 {
        40
    }

    /// A source reading `timeline` (one of [`Factory::timelines`], with its argument) of
    /// `account`; `backfill` bounds the first poll (the factory's default when `None`).
    fn timeline_source(
        &self,
        account: &AccountView,
        timeline: &str,
        backfill: Option<u32>,
    ) -> Result<NewSourceSpec, ConnectorError> {
        let _ = (account, timeline, backfill);
        Err(ConnectorError::Unsupported(format!(
            "{}: accounts of this network have no timelines to read",
            self.kind()
        )))
    }

    /// Builds the connector of a source. `account` is the account the source reads through,
    /// when it names one. Called once per change of the records, not once per poll.
    async fn connector(
        &self,
        ctx: &BuildContext,
        source: &SourceView,
        account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError>;

    /// Builds a connector that publishes as `account` (its `sink()` is present).
    async fn sink(
        &self,
        ctx: &BuildContext,
        account: &AccountView,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let _ = (ctx, account);
        Err(ConnectorError::Unsupported(format!(
            "{}: this network cannot be posted to",
            self.kind()
        )))
    }

    /// The error for a login or account call on a network without accounts.
    fn no_accounts(&self) -> ConnectorError {
        ConnectorError::Unsupported(format!(
            "{}: this network has no accounts to log in to",
            self.kind()
        ))
    }
}

/// What logging in needs: the safe client, and where a browser can come back to.
#[derive(Clone, Debug)]
pub struct LoginContext {
    pub http: SafeClient,
    /// Where an OAuth redirect flow sends the browser back (the web UI's callback URL, whose
    /// handler calls [`Factory::continue_login`] with the code). `None` where no browser can
    /// come back, as in the CLI: factories then use an out-of-band flow or a token.
    pub callback: Option<url::Url>,
    /// The value the browser must bring back to the callback (OAuth's `state`, RFC 6749
    /// §4.1.1): a redirect flow puts it in its authorize link, and the web UI finishes only a
    /// login whose callback carries the state of one it started (§10.12: no forged callbacks).
    pub callback_state: Option<String>,
}

impl LoginContext {
    /// A context without a callback (the CLI, scripts).
    pub fn new(http: SafeClient) -> Self {
        LoginContext {
            http,
            callback: None,
            callback_state: None,
        }
    }

    /// A context whose redirect flows send the browser back to `callback` with `state`.
    pub fn with_callback(http: SafeClient, callback: url::Url, state: String) -> Self {
        LoginContext {
            http,
            callback: Some(callback),
            callback_state: Some(state),
        }
    }
}

/// What a connector is built with.
#[derive(Clone)]
pub struct BuildContext {
    pub http: SafeClient,
    /// The connector's own key/value store: scoped to the account it reads or posts through,
    /// else to its source. Removed with them.
    pub state: StateStore,
    /// The network's key/value store, shared by every connector of this kind (a listener's
    /// keys, followers).
    pub network_state: StateStore,
    /// Saves refreshed credentials of the account (present when built with one).
    pub credentials: Option<CredentialSaver>,
    /// What Braid hosts (its address, streams and items), when it has a public address
    /// (`web.base_url`).
    pub site: Option<Arc<dyn crate::host::Site>>,
}

impl std::fmt::Debug for BuildContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildContext")
            .field("state", &self.state)
            .field("network_state", &self.network_state)
            .field("credentials", &self.credentials.is_some())
            .field("site", &self.site.as_ref().map(|s| s.base_url().as_str()))
            .finish_non_exhaustive()
    }
}

/// How a login is done, for the web UI to pick its screen and for help texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// A token made in the network's settings, pasted once.
    Token,
    /// OAuth: the person opens a link, authorizes, and pastes the code the page shows.
    OAuthOutOfBand,
    /// OAuth: the network sends the browser back to Braid with the code.
    OAuthRedirect,
    /// A handle and an app password (Bluesky).
    AppPassword,
    /// Braid generates a keypair; nothing to type.
    Keypair,
}

/// How to log in to a network: the fields the first step takes and the methods they choose
/// between.
#[derive(Debug, Clone, Serialize)]
pub struct LoginSpec {
    pub methods: &'static [LoginMethod],
    pub fields: &'static [LoginField],
    /// What the account name defaults to, for help: "user@host".
    pub name_default: &'static str,
    /// Fields that give up front the answer to a question the login asks later (an OAuth
    /// code to paste). The CLI offers them as flags; a form whose login comes back to a
    /// callback leaves them out, as the answer arrives there.
    pub answered_later: &'static [&'static str],
}

/// One input of a login's first step. The CLI makes a flag (`--id`) or, when `positional`, an
/// argument of it; the web UI makes a form field.
#[derive(Debug, Clone, Serialize)]
pub struct LoginField {
    /// Machine name and CLI flag: `token` is `--token`.
    pub id: &'static str,
    /// Form label.
    pub label: &'static str,
    /// One or two sentences for `--help` and the form.
    pub help: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// A positional CLI argument (in declaration order) rather than a flag.
    pub positional: bool,
    pub default: Option<&'static str>,
    /// Fields that cannot be given together with this one.
    pub conflicts_with: &'static [&'static str],
    /// The placeholder in `--help`: `TOKEN`.
    pub value_name: &'static str,
}

/// The type of a login field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// Never echoed or logged.
    Secret,
    Url,
    Number,
    /// Present or not (`--no-home`).
    Flag,
}

/// The values a person gave for a login's fields, by field id. A flag that is set holds
/// `"true"`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoginInput {
    pub values: BTreeMap<String, String>,
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are among the values; only the names are shown.
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl LoginInput {
    /// Values by field id.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        LoginInput {
            values: pairs
                .into_iter()
                .map(|(id, value)| (id.to_owned(), value))
                .collect(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&str> {
        self.values
            .get(id)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn flag(&self, id: &str) -> bool {
        self.get(id) == Some("true")
    }

    /// A required value, or an error naming the field.
    pub fn require(&self, id: &str) -> Result<&str, ConnectorError> {
        self.get(id)
            .ok_or_else(|| ConnectorError::Permanent(format!("login: {id} is required")))
    }

    pub fn number(&self, id: &str) -> Result<Option<u32>, ConnectorError> {
        self.get(id)
            .map(|v| {
                v.trim().parse().map_err(|_| {
                    ConnectorError::Permanent(format!("login: {id} must be a number, not {v:?}"))
                })
            })
            .transpose()
    }
}

/// Where a login stands after a step.
#[derive(Debug)]
pub enum LoginStep {
    /// Logged in: the core stores the account (or updates the one with the same identity).
    Done(Box<LoggedIn>),
    /// One more answer is needed: show `prompt` (and `link`, to open), read an answer, and call
    /// [`Factory::continue_login`] with `state`.
    Ask(Box<LoginQuestion>),
}

/// A question in the middle of a login.
#[derive(Debug)]
pub struct LoginQuestion {
    /// Things worth saying before the question ("unknown software X answers the Mastodon API").
    pub notes: Vec<String>,
    pub prompt: String,
    pub link: Option<String>,
    /// The field the answer fills, for its label and for the CLI flag that gives it up front.
    pub answer: &'static LoginField,
    /// Opaque to the core; may hold secrets (an OAuth client secret), so it is kept in memory
    /// or server-side only, never sent to a browser.
    pub state: Value,
}

/// A verified login.
#[derive(Debug)]
pub struct LoggedIn {
    /// Who the account is, unique per kind: the same identity logging in again updates the
    /// account instead of adding a second one.
    pub identity: String,
    /// The account's name unless the person chose one: `user@host`.
    pub default_name: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub profile_url: Option<String>,
    /// The server the account lives on, shown in lists.
    pub server_url: Option<String>,
    /// What only this factory reads back. A secret.
    pub credentials: Value,
    /// Shown in the "Logged in as …" line: the server software, say.
    pub detail: Option<String>,
    pub notes: Vec<String>,
    /// Sources added with a new account (its home timeline), unless asked not to.
    pub sources: Vec<NewSourceSpec>,
}

/// A source a factory asks the core to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSourceSpec {
    /// The name it gets unless the person chose one (made unique by the core).
    pub name: String,
    /// Unique among sources: the feed's URL, or a readable key for an account's timeline.
    pub url: String,
    /// What only this factory reads back.
    pub settings: Value,
    /// Says what was found, when the URL given was not the source's own ("found the feed on
    /// this page").
    pub found_from: Option<String>,
}

/// One of several sources a URL offers ([`Factory::choices`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceChoice {
    /// What to pass to [`Factory::subscribe`].
    pub url: url::Url,
    /// What the offer calls itself ("Comments", "Atom"), if anything.
    pub title: Option<String>,
    /// What kind of source it is, for people ("Atom", "RSS"); the declared media type when
    /// the connector has no name for it.
    pub kind: Option<String>,
}

/// A kind of timeline an account offers: `home`, `list:ID`.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineSpec {
    /// What is typed: `home`, `list:ID`.
    pub pattern: &'static str,
    pub about: &'static str,
}

/// A source as a factory sees it.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub id: SourceId,
    pub name: String,
    pub url: String,
    pub settings: Value,
}

/// An account as a factory sees it: the stored fields and its credentials.
#[derive(Clone)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub kind: String,
    pub identity: String,
    pub handle: Option<String>,
    pub server_url: Option<String>,
    pub credentials: Value,
}

impl std::fmt::Debug for AccountView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountView")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("identity", &self.identity)
            .field("server_url", &self.server_url)
            .field("credentials", &"[redacted]")
            .finish()
    }
}
