//! Published vectors: draft-cavage-http-signatures-12 Appendix C (rsa-sha256, the `Test`
//! key) and RFC 9421 §4.3 (the proxy's `rsa-v1_5-sha256` signature with `test-key-rsa`, the
//! one rsa-v1_5-sha256 example in the RFC: Appendix B.2's RSA examples are all RSA-PSS).

use super::*;

const CAVAGE_BODY: &[u8] = br#"{"hello": "world"}"#;

/// Appendix C's request: `POST /foo?param=value&pet=dog` to example.com.
fn cavage_request(signature: &str) -> Req {
    let headers = [
        ("host", "example.com"),
        ("date", "Sun, 05 Jan 2014 21:31:40 GMT"),
        ("content-type", "application/json"),
        (
            "digest",
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        ),
        ("content-length", "18"),
        ("signature", signature),
    ];
    Req {
        method: "POST".into(),
        path: "/foo".into(),
        query: Some("param=value&pet=dog".into()),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: CAVAGE_BODY.to_vec(),
    }
}

fn cavage_options() -> VerifyOptions {
    VerifyOptions {
        authority: "example.com".into(),
        now: DateTime::parse_from_rfc2822("Sun, 05 Jan 2014 21:31:40 GMT")
            .unwrap()
            .with_timezone(&Utc),
        ..VerifyOptions::new("example.com")
    }
}

const C1: &str =
    "keyId=\"Test\",algorithm=\"rsa-sha256\",signature=\"SjWJWbWN7i0wzBvtPl8rbASWz5xQW6\
    mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwb\
    lDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=\"";
const C2: &str = "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",\
    signature=\"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw\
    2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=\"";
// C.3 as the draft prints it also lists (created) and (expires); its published signature is
// over these six headers (implementers have noted the inconsistency), which is what we verify.
const C3: &str = "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date \
    content-type digest content-length\",signature=\"vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLE\
    EzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWx\
    peIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=\"";

#[test]
fn cavage_c3_all_headers_verifies_through_the_full_path() {
    let key = PublicKey::from_pem(CAVAGE_PUBLIC).unwrap();
    let req = cavage_request(C3);
    let verified = req.verify_with(&key, &cavage_options()).unwrap();
    assert_eq!(verified.scheme, Scheme::Cavage);
    assert_eq!(verified.key_id, "Test");
    // The same in the Authorization header (§3.1).
    let mut auth = req.clone();
    auth.remove("signature");
    auth.set("authorization", &format!("Signature {C3}"));
    assert!(auth.verify_with(&key, &cavage_options()).is_ok());
    // A day later, the Date is out of the window.
    let later = VerifyOptions {
        now: cavage_options().now + TimeDelta::days(1),
        ..cavage_options()
    };
    assert!(matches!(
        req.verify_with(&key, &later),
        Err(SignatureError::TooOld { what: "Date", .. })
    ));
}

#[test]
fn cavage_c1_and_c2_verify_but_cover_too_little_for_us() {
    let key = PublicKey::from_pem(CAVAGE_PUBLIC).unwrap();
    for (vector, missing) in [(C1, "(request-target)"), (C2, "digest")] {
        let req = cavage_request(vector);
        // The signature itself is right…
        let (parsed, _) = cavage::parse_lenient(&req.view()).unwrap().unwrap();
        let verified = parsed.verify(&req.view(), &key, &cavage_options()).unwrap();
        assert_eq!(verified.key_id, "Test");
        // …but an inbox POST must sign more.
        assert!(matches!(
            parse(&req.view()),
            Err(SignatureError::NotCovered { missing: m, .. }) if m == missing
        ));
    }
}

#[test]
fn cavage_signing_reproduces_the_published_signatures() {
    // PKCS#1 v1.5 is deterministic: the Test key over the draft's signing strings must give
    // its signatures byte for byte.
    let test_key = KeyPair::from_pem(CAVAGE_PRIVATE).unwrap();
    let strings = [
        ("date: Sun, 05 Jan 2014 21:31:40 GMT", C1),
        (
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n\
             date: Sun, 05 Jan 2014 21:31:40 GMT",
            C2,
        ),
        (
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n\
             date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n\
             digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
            C3,
        ),
    ];
    for (string, vector) in strings {
        let signature = test_key.sign_sha256(string.as_bytes()).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(signature);
        assert!(vector.contains(&format!("signature=\"{encoded}\"")));
    }
}

const PROXY_INPUT: &str = "proxy_sig=(\"@method\" \"@authority\" \"@path\" \"content-digest\" \
    \"content-type\" \"content-length\" \"forwarded\");created=1618884480;keyid=\"test-key-rsa\";\
    alg=\"rsa-v1_5-sha256\";expires=1618884540";
const PROXY_SIGNATURE: &str = "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+\
    JH+8XY1I6+8Cy+CM5g92iHgxtRPz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnx\
    QB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnn\
    rtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1\
    w5o0LV/g==:";
const PROXY_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYl\
    lu7BNNyealdVLvRwEmTHWXvJwew==:";

/// RFC 9421 §4.3: the request as the origin server receives it from the proxy.
fn proxy_request() -> Req {
    let headers = [
        ("host", "origin.host.internal.example".to_string()),
        ("date", "Tue, 20 Apr 2021 02:07:56 GMT".to_string()),
        ("content-type", "application/json".to_string()),
        ("content-length", "18".to_string()),
        (
            "forwarded",
            "for=192.0.2.123;host=example.com;proto=https".to_string(),
        ),
        ("content-digest", PROXY_DIGEST.to_string()),
        ("signature-input", PROXY_INPUT.to_string()),
        ("signature", PROXY_SIGNATURE.to_string()),
    ];
    Req {
        method: "POST".into(),
        path: "/foo".into(),
        query: Some("param=Value&Pet=dog".into()),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
        body: CAVAGE_BODY.to_vec(),
    }
}

fn proxy_options(now: i64) -> VerifyOptions {
    VerifyOptions {
        now: DateTime::from_timestamp(now, 0).unwrap(),
        ..VerifyOptions::new("origin.host.internal.example")
    }
}

#[test]
fn rfc9421_proxy_signature_verifies_through_the_full_path() {
    let key = PublicKey::from_pem(RFC_RSA_PUBLIC).unwrap();
    let req = proxy_request();
    let parsed = parse(&req.view()).unwrap();
    assert_eq!(parsed.label(), Some("proxy_sig"));
    assert_eq!(parsed.key_id(), "test-key-rsa");
    assert_eq!(parsed.expires().unwrap().timestamp(), 1_618_884_540);
    let verified = req
        .verify_with(&key, &proxy_options(1_618_884_480))
        .unwrap();
    assert_eq!(verified.scheme, Scheme::Rfc9421);
    assert_eq!(verified.label.as_deref(), Some("proxy_sig"));
    // Its expires is 60 s after created: past it (and the 1 h skew), refused.
    assert!(matches!(
        req.verify_with(&key, &proxy_options(1_618_884_540 + 3_601)),
        Err(SignatureError::Expired { .. })
    ));
    // Another key, another authority: refused.
    assert!(matches!(
        req.verify_with(&other_key(), &proxy_options(1_618_884_480)),
        Err(SignatureError::BadSignature { .. })
    ));
    let mut moved = req.clone();
    moved.remove("host");
    let elsewhere = VerifyOptions {
        authority: "example.com".into(),
        ..proxy_options(1_618_884_480)
    };
    assert!(matches!(
        moved.verify_with(&key, &elsewhere),
        Err(SignatureError::BadSignature { .. })
    ));
}

#[test]
fn rfc9421_signature_base_and_signing_match_the_published_ones() {
    let req = proxy_request();
    let parsed = parse(&req.view()).unwrap();
    let Parsed::Rfc9421(parts) = &parsed.parsed else {
        panic!("not RFC 9421");
    };
    let options = proxy_options(1_618_884_480);
    let base = rfc9421::signature_base(parsed.covered(), &parts.signature_params, |n| {
        rfc9421::incoming_value(&req.view(), &options, n)
    })
    .unwrap();
    let expected = format!(
        "\"@method\": POST\n\
         \"@authority\": origin.host.internal.example\n\
         \"@path\": /foo\n\
         \"content-digest\": {}\n\
         \"content-type\": application/json\n\
         \"content-length\": 18\n\
         \"forwarded\": for=192.0.2.123;host=example.com;proto=https\n\
         \"@signature-params\": {}",
        PROXY_DIGEST,
        PROXY_INPUT.trim_start_matches("proxy_sig=")
    );
    assert_eq!(base, expected);
    // PKCS#1 v1.5 is deterministic: signing the base with test-key-rsa gives the RFC's bytes.
    let signature = key().sign_sha256(base.as_bytes()).unwrap();
    assert_eq!(signature, parsed.signature);
}

#[test]
fn rfc9421_public_key_reads_as_pkcs1_and_spki_alike() {
    let pkcs1 = PublicKey::from_pem(RFC_RSA_PUBLIC).unwrap();
    let spki = PublicKey::from_pem(&pkcs1.to_pem().unwrap()).unwrap();
    assert_eq!(pkcs1, spki);
    assert_eq!(&spki, key().public_key());
    assert_eq!(spki.bits(), 2048);
}
