//! Dates from elements feed-rs does not read (Dublin Core, Atom 0.3), found by the pre-pass.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The first of `dates` that reads as a date. Dublin Core dates are W3CDTF (a profile of ISO
/// 8601: `2024-05-01`, `2024-05-01T10:00Z`, `2024-05-01T10:00:00+02:00`); some publishers put
/// RFC 822 dates there too. A date without a zone is taken as UTC.
pub(crate) fn first_date(dates: &[String]) -> Option<DateTime<Utc>> {
    dates.iter().find_map(|d| parse_date(d.trim()))
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let utc = |d: DateTime<chrono::FixedOffset>| d.with_timezone(&Utc);
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(utc(d));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(utc(d));
    }
    for f in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(utc(d));
        }
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_in_the_forms_publishers_write() {
        let d = |s: &str| first_date(&[s.to_owned()]).map(|d| d.to_rfc3339());
        assert_eq!(
            d("2024-05-01T10:00:00Z").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(
            d("2024-05-01T12:00:00+02:00").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("2024-05-01T10:00Z").unwrap(), "2024-05-01T10:00:00+00:00");
        assert_eq!(
            d("2024-05-01T10:00:00").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("2024-05-01").unwrap(), "2024-05-01T00:00:00+00:00");
        assert_eq!(
            d("Wed, 01 May 2024 10:00:00 GMT").unwrap(),
            "2024-05-01T10:00:00+00:00"
        );
        assert_eq!(d("last Tuesday"), None);
        // The first readable one wins.
        let two = ["soon".to_owned(), "2024-05-02".to_owned()];
        assert_eq!(
            first_date(&two).unwrap().to_rfc3339(),
            "2024-05-02T00:00:00+00:00"
        );
    }
}
