//! `GET /api/sources`: every source with its health, by name. Connector settings and the
//! poll cursor are left out: settings may name credentials, and neither is for display.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use warp::Filter;

use crate::store::SourceRecord;
use crate::web::respond::{self, Format};
use crate::web::{with_ctx, HandlerResult, WebContext};

#[derive(Serialize)]
struct ApiSource {
    id: braid_core::SourceId,
    name: String,
    kind: String,
    url: String,
    title: Option<String>,
    site_url: Option<String>,
    schedule: Option<String>,
    category: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    next_poll: Option<DateTime<Utc>>,
    last_poll: Option<DateTime<Utc>>,
    last_success: Option<DateTime<Utc>>,
    error_count: i64,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    /// What the last successful poll could not read (entries skipped, content lost).
    last_warning: Option<String>,
    item_count: i64,
    created_at: DateTime<Utc>,
}

impl From<SourceRecord> for ApiSource {
    fn from(s: SourceRecord) -> Self {
        ApiSource {
            id: s.id,
            name: s.name,
            kind: s.kind,
            url: s.url,
            title: s.title,
            site_url: s.site_url,
            schedule: s.schedule,
            category: s.category,
            enabled: s.enabled,
            disabled_reason: s.disabled_reason,
            next_poll: s.next_poll,
            last_poll: s.last_poll,
            last_success: s.last_success,
            error_count: s.error_count,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
            last_warning: s.last_warning,
            item_count: s.item_count,
            created_at: s.created_at,
        }
    }
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources")
        .and(with_ctx(ctx))
        .then(|ctx: Arc<WebContext>| async move {
            let result = list(&ctx).await;
            respond::finish(&ctx, Format::Json, result)
        })
}

async fn list(ctx: &WebContext) -> HandlerResult {
    let sources: Vec<ApiSource> = ctx
        .store
        .list_sources()
        .await?
        .into_iter()
        .map(ApiSource::from)
        .collect();
    super::json(&sources)
}
