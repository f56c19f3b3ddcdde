//! `GET /compose` and `POST /compose` (preview or send).

use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use chrono::{NaiveDateTime, TimeZone, Utc};
use warp::Filter;

use super::super::forms::{self, Form};
use super::super::owner::{self, Owner};
use super::super::respond::{self, Format};
use super::super::view::Layout;
use super::super::{with_ctx, HandlerResult, WebContext, WebError};
use crate::outbox::{self, Draft, PostOptions, Queued};
use crate::store::{AccountRecord, ChannelRecord};
use braid_core::fit::LongText;
use braid_core::Visibility;

/// Files one post may carry from the form.
const MAX_FILES: usize = 4;

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    layout: Layout,
    key: String,
    targets: Vec<TargetChoice>,
    channels: Vec<TargetChoice>,
    text: String,
    cw: String,
    visibility: String,
    reply_to: String,
    at: String,
    long: String,
    number: bool,
    link: String,
    previews: Vec<PreviewView>,
    error: Option<String>,
    /// The description typed for each file slot, kept.
    alts: Vec<String>,
    /// Files the last form carried: a browser never fills a file input again, so the page
    /// asks for them once more before Send.
    files_sent: usize,
    /// No account or channel to post to yet.
    no_accounts: bool,
    /// Posting needs the daemon.
    no_daemon: bool,
}

struct TargetChoice {
    name: String,
    label: String,
    checked: bool,
}

struct PreviewView {
    target: String,
    parts: Vec<String>,
    content_warning: Option<String>,
    notes: Vec<String>,
    counted: String,
    files: usize,
    error: Option<String>,
}

/// What the form sent, kept to show it again.
#[derive(Default)]
struct Entered {
    key: String,
    to: Vec<String>,
    channels: Vec<String>,
    text: String,
    cw: String,
    visibility: String,
    reply_to: String,
    at: String,
    long: String,
    number: bool,
    link: String,
    /// `alt0`…`alt3`, as typed.
    alts: Vec<String>,
    /// How many files came with the form.
    files: usize,
}

#[derive(serde::Deserialize)]
struct ReplyQuery {
    #[serde(default)]
    reply_to: String,
}

pub fn page(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("compose")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::query::<ReplyQuery>())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, q: ReplyQuery| async move {
                let result = async {
                    let entered = Entered {
                        key: outbox::new_key().map_err(|e| WebError::Config(e.to_string()))?,
                        reply_to: q.reply_to,
                        visibility: "public".into(),
                        ..Entered::default()
                    };
                    render(&ctx, &owner, entered, Vec::new(), None).await
                }
                .await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

pub fn submit(
    ctx: Arc<WebContext>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path!("compose")
        .and(with_ctx(ctx))
        .and(owner::required())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::bytes())
        .then(
            |ctx: Arc<WebContext>, owner: Owner, content_type: Option<String>, body: Bytes| async move {
                let result = async {
                    let form = forms::parse(content_type.as_deref(), body).await?;
                    submitted(&ctx, &owner, form).await
                }
                .await;
                respond::finish(&ctx, Format::Html, result)
            },
        )
}

async fn submitted(ctx: &WebContext, owner: &Owner, form: Form) -> HandlerResult {
    let entered = Entered {
        key: form.text("key").unwrap_or_default(),
        to: form.all("to"),
        channels: form.all("channel"),
        text: form
            .fields
            .get("text")
            .and_then(|v| v.last())
            .cloned()
            .unwrap_or_default(),
        cw: form.text("cw").unwrap_or_default(),
        visibility: form.text("visibility").unwrap_or_else(|| "public".into()),
        reply_to: form.text("reply_to").unwrap_or_default(),
        at: form.text("at").unwrap_or_default(),
        long: form.text("long").unwrap_or_default(),
        number: form.checked("number"),
        link: form.text("link").unwrap_or_default(),
        alts: (0..MAX_FILES)
            .map(|i| form.text(&format!("alt{i}")).unwrap_or_default())
            .collect(),
        files: form.files.iter().filter(|f| f.field == "media").count(),
    };
    let Some(hosted) = ctx.hosted.clone() else {
        let e = "posting needs the daemon (`braid run`), which delivers the outbox".to_owned();
        return render(ctx, owner, entered, Vec::new(), Some(e)).await;
    };
    let (queued, targets, channels) = match build(ctx, &entered, &form).await {
        Ok(built) => built,
        Err(e) => return render(ctx, owner, entered, Vec::new(), Some(e)).await,
    };
    if form.text("action").as_deref() == Some("preview") {
        let mut previews: Vec<outbox::Preview> = outbox::preview(&hosted, &queued, &targets).await;
        previews.extend(channels.iter().map(|c| outbox::Preview {
            target: format!("channel {}", c.name),
            fitted: outbox::channel_preview(&queued, c),
        }));
        let previews = previews
            .into_iter()
            .map(|p| match p.fitted {
                Ok(f) => PreviewView {
                    target: p.target,
                    files: f.media.len(),
                    parts: f.parts,
                    content_warning: f.content_warning,
                    notes: f.notes,
                    counted: f.counted,
                    error: None,
                },
                Err(e) => PreviewView {
                    target: p.target,
                    parts: Vec::new(),
                    content_warning: None,
                    notes: Vec::new(),
                    counted: String::new(),
                    files: 0,
                    error: Some(e),
                },
            })
            .collect();
        return render(ctx, owner, entered, previews, None).await;
    }
    let (post, _fresh) = match outbox::queue_to(&hosted, queued, &targets, &channels).await {
        Ok(queued) => queued,
        Err(outbox::QueueError::Refused(e)) => {
            return render(ctx, owner, entered, Vec::new(), Some(e)).await
        }
        Err(e) => return Err(WebError::Config(e.to_string())),
    };
    // Sent now, as `braid post` does; the daemon's outbox would within seconds anyway, and
    // the claim makes the two never send one delivery twice.
    tokio::spawn(async move {
        if let Err(e) = outbox::deliver_post(&hosted, post).await {
            tracing::warn!(post, error = %e, "web: delivering a composed post");
        }
    });
    Ok(respond::see_other(&format!("/compose/posts/{post}")))
}

/// The post the form describes, its accounts and channels, or what is wrong with it.
async fn build(
    ctx: &WebContext,
    e: &Entered,
    form: &Form,
) -> Result<(Queued, Vec<AccountRecord>, Vec<ChannelRecord>), String> {
    if e.text.trim().is_empty() {
        return Err("write something first".into());
    }
    let mut targets: Vec<AccountRecord> = Vec::new();
    for name in &e.to {
        match ctx.store.find_account(name).await {
            Ok(Some(a)) if !targets.iter().any(|t| t.id == a.id) => targets.push(a),
            Ok(_) => {}
            Err(err) => return Err(format!("the accounts could not be read: {err}")),
        }
    }
    let mut channels: Vec<ChannelRecord> = Vec::new();
    for name in &e.channels {
        match ctx.store.channel(name.clone()).await {
            Ok(Some(c)) if !channels.iter().any(|t| t.id == c.id) => channels.push(c),
            Ok(_) => {}
            Err(err) => return Err(format!("the channels could not be read: {err}")),
        }
    }
    if targets.is_empty() && channels.is_empty() {
        return Err("tick at least one account or channel to post to".into());
    }
    let visibility = Visibility::parse(&e.visibility)
        .ok_or_else(|| format!("unknown visibility {:?}", e.visibility))?;
    let long = match e.long.as_str() {
        "" => None,
        "thread" => Some(LongText::Thread),
        "truncate" => Some(LongText::Truncate),
        other => return Err(format!("unknown choice for long texts: {other:?}")),
    };
    let not_before = if e.at.is_empty() {
        None
    } else {
        // `<input type=datetime-local>` sends no zone; the form says it is UTC.
        let t = NaiveDateTime::parse_from_str(&e.at, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(&e.at, "%Y-%m-%dT%H:%M:%S"))
            .map_err(|_| format!("{:?} is not a date and time like 2026-12-01T09:30", e.at))?;
        Some(Utc.from_utc_datetime(&t))
    };
    let files: Vec<_> = form.files.iter().filter(|f| f.field == "media").collect();
    if files.len() > MAX_FILES {
        return Err(format!("at most {MAX_FILES} files"));
    }
    let mut media = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let media_type = if f.content_type.is_empty()
            || f.content_type == "application/octet-stream"
        {
            mime_guess::from_path(&f.file_name)
                .first()
                .map(|m| m.essence_str().to_owned())
                .ok_or_else(|| format!("{}: cannot tell what kind of file it is", f.file_name))?
        } else {
            f.content_type.clone()
        };
        media.push(braid_core::connector::MediaUpload {
            bytes: f.bytes.clone(),
            media_type,
            alt: form.text(&format!("alt{i}")),
        });
    }
    let key = Some(e.key.clone())
        .filter(|k| !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()));
    Ok((
        Queued {
            draft: Draft {
                text: e.text.clone(),
                content_warning: Some(e.cw.clone()).filter(|c| !c.is_empty()),
                visibility,
                language: None,
                reply_to: Some(e.reply_to.clone()).filter(|r| !r.is_empty()),
            },
            media,
            options: PostOptions {
                long,
                number: e.number,
                link: Some(e.link.clone()).filter(|l| !l.is_empty()),
                long_for: Default::default(),
            },
            key,
            not_before,
            routed: None,
        },
        targets,
        channels,
    ))
}

async fn render(
    ctx: &WebContext,
    owner: &Owner,
    e: Entered,
    previews: Vec<PreviewView>,
    error: Option<String>,
) -> HandlerResult {
    let accounts = ctx.store.list_accounts().await?;
    let first_visit =
        e.to.is_empty() && e.channels.is_empty() && error.is_none() && previews.is_empty();
    let targets = accounts
        .iter()
        .map(|a| TargetChoice {
            name: a.name.clone(),
            label: a
                .display_name
                .clone()
                .filter(|d| !d.is_empty() && d != &a.name)
                .map(|d| format!("{d} ({}, {})", a.name, a.kind))
                .unwrap_or_else(|| format!("{} ({})", a.name, a.kind)),
            checked: e.to.contains(&a.name) || (first_visit && accounts.len() == 1),
        })
        .collect();
    let channel_list = ctx.store.list_channels().await?;
    let channels = channel_list
        .iter()
        .map(|c| TargetChoice {
            name: c.name.clone(),
            label: format!(
                "{} ({}, {})",
                c.title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| c.name.clone()),
                c.name,
                match c.audience.as_str() {
                    "unlisted" => "unlisted",
                    "followers_only" => "followers only",
                    _ => "public",
                }
            ),
            checked: e.channels.contains(&c.name),
        })
        .collect();
    let failed = error.is_some();
    let page = ComposePage {
        layout: Layout::owned(ctx, "Compose", "compose", owner),
        no_accounts: accounts.is_empty() && channel_list.is_empty(),
        no_daemon: ctx.hosted.is_none(),
        key: e.key,
        targets,
        channels,
        text: e.text,
        cw: e.cw,
        visibility: e.visibility,
        reply_to: e.reply_to,
        at: e.at,
        long: e.long,
        number: e.number,
        link: e.link,
        previews,
        error,
        alts: (0..MAX_FILES)
            .map(|i| e.alts.get(i).cloned().unwrap_or_default())
            .collect(),
        files_sent: e.files,
    };
    let mut resp = respond::no_store(respond::ok(page.render()?, respond::HTML));
    if failed {
        *resp.status_mut() = warp::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}
