//! The Mastodon API family's factory: logging in (a token, or OAuth out of band), an account's
//! timelines as sources, and connectors built from an account's [`Credentials`].

use std::sync::Arc;

use async_trait::async_trait;
use braid_core::factory::{
    BuildContext, FieldKind, LoggedIn, LoginContext, LoginField, LoginInput, LoginMethod,
    LoginQuestion, LoginSpec, LoginStep, NewSourceSpec, SourceView, TimelineSpec,
};
use braid_core::{AccountView, Connector, ConnectorError, Factory};
use serde_json::Value;
use url::Url;

use crate::credentials::{identity, Credentials};
use crate::oauth::{self, PendingLogin};
use crate::{detect_server_type, sns, verify_credentials, MastodonConnector, ServerKind, Timeline};

/// The registry's entry for the Mastodon API family.
pub static FACTORY: MastodonFactory = MastodonFactory;

/// See the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct MastodonFactory;

/// The kind stored in account and source rows.
pub const KIND: &str = "mastodon";

/// Statuses a timeline's first poll reads when the source does not say.
pub const DEFAULT_BACKFILL: u32 = 40;

const INSTANCE: LoginField = LoginField {
    id: "instance",
    label: "Instance",
    help: "The instance, e.g. https://mastodon.social or mastodon.social.",
    kind: FieldKind::Url,
    required: true,
    positional: true,
    default: None,
    conflicts_with: &[],
    value_name: "INSTANCE",
};

const CODE: LoginField = LoginField {
    id: "code",
    label: "Authorization code",
    help: "The authorization code, when you already opened the authorize link. Text some \
           servers show beside it (`&state=…`, a `code=` prefix, spaces) is ignored.",
    kind: FieldKind::Secret,
    required: false,
    positional: false,
    default: None,
    conflicts_with: &[],
    value_name: "CODE",
};

static CODE_FIELD: LoginField = CODE;

static LOGIN: LoginSpec = LoginSpec {
    methods: &[
        LoginMethod::OAuthOutOfBand,
        LoginMethod::OAuthRedirect,
        LoginMethod::Token,
    ],
    name_default: "user@host",
    answered_later: &["code"],
    fields: &[
        INSTANCE,
        LoginField {
            id: "token",
            label: "Access token",
            help: "An access token made in the server's settings (Development → New \
                   application). Without one, Braid asks the server to authorize it.",
            kind: FieldKind::Secret,
            required: false,
            positional: false,
            default: None,
            conflicts_with: &["code"],
            value_name: "TOKEN",
        },
        CODE,
        LoginField {
            id: "server-type",
            label: "Server software",
            help: "Server software, when nodeinfo detection fails: mastodon, pleroma, \
                   friendica, gotosocial, firefish. Software Braid does not know that answers \
                   the Mastodon API is used as mastodon without it.",
            kind: FieldKind::Text,
            required: false,
            positional: false,
            default: None,
            conflicts_with: &[],
            value_name: "TYPE",
        },
        LoginField {
            id: "no-home",
            label: "Do not read the home timeline",
            help: "Do not add the home timeline as a source.",
            kind: FieldKind::Flag,
            required: false,
            positional: false,
            default: None,
            conflicts_with: &[],
            value_name: "",
        },
        LoginField {
            id: "backfill",
            label: "Statuses on the first poll",
            help: "Statuses fetched on the first poll of the home timeline.",
            kind: FieldKind::Number,
            required: false,
            positional: false,
            default: Some("40"),
            conflicts_with: &[],
            value_name: "N",
        },
    ],
};

static TIMELINES: &[TimelineSpec] = &[
    TimelineSpec {
        pattern: "home",
        about: "the statuses of the accounts you follow, and your own",
    },
    TimelineSpec {
        pattern: "list:ID",
        about: "one of your lists",
    },
    TimelineSpec {
        pattern: "tag:NAME",
        about: "a hashtag (without the #)",
    },
    TimelineSpec {
        pattern: "account:ID",
        about: "one account's statuses (its id on your instance)",
    },
];

/// What a login remembers between asking for the code and getting it.
struct Pending {
    instance: Url,
    home: Option<u32>,
    app: PendingLogin,
}

impl Pending {
    fn to_value(&self) -> Value {
        serde_json::json!({
            "instance": self.instance.as_str(),
            "home": self.home,
            "authorize_url": self.app.authorize_url,
            "client_id": self.app.client_id,
            "client_secret": self.app.client_secret,
            "redirect_uri": self.app.redirect_uri,
            "server_type": self.app.server_type,
        })
    }

    fn from_value(v: &Value) -> Result<Pending, ConnectorError> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ConnectorError::Permanent(format!("mastodon: the login lost its {k}"))
                })
        };
        Ok(Pending {
            instance: Url::parse(&text("instance")?)
                .map_err(|e| ConnectorError::Permanent(format!("mastodon: {e}")))?,
            home: v
                .get("home")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            app: PendingLogin {
                authorize_url: text("authorize_url")?,
                client_id: text("client_id")?,
                client_secret: text("client_secret")?,
                redirect_uri: text("redirect_uri")?,
                server_type: text("server_type")?,
            },
        })
    }
}

#[async_trait]
impl Factory for MastodonFactory {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn display_name(&self) -> &'static str {
        "Mastodon API family"
    }

    fn short_name(&self) -> &'static str {
        "Mastodon"
    }

    fn about(&self) -> &'static str {
        "an account on Mastodon, Pleroma/Akkoma, Friendica, GoToSocial or Firefish"
    }

    fn login(&self) -> Option<&'static LoginSpec> {
        Some(&LOGIN)
    }

    /// With a token: verified and done. Otherwise Braid registers itself on the instance and
    /// asks for the code its authorize page shows (unless `code` already holds it).
    async fn begin_login(
        &self,
        ctx: &LoginContext,
        input: &LoginInput,
    ) -> Result<LoginStep, ConnectorError> {
        let instance = instance_url(input.require("instance")?)?;
        let kind = server_type(input.get("server-type"), &instance, &ctx.http).await?;
        let notes: Vec<String> = kind.note().into_iter().collect();
        let home = (!input.flag("no-home"))
            .then(|| input.number("backfill"))
            .transpose()?
            .map(|n| n.unwrap_or(DEFAULT_BACKFILL));
        if let Some(token) = input.get("token") {
            let credentials = Credentials {
                token: token.to_owned(),
                server_type: Some(kind.server_type),
                client_id: None,
                client_secret: None,
            };
            return logged_in(ctx, &instance, credentials, home, notes).await;
        }
        // With a callback (the web UI) the authorize page sends the browser back with the
        // code; without one it shows the code to paste.
        let redirect = ctx
            .callback
            .as_ref()
            .map_or(oauth::OOB_REDIRECT, |url| url.as_str());
        let state = ctx.callback.as_ref().and(ctx.callback_state.as_deref());
        let app =
            oauth::start_with_redirect(&instance, &kind.server_type, redirect, state, &ctx.http)
                .await?;
        let pending = Pending {
            instance,
            home,
            app,
        };
        match input.get("code") {
            Some(code) => finish(ctx, pending, code, notes).await,
            None => Ok(LoginStep::Ask(Box::new(LoginQuestion {
                notes,
                prompt: if ctx.callback.is_some() {
                    "Open this link and authorize Braid:".into()
                } else {
                    "Open this link, authorize Braid, and paste the code it shows:".into()
                },
                link: Some(pending.app.authorize_url.clone()),
                answer: &CODE_FIELD,
                state: pending.to_value(),
            }))),
        }
    }

    async fn continue_login(
        &self,
        ctx: &LoginContext,
        state: &Value,
        answer: &str,
    ) -> Result<LoginStep, ConnectorError> {
        finish(ctx, Pending::from_value(state)?, answer, Vec::new()).await
    }

    /// A login by token keeps the OAuth app an earlier login registered.
    fn merge_credentials(&self, old: &Value, new: Value) -> Value {
        let Ok(mut fresh) = Credentials::from_value(&new) else {
            return new;
        };
        if fresh.client_id.is_none() {
            if let Ok(old) = Credentials::from_value(old) {
                fresh.client_id = old.client_id;
                fresh.client_secret = old.client_secret;
            }
        }
        fresh.to_value()
    }

    fn login_again(&self, account: &AccountView) -> String {
        format!(
            "braid account add {KIND} {}",
            account.server_url.as_deref().unwrap_or("SERVER")
        )
    }

    /// The same instance; the rest (a token, or the authorization) is new.
    fn login_again_input(&self, account: &AccountView) -> LoginInput {
        LoginInput::from_pairs(
            account
                .server_url
                .iter()
                .map(|url| ("instance", url.clone())),
        )
    }

    fn timelines(&self) -> &'static [TimelineSpec] {
        TIMELINES
    }

    fn default_backfill(&self) -> u32 {
        DEFAULT_BACKFILL
    }

    /// The source's URL is a readable key (`https://host/@user/timeline/home`), unique per
    /// account and timeline; the connector reads the instance and token from the account.
    fn timeline_source(
        &self,
        account: &AccountView,
        timeline: &str,
        backfill: Option<u32>,
    ) -> Result<NewSourceSpec, ConnectorError> {
        let parsed: Timeline = timeline
            .parse()
            .map_err(|e: String| ConnectorError::Permanent(format!("mastodon: {e}")))?;
        let instance = account_instance(account)?;
        let acct = account.handle.as_deref().unwrap_or(&account.name);
        let user = acct.split('@').next().unwrap_or(acct);
        Ok(NewSourceSpec {
            name: format!("{acct} {parsed}"),
            url: format!("{}@{user}/timeline/{parsed}", instance.as_str()),
            settings: serde_json::json!({
                "timeline": parsed.to_string(),
                "backfill": backfill.unwrap_or(DEFAULT_BACKFILL),
            }),
            found_from: None,
        })
    }

    async fn connector(
        &self,
        ctx: &BuildContext,
        source: &SourceView,
        account: Option<&AccountView>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let account = account.ok_or_else(|| {
            ConnectorError::Permanent(
                "mastodon: this source names no account; add it again with `braid account add`"
                    .into(),
            )
        })?;
        let timeline = match source.settings.get("timeline").and_then(Value::as_str) {
            Some(t) => Some(
                t.parse()
                    .map_err(|e: String| ConnectorError::Permanent(format!("mastodon: {e}")))?,
            ),
            None => None,
        };
        let backfill = source
            .settings
            .get("backfill")
            .and_then(Value::as_u64)
            .and_then(|b| u32::try_from(b).ok())
            .unwrap_or(DEFAULT_BACKFILL);
        Ok(Arc::new(build(ctx, account, timeline, backfill)?))
    }

    async fn sink(
        &self,
        ctx: &BuildContext,
        account: &AccountView,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        Ok(Arc::new(
            build(ctx, account, None, 0)?.with_limits_cache(ctx.state.clone()),
        ))
    }
}

fn build(
    ctx: &BuildContext,
    account: &AccountView,
    timeline: Option<Timeline>,
    backfill: u32,
) -> Result<MastodonConnector, ConnectorError> {
    let credentials =
        Credentials::from_value(&account.credentials).map_err(|_| missing_token(account))?;
    MastodonConnector::new(
        account_instance(account)?,
        credentials.token,
        timeline,
        backfill,
        ctx.http.clone(),
    )
}

/// The error for an account whose stored token is missing or empty: never a request with an
/// empty token, always the command that fixes it.
fn missing_token(account: &AccountView) -> ConnectorError {
    ConnectorError::Auth(format!(
        "{KIND}: account {} has no access token; log in again with `{}`",
        account.name,
        FACTORY.login_again(account)
    ))
}

fn account_instance(account: &AccountView) -> Result<Url, ConnectorError> {
    Url::parse(account.server_url.as_deref().unwrap_or_default())
        .map_err(|e| ConnectorError::Permanent(format!("mastodon: bad instance URL: {e}")))
}

/// Normalizes what a person types as an instance: `example.social` → `https://example.social/`.
pub fn instance_url(raw: &str) -> Result<Url, ConnectorError> {
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        ConnectorError::Permanent(format!(
            "{raw:?} is not an instance URL ({e}); give one like https://example.social"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConnectorError::Permanent(format!(
            "{raw:?} is not an http(s) instance URL"
        )));
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The server software: the one the person named (checked), else what nodeinfo says; unknown
/// software that answers the Mastodon API is `mastodon`, with a note saying what was found.
async fn server_type(
    named: Option<&str>,
    instance: &Url,
    http: &braid_core::http::SafeClient,
) -> Result<ServerKind, ConnectorError> {
    match named {
        Some(t) => Ok(ServerKind {
            server_type: sns(t)?.to_string(),
            software: None,
            version: None,
            known: true,
        }),
        None => detect_server_type(instance, http).await,
    }
}

async fn finish(
    ctx: &LoginContext,
    pending: Pending,
    code: &str,
    notes: Vec<String>,
) -> Result<LoginStep, ConnectorError> {
    let token = oauth::finish(&pending.instance, &pending.app, code, &ctx.http).await?;
    let credentials = Credentials {
        token,
        server_type: Some(pending.app.server_type.clone()),
        client_id: Some(pending.app.client_id.clone()),
        client_secret: Some(pending.app.client_secret.clone()),
    };
    logged_in(ctx, &pending.instance, credentials, pending.home, notes).await
}

/// Verifies the token (`verify_credentials`) and says whose account it is; `home` adds the
/// home timeline with that backfill.
async fn logged_in(
    ctx: &LoginContext,
    instance: &Url,
    credentials: Credentials,
    home: Option<u32>,
    notes: Vec<String>,
) -> Result<LoginStep, ConnectorError> {
    let me = verify_credentials(instance, &credentials.token, &ctx.http).await?;
    let detail = credentials.server_type.clone();
    let mut done = LoggedIn {
        identity: identity(instance, &me.id),
        default_name: me.acct.clone(),
        handle: Some(me.acct),
        display_name: me.display_name,
        profile_url: me.url,
        server_url: Some(instance.to_string()),
        credentials: credentials.to_value(),
        detail,
        notes,
        sources: Vec::new(),
    };
    if let Some(backfill) = home {
        let view = AccountView {
            id: braid_core::AccountId(0),
            name: done.default_name.clone(),
            kind: KIND.into(),
            identity: done.identity.clone(),
            handle: done.handle.clone(),
            server_url: done.server_url.clone(),
            credentials: Value::Null,
        };
        done.sources
            .push(FACTORY.timeline_source(&view, "home", Some(backfill))?);
    }
    Ok(LoginStep::Done(Box::new(done)))
}
