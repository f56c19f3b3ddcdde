//! Ordering Mastodon status ids, which the cursor and the page walk depend on.

/// True when id `a` is newer than `b`. Mastodon ids are decimal strings ordered by time
/// (longer is larger); other servers' opaque ids compare as strings, which is what they sort by.
pub fn id_newer(a: &str, b: &str) -> bool {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if numeric(a) && numeric(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        (a.len(), a) > (b.len(), b)
    } else {
        a > b
    }
}

pub fn newest_id<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    ids.fold(None::<&str>, |best, id| match best {
        Some(b) if !id_newer(id, b) => Some(b),
        _ => Some(id),
    })
    .map(str::to_owned)
}

pub fn oldest_id<'a>(ids: impl Iterator<Item = &'a str>) -> Option<String> {
    ids.fold(None::<&str>, |best, id| match best {
        Some(b) if !id_newer(b, id) => Some(b),
        _ => Some(id),
    })
    .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn ids_compare_as_numbers() {
        assert!(id_newer("110", "99"));
        assert!(!id_newer("99", "110"));
        assert!(!id_newer("5", "5"));
        assert!(id_newer("b", "a"));
        assert_eq!(
            newest_id(["3", "20", "100"].into_iter()).as_deref(),
            Some("100")
        );
        assert_eq!(
            oldest_id(["3", "20", "100"].into_iter()).as_deref(),
            Some("3")
        );
    }
}
