//! Shared helpers for the integration tests: a sealer on a manual clock, a sample session type,
//! and the byte offsets of the sealed format (FORMAT.md, version 1).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::{Key, KeyId, KeyRing, ManualClock, Sealed, Sealer, SealerBuilder};
use serde::{Deserialize, Serialize};

/// The time every test starts at: 2027-01-15, whose varint takes 5 bytes.
pub(crate) const T0: u64 = 1_800_000_000;
/// The cookie name most tests seal for.
pub(crate) const NAME: &str = "session";

/// Offsets in the decoded value: version(1) || key_id(4) || nonce(12) || ciphertext || tag(16).
pub(crate) const VERSION_AT: usize = 0;
pub(crate) const KEY_ID: std::ops::Range<usize> = 1..5;
pub(crate) const NONCE: std::ops::Range<usize> = 5..17;
pub(crate) const TAG_LEN: usize = 16;
/// Header, nonce and tag around the plaintext.
pub(crate) const ENVELOPE_LEN: usize = 1 + 4 + 12 + TAG_LEN;
/// The shortest decodable sealed value: the envelope and three one-byte stamps.
pub(crate) const MIN_SEALED_LEN: usize = ENVELOPE_LEN + 3;

/// A realistic session state, with a byte string encoded compactly through `serde_bytes`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) user_id: u64,
    pub(crate) roles: Vec<String>,
    #[serde(with = "serde_bytes")]
    pub(crate) csrf: Vec<u8>,
}

pub(crate) fn session() -> Session {
    Session {
        user_id: 42,
        roles: vec!["admin".into(), "billing".into()],
        csrf: vec![0xde, 0xad, 0xbe, 0xef],
    }
}

/// A sealer, the clock it reads and its key ring.
pub(crate) struct Fixture {
    pub(crate) sealer: Sealer,
    pub(crate) clock: ManualClock,
    pub(crate) ring: KeyRing,
}

/// A builder for cookie [`NAME`] over `ring`, reading `clock`; every other setting is the default.
pub(crate) fn builder(ring: &KeyRing, clock: &ManualClock) -> SealerBuilder {
    Sealer::builder(ring.clone(), NAME).clock(clock.clone())
}

/// A fixture whose builder is adjusted by `configure` (identity for the defaults).
pub(crate) fn fixture_with(configure: impl FnOnce(SealerBuilder) -> SealerBuilder) -> Fixture {
    let ring = KeyRing::new(Key::generate().expect("OS RNG"));
    let clock = ManualClock::new(T0);
    let sealer = configure(builder(&ring, &clock))
        .build()
        .expect("valid test configuration");
    Fixture {
        sealer,
        clock,
        ring,
    }
}

/// A default sealer for cookie [`NAME`] on a fresh one-key ring, at [`T0`].
pub(crate) fn fixture() -> Fixture {
    fixture_with(|b| b)
}

pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub(crate) fn decode(value: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value)
        .expect("a sealed value is base64url")
}

pub(crate) fn encode(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// The key id written in a sealed value's header.
pub(crate) fn key_id_of(value: &str) -> KeyId {
    let raw = decode(value);
    KeyId::from_bytes(raw[KEY_ID].try_into().expect("4 bytes"))
}

/// Unpadded base64 length of `n` bytes: ceil(4n/3).
pub(crate) fn base64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// Length of the LEB128 varint of `v`.
pub(crate) fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Renews `first` every `step` seconds, as an active user's requests would, until `at`, and returns
/// the value renewed at `at` (`first` itself if `at` is its issue time). Leaves the clock at `at`.
pub(crate) fn renewed_at<T: Serialize>(
    sealer: &Sealer,
    clock: &ManualClock,
    state: &T,
    first: &Sealed,
    step: u64,
    at: u64,
) -> Sealed {
    let mut current = first.clone();
    let mut now = current.stamps().issued();
    assert!(at >= now, "renewals go forward in time");
    while now < at {
        now = (now + step).min(at);
        clock.set(now);
        current = sealer
            .renew(state, current.envelope())
            .unwrap_or_else(|e| panic!("renewal at {now}: {e:?}"));
    }
    clock.set(at);
    current
}
