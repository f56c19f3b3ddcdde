//! Canonical URLs: the key that links the same post seen through several sources.
//!
//! Lower-cases scheme and host (the `url` crate does both), drops the fragment, default ports,
//! well-known tracking parameters (`utm_*`, `fbclid`, `gclid`, …), a trailing slash on a non-root
//! path, and sorts the remaining query parameters so their order does not matter.

use url::Url;

/// Query parameters that only track the reader and never change the page.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref_src",
    "ref_url",
    "spm",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wt_mc",
    "__s",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// Returns the canonical form of `raw`, or `None` when it is not an absolute http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    url.set_fragment(None);
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let path = url.path().to_owned();
    if path.len() > 1 && path.ends_with('/') {
        url.set_path(path.trim_end_matches('/'));
    }
    // Both schemes name the same page in practice; the key must not split on them.
    let mut key = url.to_string();
    if let Some(rest) = key.strip_prefix("http://") {
        key = format!("https://{rest}");
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::canonical_url;

    #[test]
    fn drops_tracking_fragment_and_case() {
        assert_eq!(
            canonical_url("HTTP://Example.COM/Post/1/?utm_source=x&b=2&a=1&fbclid=z#top")
                .as_deref(),
            Some("https://example.com/Post/1?a=1&b=2")
        );
    }

    #[test]
    fn same_post_same_key() {
        assert_eq!(
            canonical_url("https://example.com/p?utm_medium=social"),
            canonical_url("http://EXAMPLE.com:80/p#comments")
        );
    }

    #[test]
    fn rejects_non_http() {
        assert_eq!(canonical_url("mailto:a@b.c"), None);
        assert_eq!(canonical_url("not a url"), None);
    }
}
