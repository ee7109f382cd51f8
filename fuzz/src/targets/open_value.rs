//! `open_value`: any text as a sealed value (`Sealer::open`) and as a signed value
//! (`Signer::verify`), under a ring of three keys.
//!
//! Checked: no panic; every refusal before authentication is exactly the one FORMAT.md's
//! "Opening, in this order" prescribes (length bound, length floor, strict base64url, version,
//! key id), computed by an independent model; after the key lookup only `Authentication` or a
//! post-authentication error is possible; anything that opens has ordered stamps valid at the
//! harness time, the right renewal hint, does not open under another cookie name or in the other
//! mode, and renews to the same state.

use std::sync::OnceLock;

use sealed_session::{KeyRing, OpenError, Opened, SealError, Sealer, Signer};

use crate::fixtures::{self, NOW, Session};
use crate::oracle::{self, ReaderMode};

/// Everything `open_value` (and `signed_verify`) opens with.
pub struct Harness {
    pub ring: KeyRing,
    pub sealer: Sealer,
    pub other_sealer: Sealer,
    pub signer: Signer,
    pub other_signer: Signer,
}

/// The harness, built once per process.
pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let ring = fixtures::ring();
        Harness {
            sealer: fixtures::sealer(ring.clone()),
            other_sealer: fixtures::other_sealer(ring.clone()),
            signer: fixtures::signer(ring.clone()),
            other_signer: fixtures::signer_builder(
                ring.clone(),
                "prefz",
                fixtures::SIGNED_PURPOSE,
                NOW,
            )
            .build()
            .expect("valid config"),
            ring,
        }
    })
}

/// The target.
pub fn run(data: &[u8]) {
    let h = harness();
    // Lossy: invalid UTF-8 becomes U+FFFD, which the value alphabet refuses like any other byte.
    let text = String::from_utf8_lossy(data);
    let sealed = check_sealed(h, &text);
    let signed = check_signed(h, &text);
    assert!(!(sealed && signed), "one value opened in both modes");
}

/// The checks both modes share: a refusal before authentication is exactly the model's, one
/// after the key lookup is `Authentication` or a post-authentication error, and an opened value
/// has ordered stamps and the right renewal hint. `Some((decoded bytes, opened))` if it opened.
fn common_checks(
    h: &Harness,
    value: &str,
    got: Result<Opened<Session>, OpenError>,
    max: usize,
    mode: ReaderMode,
) -> Option<(Vec<u8>, Opened<Session>)> {
    let raw = match oracle::pre_auth(value, max, mode, &h.ring) {
        Err(e) => {
            assert_eq!(
                got.err(),
                Some(e),
                "pre-authentication refusal of {value:?}"
            );
            return None;
        }
        Ok(raw) => raw,
    };
    let opened = match got {
        Ok(opened) => opened,
        Err(e) => {
            assert!(
                e == OpenError::Authentication || oracle::is_post_auth(&e),
                "unexpected error after the key lookup: {e:?}"
            );
            return None;
        }
    };
    fixtures::check_opened(&opened);
    let id = oracle::key_id_of_raw(&raw);
    assert_eq!(
        opened.renewal,
        fixtures::expected_renewal(&opened, id == h.ring.primary_id()),
        "renewal hint"
    );
    Some((raw, opened))
}

/// Opens `value` with the sealer and checks everything; `true` if it opened.
pub fn check_sealed(h: &Harness, value: &str) -> bool {
    let got = h.sealer.open::<Session>(value);
    let max = h.sealer.max_value_len();
    let Some((raw, opened)) = common_checks(h, value, got, max, ReaderMode::Sealed) else {
        return false;
    };
    // Bound to the cookie name and the mode.
    assert_eq!(
        h.other_sealer.open::<Session>(value).err(),
        Some(OpenError::Authentication),
        "a sealed value opened under another cookie name"
    );
    assert_eq!(
        h.signer.verify::<Session>(value).err(),
        Some(OpenError::UnsupportedVersion(raw[0])),
        "a sealed value reached the signed mode's key lookup"
    );
    // Renewing keeps the state and the creation time, its millisecond included (FORMAT.md,
    // "Plaintext": "renewals keep it with `created`") unless `created` had to be clamped to now.
    match h.sealer.renew(&opened.state, &opened.envelope()) {
        Ok(renewed) => {
            assert_eq!(renewed.stamps().created(), opened.stamps.created().min(NOW));
            if opened.stamps.created() <= NOW {
                assert_eq!(
                    renewed.stamps().created_millis(),
                    opened.stamps.created_millis()
                );
            }
            let again = h
                .sealer
                .open::<Session>(renewed.value())
                .expect("a renewed value opens");
            assert_eq!(again.state, opened.state);
            assert_eq!(again.renewal, None, "fresh value under the primary key");
        }
        Err(SealError::Expired { .. } | SealError::TooLarge { .. }) => {}
        Err(e) => panic!("renew failed: {e:?}"),
    }
    true
}

/// Verifies `value` with the signer and checks everything; `true` if it verified.
pub fn check_signed(h: &Harness, value: &str) -> bool {
    let got = h.signer.verify::<Session>(value);
    let max = h.signer.max_value_len();
    let Some((raw, opened)) = common_checks(h, value, got, max, ReaderMode::Signed) else {
        return false;
    };
    assert_eq!(
        h.other_signer.verify::<Session>(value).err(),
        Some(OpenError::Authentication),
        "a signed value verified under another cookie name"
    );
    assert_eq!(
        h.sealer.open::<Session>(value).err(),
        Some(OpenError::UnsupportedVersion(raw[0])),
        "a signed value reached the sealed mode's key lookup"
    );
    // The signed mode is readable: the payload after the stamps (the creation millisecond
    // included) and the identity fields is the postcard state.
    let rest = oracle::signed_payload(&raw).expect("a verified body is well formed");
    assert_eq!(
        postcard::from_bytes::<Session>(rest).ok().as_ref(),
        Some(&opened.state),
        "signed payload readable by the client"
    );
    match h.signer.renew(&opened.state, &opened.envelope()) {
        Ok(renewed) => {
            let again = h
                .signer
                .verify::<Session>(renewed.value())
                .expect("a renewed value verifies");
            assert_eq!(again.state, opened.state);
        }
        Err(SealError::Expired { .. } | SealError::TooLarge { .. }) => {}
        Err(e) => panic!("renew failed: {e:?}"),
    }
    true
}
