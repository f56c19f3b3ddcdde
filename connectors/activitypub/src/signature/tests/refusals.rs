//! Every refusal, each with the error that names its rule.

use super::*;

#[test]
fn the_wrong_key_is_refused() {
    for scheme in SCHEMES {
        let err = post(scheme)
            .verify_with(&other_key(), &options())
            .unwrap_err();
        assert_eq!(
            err,
            SignatureError::BadSignature {
                key_id: KEY_ID.into()
            },
            "{scheme}"
        );
    }
}

#[test]
fn a_tampered_body_is_refused() {
    for scheme in SCHEMES {
        let mut req = post(scheme);
        req.body = br#"{"type":"Delete"}"#.to_vec();
        let header = match scheme {
            Scheme::Cavage => "Digest",
            Scheme::Rfc9421 => "Content-Digest",
        };
        assert_eq!(
            req.verify(),
            Err(SignatureError::DigestMismatch(header)),
            "{scheme}"
        );
    }
}

#[test]
fn a_tampered_digest_header_is_refused() {
    let evil = br#"{"type":"Delete"}"#;
    // The body and its digest both replaced: the digest matches, the signature does not.
    let mut req = post(Scheme::Cavage);
    req.body = evil.to_vec();
    req.set("digest", &digest::digest_header(evil));
    assert!(matches!(
        req.verify(),
        Err(SignatureError::BadSignature { .. })
    ));
    let mut req = post(Scheme::Rfc9421);
    req.body = evil.to_vec();
    req.set("content-digest", &digest::content_digest_header(evil));
    assert!(matches!(
        req.verify(),
        Err(SignatureError::BadSignature { .. })
    ));
    // The digest header alone changed.
    let mut req = post(Scheme::Cavage);
    req.set("digest", &digest::digest_header(evil));
    assert_eq!(req.verify(), Err(SignatureError::DigestMismatch("Digest")));
}

#[test]
fn a_second_digest_header_must_match_too() {
    let mut req = post(Scheme::Cavage);
    req.set("content-digest", &digest::content_digest_header(b"other"));
    assert_eq!(
        req.verify(),
        Err(SignatureError::DigestMismatch("Content-Digest"))
    );
    let mut req = post(Scheme::Rfc9421);
    req.set("digest", &digest::digest_header(b"other"));
    assert_eq!(req.verify(), Err(SignatureError::DigestMismatch("Digest")));
    // Both present and both right: fine.
    let mut req = post(Scheme::Rfc9421);
    req.set("digest", &digest::digest_header(BODY));
    assert!(req.verify().is_ok());
}

#[test]
fn a_tampered_path_query_or_method_is_refused() {
    for scheme in SCHEMES {
        let mut req = post(scheme);
        req.path = "/ap/actor/owner/inbox".into();
        assert!(
            matches!(req.verify(), Err(SignatureError::BadSignature { .. })),
            "{scheme}"
        );
        let mut req = post(scheme);
        req.method = "PUT".into();
        assert!(matches!(
            req.verify(),
            Err(SignatureError::BadSignature { .. })
        ));
        let mut req = get(scheme);
        req.query = Some("page=3".into());
        assert!(matches!(
            req.verify(),
            Err(SignatureError::BadSignature { .. })
        ));
    }
}

#[test]
fn a_request_signed_for_another_host_is_refused() {
    for scheme in SCHEMES {
        let mut req = post(scheme);
        req.set("host", "elsewhere.example");
        assert_eq!(
            req.verify(),
            Err(SignatureError::HostMismatch {
                expected: AUTHORITY.into(),
                got: "elsewhere.example".into()
            })
        );
        // Without a Host header (HTTP/2), the authority signed must be ours.
        let mut req = post(scheme);
        req.remove("host");
        let elsewhere = VerifyOptions {
            authority: "elsewhere.example".into(),
            ..options()
        };
        assert!(matches!(
            req.verify_with(key().public_key(), &elsewhere),
            Err(SignatureError::BadSignature { .. })
        ));
    }
}

#[test]
fn refused_algorithms_are_named() {
    for alg in [
        "rsa-pss-sha512",
        "hmac-sha256",
        "ecdsa-sha256",
        "ed25519",
        "rsa-sha1",
    ] {
        let mut req = post(Scheme::Cavage);
        cavage_custom(&mut req, Some(alg), "(request-target) host date digest", "");
        assert_eq!(
            parse(&req.view()).unwrap_err(),
            SignatureError::UnsupportedAlgorithm(alg.into())
        );
    }
    for alg in [
        "rsa-pss-sha512",
        "hmac-sha256",
        "ecdsa-p256-sha256",
        "ed25519",
    ] {
        let mut req = post(Scheme::Rfc9421);
        let params = format!(
            "created={};keyid=\"{KEY_ID}\";alg=\"{alg}\"",
            now().timestamp()
        );
        rfc9421_custom(
            &mut req,
            r#""@method" "@target-uri" "content-digest""#,
            &params,
        );
        let err = parse(&req.view()).unwrap_err();
        assert_eq!(err, SignatureError::UnsupportedAlgorithm(alg.into()));
        assert!(err.to_string().contains("refused"));
    }
}

#[test]
fn hs2019_and_a_missing_algorithm_mean_rsa_sha256() {
    for alg in [Some("hs2019"), Some("RSA-SHA256"), None] {
        let mut req = post(Scheme::Cavage);
        cavage_custom(&mut req, alg, "(request-target) host date digest", "");
        assert_eq!(req.verify().unwrap().scheme, Scheme::Cavage, "{alg:?}");
    }
    // RFC 9421 without alg: taken from the RSA key.
    let mut req = post(Scheme::Rfc9421);
    let params = format!("created={};keyid=\"{KEY_ID}\"", now().timestamp());
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "content-digest""#,
        &params,
    );
    assert_eq!(req.verify().unwrap().scheme, Scheme::Rfc9421);
}

#[test]
fn cavage_signatures_covering_too_little_are_refused() {
    let cases = [
        ("host date digest", "(request-target)"),
        ("(request-target) date digest", "host"),
        ("(request-target) host digest", "date or (created)"),
        ("(request-target) host date", "digest"),
    ];
    for (headers, missing) in cases {
        let mut req = post(Scheme::Cavage);
        cavage_custom(&mut req, Some("rsa-sha256"), headers, "");
        assert_eq!(
            parse(&req.view()).unwrap_err(),
            SignatureError::NotCovered {
                missing,
                covered: headers.into()
            }
        );
    }
    // A GET needs no digest.
    let mut req = get(Scheme::Cavage);
    cavage_custom(&mut req, None, "(request-target) host date", "");
    assert!(req.verify().is_ok());
}

#[test]
fn rfc9421_signatures_covering_too_little_are_refused() {
    let params = format!("created={};keyid=\"{KEY_ID}\"", now().timestamp());
    let cases = [
        (
            r#""@target-uri" "content-digest""#,
            "@method and @target-uri (or @path)",
        ),
        (
            r#""@method" "@authority" "content-digest""#,
            "@method and @target-uri (or @path)",
        ),
        (
            r#""@method" "@path" "content-digest""#,
            "@authority (or @target-uri, or host)",
        ),
        (r#""@method" "@target-uri""#, "content-digest"),
    ];
    for (components, missing) in cases {
        let mut req = post(Scheme::Rfc9421);
        rfc9421_custom(&mut req, components, &params);
        assert!(
            matches!(
                parse(&req.view()),
                Err(SignatureError::NotCovered { missing: m, .. }) if m == missing
            ),
            "{components}"
        );
    }
    // @path with @authority, or with host, is enough.
    for components in [
        r#""@method" "@path" "@authority" "content-digest""#,
        r#""@method" "@request-target" "host" "content-digest""#,
    ] {
        let mut req = post(Scheme::Rfc9421);
        rfc9421_custom(&mut req, components, &params);
        assert!(req.verify().is_ok(), "{components}");
    }
    // No created, no keyid.
    let mut req = post(Scheme::Rfc9421);
    let no_created = format!("keyid=\"{KEY_ID}\"");
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "content-digest""#,
        &no_created,
    );
    assert_eq!(
        parse(&req.view()).unwrap_err(),
        SignatureError::MissingParameter("created")
    );
    let no_keyid = format!("created={}", now().timestamp());
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "content-digest""#,
        &no_keyid,
    );
    assert_eq!(
        parse(&req.view()).unwrap_err(),
        SignatureError::MissingParameter("keyid")
    );
}

#[test]
fn components_we_cannot_rebuild_are_refused() {
    let params = format!("created={};keyid=\"{KEY_ID}\"", now().timestamp());
    for component in [
        r#""@query-param";name="page""#,
        r#""@status""#,
        r#""content-digest";sf"#,
        r#""@signature-params""#,
    ] {
        let mut req = post(Scheme::Rfc9421);
        let inner = format!(r#"("@method" "@target-uri" {component});{params}"#);
        req.set("signature-input", &format!("sig1={inner}"));
        assert!(
            matches!(
                parse(&req.view()),
                Err(SignatureError::UnsupportedComponent(_))
            ),
            "{component}"
        );
    }
    let mut req = post(Scheme::Cavage);
    cavage_custom(&mut req, None, "(request-target) host date digest", "");
    let sig = req
        .header("signature")
        .unwrap()
        .replace("digest\"", "digest (foo)\"");
    req.set("signature", &sig);
    assert_eq!(
        parse(&req.view()).unwrap_err(),
        SignatureError::UnsupportedComponent("(foo)".into())
    );
}

#[test]
fn missing_covered_headers_are_refused() {
    let mut req = post(Scheme::Cavage);
    req.remove("date");
    assert_eq!(
        req.verify(),
        Err(SignatureError::MissingHeader("date".into()))
    );
    let mut req = post(Scheme::Cavage);
    req.remove("digest");
    assert_eq!(
        req.verify(),
        Err(SignatureError::MissingHeader("digest".into()))
    );
    let mut req = post(Scheme::Rfc9421);
    req.remove("content-digest");
    assert_eq!(
        req.verify(),
        Err(SignatureError::MissingHeader("content-digest".into()))
    );
    let mut req = get(Scheme::Rfc9421);
    req.remove("accept");
    assert_eq!(
        req.verify(),
        Err(SignatureError::MissingHeader("accept".into()))
    );
}

#[test]
fn duplicate_headers_are_refused() {
    for scheme in SCHEMES {
        for name in ["date", "host", "signature"] {
            let mut req = post(scheme);
            let value = req.header(name).unwrap().to_string();
            req.add(name, &value);
            assert_eq!(
                req.verify(),
                Err(SignatureError::DuplicateHeader(name.into())),
                "{scheme} {name}"
            );
        }
    }
    let mut req = post(Scheme::Rfc9421);
    req.add("content-digest", &digest::content_digest_header(BODY));
    assert_eq!(
        req.verify(),
        Err(SignatureError::DuplicateHeader("content-digest".into()))
    );
}

#[test]
fn an_unsigned_request_is_not_signed() {
    let mut req = post(Scheme::Cavage);
    req.remove("signature");
    assert_eq!(parse(&req.view()).unwrap_err(), SignatureError::NotSigned);
    // An Authorization header of another scheme is not a signature.
    req.set("authorization", "Bearer abc");
    assert_eq!(parse(&req.view()).unwrap_err(), SignatureError::NotSigned);
    // Signature-Input without Signature is malformed, not unsigned.
    let mut req = post(Scheme::Rfc9421);
    req.remove("signature");
    assert!(matches!(
        parse(&req.view()),
        Err(SignatureError::Malformed {
            header: "Signature",
            ..
        })
    ));
}
