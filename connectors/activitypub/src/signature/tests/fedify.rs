//! Requests shaped as Fedify 2.x signs them (`packages/fedify/src/sig/http.ts`), so that
//! interop tests against a real Fedify start from something known to pass here.

use super::*;

#[test]
fn fedify_rfc9421_components_and_parameter_order_verify() {
    // Fedify covers "@method" "@target-uri" "@authority" "host" "date" (+ "content-digest"),
    // and writes alg, keyid, created in that order.
    let components = r#""@method" "@target-uri" "@authority" "host" "date" "content-digest""#;
    let created = now().timestamp();
    let params = format!("alg=\"rsa-v1_5-sha256\";keyid=\"{KEY_ID}\";created={created}");
    let mut req = post(Scheme::Rfc9421);
    req.set("content-type", "application/activity+json");
    rfc9421_custom(&mut req, components, &params);
    let verified = req.verify().unwrap();
    assert_eq!(verified.scheme, Scheme::Rfc9421);
    assert_eq!(verified.label.as_deref(), Some("sig1"));
    assert_eq!(verified.covered.len(), 6);
    // Over HTTP/2 there is no Host header: the authority stands in for `host`.
    req.remove("host");
    assert_eq!(req.verify().unwrap().scheme, Scheme::Rfc9421);
}

#[test]
fn fedify_cavage_covering_every_header_over_the_pathname_verifies() {
    // Fedify's draft-cavage signer covers (request-target) and then every header of the
    // request, as the Headers object lists them (sorted, lower-case), and signs the
    // request-target over `url.pathname`, without the query.
    let mut req = get(Scheme::Cavage);
    req.remove("signature");
    req.set(
        "user-agent",
        "Fedify/2.0.0 (Deno/2.3.0; +https://remote.example/)",
    );
    let query = req.query.take();
    cavage_custom(
        &mut req,
        Some("rsa-sha256"),
        "(request-target) accept date host user-agent",
        "",
    );
    req.query = query;
    assert!(req.query.is_some());
    assert_eq!(req.verify().unwrap().scheme, Scheme::Cavage);
}

#[test]
fn the_accept_signature_challenge_asks_for_what_we_verify() {
    assert_eq!(
        accept_signature(true),
        r#"sig1=("@method" "@target-uri" "@authority" "content-digest");created;alg="rsa-v1_5-sha256""#
    );
    assert_eq!(
        accept_signature(false),
        r#"sig1=("@method" "@target-uri" "@authority");created;alg="rsa-v1_5-sha256""#
    );
    // A signature made as the challenge asks passes our policy.
    let mut req = post(Scheme::Rfc9421);
    let params = format!(
        "created={};keyid=\"{KEY_ID}\";alg=\"rsa-v1_5-sha256\"",
        now().timestamp()
    );
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "@authority" "content-digest""#,
        &params,
    );
    assert!(req.verify().is_ok());
}
