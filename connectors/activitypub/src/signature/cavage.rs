//! draft-cavage-http-signatures-12: the `Signature` header Mastodon sends and expects.
//!
//! `Signature: keyId="…",algorithm="rsa-sha256",headers="(request-target) host date digest",
//! signature="<base64>"` (§4.1), the signature over the signing string of §2.3: one line per
//! covered header, `name: value`, joined by `\n`. The same parameters may come as
//! `Authorization: Signature …` (§3.1).

use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::request::{IncomingRequest, OutgoingRequest};
use super::{
    digest, lenient_base64, parse_http_date, validate_key_id, Coverage, Parsed, ParsedSignature,
    Scheme, SignatureError,
};

/// The algorithms we accept. `hs2019` leaves the algorithm to the key; with an RSA key
/// Mastodon (and everyone else in the fediverse) means RSASSA-PKCS1-v1_5 with SHA-256.
const ACCEPTED: [&str; 2] = ["rsa-sha256", "hs2019"];

/// What draft-cavage needs beyond the common fields to rebuild the signing string.
#[derive(Debug, Clone)]
pub(crate) struct CavageParts {
    pub created_raw: Option<String>,
    pub expires_raw: Option<String>,
}

/// The raw parameters of a `Signature` header.
#[derive(Debug, Default)]
struct Params {
    key_id: Option<String>,
    algorithm: Option<String>,
    headers: Option<String>,
    signature: Option<String>,
    created: Option<String>,
    expires: Option<String>,
}

/// Parses `name="quoted", name=token, …`. Quoted strings may hold commas and `\"` escapes.
fn parse_params(header: &'static str, value: &str) -> Result<Params, SignatureError> {
    let mut params = Params::default();
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        if name.is_empty() || !rest.starts_with('=') {
            return Err(SignatureError::malformed(
                header,
                "expected name=value pairs",
            ));
        }
        rest = rest[1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, escaped)) => out.push(escaped),
                        None => break,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end =
                end.ok_or_else(|| SignatureError::malformed(header, "an unterminated quote"))?;
            value = out;
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        let slot = match name.to_ascii_lowercase().as_str() {
            "keyid" => &mut params.key_id,
            "algorithm" => &mut params.algorithm,
            "headers" => &mut params.headers,
            "signature" => &mut params.signature,
            "created" => &mut params.created,
            "expires" => &mut params.expires,
            _ => {
                rest = skip_comma(header, rest)?;
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return Err(SignatureError::malformed(
                header,
                format!("the {name} parameter appears twice"),
            ));
        }
        rest = skip_comma(header, rest)?;
    }
    Ok(params)
}

fn skip_comma<'a>(header: &'static str, rest: &'a str) -> Result<&'a str, SignatureError> {
    match rest.strip_prefix(',') {
        Some(after) => Ok(after.trim_start()),
        None if rest.is_empty() => Ok(rest),
        None => Err(SignatureError::malformed(
            header,
            "expected a comma between parameters",
        )),
    }
}

fn timestamp(header: &'static str, name: &str, raw: &str) -> Result<DateTime<Utc>, SignatureError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| SignatureError::malformed(header, format!("{name} is not a Unix time")))
}

/// Finds and parses a draft-cavage signature: `Signature`, else `Authorization: Signature`,
/// and refuses one that covers too little. `Ok(None)`: the request carries neither.
pub(crate) fn parse(
    request: &IncomingRequest<'_>,
) -> Result<Option<ParsedSignature>, SignatureError> {
    let Some((parsed, coverage)) = parse_lenient(request)? else {
        return Ok(None);
    };
    coverage.require(
        &parsed,
        request,
        "(request-target)",
        "host",
        "date or (created)",
        "digest",
    )?;
    Ok(Some(parsed))
}

/// [`parse`] without the coverage policy: draft-cavage's own test vectors (Appendix C.1,
/// C.2) sign less than we require, and the tests verify them through this.
pub(crate) fn parse_lenient(
    request: &IncomingRequest<'_>,
) -> Result<Option<(ParsedSignature, Coverage)>, SignatureError> {
    let (header, value) = match request.single_header("signature")? {
        Some(v) => ("Signature", v),
        None => match request.single_header("authorization")? {
            Some(v)
                if v.get(..10)
                    .is_some_and(|s| s.eq_ignore_ascii_case("signature ")) =>
            {
                ("Authorization", v.get(10..).unwrap_or_default())
            }
            _ => return Ok(None),
        },
    };
    let params = parse_params(header, value)?;
    let key_id = params
        .key_id
        .filter(|k| !k.is_empty())
        .ok_or(SignatureError::MissingParameter("keyId"))?;
    let signature = params
        .signature
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingParameter("signature"))?;
    let signature = lenient_base64()
        .decode(signature.split_ascii_whitespace().collect::<String>())
        .map_err(|_| SignatureError::malformed(header, "the signature is not base64"))?;
    // Mastodon's defaults (`signed_request.rb`): no algorithm means hs2019, and no headers
    // means `(created)` for hs2019, `date` otherwise (§2.1.6 says `(created)`).
    let algorithm = params
        .algorithm
        .unwrap_or_else(|| "hs2019".into())
        .to_ascii_lowercase();
    if !ACCEPTED.contains(&algorithm.as_str()) {
        return Err(SignatureError::UnsupportedAlgorithm(algorithm));
    }
    let headers = params.headers.unwrap_or_else(|| {
        if algorithm == "hs2019" {
            "(created)".into()
        } else {
            "date".into()
        }
    });
    let covered: Vec<String> = headers
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if covered.is_empty() {
        return Err(SignatureError::malformed(header, "headers is empty"));
    }
    let mut seen = std::collections::HashSet::new();
    for name in &covered {
        if !seen.insert(name) {
            return Err(SignatureError::malformed(
                header,
                format!("{name} is listed twice"),
            ));
        }
        let pseudo = matches!(name.as_str(), "(created)" | "(expires)");
        // §2.3: (created) and (expires) are an error with an rsa-* algorithm.
        if pseudo && algorithm != "hs2019" {
            return Err(SignatureError::malformed(
                header,
                format!("{name} cannot be used with {algorithm}"),
            ));
        }
        if name.starts_with('(') && !pseudo && name != "(request-target)" {
            return Err(SignatureError::UnsupportedComponent(name.clone()));
        }
    }
    let created = params
        .created
        .as_deref()
        .map(|raw| timestamp(header, "created", raw))
        .transpose()?;
    let expires = params
        .expires
        .as_deref()
        .map(|raw| timestamp(header, "expires", raw))
        .transpose()?;
    for (name, present) in [
        ("(created)", created.is_some()),
        ("(expires)", expires.is_some()),
    ] {
        if covered.iter().any(|c| c == name) && !present {
            return Err(SignatureError::malformed(
                header,
                format!("{name} is covered but its parameter is missing"),
            ));
        }
    }
    let has = |n: &str| covered.iter().any(|c| c == n);
    let coverage = Coverage {
        method_and_target: has("(request-target)"),
        authority: has("host"),
        time: has("date") || has("(created)"),
        body: has("digest") || has("content-digest"),
    };
    let date = match (has("date"), request.single_header("date")?) {
        (true, Some(raw)) => Some(parse_http_date(raw)?),
        _ => None,
    };
    let parsed = ParsedSignature {
        scheme: Scheme::Cavage,
        key_id,
        algorithm,
        label: None,
        covered,
        created,
        expires,
        date,
        signature,
        parsed: Parsed::Cavage(CavageParts {
            created_raw: params.created,
            expires_raw: params.expires,
        }),
    };
    Ok(Some((parsed, coverage)))
}

/// The §2.3 signing string for `covered`, with `target` as the request-target's path part and
/// `authority` standing in for a `Host` header HTTP/2 does not send.
pub(crate) fn signing_string(
    request: &IncomingRequest<'_>,
    parsed: &ParsedSignature,
    parts: &CavageParts,
    target: &str,
    authority: &str,
) -> Result<String, SignatureError> {
    let mut lines = Vec::with_capacity(parsed.covered.len());
    for name in &parsed.covered {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {target}", request.method.to_ascii_lowercase()),
            "(created)" => parts.created_raw.clone().unwrap_or_default(),
            "(expires)" => parts.expires_raw.clone().unwrap_or_default(),
            "host" => request
                .single_header("host")?
                .unwrap_or(authority)
                .trim()
                .to_string(),
            header => request
                .single_header(header)?
                .ok_or_else(|| SignatureError::MissingHeader(header.to_string()))?
                .trim()
                .to_string(),
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// The headers draft-cavage signing adds: `Date`, `Digest` with a body, and `Signature`
/// covering `(request-target) host date [digest] [covered…]`, as Mastodon signs.
pub(crate) fn sign(
    key: &super::KeyPair,
    key_id: &str,
    request: &OutgoingRequest<'_>,
    authority: &str,
    date: &str,
) -> Result<Vec<(&'static str, String)>, SignatureError> {
    validate_key_id(key_id)?;
    let url = request.url;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut names = vec!["(request-target)", "host", "date"];
    let mut lines = vec![
        format!(
            "(request-target): {} {target}",
            request.method.to_ascii_lowercase()
        ),
        format!("host: {authority}"),
        format!("date: {date}"),
    ];
    let mut added = vec![("Date", date.to_string())];
    if let Some(body) = request.body {
        let value = digest::digest_header(body);
        names.push("digest");
        lines.push(format!("digest: {value}"));
        added.push(("Digest", value));
    }
    for (name, value) in request.covered {
        names.push(name);
        lines.push(format!("{name}: {}", value.trim()));
    }
    let signature = key.sign_sha256(lines.join("\n").as_bytes())?;
    added.push((
        "Signature",
        format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            names.join(" "),
            base64::engine::general_purpose::STANDARD.encode(signature)
        ),
    ));
    Ok(added)
}
