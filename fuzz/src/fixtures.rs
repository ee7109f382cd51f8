//! Fixed keys, clock, cookie configurations and a realistic session type.
//!
//! The keys are fixed (never generated) so that committed seeds stay valid; the clock is a
//! `ManualClock` frozen at [`NOW`] so that seeds never expire.

use std::time::Duration;

use arbitrary::Arbitrary;
use sealed_session::Builder;
use sealed_session::{
    CookieOptions, Key, KeyRing, ManualClock, Opened, RenewalReason, Sealer, SealerBuilder,
    SessionCookie, Signer, SignerBuilder,
};
use serde::{Deserialize, Serialize};

/// The time every fuzz harness runs at (2027-01-15).
pub const NOW: u64 = 1_800_000_000;
/// Idle timeout of every harness sealer, seconds.
pub const IDLE: u64 = 1800;
/// Absolute lifetime of every harness sealer, seconds.
pub const ABSOLUTE: u64 = 8 * 3600;
/// The crate's default leeway (not changed by the harnesses), seconds.
pub const LEEWAY: u64 = 60;
/// The crate's default renewal interval: a tenth of the idle timeout.
pub const RENEW_AFTER: u64 = IDLE / 10;

/// Master secret for the derived keys.
pub const MASTER: [u8; 32] = [0x42; 32];

/// Sealed-mode cookie name and purpose (`open_value`, `signed_verify`, `cookie_header`).
pub const SEALED_NAME: &str = "__Host-sid";
/// Purpose of the sealed values.
pub const SEALED_PURPOSE: &str = "login";
/// Another cookie name over the same ring: values must not move between names.
pub const OTHER_NAME: &str = "__Host-sie";
/// Signed-mode cookie name and purpose.
pub const SIGNED_NAME: &str = "prefs";
/// Purpose of the signed values.
pub const SIGNED_PURPOSE: &str = "ui";
/// The chunked sealed cookie of `cookie_header`: small limit so seeds need several chunks.
pub const CHUNKED_NAME: &str = "sid";
/// Size limit of [`CHUNKED_NAME`].
pub const CHUNKED_LIMIT: usize = 320;
/// `max_chunks` of [`CHUNKED_NAME`].
pub const CHUNKED_MAX: usize = 4;

/// The oldest key: still in the ring, open-only (`Key::from_bytes`).
pub fn key_old() -> Key {
    Key::from_bytes(&[0x11; 32]).expect("32 bytes")
}

/// The primary key (`Key::derive`).
pub fn key_primary() -> Key {
    Key::derive(&MASTER, "fuzz primary").expect("master is 32 bytes")
}

/// A key added to the ring but not promoted.
pub fn key_next() -> Key {
    Key::derive(&MASTER, "fuzz next").expect("master is 32 bytes")
}

/// A key that is never in the fuzz ring: values under it give `UnknownKey`.
pub fn key_retired() -> Key {
    Key::derive(&MASTER, "fuzz retired").expect("master is 32 bytes")
}

/// The ring every harness opens with: three keys, [`key_primary`] sealing.
pub fn ring() -> KeyRing {
    let ring = KeyRing::new(key_old());
    ring.add(key_primary()).expect("distinct ids");
    ring.add(key_next()).expect("distinct ids");
    ring.promote(key_primary().id()).expect("present");
    assert!(!ring.contains(key_retired().id()));
    ring
}

/// A ring holding only `key`, to produce seeds sealed under a non-primary key.
pub fn ring_of(key: Key) -> KeyRing {
    KeyRing::new(key)
}

/// A builder with the harness lifetimes and a frozen clock at `now`.
pub fn builder(ring: KeyRing, name: &str, purpose: &str, now: u64) -> SealerBuilder {
    configure(Sealer::builder(ring, name), purpose, now)
}

/// As [`builder`], for a signer.
pub fn signer_builder(ring: KeyRing, name: &str, purpose: &str, now: u64) -> SignerBuilder {
    configure(Signer::builder(ring, name), purpose, now)
}

fn configure<M>(b: Builder<M>, purpose: &str, now: u64) -> Builder<M> {
    b.purpose(purpose)
        .idle_timeout(Duration::from_secs(IDLE))
        .absolute_lifetime(Duration::from_secs(ABSOLUTE))
        .clock(ManualClock::new(now))
}

/// The sealed-mode sealer over `ring`, at [`NOW`].
pub fn sealer(ring: KeyRing) -> Sealer {
    builder(ring, SEALED_NAME, SEALED_PURPOSE, NOW)
        .build()
        .expect("valid config")
}

/// The sealer for [`OTHER_NAME`] over `ring`, same purpose.
pub fn other_sealer(ring: KeyRing) -> Sealer {
    builder(ring, OTHER_NAME, SEALED_PURPOSE, NOW)
        .build()
        .expect("valid config")
}

/// The signed-mode signer over `ring`, at [`NOW`].
pub fn signer(ring: KeyRing) -> Signer {
    signer_builder(ring, SIGNED_NAME, SIGNED_PURPOSE, NOW)
        .build()
        .expect("valid config")
}

/// The chunked sealed cookie of `cookie_header` (limit 320, up to 4 chunks).
pub fn chunked_cookie(ring: KeyRing, now: u64) -> SessionCookie {
    let sealer = builder(ring, CHUNKED_NAME, SEALED_PURPOSE, now)
        .size_limit(CHUNKED_LIMIT)
        .build()
        .expect("valid config");
    SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(CHUNKED_MAX))
        .expect("valid options")
}

/// The single (unchunked) sealed cookie of `cookie_header`.
pub fn single_cookie(ring: KeyRing, now: u64) -> SessionCookie {
    let sealer = builder(ring, SEALED_NAME, SEALED_PURPOSE, now)
        .build()
        .expect("valid config");
    SessionCookie::sealed(sealer, CookieOptions::new()).expect("valid options")
}

/// The signed cookie of `cookie_header`.
pub fn signed_cookie(ring: KeyRing, now: u64) -> SessionCookie {
    let signer = signer_builder(ring, SIGNED_NAME, SIGNED_PURPOSE, now)
        .build()
        .expect("valid config");
    SessionCookie::signed(signer, CookieOptions::new().http_only(false)).expect("valid options")
}

/// A realistic session: a `serde_bytes` field, strings, vectors, options, integers and a nested
/// enum. `Arbitrary` so that `roundtrip` can make any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Arbitrary)]
pub struct Session {
    pub user_id: u64,
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub csrf: Vec<u8>,
    pub roles: Vec<String>,
    pub tenant: Option<u64>,
    pub scopes: Vec<u32>,
    pub admin: bool,
    pub auth: Auth,
}

/// How the user logged in (nested enum with data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Arbitrary)]
pub enum Auth {
    Anonymous,
    Password {
        at: u64,
    },
    Sso {
        provider: String,
        subject: Option<String>,
    },
    Mfa {
        first: Factor,
        second: Option<Factor>,
    },
}

/// A second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Arbitrary)]
pub enum Factor {
    Totp(u32),
    WebAuthn {
        #[serde(with = "serde_bytes")]
        credential: Vec<u8>,
    },
    Recovery,
}

/// A few hand-made sessions of different shapes and sizes (`scale` grows the strings).
pub fn sample_session(variant: u8, scale: usize) -> Session {
    let auth = match variant % 4 {
        0 => Auth::Anonymous,
        1 => Auth::Password { at: NOW - 5 },
        2 => Auth::Sso {
            provider: "https://idp.example".to_owned(),
            subject: Some("user-7".repeat(scale.max(1))),
        },
        _ => Auth::Mfa {
            first: Factor::Totp(123_456),
            second: Some(Factor::WebAuthn {
                credential: (0..=63u8).collect(),
            }),
        },
    };
    Session {
        user_id: 42 + u64::from(variant),
        name: "alice".repeat(scale.max(1)),
        csrf: (0..32u8)
            .map(|b| b.wrapping_mul(7).wrapping_add(variant))
            .collect(),
        roles: vec!["admin".to_owned(), "dev".to_owned()],
        tenant: if variant.is_multiple_of(2) {
            Some(9)
        } else {
            None
        },
        scopes: vec![1, 2, 300_000, u32::MAX],
        admin: variant.is_multiple_of(3),
        auth,
    }
}

/// Stamp invariants of anything that opened at [`NOW`] under the harness policy.
pub fn check_opened<T>(opened: &Opened<T>) {
    let s = opened.stamps;
    assert!(
        s.created() <= s.issued() && s.issued() <= s.expires(),
        "stamps out of order: {s:?}"
    );
    assert_eq!(opened.opened_at, NOW, "opened_at is the clock's time");
    assert!(
        s.issued() <= NOW.saturating_add(LEEWAY),
        "opened a value issued in the future: {s:?}"
    );
    assert!(
        NOW <= s.expires().saturating_add(LEEWAY),
        "opened an expired value: {s:?}"
    );
    assert!(
        NOW <= s.issued().saturating_add(IDLE).saturating_add(LEEWAY),
        "opened a value idle for too long: {s:?}"
    );
    assert!(
        NOW <= s.created().saturating_add(ABSOLUTE).saturating_add(LEEWAY),
        "opened a value past its absolute lifetime: {s:?}"
    );
}

/// The renewal hint an opened value must carry: `OldKey` when its key is not the primary,
/// else `Due` when renewing now would extend it and `RENEW_AFTER` has passed.
pub fn expected_renewal<T>(opened: &Opened<T>, from_primary: bool) -> Option<RenewalReason> {
    if !from_primary {
        return Some(RenewalReason::OldKey);
    }
    let s = opened.stamps;
    let absolute_end = s.created().saturating_add(ABSOLUTE);
    let due = NOW.saturating_sub(s.issued()) >= RENEW_AFTER
        && NOW < absolute_end
        && NOW.saturating_add(IDLE).min(absolute_end) > s.expires();
    due.then_some(RenewalReason::Due)
}

/// Completes a future that never waits: the request driver's steps without a store, or with the
/// memory store, which answers at once.
pub fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a future waited with no store to wait for"),
    }
}
