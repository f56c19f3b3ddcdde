//! The owner's credentials, apart from the web server that checks them: the password (Argon2id,
//! RFC 9106, as a PHC string), and the random tokens of sessions, CSRF, API access, served
//! feeds and the first-run setup link.
//!
//! Every token is 32 bytes from the operating system's secure random source (`getrandom`,
//! which fails rather than falls back), written as hex. Only a token's SHA-256 is stored: a
//! token is already a uniformly random 256-bit secret, so a fast hash is enough to make a
//! stolen database useless for logging in, and checking one costs a hash and an index probe.
//! Argon2, deliberately slow, is for the password only, the one secret a person chose.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: hashing is bounded work, and no one types more.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// API tokens start with this, so a leaked one is recognisable (and secret scanners can match it).
pub const API_TOKEN_PREFIX: &str = "braid_";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("auth: the operating system gave no random bytes: {0}")]
    NoRandomness(String),
    #[error("auth: the password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("auth: the password must be at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("auth: hashing the password: {0}")]
    Hash(String),
}

/// 32 random bytes as 64 hex digits.
pub fn new_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::NoRandomness(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// A new API token: [`API_TOKEN_PREFIX`] and 64 hex digits.
pub fn new_api_token() -> Result<String, AuthError> {
    Ok(format!("{API_TOKEN_PREFIX}{}", new_token()?))
}

/// What is stored of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of a session: derived from the session's token (so nothing more is stored),
/// under its own label, so it reveals neither the session token nor the stored hash.
pub fn csrf_token(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"braid csrf v1\0");
    h.update(session_token.as_bytes());
    hex::encode(h.finalize())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Refuses a password too short or too long to hash.
pub fn check_new_password(password: &str) -> Result<(), AuthError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::PasswordTooShort);
    }
    Ok(())
}

/// The password as an Argon2id PHC string with a random salt and the crate's default cost
/// (19 MiB, 2 passes: OWASP's recommended minimum). Slow on purpose: call it off the async
/// threads (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    check_new_password(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::NoRandomness(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash matches nothing.
/// Slow on purpose, like [`hash_password`].
pub fn verify_password(stored: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn password_round_trip_and_refusals() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsf"));
        assert!(!verify_password("not a phc string", "correct horse"));
        // Two hashes of one password differ (random salt).
        assert_ne!(hash, hash_password("correct horse").expect("hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::PasswordTooShort)
        ));
        // Counted in characters, not bytes: 8 CJK characters are enough.
        assert!(check_new_password("日本語日本語日本").is_ok());
        assert!(matches!(
            check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(AuthError::PasswordTooLong)
        ));
    }

    #[test]
    fn tokens_are_random_hex_and_stored_hashed() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(new_api_token()
            .expect("token")
            .starts_with(API_TOKEN_PREFIX));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        let csrf = csrf_token(&a);
        assert_ne!(csrf, token_hash(&a));
        assert!(same_secret(&csrf, &csrf_token(&a)));
        assert!(!same_secret(&csrf, &csrf_token(&b)));
        assert!(!same_secret(&csrf, &csrf[1..]));
    }
}
