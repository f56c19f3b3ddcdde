//! RSA keys: an actor's own key pair, and the public keys of remote actors.
//!
//! The fediverse signs with RSASSA-PKCS1-v1_5 over SHA-256 (Mastodon's `rsa-sha256`, RFC 9421
//! §3.3.2 `rsa-v1_5-sha256`), with 2048-bit keys. An actor publishes its public key as SPKI PEM
//! (`-----BEGIN PUBLIC KEY-----`, the `publicKeyPem` of its `publicKey`); some servers publish
//! PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`), which we read too. We keep our private key as
//! PKCS#8 PEM.

use std::fmt;

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256};

use super::SignatureError;

/// The size of the keys we generate: what Mastodon, Misskey and Fedify generate.
pub const KEY_BITS: usize = 2048;

/// The smallest remote key we accept. 1024-bit keys are weak but still seen on old servers
/// (and in draft-cavage's own test vectors); below that a signature proves nothing.
pub const MIN_PUBLIC_KEY_BITS: usize = 1024;

/// An actor's own RSA key pair. `Debug` shows the public half's fingerprint only.
#[derive(Clone)]
pub struct KeyPair {
    private: RsaPrivateKey,
    public: PublicKey,
}

impl KeyPair {
    /// A new 2048-bit key from the operating system's random source. Slow (a second or more
    /// unoptimized): generate once per actor and persist with [`KeyPair::to_pkcs8_pem`].
    pub fn generate() -> Result<Self, SignatureError> {
        let private = RsaPrivateKey::new(&mut rand_core::OsRng, KEY_BITS)
            .map_err(|e| SignatureError::Key(format!("cannot generate an RSA key: {e}")))?;
        Ok(Self::from_private(private))
    }

    /// Reads a private key persisted as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or as
    /// PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, what OpenSSL and older tools write).
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let pem = pem.trim();
        let private = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| {
                SignatureError::Key(format!("the PKCS#1 private key cannot be read: {e}"))
            })?
        } else {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| {
                SignatureError::Key(format!("the PKCS#8 private key cannot be read: {e}"))
            })?
        };
        private
            .validate()
            .map_err(|e| SignatureError::Key(format!("the private key is not valid: {e}")))?;
        Ok(Self::from_private(private))
    }

    fn from_private(private: RsaPrivateKey) -> Self {
        let public = PublicKey(private.to_public_key());
        KeyPair { private, public }
    }

    /// The private key as PKCS#8 PEM, to persist. The string is wiped from memory when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, SignatureError> {
        self.private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SignatureError::Key(format!("cannot write the private key: {e}")))
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public key as SPKI PEM, what an actor publishes as `publicKeyPem`.
    pub fn public_key_pem(&self) -> Result<String, SignatureError> {
        self.public.to_pem()
    }

    /// RSASSA-PKCS1-v1_5 over SHA-256 of `message`. The random source blinds the private-key
    /// operation against timing attacks (the signature itself stays deterministic).
    pub(crate) fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let hashed = Sha256::digest(message);
        self.private
            .sign_with_rng(
                &mut rand_core::OsRng,
                Pkcs1v15Sign::new::<Sha256>(),
                &hashed,
            )
            .map_err(|e| SignatureError::Signing(format!("RSA signing failed: {e}")))
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("private", &"<redacted>")
            .finish()
    }
}

/// A remote actor's RSA public key, fetched from its `publicKeyPem`.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(RsaPublicKey);

impl PublicKey {
    /// Reads SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or PKCS#1 PEM
    /// (`-----BEGIN RSA PUBLIC KEY-----`). Keys under 1024 or over 4096 bits are refused.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| {
                SignatureError::Key(format!("the PKCS#1 public key cannot be read: {e}"))
            })?
        } else if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
            RsaPublicKey::from_public_key_pem(pem).map_err(|e| {
                SignatureError::Key(format!("the public key cannot be read (not RSA?): {e}"))
            })?
        } else {
            return Err(SignatureError::Key(
                "the public key is not PEM (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)".into(),
            ));
        };
        let bits = key.size() * 8;
        if bits < MIN_PUBLIC_KEY_BITS {
            return Err(SignatureError::Key(format!(
                "the public key has {bits} bits; at least {MIN_PUBLIC_KEY_BITS} are required"
            )));
        }
        Ok(PublicKey(key))
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> Result<String, SignatureError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| SignatureError::Key(format!("cannot write the public key: {e}")))
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.0.size() * 8
    }

    /// A short fingerprint for logs: the first 8 bytes of SHA-256 over the SPKI DER, in hex.
    pub fn fingerprint(&self) -> String {
        let der = self
            .0
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        Sha256::digest(der)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `signature` is RSASSA-PKCS1-v1_5 over SHA-256 of `message` by this key.
    pub(crate) fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        let hashed = Sha256::digest(message);
        self.0
            .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("sha256", &self.fingerprint())
            .finish()
    }
}
