//! What the Fedify peer's `/control/` endpoints answer, as the tests read it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One activity an inbox of the peer accepted (its signature verified by Fedify).
#[derive(Clone, Debug, Deserialize)]
pub struct Received {
    /// `Create`, `Follow`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub actor: Option<String>,
    /// The wire activity's `object`, cut to its main fields (only `id` for a bare URL).
    pub object: Option<ObjectSummary>,
    /// The activity as Fedify understood it, `toJsonLd({format: "compact"})`.
    pub jsonld: Value,
    /// The JSON body exactly as delivered.
    pub raw: Option<Value>,
    /// The path it was POSTed to: `/users/NAME/inbox` or the shared `/inbox`.
    pub inbox: Option<String>,
    pub signature: Option<Signature>,
    /// Every request header of the delivery, lower-case names.
    pub headers: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSummary {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub content: Option<String>,
    pub summary: Option<String>,
    pub name: Option<String>,
    pub attributed_to: Option<Value>,
    pub in_reply_to: Option<Value>,
    /// The object's own `object`, for an embedded activity (the Follow an Accept answers).
    pub object: Option<String>,
}

/// The HTTP Signatures a delivery carried.
#[derive(Clone, Debug, Deserialize)]
pub struct Signature {
    /// `rfc9421` when there is a `Signature-Input` header, `draft-cavage-http-signatures-12`
    /// when only `Signature`, none when unsigned.
    pub scheme: Option<String>,
    /// The scheme's headers: rfc9421 `signature-input`, `signature`, `content-digest`, `date`,
    /// `host`; draft-cavage `signature`, `digest`, `date`, `host`.
    pub headers: BTreeMap<String, String>,
}

/// An inbox POST the peer refused (Fedify's answer ≥ 400, or the 401 of
/// [`super::Options::accept_signatures`]).
#[derive(Clone, Debug, Deserialize)]
pub struct Rejected {
    pub path: String,
    pub status: u16,
    pub response: String,
    pub signature: Signature,
    pub headers: BTreeMap<String, String>,
    pub raw: Value,
}

/// One request to a federation path (the actor, an inbox, the outbox…), whatever its outcome.
/// Fedify answers a second delivery of an activity id to the same inbox with 202 and does not
/// pass it on, so a duplicate shows here but not in [`super::FedifyPeer::received`].
#[derive(Clone, Debug, Deserialize)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub status: u16,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    /// The HTTP Signatures scheme it was signed with, if any.
    pub signature: Option<String>,
    /// A POSTed activity's `id` and `type`.
    pub activity: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Follower {
    pub id: String,
    pub inbox: Option<String>,
    pub shared_inbox: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Following {
    pub actor: String,
    /// The Follow activity's id.
    pub follow: String,
    /// `pending`, `accepted` or `rejected`.
    pub state: String,
}

/// What an acting control call did: the object's and the activity's ids, and delivery errors.
#[derive(Clone, Debug, Deserialize)]
pub struct Sent {
    /// The Note's id (post, update, delete).
    pub id: Option<String>,
    pub activity: Option<String>,
    pub state: Option<String>,
    pub errors: Vec<String>,
}
