//! RFC 9421, HTTP Message Signatures: `Signature-Input` and `Signature`, as Fedify sends them.
//!
//! `Signature-Input: sig1=("@method" "@target-uri" …);created=…;keyid="…";alg="…"` names the
//! covered components and the parameters (§4.1); `Signature: sig1=:<base64>:` holds the
//! signature (§4.2) over the signature base of §2.5: one line per component,
//! `"<identifier>": <value>`, then `"@signature-params": <the inner list, serialized>`.

use chrono::{DateTime, Utc};
use sfv::{BareItem, Dictionary, InnerList, Item, ListEntry, Parameters, SerializeValue};

use super::request::{normalize_authority, IncomingRequest, OutgoingRequest};
use super::{
    digest, parse_http_date, validate_key_id, Coverage, Parsed, ParsedSignature, Scheme,
    SignatureError, VerifyOptions,
};

/// The one algorithm we accept (§3.3.2), and what we take an RSA key without `alg` to mean.
pub(crate) const RSA_V1_5_SHA256: &str = "rsa-v1_5-sha256";

/// The derived components of a request we can rebuild (§2.2). `@query-param` needs a `name`
/// parameter and `@status` belongs to responses: refused.
const DERIVED: [&str; 7] = [
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
];

/// What RFC 9421 needs beyond the common fields to rebuild the signature base.
#[derive(Debug, Clone)]
pub(crate) struct Rfc9421Parts {
    /// The inner list of `Signature-Input` re-serialized (§2.3): the `@signature-params` value.
    pub signature_params: String,
}

fn sf_string(value: &str) -> Result<String, SignatureError> {
    Item::new(BareItem::String(value.to_string()))
        .serialize_value()
        .map_err(|e| SignatureError::Signing(format!("{value:?} cannot be serialized: {e}")))
}

fn serialize_inner_list(list: &InnerList) -> Result<String, SignatureError> {
    vec![ListEntry::InnerList(list.clone())]
        .serialize_value()
        .map_err(|e| SignatureError::malformed("Signature-Input", e.to_string()))
}

fn int_param(
    params: &Parameters,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, SignatureError> {
    match params.get(name) {
        None => Ok(None),
        Some(item) => item
            .as_int()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .map(Some)
            .ok_or_else(|| {
                SignatureError::malformed("Signature-Input", format!("{name} is not a Unix time"))
            }),
    }
}

fn str_param(params: &Parameters, name: &'static str) -> Result<Option<String>, SignatureError> {
    match params.get(name) {
        None => Ok(None),
        Some(item) => item.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
            SignatureError::malformed("Signature-Input", format!("{name} is not a string"))
        }),
    }
}

/// Finds and parses an RFC 9421 signature. `Ok(None)`: no `Signature-Input`.
///
/// Of several labels, the first that has a signature and an algorithm we accept (or none) is
/// taken; the others are ignored (RFC 9421 §3.2: a verifier chooses which to verify).
pub(crate) fn parse(
    request: &IncomingRequest<'_>,
) -> Result<Option<ParsedSignature>, SignatureError> {
    let Some(input) = request.single_header("signature-input")? else {
        return Ok(None);
    };
    let signature = request.single_header("signature")?.ok_or_else(|| {
        SignatureError::malformed("Signature", "absent, though Signature-Input is present")
    })?;
    let inputs = sfv::Parser::parse_dictionary(input.as_bytes())
        .map_err(|e| SignatureError::malformed("Signature-Input", e.to_string()))?;
    let signatures: Dictionary = sfv::Parser::parse_dictionary(signature.as_bytes())
        .map_err(|e| SignatureError::malformed("Signature", e.to_string()))?;
    let candidates: Vec<(&String, &InnerList, &Vec<u8>)> = inputs
        .iter()
        .filter_map(|(label, entry)| {
            let ListEntry::InnerList(list) = entry else {
                return None;
            };
            let Some(ListEntry::Item(item)) = signatures.get(label) else {
                return None;
            };
            Some((label, list, item.bare_item.as_byte_seq()?))
        })
        .collect();
    let accepted = |list: &InnerList| {
        list.params.get("alg").is_none_or(|a| {
            a.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(RSA_V1_5_SHA256))
        })
    };
    let (label, list, bytes) = match candidates.iter().find(|(_, list, _)| accepted(list)) {
        Some(found) => *found,
        None => {
            return Err(match candidates.first() {
                None => SignatureError::malformed(
                    "Signature",
                    "no label of Signature-Input has a :base64: signature",
                ),
                Some((_, list, _)) => SignatureError::UnsupportedAlgorithm(
                    str_param(&list.params, "alg")?.unwrap_or_default(),
                ),
            })
        }
    };
    let covered = components(list)?;
    let key_id = str_param(&list.params, "keyid")?
        .filter(|k| !k.is_empty())
        .ok_or(SignatureError::MissingParameter("keyid"))?;
    // Mastodon and Fedify both require `created`; it is what the time window is checked on.
    let created =
        int_param(&list.params, "created")?.ok_or(SignatureError::MissingParameter("created"))?;
    let expires = int_param(&list.params, "expires")?;
    let has = |n: &str| covered.iter().any(|c| c == n);
    let coverage = Coverage {
        method_and_target: has("@method")
            && (has("@target-uri") || has("@path") || has("@request-target")),
        authority: has("@target-uri") || has("@authority") || has("host"),
        time: true,
        body: has("content-digest") || has("digest"),
    };
    let date = match (has("date"), request.single_header("date")?) {
        (true, Some(raw)) => Some(parse_http_date(raw)?),
        _ => None,
    };
    let parsed = ParsedSignature {
        scheme: Scheme::Rfc9421,
        key_id,
        algorithm: str_param(&list.params, "alg")?
            .unwrap_or_else(|| RSA_V1_5_SHA256.into())
            .to_ascii_lowercase(),
        label: Some(label.clone()),
        covered,
        created: Some(created),
        expires,
        date,
        signature: bytes.clone(),
        parsed: Parsed::Rfc9421(Rfc9421Parts {
            signature_params: serialize_inner_list(list)?,
        }),
    };
    coverage.require(
        &parsed,
        request,
        "@method and @target-uri (or @path)",
        "@authority (or @target-uri, or host)",
        "created",
        "content-digest",
    )?;
    Ok(Some(parsed))
}

/// The covered component names, checked: strings, lower-case, no parameters, no duplicates,
/// derived components we can rebuild.
fn components(list: &InnerList) -> Result<Vec<String>, SignatureError> {
    let mut names: Vec<String> = Vec::with_capacity(list.items.len());
    let mut seen = std::collections::HashSet::new();
    for item in &list.items {
        let name = item.bare_item.as_str().ok_or_else(|| {
            SignatureError::malformed("Signature-Input", "a component is not a string")
        })?;
        if !item.params.is_empty() {
            // `;sf`, `;key`, `;bs`, `;req`, `;tr`, `;name`: not needed by the fediverse.
            let shown = item.serialize_value().unwrap_or_else(|_| name.to_string());
            return Err(SignatureError::UnsupportedComponent(shown));
        }
        if name.starts_with('@') && !DERIVED.contains(&name) {
            return Err(SignatureError::UnsupportedComponent(name.to_string()));
        }
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SignatureError::malformed(
                "Signature-Input",
                format!("{name:?} is not a lower-case component name"),
            ));
        }
        if !seen.insert(name) {
            return Err(SignatureError::malformed(
                "Signature-Input",
                format!("{name} is covered twice"),
            ));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The §2.5 signature base: `value(component)` for each covered component, then
/// `@signature-params`.
pub(crate) fn signature_base(
    components: &[String],
    signature_params: &str,
    mut value: impl FnMut(&str) -> Result<String, SignatureError>,
) -> Result<String, SignatureError> {
    let mut base = String::new();
    for name in components {
        let v = value(name)?;
        base.push_str(&sf_string(name)?);
        base.push_str(": ");
        base.push_str(&v);
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(signature_params);
    Ok(base)
}

/// The value of one component of an incoming request (§2.1, §2.2). The authority and scheme
/// are those this server is reached at, from `options`.
pub(crate) fn incoming_value(
    request: &IncomingRequest<'_>,
    options: &VerifyOptions,
    name: &str,
) -> Result<String, SignatureError> {
    let scheme = options.scheme.to_ascii_lowercase();
    let authority = normalize_authority(&options.authority, &scheme);
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    Ok(match name {
        "@method" => request.method.to_string(),
        "@target-uri" => format!("{scheme}://{authority}{}", request.path_and_query()),
        "@authority" => authority,
        "@scheme" => scheme,
        "@request-target" => request.path_and_query(),
        "@path" => path.to_string(),
        "@query" => format!("?{}", request.query.unwrap_or_default()),
        // HTTP/2 carries :authority, not Host (RFC 9113 §8.3.1): the authority stands in, as
        // for draft-cavage. Fedify covers `host` beside `@authority`.
        "host" => match request.single_header("host")? {
            Some(host) => host.trim().to_string(),
            None => authority,
        },
        header => request
            .single_header(header)?
            .ok_or_else(|| SignatureError::MissingHeader(header.to_string()))?
            .trim()
            .to_string(),
    })
}

/// The headers RFC 9421 signing adds: `Date`, `Content-Digest` with a body, `Signature-Input`
/// and `Signature` under label `sig1`, covering `"@method" "@target-uri" "@authority" "date"`,
/// the caller's covered headers, and `"content-digest"` with a body.
pub(crate) fn sign(
    key: &super::KeyPair,
    key_id: &str,
    request: &OutgoingRequest<'_>,
    authority: &str,
    date: &str,
    created: i64,
) -> Result<Vec<(&'static str, String)>, SignatureError> {
    validate_key_id(key_id)?;
    let mut names: Vec<String> = ["@method", "@target-uri", "@authority", "date"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(request.covered.iter().map(|(n, _)| n.to_string()));
    let content_digest = request.body.map(digest::content_digest_header);
    if content_digest.is_some() {
        names.push("content-digest".into());
    }
    let mut params = Parameters::new();
    params.insert("created".into(), BareItem::Integer(created));
    params.insert("keyid".into(), BareItem::String(key_id.to_string()));
    params.insert("alg".into(), BareItem::String(RSA_V1_5_SHA256.into()));
    let list = InnerList::with_params(
        names
            .iter()
            .map(|n| Item::new(BareItem::String(n.clone())))
            .collect(),
        params,
    );
    let signature_params = serialize_inner_list(&list)?;
    let url = request.url;
    let target_uri = &url[..url::Position::AfterQuery];
    let base = signature_base(&names, &signature_params, |name| {
        Ok(match name {
            "@method" => request.method.to_string(),
            "@target-uri" => target_uri.to_string(),
            "@authority" => authority.to_string(),
            "date" => date.to_string(),
            "content-digest" => content_digest.clone().unwrap_or_default(),
            other => request
                .covered
                .iter()
                .find(|(n, _)| *n == other)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default(),
        })
    })?;
    let signature = key.sign_sha256(base.as_bytes())?;
    let mut input = Dictionary::new();
    input.insert("sig1".into(), ListEntry::InnerList(list));
    let mut sig = Dictionary::new();
    sig.insert(
        "sig1".into(),
        ListEntry::Item(Item::new(BareItem::ByteSeq(signature))),
    );
    let serialize = |d: &Dictionary| {
        d.serialize_value()
            .map_err(|e| SignatureError::Signing(e.to_string()))
    };
    let mut added = vec![("Date", date.to_string())];
    if let Some(value) = content_digest {
        added.push(("Content-Digest", value));
    }
    added.push(("Signature-Input", serialize(&input)?));
    added.push(("Signature", serialize(&sig)?));
    Ok(added)
}

/// An `Accept-Signature` value (RFC 9421 §5.1) for an inbox's 401: the signature we would
/// accept, `sig1=("@method" "@target-uri" "@authority" ["content-digest"]);created;
/// alg="rsa-v1_5-sha256"`. Fedify 2.1 answers such a challenge by re-signing as asked,
/// before it falls back to draft-cavage.
pub fn accept_signature(with_body: bool) -> String {
    let mut names = vec!["@method", "@target-uri", "@authority"];
    if with_body {
        names.push("content-digest");
    }
    let mut params = Parameters::new();
    params.insert("created".into(), BareItem::Boolean(true));
    params.insert("alg".into(), BareItem::String(RSA_V1_5_SHA256.into()));
    let list = InnerList::with_params(
        names
            .iter()
            .map(|n| Item::new(BareItem::String((*n).to_string())))
            .collect(),
        params,
    );
    let mut dict = Dictionary::new();
    dict.insert("sig1".into(), ListEntry::InnerList(list));
    // Serializing fixed strings and a boolean cannot fail.
    dict.serialize_value().unwrap_or_default()
}
