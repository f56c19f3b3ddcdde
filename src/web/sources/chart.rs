//! A source's items per day over the last [`DAYS`] days as a small bar chart: an inline SVG
//! drawn on the server (no script), coloured by classes from the stylesheet (the CSP forbids
//! style attributes; classes also follow dark mode), and named for screen readers by its
//! `<title>` and `aria-label`, which carry the numbers.

use chrono::{DateTime, Duration, NaiveTime, Utc};

/// How many days a chart covers, today included.
pub const DAYS: usize = 30;
/// Width of a bar and of the gap after it, in SVG units (= CSS pixels at the drawn size).
const BAR: u32 = 3;
const GAP: u32 = 1;
/// Height of the tallest bar.
const HEIGHT: u32 = 24;

/// One day's bar, in SVG coordinates (y grows downwards).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
}

/// Rendered by `source_chart.html` (escaped like any page), and printed into the pages with
/// `|safe` as the markup it is.
#[derive(Debug, Clone, askama::Template)]
#[template(path = "source_chart.html")]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub bar_width: u32,
    /// "12 items in the last 30 days (2024-04-02 to 2024-05-01): 2024-04-03: 5, …".
    pub label: String,
}

/// The first day a chart drawn at `now` covers: midnight UTC, [`DAYS`] − 1 days ago.
pub fn start(now: DateTime<Utc>) -> DateTime<Utc> {
    (now - Duration::days(DAYS as i64 - 1))
        .date_naive()
        .and_time(NaiveTime::MIN)
        .and_utc()
}

impl Chart {
    /// The chart of `counts` (one per day from `start`, oldest first).
    pub fn new(counts: &[u32], start: DateTime<Utc>) -> Chart {
        let max = counts.iter().copied().max().unwrap_or(0);
        let bars = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| {
                // At least one unit tall, so a single item is visible beside a busy day.
                let height = (u64::from(n) * u64::from(HEIGHT))
                    .div_ceil(u64::from(max.max(1)))
                    .clamp(1, u64::from(HEIGHT)) as u32;
                Bar {
                    x: i as u32 * (BAR + GAP),
                    y: HEIGHT - height,
                    height,
                }
            })
            .collect();
        let day = |i: usize| (start + Duration::days(i as i64)).format("%Y-%m-%d");
        let total: u64 = counts.iter().map(|n| u64::from(*n)).sum();
        let last = counts.len().saturating_sub(1);
        let mut label = format!(
            "{total} item{} in the last {} days ({} to {})",
            if total == 1 { "" } else { "s" },
            counts.len(),
            day(0),
            day(last)
        );
        let days: Vec<String> = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| format!("{}: {n}", day(i)))
            .collect();
        if !days.is_empty() {
            label.push_str(": ");
            label.push_str(&days.join(", "));
        }
        Chart {
            bars,
            width: counts.len() as u32 * (BAR + GAP),
            height: HEIGHT,
            bar_width: BAR,
            label,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bars_scale_to_the_busiest_day_and_the_label_has_the_numbers() {
        let start = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let mut counts = vec![0; DAYS];
        counts[0] = 1;
        counts[2] = 48;
        let chart = Chart::new(&counts, start);
        assert_eq!(
            chart.bars,
            [
                Bar {
                    x: 0,
                    y: 23,
                    height: 1
                },
                Bar {
                    x: 8,
                    y: 0,
                    height: 24
                }
            ]
        );
        assert_eq!(chart.width, 120);
        assert_eq!(
            chart.label,
            "49 items in the last 30 days (2024-05-01 to 2024-05-30): 2024-05-01: 1, 2024-05-03: 48"
        );
        let empty = Chart::new(&[0; DAYS], start);
        assert!(empty.bars.is_empty());
        assert!(empty.label.starts_with("0 items in the last 30 days"));
    }

    #[test]
    fn the_window_ends_today() {
        let now = Utc.with_ymd_and_hms(2024, 5, 30, 17, 5, 0).unwrap();
        assert_eq!(
            start(now),
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
        );
    }
}
