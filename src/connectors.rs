//! The connector registry: the list of networks this build knows, one factory per connector
//! crate. A new network is one new crate under `connectors/` and one line in [`BUILTIN`];
//! nothing else under `src/` names a network. Everything else asks the registry: which factory
//! makes a kind's connectors, which one subscribes by URL, which ones have accounts.
//!
//! This file also builds connectors from stored records, handing each factory what the
//! contract promises: the safe HTTP client, the connector's own key/value store, and a handle
//! that saves refreshed credentials of its account.

use std::sync::Arc;

use braid_core::http::SafeClient;
use braid_core::state::{CredentialSaver, Scope, ScopeOwner, StateStore};
use braid_core::{
    AccountId, AccountView, BuildContext, Connector, ConnectorError, Factory, SourceView,
};

use crate::site::{SiteInfo, StoreSite};
use crate::store::{AccountRecord, SourceRecord, Store, StoreError};

/// Every network this build knows, in the order help texts list them.
static BUILTIN: &[&'static dyn Factory] = &[
    &braid_feed::FACTORY,
    &braid_mastodon::FACTORY,
    &braid_activitypub::FACTORY,
];

/// The factories in use: [`Registry::builtin`], plus any a test adds.
#[derive(Clone)]
pub struct Registry {
    factories: Vec<&'static dyn Factory>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.kinds()).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::builtin()
    }
}

/// The built-in network of `kind`, without building a registry: for labels shown on every
/// timeline entry.
pub fn builtin(kind: &str) -> Option<&'static dyn Factory> {
    BUILTIN.iter().copied().find(|f| f.kind() == kind)
}

impl Registry {
    /// The networks compiled into this build.
    pub fn builtin() -> Registry {
        Registry {
            factories: BUILTIN.to_vec(),
        }
    }

    /// This registry and `factory` (a test's own network). A kind already known is replaced.
    pub fn with(mut self, factory: &'static dyn Factory) -> Registry {
        self.factories.retain(|f| f.kind() != factory.kind());
        self.factories.push(factory);
        self
    }

    pub fn factories(&self) -> &[&'static dyn Factory] {
        &self.factories
    }

    /// The kinds, for help texts and errors.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.factories.iter().map(|f| f.kind()).collect()
    }

    /// The factory of `kind`, or an error that lists the known kinds.
    pub fn get(&self, kind: &str) -> Result<&'static dyn Factory, ConnectorError> {
        self.factories
            .iter()
            .copied()
            .find(|f| f.kind() == kind)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "braid: unknown kind {kind:?}; this build knows {}",
                    self.kinds().join(", ")
                ))
            })
    }

    /// The network a bare URL subscribes to (`braid source add URL`, OPML): the first that
    /// subscribes by URL.
    pub fn by_url(&self) -> Result<&'static dyn Factory, ConnectorError> {
        self.factories
            .iter()
            .copied()
            .find(|f| f.subscribes_by_url())
            .ok_or_else(|| {
                ConnectorError::Unsupported("braid: no network here subscribes by URL".into())
            })
    }

    /// The network whose sources are accounts followed by handle (`braid follow`).
    pub fn by_follow(&self) -> Result<&'static dyn Factory, ConnectorError> {
        self.factories
            .iter()
            .copied()
            .find(|f| f.follows())
            .ok_or_else(|| {
                ConnectorError::Unsupported("braid: no network here follows accounts".into())
            })
    }

    /// The networks that have accounts to log in to.
    pub fn with_accounts(&self) -> impl Iterator<Item = &'static dyn Factory> + '_ {
        self.factories
            .iter()
            .copied()
            .filter(|f| f.login().is_some())
    }
}

/// What every connector is built with.
#[derive(Clone, Debug)]
pub struct ConnectorContext {
    /// The safe HTTP client (private-network blocking, body caps, timeouts).
    pub http: SafeClient,
    pub registry: Registry,
    /// The site's public address and names, when it has one (`web.base_url`): connectors
    /// are built with a [`braid_core::host::Site`] over it.
    pub site: Option<SiteInfo>,
}

impl ConnectorContext {
    pub fn new(http: SafeClient) -> Self {
        ConnectorContext {
            http,
            registry: Registry::builtin(),
            site: None,
        }
    }
}

fn transient(e: StoreError) -> ConnectorError {
    ConnectorError::Transient(e.to_string())
}

/// Builds the connector of `source`. A source that reads through an account gets the
/// account's credentials here, and nowhere else.
pub async fn build(
    source: &SourceRecord,
    ctx: &ConnectorContext,
    store: &Store,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    let factory = ctx.registry.get(&source.kind)?;
    let account = match account_of(source) {
        Some(id) => {
            let record = store.account(id).await.map_err(transient)?.ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "{}: the account this source read through was removed",
                    factory.kind()
                ))
            })?;
            Some(account_view(store, &record, factory).await?)
        }
        None => None,
    };
    let owner = match &account {
        Some(a) => ScopeOwner::Account(a.id),
        None => ScopeOwner::Source(source.id),
    };
    let build_ctx = build_context(ctx, store, factory, owner, account.as_ref().map(|a| a.id));
    let view = SourceView {
        id: source.id,
        name: source.name.clone(),
        url: source.url.clone(),
        settings: source.settings.clone(),
    };
    factory.connector(&build_ctx, &view, account.as_ref()).await
}

/// Builds a connector that publishes as `account`.
pub async fn sink(
    account: &AccountRecord,
    ctx: &ConnectorContext,
    store: &Store,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    let factory = ctx.registry.get(&account.kind)?;
    // The caller's record is used as it is: a delivery reads the account once.
    let view = account_view(store, account, factory).await?;
    let build_ctx = build_context(
        ctx,
        store,
        factory,
        ScopeOwner::Account(account.id),
        Some(account.id),
    );
    factory.sink(&build_ctx, &view).await
}

pub(crate) fn build_context(
    ctx: &ConnectorContext,
    store: &Store,
    factory: &dyn Factory,
    owner: ScopeOwner,
    account: Option<AccountId>,
) -> BuildContext {
    let backend = Arc::new(store.clone());
    let scope = |owner| Scope {
        kind: factory.kind().to_owned(),
        owner,
    };
    BuildContext {
        http: ctx.http.clone(),
        state: StateStore::new(backend.clone(), scope(owner)),
        network_state: StateStore::new(backend.clone(), scope(ScopeOwner::Network)),
        credentials: account.map(|id| CredentialSaver::new(backend, id)),
        site: ctx
            .site
            .as_ref()
            .map(|info| StoreSite::shared(store.clone(), info, factory.kind())),
    }
}

/// Builds the hosted connector of `factory` ([`braid_core::Factory::hosted`]): `None` when the
/// network has none, or the site has no public address.
pub async fn hosted(
    factory: &'static dyn Factory,
    ctx: &ConnectorContext,
    store: &Store,
) -> Result<Option<Arc<dyn Connector>>, ConnectorError> {
    if ctx.site.is_none() {
        return Ok(None);
    }
    let build_ctx = build_context(ctx, store, factory, ScopeOwner::Network, None);
    factory.hosted(&build_ctx).await
}

/// `record` as its factory sees it, with its credentials. An account whose credentials were
/// refused is an error that says how to log in again, so no request goes out with credentials
/// known to be bad.
pub async fn account_view(
    store: &Store,
    record: &AccountRecord,
    factory: &dyn Factory,
) -> Result<AccountView, ConnectorError> {
    let credentials = store
        .account_credentials(record.id)
        .await
        .map_err(transient)?
        .unwrap_or_default();
    let view = AccountView {
        id: record.id,
        name: record.name.clone(),
        kind: record.kind.clone(),
        identity: record.identity.clone(),
        handle: record.handle.clone(),
        server_url: record.server_url.clone(),
        credentials,
    };
    if record.needs_login {
        return Err(ConnectorError::Auth(format!(
            "{}: {} must log in again: `{}`",
            record.kind,
            record.name,
            factory.login_again(&view)
        )));
    }
    Ok(view)
}

/// The account a source reads through, if any.
pub fn account_of(source: &SourceRecord) -> Option<AccountId> {
    source.account
}
