//! Publishing one post through one account, now. The first end-to-end cross-post path:
//! `braid post` calls [`publish_now`]. The delivery engine (durable outbox, many targets,
//! rules, exactly-once across crashes) takes this over later: it will write the outbox row with
//! the idempotency key before calling the same `Sink::publish`.

use braid_core::connector::{MediaUpload, Post, Published};
use braid_core::richtext::RichText;
use braid_core::ConnectorError;
use sha2::{Digest, Sha256};

use crate::connectors::ConnectorContext;
use crate::store::{AccountRecord, Store};

/// Why a post was not published, worded for the person posting.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no account named {0:?}; `braid account list` shows them")]
    NoAccount(String),
    // Transparent: `{:#}` at the binary's edge would otherwise print the message twice.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("braid: the operating system gave no random bytes for an idempotency key: {0}")]
    NoRandomness(String),
}

/// A fresh idempotency key for one publish attempt (the same key on a retry of the same
/// attempt makes the server create one status, not two): 128 random bits from the OS, hashed
/// with the account id so keys of different accounts never meet. No randomness from the OS is
/// an error, never a guessable fallback.
pub fn idempotency_key(account: &AccountRecord) -> Result<String, PublishError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| PublishError::NoRandomness(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(account.id.0.to_le_bytes());
    h.update(random);
    Ok(format!("braid-{}", hex::encode(&h.finalize()[..16])))
}

/// What a person asked to publish, before it meets a network: the text as typed, files read
/// from disk, and a reply target as they named it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    pub content_warning: Option<String>,
    pub visibility: braid_core::Visibility,
    pub language: Option<String>,
    pub media: Vec<MediaUpload>,
    /// An id or URL on the account's network, or an item's remote id.
    pub reply_to: Option<String>,
}

/// Publishes `draft` through the account named `account` with idempotency key `key`: the sink
/// comes from the account's network through the registry; the files are uploaded, the reply
/// target resolved, then the post is published once.
pub async fn publish_now(
    store: &Store,
    ctx: &ConnectorContext,
    account: &str,
    draft: Draft,
    key: Option<String>,
) -> Result<(AccountRecord, Published), PublishError> {
    let record = store
        .find_account(account)
        .await?
        .ok_or_else(|| PublishError::NoAccount(account.to_owned()))?;
    let key = match key {
        Some(key) => key,
        None => idempotency_key(&record)?,
    };
    let result = async {
        let connector = crate::connectors::sink(&record, ctx, store).await?;
        let sink = connector.sink().ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: this account cannot publish", record.kind))
        })?;
        let reply_to = match &draft.reply_to {
            Some(target) => Some(sink.reply_ref(target).await?),
            None => None,
        };
        let mut media = Vec::with_capacity(draft.media.len());
        for file in &draft.media {
            media.push(sink.upload(file).await?);
        }
        let post = Post {
            body: RichText::from_plain(&draft.text),
            content_warning: draft.content_warning,
            visibility: draft.visibility,
            language: draft.language,
            media,
            reply_to,
        };
        sink.publish(&post, &key).await
    }
    .await;
    match result {
        Ok(published) => Ok((record, published)),
        Err(e) => {
            if matches!(e, ConnectorError::Auth(_)) {
                store
                    .record_account_error(record.id, e.to_string(), true)
                    .await?;
            }
            Err(e.into())
        }
    }
}

/// Reads a media file for upload, with its type guessed from the name.
pub fn read_media(path: &std::path::Path, alt: Option<String>) -> Result<MediaUpload, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let media_type = mime_guess::from_path(path)
        .first()
        .map(|m| m.essence_str().to_owned())
        .ok_or_else(|| {
            format!(
                "{}: cannot tell the media type from the file name",
                path.display()
            )
        })?;
    Ok(MediaUpload {
        bytes: bytes.into(),
        media_type,
        alt,
    })
}
