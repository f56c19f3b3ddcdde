//! Polling a timeline: the home timeline, a list, a hashtag or one account's statuses.
//!
//! **Cursor.** The id of the newest timeline entry seen (for a boost, the boost's own id, which
//! is what the timeline is ordered by). Mastodon ids are numeric strings ordered by time.
//!
//! **First poll** (no cursor): the newest `backfill` entries, following `Link: rel="next"`.
//! An empty timeline gets the cursor `0`, so what arrives later is all read.
//!
//! **Later polls.** One request for the newest page (40 entries) comes first: usually it
//! reaches back past the cursor, and then that single request is the whole poll. It also
//! re-reads the newest 40 entries, which is how an edit (`edited_at`) of a recent status is
//! picked up — a timeline queried with `min_id` never returns an entry again. When the newest
//! page does not reach the cursor (more than 40 new entries), the gap is walked forward from the
//! cursor with `min_id` (Mastodon returns the entries *immediately after* `min_id`), following
//! `Link: rel="prev"`, until it meets the newest page. The walk is capped at [`MAX_PAGES`]; the
//! cursor then stops at the newest entry walked contiguously, so the next poll resumes from
//! there and nothing is skipped, across restarts too (the core stores the cursor).
//!
//! **Deletions** (best effort). A timeline has no deletion events (only the streaming API's
//! `delete` has); a deleted status just stops appearing, as does one from an account that was
//! unfollowed or muted. The cursor keeps the newest page as last seen ([`SourceCursor`]); an
//! entry of it that falls inside the new newest page's range but is missing is re-fetched,
//! and a `404` makes it `Page::deleted` (the core tombstones it). So deletions among the 40
//! newest entries are seen; older ones, or ones made while more than a page of new entries
//! arrived, are not. A status that became invisible to the account (a private post after an
//! unfollow) also answers 404 and is tombstoned: it could not be shown any more anyway.
//!
//! **Pacing.** `X-RateLimit-Remaining` at or below [`hints::LOW_REMAINING`] puts the next poll
//! after `X-RateLimit-Reset` and stops a gap walk early (keeping what was read); a `429` on the
//! first request is `RateLimited`, on a later one the poll keeps what it read and waits.

use std::collections::HashMap;

use async_trait::async_trait;
use braid_core::http::SafeClient;
use braid_core::{ConnectorError, Cursor, Item, ItemKind, Page, PollHints, RemoteId, Source};
use chrono::{DateTime, Utc};
use url::Url;

use crate::api::Api;
use crate::convert::{status_to_item, Context};
use crate::cursor::{Recent, SourceCursor};
use crate::error::Target;
use crate::hints;
use crate::ids::{id_newer, newest_id, oldest_id};
use crate::timeline::Timeline;
use crate::wire::Status;

/// Entries per request: Mastodon's maximum for timelines.
pub const PAGE_LIMIT: u32 = 40;
/// Pages read in one poll at most (1,600 entries); the rest waits for the next poll.
pub const MAX_PAGES: usize = 40;
/// The cursor of a timeline that was empty when first polled: older than any status id.
const EMPTY: &str = "0";
/// Vanished statuses checked for deletion in one poll at most.
pub const MAX_DELETE_CHECKS: usize = 10;

/// One timeline of one account, polled through the safe client.
#[derive(Debug, Clone)]
pub struct MastodonSource {
    api: Api,
    timeline: Timeline,
    backfill: u32,
}

impl MastodonSource {
    /// `backfill`: how many of the newest entries the first poll reads (0: none, start from now).
    pub fn new(
        instance: Url,
        token: String,
        timeline: Timeline,
        backfill: u32,
        client: SafeClient,
    ) -> Result<Self, ConnectorError> {
        Ok(Self::with_api(
            Api::new(instance, token, client)?,
            timeline,
            backfill,
        ))
    }

    pub(crate) fn with_api(api: Api, timeline: Timeline, backfill: u32) -> Self {
        MastodonSource {
            api,
            timeline,
            backfill,
        }
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    fn page_url(&self, params: &[(&str, String)]) -> Result<Url, ConnectorError> {
        let mut url = self.timeline.url(&self.api)?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// One page and the response headers' pacing.
    async fn fetch(&self, url: Url, pacing: &mut Pacing) -> Result<Fetched, ConnectorError> {
        let (statuses, resp): (Vec<Status>, _) = self.api.get_json(url, Target::Timeline).await?;
        pacing.observe(&resp.headers, Utc::now());
        let prev =
            hints::link(&resp.headers, "prev", &resp.url).filter(|u| self.api.same_origin(u));
        let next =
            hints::link(&resp.headers, "next", &resp.url).filter(|u| self.api.same_origin(u));
        Ok(Fetched {
            statuses,
            prev,
            next,
        })
    }

    async fn first_poll(&self, pacing: &mut Pacing) -> Result<Walk, ConnectorError> {
        let want = self.backfill as usize;
        let limit = self.backfill.clamp(1, PAGE_LIMIT);
        let mut url = self.page_url(&[("limit", limit.to_string())])?;
        let mut seen: Vec<Status> = Vec::new();
        let mut recent = Vec::new();
        for page_no in 0..MAX_PAGES {
            let fetched = match self.fetch(url, pacing).await {
                Ok(f) => f,
                Err(e) if page_no > 0 && is_rate_limit(&e) => {
                    pacing.limited(&e);
                    break;
                }
                Err(e) => return Err(e),
            };
            let empty = fetched.statuses.is_empty();
            if page_no == 0 {
                recent = fetched.statuses.iter().map(Recent::of).collect();
            }
            seen.extend(fetched.statuses);
            if empty || seen.len() >= want || pacing.low() {
                break;
            }
            match fetched.next {
                Some(next) => url = next,
                None => break,
            }
        }
        // An empty timeline still gets a cursor: "0", older than any id, so the next poll takes
        // everything that arrives from now on instead of starting over with a bounded backfill.
        let newest = newest_id(seen.iter().map(|s| s.id.as_str())).or(Some(EMPTY.to_owned()));
        seen.truncate(want);
        Ok(Walk {
            statuses: seen,
            cursor: SourceCursor { newest, recent },
            deleted: Vec::new(),
        })
    }

    async fn catch_up(
        &self,
        old: &SourceCursor,
        cursor: &str,
        pacing: &mut Pacing,
    ) -> Result<Walk, ConnectorError> {
        let newest = self
            .fetch(self.page_url(&[("limit", PAGE_LIMIT.to_string())])?, pacing)
            .await?;
        let recent: Vec<Recent> = newest.statuses.iter().map(Recent::of).collect();
        let gone = left_the_page(&old.recent, &newest.statuses);
        let deleted = self.confirm_deleted(gone, pacing).await;
        let oldest_of_newest = oldest_id(newest.statuses.iter().map(|s| s.id.as_str()));
        let reaches_cursor = newest.statuses.len() < PAGE_LIMIT as usize
            || oldest_of_newest
                .as_deref()
                .is_some_and(|o| !id_newer(o, cursor));
        let newest_seen = newest_id(newest.statuses.iter().map(|s| s.id.as_str()));
        // New entries, and older ones re-read because they were edited.
        let mut out: Vec<Status> = newest
            .statuses
            .into_iter()
            .filter(|s| id_newer(&s.id, cursor) || edited(s))
            .collect();
        let walk = |statuses: Vec<Status>, newest: String, recent: Vec<Recent>, deleted| Walk {
            statuses,
            cursor: SourceCursor {
                newest: Some(newest),
                recent,
            },
            deleted,
        };
        if reaches_cursor {
            let next = newest_seen
                .filter(|n| id_newer(n, cursor))
                .unwrap_or_else(|| cursor.to_owned());
            return Ok(walk(out, next, recent, deleted));
        }
        // A gap: walk forward from the cursor until the newest page is met.
        let Some(stop) = oldest_of_newest else {
            return Ok(walk(out, cursor.to_owned(), recent, deleted));
        };
        let mut contiguous = cursor.to_owned();
        let mut url = self.page_url(&[
            ("min_id", cursor.to_owned()),
            ("limit", PAGE_LIMIT.to_string()),
        ])?;
        let mut met = false;
        for _ in 0..MAX_PAGES {
            if pacing.low() {
                break;
            }
            let fetched = match self.fetch(url.clone(), pacing).await {
                Ok(f) => f,
                Err(e) if is_rate_limit(&e) => {
                    pacing.limited(&e);
                    break;
                }
                Err(e) => return Err(e),
            };
            if fetched.statuses.is_empty() {
                met = true;
                break;
            }
            let page_newest = newest_id(fetched.statuses.iter().map(|s| s.id.as_str()));
            met = fetched.statuses.iter().any(|s| !id_newer(&stop, &s.id));
            out.extend(fetched.statuses);
            if let Some(n) = page_newest {
                contiguous = n;
            }
            if met {
                break;
            }
            url = match fetched.prev {
                Some(prev) => prev,
                None => self.page_url(&[
                    ("min_id", contiguous.clone()),
                    ("limit", PAGE_LIMIT.to_string()),
                ])?,
            };
        }
        let next = if met {
            newest_seen.unwrap_or(contiguous)
        } else {
            contiguous
        };
        Ok(walk(out, next, recent, deleted))
    }

    /// `GET /api/v1/statuses/:id` for each status that left the newest page: a `404` means it
    /// was deleted; anything else (still there: an unfollow, a mute; or an error) leaves it be.
    /// Best effort, at most [`MAX_DELETE_CHECKS`] per poll, and none once the rate limit is low.
    async fn confirm_deleted(&self, gone: Vec<&Recent>, pacing: &mut Pacing) -> Vec<RemoteId> {
        let mut deleted = Vec::new();
        for recent in gone.into_iter().take(MAX_DELETE_CHECKS) {
            if pacing.low() {
                break;
            }
            let Ok(mut url) = self.api.url("api/v1/statuses") else {
                break;
            };
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.push(recent.status());
            }
            match self.api.send(reqwest::Method::GET, url, None, &[]).await {
                Ok(resp) => {
                    pacing.observe(&resp.headers, Utc::now());
                    if resp.status == reqwest::StatusCode::NOT_FOUND
                        || resp.status == reqwest::StatusCode::GONE
                    {
                        deleted.push(RemoteId(recent.uri().to_owned()));
                    } else if resp.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                        pacing.low = true;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "mastodon: checking a vanished status failed");
                    break;
                }
            }
        }
        deleted
    }
}

/// Entries of the last newest page that should be on the current one and are not: newer than
/// its oldest entry (or anywhere, when the page holds the whole timeline).
fn left_the_page<'a>(old: &'a [Recent], page: &[Status]) -> Vec<&'a Recent> {
    let whole = page.len() < PAGE_LIMIT as usize;
    let oldest = oldest_id(page.iter().map(|s| s.id.as_str()));
    old.iter()
        .filter(|r| whole || oldest.as_deref().is_some_and(|o| id_newer(r.entry(), o)))
        .filter(|r| !page.iter().any(|s| s.id == r.entry()))
        .collect()
}

/// What one poll read: the statuses, the next cursor, the statuses found deleted.
struct Walk {
    statuses: Vec<Status>,
    cursor: SourceCursor,
    deleted: Vec<RemoteId>,
}

struct Fetched {
    statuses: Vec<Status>,
    prev: Option<Url>,
    next: Option<Url>,
}

/// The rate-limit state seen during one poll.
#[derive(Debug, Default)]
struct Pacing {
    not_before: Option<DateTime<Utc>>,
    low: bool,
}

impl Pacing {
    fn observe(&mut self, headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) {
        if let Some(at) = hints::not_before(headers, now) {
            self.low = true;
            self.not_before = self.not_before.max(Some(at));
        }
    }

    fn limited(&mut self, err: &ConnectorError) {
        self.low = true;
        if let ConnectorError::RateLimited { retry_after, .. } = err {
            let wait = retry_after.unwrap_or(std::time::Duration::from_secs(60));
            let at = Utc::now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
            self.not_before = self.not_before.max(Some(at));
        }
    }

    fn low(&self) -> bool {
        self.low
    }
}

fn is_rate_limit(e: &ConnectorError) -> bool {
    matches!(e, ConnectorError::RateLimited { .. })
}

fn edited(s: &Status) -> bool {
    s.edited_at.is_some() || s.reblog.as_ref().is_some_and(|r| r.edited_at.is_some())
}

/// Converts a poll's statuses; a status seen both boosted and on its own is kept once, as
/// itself.
pub fn convert_all(statuses: &[Status], instance: &Url) -> Vec<Item> {
    let mut uris = HashMap::new();
    for s in statuses {
        uris.insert(s.id.clone(), s.uri.clone());
        if let Some(r) = &s.reblog {
            uris.insert(r.id.clone(), r.uri.clone());
        }
    }
    let ctx = Context {
        instance,
        uris: &uris,
    };
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut items: Vec<Item> = Vec::with_capacity(statuses.len());
    for s in statuses {
        let item = status_to_item(s, &ctx);
        match by_id.get(item.remote_id.as_str()) {
            Some(&i) => {
                if items[i].kind == ItemKind::Share && item.kind != ItemKind::Share {
                    items[i] = item;
                }
            }
            None => {
                by_id.insert(item.remote_id.0.clone(), items.len());
                items.push(item);
            }
        }
    }
    items
}

#[async_trait]
impl Source for MastodonSource {
    async fn poll(&self, cursor: &Cursor) -> Result<Page, ConnectorError> {
        let mut pacing = Pacing::default();
        let old = SourceCursor::from_cursor(cursor);
        let walk = match old.newest.as_deref() {
            None => self.first_poll(&mut pacing).await?,
            Some(c) => self.catch_up(&old, c, &mut pacing).await?,
        };
        let items = convert_all(&walk.statuses, self.api.instance());
        tracing::debug!(
            url = %self.api.instance(),
            timeline = %self.timeline,
            items = items.len(),
            "mastodon polled"
        );
        Ok(Page {
            items,
            deleted: walk.deleted,
            next_cursor: walk
                .cursor
                .newest
                .is_some()
                .then(|| walk.cursor.to_cursor()),
            hints: PollHints {
                min_interval: None,
                not_before: pacing.not_before,
            },
            ..Page::default()
        })
    }
}

#[cfg(test)]
mod deletion_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn status(id: &str) -> Status {
        serde_json::from_value(serde_json::json!({
            "id": id, "uri": format!("https://a.example/s/{id}"),
            "account": {"id": "1", "acct": "a"}
        }))
        .unwrap()
    }

    fn recent(id: &str) -> Recent {
        Recent::of(&status(id))
    }

    #[test]
    fn only_entries_inside_the_new_page_range_count_as_gone() {
        let old = vec![recent("10"), recent("9"), recent("3")];
        // A short page is the whole timeline: anything missing left it.
        let page = vec![status("11"), status("10")];
        let gone: Vec<&str> = left_the_page(&old, &page)
            .iter()
            .map(|r| r.entry())
            .collect();
        assert_eq!(gone, vec!["9", "3"]);
        // A full page: entries older than its oldest simply scrolled off.
        let page: Vec<Status> = (50..90).rev().map(|n| status(&n.to_string())).collect();
        let old = vec![recent("60"), recent("61"), recent("12")];
        let page: Vec<Status> = page.into_iter().filter(|s| s.id != "61").collect();
        let mut full = page.clone();
        full.push(status("49"));
        let gone: Vec<&str> = left_the_page(&old, &full)
            .iter()
            .map(|r| r.entry())
            .collect();
        assert_eq!(gone, vec!["61"]);
    }
}
