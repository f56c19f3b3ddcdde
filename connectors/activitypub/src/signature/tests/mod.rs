//! Tests of HTTP Signatures: round trips, every refusal, published vectors, garbage.
//!
//! Fixed keys keep the tests fast (RSA key generation is slow unoptimized): RFC 9421 B.1.1's
//! `test-key-rsa` (2048 bits) signs; draft-cavage-12 Appendix C's `Test` key (1024 bits) is
//! the "wrong key" and verifies the cavage vectors. Both are published test keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fedify;
mod garbage;
mod keys;
mod refusals;
mod round_trip;
mod time;
mod vectors;

use std::sync::OnceLock;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use super::*;

/// RFC 9421 Appendix B.1.1, `test-key-rsa` (PKCS#1).
pub(super) const RFC_RSA_PRIVATE: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEqAIBAAKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsP
BRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsd
JKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75
jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKI
lE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZ
SFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQABAoIBAG/JZuSWdoVHbi56
vjgCgkjg3lkO1KrO3nrdm6nrgA9P9qaPjxuKoWaKO1cBQlE1pSWp/cKncYgD5WxE
CpAnRUXG2pG4zdkzCYzAh1i+c34L6oZoHsirK6oNcEnHveydfzJL5934egm6p8DW
+m1RQ70yUt4uRc0YSor+q1LGJvGQHReF0WmJBZHrhz5e63Pq7lE0gIwuBqL8SMaA
yRXtK+JGxZpImTq+NHvEWWCu09SCq0r838ceQI55SvzmTkwqtC+8AT2zFviMZkKR
Qo6SPsrqItxZWRty2izawTF0Bf5S2VAx7O+6t3wBsQ1sLptoSgX3QblELY5asI0J
YFz7LJECgYkAsqeUJmqXE3LP8tYoIjMIAKiTm9o6psPlc8CrLI9CH0UbuaA2JCOM
cCNq8SyYbTqgnWlB9ZfcAm/cFpA8tYci9m5vYK8HNxQr+8FS3Qo8N9RJ8d0U5Csw
DzMYfRghAfUGwmlWj5hp1pQzAuhwbOXFtxKHVsMPhz1IBtF9Y8jvgqgYHLbmyiu1
mwJ5AL0pYF0G7x81prlARURwHo0Yf52kEw1dxpx+JXER7hQRWQki5/NsUEtv+8RT
qn2m6qte5DXLyn83b1qRscSdnCCwKtKWUug5q2ZbwVOCJCtmRwmnP131lWRYfj67
B/xJ1ZA6X3GEf4sNReNAtaucPEelgR2nsN0gKQKBiGoqHWbK1qYvBxX2X3kbPDkv
9C+celgZd2PW7aGYLCHq7nPbmfDV0yHcWjOhXZ8jRMjmANVR/eLQ2EfsRLdW69bn
f3ZD7JS1fwGnO3exGmHO3HZG+6AvberKYVYNHahNFEw5TsAcQWDLRpkGybBcxqZo
81YCqlqidwfeO5YtlO7etx1xLyqa2NsCeG9A86UjG+aeNnXEIDk1PDK+EuiThIUa
/2IxKzJKWl1BKr2d4xAfR0ZnEYuRrbeDQYgTImOlfW6/GuYIxKYgEKCFHFqJATAG
IxHrq1PDOiSwXd2GmVVYyEmhZnbcp8CxaEMQoevxAta0ssMK3w6UsDtvUvYvF22m
qQKBiD5GwESzsFPy3Ga0MvZpn3D6EJQLgsnrtUPZx+z2Ep2x0xc5orneB5fGyF1P
WtP+fG5Q6Dpdz3LRfm+KwBCWFKQjg7uTxcjerhBWEYPmEMKYwTJF5PBG9/ddvHLQ
EQeNC8fHGg4UXU8mhHnSBt3EA10qQJfRDs15M38eG2cYwB1PZpDHScDnDA0=
-----END RSA PRIVATE KEY-----";

/// RFC 9421 Appendix B.1.1, `test-key-rsa`'s public half, as published (PKCS#1).
pub(super) const RFC_RSA_PUBLIC: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----";

/// draft-cavage-http-signatures-12 Appendix C, the `Test` public key (SPKI).
pub(super) const CAVAGE_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";

/// draft-cavage-http-signatures-12 Appendix C, the `Test` private key (PKCS#1).
pub(super) const CAVAGE_PRIVATE: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----";

pub(super) const KEY_ID: &str = "https://remote.example/ap/actor/alice#main-key";
pub(super) const AUTHORITY: &str = "braid.example";
pub(super) const INBOX: &str = "https://braid.example/ap/inbox";
pub(super) const BODY: &[u8] =
    br#"{"type":"Follow","actor":"https://remote.example/ap/actor/alice"}"#;
pub(super) const SCHEMES: [Scheme; 2] = [Scheme::Cavage, Scheme::Rfc9421];

/// The signer's key pair (`test-key-rsa`).
pub(super) fn key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::from_pem(RFC_RSA_PRIVATE).unwrap())
}

/// Another key: verifying with it must fail.
pub(super) fn other_key() -> PublicKey {
    PublicKey::from_pem(CAVAGE_PUBLIC).unwrap()
}

/// The fixed "now" of the tests.
pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn options() -> VerifyOptions {
    VerifyOptions {
        now: now(),
        ..VerifyOptions::new(AUTHORITY)
    }
}

/// An incoming request, owned, to tamper with.
#[derive(Debug, Clone)]
pub(super) struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn view(&self) -> IncomingRequest<'_> {
        IncomingRequest {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces header `name` (lower-case), or adds it.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.remove(name);
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    /// Adds a second instance of header `name`.
    pub fn add(&mut self, name: &str, value: &str) -> &mut Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Parses and verifies with `key`, with the test options.
    pub fn verify_with(
        &self,
        key: &PublicKey,
        options: &VerifyOptions,
    ) -> Result<Verified, SignatureError> {
        parse(&self.view())?.verify(&self.view(), key, options)
    }

    /// Parses and verifies with the signer's public key, at the tests' now.
    pub fn verify(&self) -> Result<Verified, SignatureError> {
        self.verify_with(key().public_key(), &options())
    }
}

/// A request to `url` as it arrives after reqwest sent it signed: the `Host` header it sends,
/// the caller's covered headers, then the signature's.
pub(super) fn signed_at(
    scheme: Scheme,
    method: &str,
    url: &str,
    body: Option<&[u8]>,
    covered: &[(&str, &str)],
    at: DateTime<Utc>,
) -> Req {
    let url = Url::parse(url).unwrap();
    let outgoing = OutgoingRequest {
        method,
        url: &url,
        body,
        covered,
    };
    let signed = sign_request(scheme, key(), KEY_ID, &outgoing, at).unwrap();
    let mut headers = vec![("host".to_string(), request::url_authority(&url).unwrap())];
    headers.extend(covered.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    headers.extend(
        signed
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string())),
    );
    Req {
        method: method.into(),
        path: url.path().into(),
        query: url.query().map(str::to_string),
        headers,
        body: body.unwrap_or_default().to_vec(),
    }
}

/// A POST of [`BODY`] to the inbox, signed a second ago.
pub(super) fn post(scheme: Scheme) -> Req {
    let at = now() - TimeDelta::seconds(1);
    signed_at(scheme, "POST", INBOX, Some(BODY), &[], at)
}

/// A GET of an actor's outbox page, signed now, covering `accept`.
pub(super) fn get(scheme: Scheme) -> Req {
    let accept = [("accept", "application/activity+json")];
    let url = "https://braid.example/ap/actor/owner/outbox?page=2";
    signed_at(scheme, "GET", url, None, &accept, now())
}

/// A cavage `Signature` header over `headers` (space-separated), signed by `key` over the
/// signing string our verifier builds, with `extra` parameters (`,created=…`) spliced in.
/// For signatures `sign_request` would never make: weak coverage, hs2019, expires.
pub(super) fn cavage_custom(req: &mut Req, algorithm: Option<&str>, headers: &str, extra: &str) {
    let lines: Vec<String> = headers
        .split(' ')
        .map(|name| {
            let value = match name {
                "(request-target)" => format!(
                    "{} {}",
                    req.method.to_ascii_lowercase(),
                    req.view().path_and_query()
                ),
                "(created)" | "(expires)" => {
                    let param = &name[1..name.len() - 1];
                    extra
                        .split(',')
                        .find_map(|p| p.strip_prefix(&format!("{param}=")))
                        .unwrap()
                        .to_string()
                }
                header => req.header(header).unwrap().to_string(),
            };
            format!("{name}: {value}")
        })
        .collect();
    let signature = key().sign_sha256(lines.join("\n").as_bytes()).unwrap();
    let algorithm = algorithm
        .map(|a| format!("algorithm=\"{a}\","))
        .unwrap_or_default();
    let value = format!(
        "keyId=\"{KEY_ID}\",{algorithm}headers=\"{headers}\"{extra},signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(signature)
    );
    req.set("signature", &value);
}

/// An RFC 9421 `Signature-Input` member `sig1=(<components>);<params>` and its signature,
/// signed by `key` over the base our verifier builds.
pub(super) fn rfc9421_custom(req: &mut Req, components: &str, params: &str) {
    let inner = format!("({components});{params}");
    let names: Vec<String> = components
        .split(' ')
        .filter(|c| !c.is_empty())
        .map(|c| c.trim_matches('"').to_string())
        .collect();
    let view_req = req.clone();
    let options = options();
    let base = rfc9421::signature_base(&names, &inner, |n| {
        rfc9421::incoming_value(&view_req.view(), &options, n)
    })
    .unwrap();
    let signature = key().sign_sha256(base.as_bytes()).unwrap();
    req.set("signature-input", &format!("sig1={inner}"));
    req.set(
        "signature",
        &format!(
            "sig1=:{}:",
            base64::engine::general_purpose::STANDARD.encode(signature)
        ),
    );
}
