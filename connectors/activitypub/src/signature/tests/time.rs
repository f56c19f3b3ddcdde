//! The time window: Date, created and expires against Mastodon's rules.

use super::*;

fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

#[test]
fn an_old_date_is_refused() {
    let at = now() - hours(13);
    let req = signed_at(Scheme::Cavage, "POST", INBOX, Some(BODY), &[], at);
    let err = req.verify().unwrap_err();
    assert_eq!(
        err.to_string(),
        "signature: Date is 13 h old; the window is 1 h 5 min"
    );
    let req = signed_at(Scheme::Rfc9421, "POST", INBOX, Some(BODY), &[], at);
    assert!(matches!(
        req.verify(),
        Err(SignatureError::TooOld {
            what: "created",
            ..
        })
    ));
    // Just inside the window: accepted.
    for scheme in SCHEMES {
        let at = now() - TimeDelta::minutes(64);
        let req = signed_at(scheme, "POST", INBOX, Some(BODY), &[], at);
        assert!(req.verify().is_ok(), "{scheme}");
    }
}

#[test]
fn a_date_too_far_ahead_is_refused() {
    for scheme in SCHEMES {
        let req = signed_at(scheme, "POST", INBOX, Some(BODY), &[], now() + hours(2));
        assert!(
            matches!(req.verify(), Err(SignatureError::InFuture { .. })),
            "{scheme}"
        );
        let req = signed_at(scheme, "POST", INBOX, Some(BODY), &[], now() + hours(1));
        assert!(req.verify().is_ok(), "{scheme}");
    }
}

#[test]
fn a_configured_window_is_honoured() {
    let req = signed_at(Scheme::Cavage, "GET", INBOX, None, &[], now() - hours(11));
    let wide = VerifyOptions {
        window: TimeWindow {
            default_lifetime: std::time::Duration::from_secs(12 * 3_600),
            ..TimeWindow::default()
        },
        ..options()
    };
    assert!(req.verify_with(key().public_key(), &wide).is_ok());
    assert!(matches!(req.verify(), Err(SignatureError::TooOld { .. })));
}

#[test]
fn a_covered_date_that_disagrees_with_created_is_checked_too() {
    // RFC 9421 with a fresh `created` but an old covered Date.
    let mut req = post(Scheme::Rfc9421);
    req.set("date", "Mon, 30 Nov 2026 02:00:00 GMT");
    let created = now().timestamp();
    let params = format!("created={created};keyid=\"{KEY_ID}\"");
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "date" "content-digest""#,
        &params,
    );
    assert!(matches!(
        req.verify(),
        Err(SignatureError::TooOld { what: "Date", .. })
    ));
}

#[test]
fn an_expired_signature_is_refused() {
    // RFC 9421 `expires`, 2 h ago (beyond the 1 h skew).
    let mut req = post(Scheme::Rfc9421);
    let created = (now() - hours(3)).timestamp();
    let expires = (now() - hours(2)).timestamp();
    let params = format!("created={created};expires={expires};keyid=\"{KEY_ID}\"");
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "content-digest""#,
        &params,
    );
    assert_eq!(
        req.verify(),
        Err(SignatureError::Expired {
            ago: std::time::Duration::from_secs(7_200)
        })
    );
    // The same with expires in 30 min: a 3-hour-old signature is then fine.
    let expires = (now() + TimeDelta::minutes(30)).timestamp();
    let params = format!("created={created};expires={expires};keyid=\"{KEY_ID}\"");
    rfc9421_custom(
        &mut req,
        r#""@method" "@target-uri" "content-digest""#,
        &params,
    );
    assert!(req.verify().is_ok());

    // draft-cavage hs2019 with (created) and (expires).
    let mut req = post(Scheme::Cavage);
    let extra = format!(
        ",created={created},expires={}",
        (now() - hours(2)).timestamp()
    );
    cavage_custom(
        &mut req,
        Some("hs2019"),
        "(request-target) host (created) (expires) digest",
        &extra,
    );
    assert!(matches!(req.verify(), Err(SignatureError::Expired { .. })));
}

#[test]
fn a_created_too_old_is_refused() {
    let mut req = post(Scheme::Cavage);
    let created = (now() - hours(5)).timestamp();
    cavage_custom(
        &mut req,
        Some("hs2019"),
        "(request-target) host (created) digest",
        &format!(",created={created}"),
    );
    assert!(matches!(
        req.verify(),
        Err(SignatureError::TooOld {
            what: "created",
            ..
        })
    ));
}
