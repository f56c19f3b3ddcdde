//! Cron expressions in the forms people know.
//!
//! The `cron` crate reads 6 or 7 fields with seconds first and numbers days of the week 1–7
//! from Sunday. Most people write the Unix 5-field form (`*/15 * * * *`, Sunday = 0 or 7), so a
//! 5-field expression is translated: a `0` seconds field is put in front and the day-of-week
//! field is rewritten as day names, which both forms read the same way.
//!
//! One difference remains and is documented: when both day-of-month and day-of-week are
//! restricted, Unix cron fires when *either* matches; the `cron` crate requires both.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use cron::Schedule;

const EXAMPLE: &str =
    "use the Unix form like \"*/15 * * * *\" (every 15 minutes) or \"0 6 * * 1-5\" (weekdays at 06:00)";

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Parses a 5-, 6- or 7-field cron expression. The error shows a valid example.
pub fn parse_schedule(expr: &str) -> Result<Schedule, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let translated = match fields.len() {
        5 => {
            let dow = unix_day_of_week(fields[4])
                .map_err(|e| format!("invalid cron expression {expr:?}: {e}; {EXAMPLE}"))?;
            format!(
                "0 {} {} {} {} {}",
                fields[0], fields[1], fields[2], fields[3], dow
            )
        }
        6 | 7 => fields.join(" "),
        n => {
            return Err(format!(
                "invalid cron expression {expr:?}: it has {n} fields, expected 5 (minute hour \
                 day-of-month month day-of-week); {EXAMPLE}"
            ))
        }
    };
    Schedule::from_str(&translated)
        .map_err(|e| format!("invalid cron expression {expr:?}: {e}; {EXAMPLE}"))
}

/// The first time `schedule` fires strictly after `after`.
pub fn next_after(schedule: &Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.after(&after).next()
}

/// Rewrites a Unix day-of-week field (0–7, Sunday = 0 or 7, names, ranges, lists, steps) as a
/// list of day names.
fn unix_day_of_week(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_owned());
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: usize = s
                    .parse()
                    .map_err(|_| format!("bad step {s:?} in day of week"))?;
                if step == 0 {
                    return Err("a step of 0 in day of week".into());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            (day_number(a)?, day_number(b)?)
        } else {
            let d = day_number(range)?;
            (d, if step > 1 { 6 } else { d })
        };
        if lo > hi {
            return Err(format!("day-of-week range {range:?} runs backwards"));
        }
        for d in (lo..=hi).step_by(step) {
            days[d % 7] = true;
        }
    }
    let names: Vec<&str> = (0..7).filter(|&d| days[d]).map(|d| DAY_NAMES[d]).collect();
    Ok(names.join(","))
}

/// 0–7 (7 is Sunday again) or a three-letter name; returns 0–7.
fn day_number(s: &str) -> Result<usize, String> {
    if let Ok(n) = s.parse::<usize>() {
        return if n <= 7 {
            Ok(n)
        } else {
            Err(format!("day of week {n} is not in 0-7"))
        };
    }
    DAY_NAMES
        .iter()
        .position(|d| d.eq_ignore_ascii_case(s.get(..3).unwrap_or(s)))
        .ok_or_else(|| format!("{s:?} is not a day of the week"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn five_field_every_fifteen_minutes() {
        let s = parse_schedule("*/15 * * * *").unwrap();
        let next = next_after(&s, at(2026, 11, 24, 10, 7)).unwrap();
        assert_eq!((next.hour(), next.minute(), next.second()), (10, 15, 0));
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        // 2026-11-24 is a Tuesday.
        for expr in ["0 9 * * 0", "0 9 * * 7", "0 9 * * sun"] {
            let next = next_after(&parse_schedule(expr).unwrap(), at(2026, 11, 24, 10, 0)).unwrap();
            assert_eq!(next.weekday(), Weekday::Sun, "{expr}");
        }
        let next = next_after(
            &parse_schedule("0 6 * * 1-5").unwrap(),
            at(2026, 11, 28, 10, 0),
        )
        .unwrap();
        assert_eq!(next.weekday(), Weekday::Mon);
        let next = next_after(
            &parse_schedule("0 6 * * 5-7").unwrap(),
            at(2026, 11, 24, 10, 0),
        )
        .unwrap();
        assert_eq!(next.weekday(), Weekday::Fri);
    }

    #[test]
    fn six_and_seven_field_forms_pass_through() {
        assert!(parse_schedule("0 */30 * * * *").is_ok());
        assert!(parse_schedule("0 0 12 * * Mon-Fri 2027").is_ok());
    }

    #[test]
    fn errors_show_an_example() {
        for bad in ["every day", "* * *", "61 * * * *", "* * * * 9"] {
            let err = parse_schedule(bad).unwrap_err();
            assert!(err.contains("*/15 * * * *"), "{bad}: {err}");
        }
    }
}
