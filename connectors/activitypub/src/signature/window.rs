//! How old a signature may be: Mastodon's rules, so that what Mastodon accepts we accept.
//!
//! Mastodon (`app/lib/signed_request.rb`, `matches_time_window?`) takes the signature's
//! creation time (`created`, else the `Date` header) and its expiry (`expires`, else created +
//! 5 minutes, and never later than created + 12 hours), then refuses a signature created more
//! than 1 hour ahead of its clock, or whose expiry is more than 1 hour behind it. So a signature
//! without `expires` is good for 1 h 5 min after its `Date`, and up to 1 h before it.
//!
//! (Older Mastodon, `signature_verification.rb` for draft-cavage-06, accepted a `Date` within
//! ±12 h; Fedify accepts ±1 h by default. The window here is between the two, and configurable.)

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::SignatureError;

/// The time rules for a signature. [`TimeWindow::default`] is Mastodon's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// How far our clock and the signer's may disagree, either way (Mastodon's
    /// `CLOCK_SKEW_MARGIN`, 1 hour).
    pub clock_skew: Duration,
    /// How long a signature without `expires` is valid after its creation (Mastodon: 5 min).
    pub default_lifetime: Duration,
    /// The longest validity an `expires` can claim after creation (Mastodon's
    /// `EXPIRATION_WINDOW_LIMIT`, 12 hours).
    pub max_lifetime: Duration,
}

impl Default for TimeWindow {
    fn default() -> Self {
        TimeWindow {
            clock_skew: Duration::from_secs(3_600),
            default_lifetime: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(12 * 3_600),
        }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

fn abs(d: TimeDelta) -> Duration {
    d.abs().to_std().unwrap_or(Duration::MAX)
}

impl TimeWindow {
    /// Checks one creation time (`what` names it in errors: `Date` or `created`) and the
    /// signature's `expires`, if any, at `now`.
    pub(crate) fn check(
        &self,
        what: &'static str,
        created: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let skew = delta(self.clock_skew);
        let latest_created = now
            .checked_add_signed(skew)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if created > latest_created {
            return Err(SignatureError::InFuture {
                what,
                ahead: abs(created - now),
                margin: self.clock_skew,
            });
        }
        if let Some(expires) = expires {
            if expires < created {
                return Err(SignatureError::malformed(
                    "Signature",
                    "expires is before created",
                ));
            }
        }
        let cap = created
            .checked_add_signed(delta(self.max_lifetime))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let default_expiry = created
            .checked_add_signed(delta(self.default_lifetime))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let (expiry, claimed) = match expires {
            Some(e) if e <= cap => (e, true),
            Some(_) => (cap, false),
            None => (default_expiry.min(cap), false),
        };
        let deadline = expiry
            .checked_add_signed(skew)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if now > deadline {
            return Err(if claimed {
                SignatureError::Expired {
                    ago: abs(now - expiry),
                }
            } else {
                SignatureError::TooOld {
                    what,
                    age: abs(now - created),
                    window: abs(expiry - created).saturating_add(self.clock_skew),
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn mastodons_window() {
        let w = TimeWindow::default();
        let now = at(0);
        // Fresh, a little late, a little early: fine.
        w.check("Date", now, None, now).unwrap();
        w.check("Date", at(-3_900), None, now).unwrap();
        w.check("Date", at(3_600), None, now).unwrap();
        // 1 h 5 min and a second old, without expires: refused.
        assert_eq!(
            w.check("Date", at(-3_901), None, now),
            Err(SignatureError::TooOld {
                what: "Date",
                age: Duration::from_secs(3_901),
                window: Duration::from_secs(3_900),
            })
        );
        assert!(matches!(
            w.check("created", at(3_601), None, now),
            Err(SignatureError::InFuture { .. })
        ));
        // expires extends the window up to 12 h (+ skew), no further.
        w.check("created", at(-10 * 3_600), Some(at(-3_600)), now)
            .unwrap();
        assert_eq!(
            w.check("created", at(-4 * 3_600), Some(at(-2 * 3_600 - 1)), now),
            Err(SignatureError::Expired {
                ago: Duration::from_secs(2 * 3_600 + 1)
            })
        );
        assert!(matches!(
            w.check("created", at(-14 * 3_600), Some(at(3_600)), now),
            Err(SignatureError::TooOld { .. })
        ));
    }
}
