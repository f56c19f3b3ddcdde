//! Logins waiting for the browser to come back from the network's authorize page.
//!
//! A factory's state between two steps is opaque and may hold a secret (an OAuth client
//! secret), so it stays in this process's memory, never in a URL or a cookie. It is keyed by
//! a random value that travels as OAuth's `state` (RFC 6749 §4.1.1): only a callback bringing
//! back the state of a login started here finishes one (§10.12), and each is taken once. A
//! login nobody finishes is forgotten after [`PendingLogins::TTL`]; a restart forgets them all
//! (the person starts again).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Purpose;

/// A login waiting for its answer.
pub struct PendingLogin {
    /// The factory's kind.
    pub kind: String,
    pub purpose: Purpose,
    /// The factory's state after its question ([`braid_core::factory::LoginQuestion::state`]).
    pub state: Value,
    /// The id of the field the answer fills (`code`): the callback's parameter of that name.
    pub answer: &'static str,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("kind", &self.kind)
            .field("purpose", &self.purpose)
            .field("state", &"[redacted]")
            .field("answer", &self.answer)
            .finish()
    }
}

/// The pending logins of this process, by key. Shared by the web server's handlers.
#[derive(Debug)]
pub struct PendingLogins {
    ttl: Duration,
    logins: Mutex<Logins>,
}

/// Each login with when it started and its place in line (the oldest goes first).
type Logins = HashMap<String, (Instant, u64, PendingLogin)>;

impl Default for PendingLogins {
    fn default() -> Self {
        PendingLogins::with_ttl(PendingLogins::TTL)
    }
}

impl PendingLogins {
    /// How long a login waits for the browser to come back: enough to log in to the network
    /// and read what it asks, short enough that a forgotten one does not linger.
    pub const TTL: Duration = Duration::from_secs(15 * 60);

    /// At most this many wait at once; a new one pushes out the oldest (one owner never has
    /// this many open, so only a runaway client loses any).
    pub const MAX: usize = 64;

    /// Logins that wait `ttl` (tests).
    pub fn with_ttl(ttl: Duration) -> Self {
        PendingLogins {
            ttl,
            logins: Mutex::default(),
        }
    }

    /// Keeps `login` under `key` (a random token).
    pub fn insert(&self, key: String, login: PendingLogin) {
        let now = Instant::now();
        let ttl = self.ttl;
        let mut logins = self.lock();
        logins.retain(|_, (started, _, _)| now.duration_since(*started) < ttl);
        while logins.len() >= Self::MAX {
            let oldest = logins
                .iter()
                .min_by_key(|(_, (_, seq, _))| *seq)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => logins.remove(&k),
                None => break,
            };
        }
        let seq = logins
            .values()
            .map(|(_, seq, _)| seq + 1)
            .max()
            .unwrap_or(0);
        logins.insert(key, (now, seq, login));
    }

    /// The login kept under `key`, removed: each is finished at most once. `None` when there
    /// is none or it expired.
    pub fn take(&self, key: &str) -> Option<PendingLogin> {
        let (started, _, login) = self.lock().remove(key)?;
        (started.elapsed() < self.ttl).then_some(login)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Logins> {
        // A panic while holding the lock leaves a map that is still whole.
        self.logins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn login() -> PendingLogin {
        PendingLogin {
            kind: "test".into(),
            purpose: Purpose::New { name: None },
            state: serde_json::json!({"secret": "s3cret"}),
            answer: "code",
        }
    }

    #[test]
    fn a_login_is_taken_once_and_hides_its_state() {
        let pending = PendingLogins::default();
        pending.insert("k".into(), login());
        assert!(!format!("{pending:?}").contains("s3cret"));
        assert!(pending.take("other").is_none());
        assert_eq!(pending.take("k").map(|l| l.answer), Some("code"));
        assert!(pending.take("k").is_none(), "taken once");
    }

    #[test]
    fn an_expired_login_is_gone() {
        let pending = PendingLogins::with_ttl(Duration::ZERO);
        pending.insert("k".into(), login());
        assert!(pending.take("k").is_none());
    }

    #[test]
    fn the_oldest_goes_past_the_bound() {
        let pending = PendingLogins::default();
        for n in 0..=PendingLogins::MAX {
            pending.insert(format!("k{n}"), login());
        }
        assert!(pending.take("k0").is_none());
        assert!(pending.take(&format!("k{}", PendingLogins::MAX)).is_some());
    }
}
