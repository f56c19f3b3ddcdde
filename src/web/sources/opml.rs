//! `POST /sources/opml`: an OPML upload (`multipart/form-data`, field `file`), imported as
//! `braid opml import FILE` imports (`crate::subscribe::import_outlines`, under the same
//! `[opml]` limits), with what was added and what was skipped and why shown on the page.

use std::convert::Infallible;
use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use warp::http::StatusCode;
use warp::Filter;

use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext};
use super::add::{render, AddState};
use super::daemon;
use crate::opml::ParseError;
use crate::subscribe::{import_outlines, Imported};

/// Lines of each list shown; a file of thousands of feeds shows the first ones and a count.
const SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "source_opml.html")]
struct ResultPage {
    layout: Layout,
    summary: String,
    added: Vec<(String, String)>,
    added_more: usize,
    /// Title, URL, reason.
    skipped: Vec<(String, String, String)>,
    skipped_more: usize,
}

pub fn route(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("sources" / "opml")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, content_type: Option<String>, body: Bytes| async move {
                let result = upload(&ctx, &owner, content_type.as_deref(), body).await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn upload(
    ctx: &WebContext,
    owner: &Owner,
    content_type: Option<&str>,
    body: Bytes,
) -> HandlerResult {
    match import(ctx, content_type, body).await {
        Ok(done) => {
            let page = ResultPage {
                layout: Layout::owned(ctx, "OPML import", "sources", owner),
                summary: format!("{}.", capitalized(&done.summary())),
                added_more: done.added.len().saturating_sub(SHOWN),
                skipped_more: done.skipped.len().saturating_sub(SHOWN),
                added: done.added.into_iter().take(SHOWN).collect(),
                skipped: done
                    .skipped
                    .into_iter()
                    .take(SHOWN)
                    .map(|s| (s.title, s.url, s.why.to_string()))
                    .collect(),
            };
            Ok(respond::no_store(respond::ok(
                page.render()?,
                respond::HTML,
            )))
        }
        Err(message) => {
            let state = AddState {
                opml_error: Some(message),
                ..AddState::default()
            };
            render(ctx, owner, state, StatusCode::BAD_REQUEST).await
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads the upload and imports it; errors are the sentence shown on the form.
async fn import(
    ctx: &WebContext,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Imported, String> {
    let poll = daemon(ctx)?;
    let limits = &poll.config.opml;
    let file = file_field(content_type.unwrap_or(""), body, limits.max_file_bytes).await?;
    let xml = String::from_utf8(file)
        .map_err(|_| "opml: the file is not a valid OPML file: not UTF-8 text".to_owned())?;
    let subs = crate::opml::parse(&xml, limits.max_outlines).map_err(|e| match e {
        ParseError::Invalid(message) => message,
        ParseError::TooMany { max } => format!(
            "opml: the file lists more than opml.max_outlines ({max}) feeds; raise that \
             setting to import it"
        ),
    })?;
    drop(xml);
    // An outline is a URL: it becomes a source of the network that subscribes by URL.
    let kind = poll
        .connectors
        .registry
        .by_url()
        .map_err(|e| e.to_string())?
        .kind();
    import_outlines(
        &ctx.store,
        kind,
        subs,
        poll.config.fetch.allow_private_networks,
    )
    .await
    .map_err(|e| e.to_string())
}

/// The bytes of the multipart field `file`, refused past `max` bytes (`opml.max_file_bytes`,
/// as `braid opml import` refuses a larger file). The front door read the body already, under
/// `web.max_upload_bytes`.
async fn file_field(content_type: &str, body: Bytes, max: u64) -> Result<Vec<u8>, String> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| "send the file from the form (multipart/form-data)".to_owned())?;
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| format!("the upload could not be read: {e}"))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the upload could not be read: {e}"))?;
        if bytes.is_empty() {
            return Err("choose an OPML file to import".into());
        }
        if bytes.len() as u64 > max {
            return Err(format!(
                "opml: the file is larger than opml.max_file_bytes ({max} bytes); raise that \
                 setting to import it"
            ));
        }
        return Ok(bytes.to_vec());
    }
    Err("choose an OPML file to import".into())
}
