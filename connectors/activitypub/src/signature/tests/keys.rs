//! Keys: PEM in and out, both public forms, secrets kept out of Debug.

use super::*;

#[test]
fn a_private_key_survives_pkcs8_pem() {
    let pem = key().to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let again = KeyPair::from_pem(&pem).unwrap();
    assert_eq!(again.public_key(), key().public_key());
    // PKCS#1 (`BEGIN RSA PRIVATE KEY`) reads too: it is how the test keys are published.
    assert_eq!(
        KeyPair::from_pem(RFC_RSA_PRIVATE).unwrap().public_key(),
        key().public_key()
    );
}

#[test]
fn the_public_key_is_published_as_spki_and_read_in_both_forms() {
    let pem = key().public_key_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.trim_end().ends_with("-----END PUBLIC KEY-----"));
    assert_eq!(&PublicKey::from_pem(&pem).unwrap(), key().public_key());
    assert_eq!(
        &PublicKey::from_pem(RFC_RSA_PUBLIC).unwrap(),
        key().public_key()
    );
    // As actors' JSON carries it, with a trailing newline and surrounding space.
    assert!(PublicKey::from_pem(&format!("\n  {pem}\n")).is_ok());
}

#[test]
fn bad_keys_are_refused_with_a_reason() {
    for pem in [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "-----BEGIN RSA PUBLIC KEY-----\n!!!\n-----END RSA PUBLIC KEY-----",
    ] {
        assert!(
            matches!(PublicKey::from_pem(pem), Err(SignatureError::Key(_))),
            "{pem}"
        );
    }
    assert!(matches!(
        KeyPair::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
        Err(SignatureError::Key(_))
    ));
    // A private key where a public one is expected: not read as public.
    assert!(PublicKey::from_pem(RFC_RSA_PRIVATE).is_err());
}

#[test]
fn small_public_keys_are_refused() {
    use rsa::pkcs8::EncodePublicKey as _;
    let small = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 512).unwrap();
    let pem = small
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let err = PublicKey::from_pem(&pem).unwrap_err();
    assert!(err.to_string().contains("512 bits"), "{err}");
    // The 1024-bit cavage test key is the smallest accepted.
    assert_eq!(other_key().bits(), 1024);
}

#[test]
fn debug_never_shows_private_material() {
    let shown = format!("{:?}", key());
    assert!(shown.contains("<redacted>"));
    assert!(shown.contains("bits: 2048"));
    let pem = key().to_pkcs8_pem().unwrap();
    // No line of the private key's base64 appears, nor its label.
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line));
    }
    assert!(!shown.contains("PRIVATE"));
    let public = format!("{:?}", key().public_key());
    assert_eq!(
        public,
        format!(
            "PublicKey {{ bits: 2048, sha256: \"{}\" }}",
            key().public_key().fingerprint()
        )
    );
    assert_eq!(key().public_key().fingerprint().len(), 16);
}

#[test]
fn a_generated_key_signs_and_verifies() {
    let generated = KeyPair::generate().unwrap();
    assert_eq!(generated.public_key().bits(), KEY_BITS);
    assert_ne!(generated.public_key(), key().public_key());
    let url = Url::parse(INBOX).unwrap();
    let outgoing = OutgoingRequest {
        method: "POST",
        url: &url,
        body: Some(BODY),
        covered: &[],
    };
    let signed = sign_request(Scheme::Cavage, &generated, KEY_ID, &outgoing, now()).unwrap();
    let mut req = post(Scheme::Cavage);
    for (name, value) in signed.iter() {
        req.set(&name.to_ascii_lowercase(), value);
    }
    let published = PublicKey::from_pem(&generated.public_key_pem().unwrap()).unwrap();
    assert_eq!(
        req.verify_with(&published, &options()).unwrap().scheme,
        Scheme::Cavage
    );
    assert!(req.verify().is_err());
}
