//! Sign, then verify: both schemes, GET and POST, and the shapes of what we send.

use super::*;

#[test]
fn a_signed_post_verifies_in_both_schemes() {
    for scheme in SCHEMES {
        let req = post(scheme);
        let parsed = parse(&req.view()).unwrap();
        assert_eq!(parsed.scheme(), scheme);
        assert_eq!(parsed.key_id(), KEY_ID);
        let verified = req.verify().unwrap();
        assert_eq!(verified.scheme, scheme);
        assert_eq!(verified.key_id, KEY_ID);
    }
}

#[test]
fn a_signed_get_verifies_in_both_schemes() {
    for scheme in SCHEMES {
        let req = get(scheme);
        let verified = req.verify().unwrap();
        assert_eq!(verified.scheme, scheme);
        assert!(verified.covered.contains(&"accept".to_string()), "{scheme}");
    }
}

#[test]
fn cavage_headers_are_what_mastodon_sends() {
    let req = post(Scheme::Cavage);
    let signature = req.header("signature").unwrap();
    assert!(signature.starts_with(&format!("keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",")));
    assert!(signature.contains("headers=\"(request-target) host date digest\""));
    assert_eq!(
        req.header("digest").unwrap(),
        digest::digest_header(BODY).as_str()
    );
    // IMF-fixdate.
    assert_eq!(req.header("date").unwrap(), "Mon, 30 Nov 2026 11:59:59 GMT");
    assert!(req.header("signature-input").is_none());

    let get = get(Scheme::Cavage);
    let signature = get.header("signature").unwrap();
    assert!(signature.contains("headers=\"(request-target) host date accept\""));
    assert!(get.header("digest").is_none());
    let parsed = parse(&get.view()).unwrap();
    assert_eq!(parsed.algorithm(), "rsa-sha256");
    assert_eq!(parsed.date(), Some(now()));
}

#[test]
fn rfc9421_headers_are_what_fedify_sends() {
    let req = post(Scheme::Rfc9421);
    let created = (now() - TimeDelta::seconds(1)).timestamp();
    assert_eq!(
        req.header("signature-input").unwrap(),
        format!(
            "sig1=(\"@method\" \"@target-uri\" \"@authority\" \"date\" \"content-digest\");\
             created={created};keyid=\"{KEY_ID}\";alg=\"rsa-v1_5-sha256\""
        )
    );
    let signature = req.header("signature").unwrap();
    assert!(signature.starts_with("sig1=:") && signature.ends_with(':'));
    assert_eq!(
        req.header("content-digest").unwrap(),
        digest::content_digest_header(BODY).as_str()
    );
    assert!(req.header("digest").is_none());
    let parsed = parse(&req.view()).unwrap();
    assert_eq!(parsed.label(), Some("sig1"));
    assert_eq!(parsed.algorithm(), "rsa-v1_5-sha256");
    assert_eq!(parsed.created().unwrap().timestamp(), created);
    assert_eq!(parsed.expires(), None);
}

#[test]
fn signed_headers_are_returned_for_reqwest() {
    let url = Url::parse(INBOX).unwrap();
    let outgoing = OutgoingRequest {
        method: "POST",
        url: &url,
        body: Some(BODY),
        covered: &[("content-type", "application/activity+json")],
    };
    let cavage = sign_request(Scheme::Cavage, key(), KEY_ID, &outgoing, now()).unwrap();
    let names: Vec<&str> = cavage.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Date", "Digest", "Signature"]);
    assert!(cavage
        .get("signature")
        .unwrap()
        .contains("headers=\"(request-target) host date digest content-type\""));
    let rfc = sign_request(Scheme::Rfc9421, key(), KEY_ID, &outgoing, now()).unwrap();
    let names: Vec<&str> = rfc.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["Date", "Content-Digest", "Signature-Input", "Signature"]
    );
}

#[test]
fn signing_refuses_bad_key_ids_and_covered_headers() {
    let url = Url::parse(INBOX).unwrap();
    let outgoing = OutgoingRequest {
        method: "GET",
        url: &url,
        body: None,
        covered: &[],
    };
    for bad in ["", "a\"b", "a b", "key\\id", "ключ"] {
        for scheme in SCHEMES {
            assert!(
                matches!(
                    sign_request(scheme, key(), bad, &outgoing, now()),
                    Err(SignatureError::Signing(_))
                ),
                "{bad:?}"
            );
        }
    }
    for covered in [
        [("date", "x")],
        [("Accept", "x")],
        [("accept", "a\r\nb")],
        [("signature", "x")],
    ] {
        let outgoing = OutgoingRequest {
            covered: &covered,
            ..outgoing
        };
        assert!(matches!(
            sign_request(Scheme::Cavage, key(), KEY_ID, &outgoing, now()),
            Err(SignatureError::Signing(_))
        ));
    }
}

#[test]
fn a_port_and_a_percent_encoded_path_are_signed_as_sent() {
    for scheme in SCHEMES {
        let url = "https://braid.example:8443/ap/actor/caf%C3%A9/inbox?x=%20y";
        let req = signed_at(scheme, "POST", url, Some(BODY), &[], now());
        assert_eq!(req.path, "/ap/actor/caf%C3%A9/inbox");
        assert_eq!(req.header("host"), Some("braid.example:8443"));
        let options = VerifyOptions {
            authority: "braid.example:8443".into(),
            ..options()
        };
        assert_eq!(
            req.verify_with(key().public_key(), &options)
                .unwrap()
                .scheme,
            scheme
        );
    }
}

#[test]
fn a_request_over_http2_without_host_header_verifies() {
    // HTTP/2 carries :authority, not Host; the expected authority stands in for it.
    for scheme in SCHEMES {
        let mut req = post(scheme);
        req.remove("host");
        assert_eq!(req.verify().unwrap().scheme, scheme);
    }
}

#[test]
fn the_host_header_may_carry_the_default_port_and_any_case() {
    for scheme in SCHEMES {
        let mut req = post(scheme);
        req.set("host", "Braid.Example:443");
        // The signature covers the Host header's value as sent: it changed, so only the
        // host check passes, and the cavage signature (which covers `host`) then fails.
        let result = req.verify();
        match scheme {
            Scheme::Cavage => assert!(matches!(result, Err(SignatureError::BadSignature { .. }))),
            Scheme::Rfc9421 => assert_eq!(result.unwrap().scheme, scheme),
        }
    }
}

#[test]
fn cavage_in_the_authorization_header_verifies() {
    let mut req = post(Scheme::Cavage);
    let signature = req.header("signature").unwrap().to_string();
    req.remove("signature");
    req.set("authorization", &format!("Signature {signature}"));
    assert_eq!(req.verify().unwrap().scheme, Scheme::Cavage);
}

#[test]
fn a_cavage_target_without_its_query_is_accepted_as_mastodon_does() {
    // Mastodon signs `(request-target)` without the query string, and Fedify signs
    // `url.pathname`; Mastodon's verifier tries both, and so do we.
    let mut req = get(Scheme::Cavage);
    let query = req.query.take();
    cavage_custom(
        &mut req,
        Some("rsa-sha256"),
        "(request-target) host date accept",
        "",
    );
    req.query = query;
    assert_eq!(req.verify().unwrap().scheme, Scheme::Cavage);
}

#[test]
fn rfc9421_is_preferred_when_both_schemes_are_present() {
    let rfc = post(Scheme::Rfc9421);
    let cavage = post(Scheme::Cavage);
    let mut both = rfc.clone();
    both.set("digest", cavage.header("digest").unwrap());
    both.set(
        "authorization",
        &format!("Signature {}", cavage.header("signature").unwrap()),
    );
    assert_eq!(parse(&both.view()).unwrap().scheme(), Scheme::Rfc9421);
    assert_eq!(both.verify().unwrap().scheme, Scheme::Rfc9421);
    // A broken RFC 9421 signature is not rescued by the cavage one: no downgrade.
    both.set("signature-input", "sig1=(");
    assert!(matches!(
        both.verify(),
        Err(SignatureError::Malformed {
            header: "Signature-Input",
            ..
        })
    ));
}

#[test]
fn of_several_rfc9421_labels_the_first_acceptable_is_verified() {
    let mut req = post(Scheme::Rfc9421);
    let input = req.header("signature-input").unwrap().to_string();
    let signature = req.header("signature").unwrap().to_string();
    let created = now().timestamp();
    let pss = format!("pss=(\"@method\");created={created};keyid=\"other\";alg=\"rsa-pss-sha512\"");
    req.set("signature-input", &format!("{pss}, {input}"));
    req.set("signature", &format!("pss=:AAAA:, {signature}"));
    let verified = req.verify().unwrap();
    assert_eq!(verified.label.as_deref(), Some("sig1"));
    assert_eq!(verified.key_id, KEY_ID);
}
