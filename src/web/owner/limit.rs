//! Login attempts, limited per client address and overall, as token buckets: a few attempts
//! at once, then one per interval. An attempt takes a token before the password is checked
//! (so a burst of parallel guesses is limited too) and gives it back when it succeeds, so the
//! owner typing the right password never uses up the allowance.
//!
//! The overall bucket bounds guessing from many addresses at once (a botnet); it is wide
//! enough that it slows such an attack rather than lock the owner out for long.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts one address may make at once.
pub const PER_ADDRESS_BURST: f64 = 5.0;
/// Then one per this long.
pub const PER_ADDRESS_EVERY: Duration = Duration::from_secs(60);
/// Attempts from all addresses together at once.
pub const OVERALL_BURST: f64 = 30.0;
/// Then one per this long.
pub const OVERALL_EVERY: Duration = Duration::from_secs(2);
/// Addresses remembered at most; the fullest buckets are forgotten first.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Bucket {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    fn refill(&mut self, burst: f64, every: Duration, now: Instant) {
        let gained = now.duration_since(self.at).as_secs_f64() / every.as_secs_f64();
        self.tokens = (self.tokens + gained).min(burst);
        self.at = now;
    }

    /// How long until one token is there.
    fn wait(&self, every: Duration) -> Duration {
        every.mul_f64((1.0 - self.tokens).max(0.0))
    }
}

#[derive(Debug)]
struct State {
    overall: Bucket,
    per_address: HashMap<IpAddr, Bucket>,
}

/// The limiter; one per server.
#[derive(Debug)]
pub struct LoginLimit {
    state: Mutex<State>,
}

impl Default for LoginLimit {
    fn default() -> Self {
        LoginLimit {
            state: Mutex::new(State {
                overall: Bucket::full(OVERALL_BURST, Instant::now()),
                per_address: HashMap::new(),
            }),
        }
    }
}

impl LoginLimit {
    /// Takes an attempt for `addr`, or says how long to wait.
    pub fn take(&self, addr: IpAddr) -> Result<(), Duration> {
        self.take_at(addr, Instant::now())
    }

    /// Gives back the attempt of a login that succeeded.
    pub fn give_back(&self, addr: IpAddr) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.overall.tokens = (state.overall.tokens + 1.0).min(OVERALL_BURST);
        if let Some(b) = state.per_address.get_mut(&addr) {
            b.tokens = (b.tokens + 1.0).min(PER_ADDRESS_BURST);
        }
    }

    fn take_at(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.overall.refill(OVERALL_BURST, OVERALL_EVERY, now);
        if state.per_address.len() >= MAX_ADDRESSES && !state.per_address.contains_key(&addr) {
            // Forget the addresses whose buckets have refilled (they lose nothing).
            state.per_address.retain(|_, b| {
                b.refill(PER_ADDRESS_BURST, PER_ADDRESS_EVERY, now);
                b.tokens < PER_ADDRESS_BURST
            });
        }
        let mine = state
            .per_address
            .entry(addr)
            .or_insert_with(|| Bucket::full(PER_ADDRESS_BURST, now));
        mine.refill(PER_ADDRESS_BURST, PER_ADDRESS_EVERY, now);
        if mine.tokens < 1.0 {
            return Err(mine.wait(PER_ADDRESS_EVERY));
        }
        let mine_tokens = mine.tokens;
        if state.overall.tokens < 1.0 {
            return Err(state.overall.wait(OVERALL_EVERY));
        }
        state.overall.tokens -= 1.0;
        if let Some(b) = state.per_address.get_mut(&addr) {
            b.tokens = mine_tokens - 1.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits_and_refills() {
        let limit = LoginLimit::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..PER_ADDRESS_BURST as usize {
            assert!(limit.take_at(a, t0).is_ok());
        }
        let wait = limit.take_at(a, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= PER_ADDRESS_EVERY,
            "{wait:?}"
        );
        // Another address is not affected.
        assert!(limit.take_at("192.0.2.2".parse().unwrap(), t0).is_ok());
        // One interval later, one more attempt.
        let t1 = t0 + PER_ADDRESS_EVERY;
        assert!(limit.take_at(a, t1).is_ok());
        assert!(limit.take_at(a, t1).is_err());
        // A success gives its attempt back.
        limit.give_back(a);
        assert!(limit.take_at(a, t1).is_ok());
    }

    #[test]
    fn many_addresses_together_hit_the_overall_limit() {
        let limit = LoginLimit::default();
        let t0 = Instant::now();
        let mut refused = None;
        for n in 0..100u8 {
            if limit.take_at(IpAddr::from([198, 51, 100, n]), t0).is_err() {
                refused = Some(n);
                break;
            }
        }
        assert_eq!(refused, Some(OVERALL_BURST as u8));
    }
}
