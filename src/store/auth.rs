//! The owner's credentials over the V10 tables: the password hash, browser sessions, API
//! tokens and feed tokens. Tokens arrive here already hashed (`crate::auth::token_hash`); the
//! store never sees one in the clear, so it cannot log or leak one.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::conn::{from_micros, micros, opt_time};
use super::{Result, Store, StoreError};

/// A session is marked used at most this often, so reading pages does not write each time.
const SEEN_RESOLUTION_MINUTES: i64 = 60;

/// A named API token, as listed (never the token).
#[derive(Debug, Clone, Serialize)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// A feed token, as listed: which feed it opens (`channel` `None`: the merged timeline).
#[derive(Debug, Clone, Serialize)]
pub struct FeedTokenRecord {
    pub id: i64,
    pub channel: Option<String>,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// A browser session, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

impl Store {
    /// The owner's password hash (a PHC string), or `None` before the first setup.
    pub async fn owner_password_hash(&self) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT password_hash FROM owner WHERE id = 1")?
                    .query_row([], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    /// Sets the owner's password hash and ends every session (a changed password must lock
    /// out whoever had the old one).
    pub async fn set_owner_password_hash(&self, hash: String) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO owner (id, password_hash, changed_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash,
                     changed_at = excluded.changed_at",
                params![hash, micros(Utc::now())],
            )?;
            tx.execute("DELETE FROM web_sessions", [])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Only when no owner exists yet: sets the password, in one transaction with the check,
    /// so two setup requests racing cannot both succeed. False when an owner already existed.
    pub async fn create_owner(&self, hash: String) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "INSERT INTO owner (id, password_hash, changed_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO NOTHING",
                params![hash, micros(Utc::now())],
            )? == 1)
        })
        .await
    }

    pub async fn add_session(
        &self,
        token_hash: String,
        address: Option<String>,
        user_agent: Option<String>,
    ) -> Result<()> {
        self.write(move |c| {
            let now = micros(Utc::now());
            c.prepare_cached(
                "INSERT INTO web_sessions (token_hash, created_at, seen_at, address, user_agent)
                 VALUES (?1, ?2, ?2, ?3, ?4)",
            )?
            .execute(params![token_hash, now, address, user_agent])?;
            Ok(())
        })
        .await
    }

    /// Whether the session is alive (used within `idle`): `None` when it is not (an expired
    /// one is removed), else whether it was marked used now (at most hourly).
    pub async fn touch_session(&self, token_hash: String, idle: Duration) -> Result<Option<bool>> {
        let now = Utc::now();
        let seen: Option<i64> = {
            let hash = token_hash.clone();
            self.read(move |c| {
                Ok(
                    c.prepare_cached("SELECT seen_at FROM web_sessions WHERE token_hash = ?1")?
                        .query_row([hash], |r| r.get(0))
                        .optional()?,
                )
            })
            .await?
        };
        let Some(seen) = seen.map(from_micros) else {
            return Ok(None);
        };
        if now - seen > idle {
            self.end_session(token_hash).await?;
            return Ok(None);
        }
        if now - seen > Duration::minutes(SEEN_RESOLUTION_MINUTES) {
            self.write(move |c| {
                c.prepare_cached("UPDATE web_sessions SET seen_at = ?2 WHERE token_hash = ?1")?
                    .execute(params![token_hash, micros(now)])?;
                Ok(())
            })
            .await?;
            return Ok(Some(true));
        }
        Ok(Some(false))
    }

    pub async fn end_session(&self, token_hash: String) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached("DELETE FROM web_sessions WHERE token_hash = ?1")?
                .execute([token_hash])?;
            Ok(())
        })
        .await
    }

    /// Ends every session ("log out everywhere"); returns how many there were.
    pub async fn end_all_sessions(&self) -> Result<usize> {
        self.write(|c| Ok(c.execute("DELETE FROM web_sessions", [])?))
            .await
    }

    pub async fn list_sessions(&self) -> Result<Vec<SessionRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT created_at, seen_at, address, user_agent FROM web_sessions
                 ORDER BY seen_at DESC",
            )?
            .query_map([], |r| {
                Ok(SessionRecord {
                    created_at: from_micros(r.get(0)?),
                    seen_at: from_micros(r.get(1)?),
                    address: r.get(2)?,
                    user_agent: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Adds a named API token (by its hash); an error when the name is taken.
    pub async fn add_api_token(&self, name: String, token_hash: String) -> Result<i64> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![name, token_hash, micros(Utc::now())])
            .map_err(|e| taken(e, "an API token", &name))?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// The name of the API token with this hash, marking it used (at most hourly).
    pub async fn check_api_token(&self, token_hash: String) -> Result<Option<String>> {
        self.check_token("api_tokens", "name", token_hash).await
    }

    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, name, created_at, used_at FROM api_tokens ORDER BY name",
            )?
            .query_map([], |r| {
                Ok(ApiTokenRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    created_at: from_micros(r.get(2)?),
                    used_at: opt_time(r.get(3)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// False when there is no token of that name.
    pub async fn revoke_api_token(&self, name: String) -> Result<bool> {
        self.write(move |c| {
            Ok(c.prepare_cached("DELETE FROM api_tokens WHERE name = ?1")?
                .execute([name])?
                == 1)
        })
        .await
    }

    /// Adds a feed token for the merged timeline (`channel` `None`) or a channel; an error when
    /// the channel does not exist or the feed already has a token of that name.
    pub async fn add_feed_token(
        &self,
        channel: Option<String>,
        name: String,
        token_hash: String,
    ) -> Result<i64> {
        self.write(move |c| {
            let channel_id = match &channel {
                None => None,
                Some(ch) => Some(
                    c.prepare_cached("SELECT id FROM channels WHERE name = ?1")?
                        .query_row([ch], |r| r.get::<_, i64>(0))
                        .optional()?
                        .ok_or_else(|| StoreError::Other(format!("no channel named {ch:?}")))?,
                ),
            };
            c.prepare_cached(
                "INSERT INTO feed_tokens (channel_id, name, token_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![channel_id, name, token_hash, micros(Utc::now())])
            .map_err(|e| taken(e, "a feed link", &name))?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// Whether the token opens the feed of `channel` (`None`: the merged timeline); marks it
    /// used (at most hourly).
    pub async fn check_feed_token(&self, channel: Option<i64>, token_hash: String) -> Result<bool> {
        let found = self
            .check_token("feed_tokens", "coalesce(channel_id, 0)", token_hash)
            .await?;
        Ok(found.is_some_and(|id: String| id == channel.unwrap_or(0).to_string()))
    }

    pub async fn list_feed_tokens(&self) -> Result<Vec<FeedTokenRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT t.id, ch.name, t.name, t.created_at, t.used_at
                 FROM feed_tokens AS t LEFT JOIN channels AS ch ON ch.id = t.channel_id
                 ORDER BY ch.name IS NOT NULL, ch.name, t.name",
            )?
            .query_map([], |r| {
                Ok(FeedTokenRecord {
                    id: r.get(0)?,
                    channel: r.get(1)?,
                    name: r.get(2)?,
                    created_at: from_micros(r.get(3)?),
                    used_at: opt_time(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Revokes a feed token by id; false when there is none.
    pub async fn revoke_feed_token(&self, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.prepare_cached("DELETE FROM feed_tokens WHERE id = ?1")?
                .execute([id])?
                == 1)
        })
        .await
    }

    /// A server secret by name, made from `make` and kept the first time it is asked for.
    pub async fn web_secret(
        &self,
        name: &'static str,
        make: impl FnOnce() -> Option<Vec<u8>> + Send + 'static,
    ) -> Result<Vec<u8>> {
        self.write(move |c| {
            let found: Option<Vec<u8>> = c
                .prepare_cached("SELECT value FROM web_secrets WHERE name = ?1")?
                .query_row([name], |r| r.get(0))
                .optional()?;
            if let Some(value) = found {
                return Ok(value);
            }
            let value = make().ok_or_else(|| {
                StoreError::Other("no random bytes from the operating system".into())
            })?;
            c.prepare_cached("INSERT INTO web_secrets (name, value) VALUES (?1, ?2)")?
                .execute(params![name, value])?;
            Ok(value)
        })
        .await
    }

    /// The `column` of the token row with this hash in `table`, marking it used (at most
    /// hourly). `table` and `column` are our own constants, never input.
    async fn check_token(
        &self,
        table: &'static str,
        column: &'static str,
        token_hash: String,
    ) -> Result<Option<String>> {
        let hash = token_hash.clone();
        let found: Option<(String, Option<i64>)> = self
            .read(move |c| {
                Ok(c.prepare_cached(&format!(
                    "SELECT CAST({column} AS TEXT), used_at FROM {table} WHERE token_hash = ?1"
                ))?
                .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
            })
            .await?;
        let Some((value, used)) = found else {
            return Ok(None);
        };
        let now = Utc::now();
        let stale = used
            .map(from_micros)
            .is_none_or(|u| now - u > Duration::minutes(SEEN_RESOLUTION_MINUTES));
        if stale {
            self.write(move |c| {
                c.prepare_cached(&format!(
                    "UPDATE {table} SET used_at = ?2 WHERE token_hash = ?1"
                ))?
                .execute(params![token_hash, micros(now)])?;
                Ok(())
            })
            .await?;
        }
        Ok(Some(value))
    }
}

/// A unique-constraint failure as a message naming what was taken.
fn taken(e: rusqlite::Error, what: &str, name: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Other(format!("{what} named {name:?} exists already"))
        }
        other => other.into(),
    }
}
