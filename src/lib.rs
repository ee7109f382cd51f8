//! # sealed-session
//!
//! Stateless, client-side cookie sessions. The whole session state travels in the cookie, sealed
//! so the browser can neither read nor change it; the server keeps only keys, so sessions need no
//! database and scale with the web tier.
//!
//! Without any configuration a sealed value is:
//! - **confidential and authentic**: AES-256-GCM with a fresh random 96-bit nonce per seal;
//! - **bound to its cookie name and purpose**: both are associated data, so a value cannot be
//!   moved to another cookie or reused for another purpose;
//! - **time-limited inside the ciphertext**: created / issued / expires stamps are authenticated
//!   and enforced on open (idle and absolute lifetimes, with leeway), not left to `Max-Age`;
//! - **sized as the browser sees it**: the final `name=value` is checked against 4096 octets
//!   before it is handed out, so a cookie is never silently dropped by the browser;
//! - **rotatable at run time**: each value names its key by a 4-byte id; old keys keep opening old
//!   values while a new primary seals, with no trial decryption and no lock on the hot path.
//!
//! ## Design
//! ```text
//! seal: T --postcard--> payload;  plaintext = stamps || payload
//!       sealed = version || key_id || nonce || AES-256-GCM(plaintext, aad) || tag
//!       aad    = version || key_id || len || cookie name || len || purpose
//!       value  = base64url-nopad(sealed) --size check (name=value <= limit)--> cookie
//! open: value --length bound--> base64url --> version, key_id --lookup by id--> key
//!       --> authenticate + decrypt --> stamps checked --> postcard --> T
//! ```
//! FORMAT.md in the repository is the byte-exact specification, with test vectors.
//!
//! ## Getting started
//! ```
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use sealed_session::{Key, KeyRing, OpenError, Sealer};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Session { user_id: u64 }
//!
//! // Load keys from your secret store; `Key::generate` makes a new one.
//! let ring = KeyRing::new(Key::generate()?);
//! let sealer = Sealer::builder(ring.clone(), "session")
//!     .purpose("login")
//!     .idle_timeout(Duration::from_secs(30 * 60))
//!     .absolute_lifetime(Duration::from_secs(12 * 3600))
//!     .build()?;
//!
//! let sealed = sealer.seal(&Session { user_id: 7 })?;
//! let cookie = format!("session={}; Max-Age={}", sealed.value(), sealed.max_age().as_secs());
//! # let _ = cookie;
//!
//! // Later, on a request:
//! let opened = sealer.open::<Session>(sealed.value())?;
//! assert_eq!(opened.state.user_id, 7);
//! if opened.needs_reseal() {
//!     let renewed = sealer.renew(&opened.state, &opened.stamps)?;
//!     # let _ = renewed;
//! }
//!
//! // Anything else is refused with a typed error.
//! assert!(matches!(sealer.open::<Session>("garbage"), Err(OpenError::Malformed(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Current features
//! - [`Key`]: generation from the OS, parsing from bytes and base64, HKDF-SHA256 derivation of
//!   per-purpose keys from a master secret; zeroized on drop, redacted in `Debug`.
//! - [`KeyRing`]: primary + open-only keys, [`add`](KeyRing::add) / [`promote`](KeyRing::promote) /
//!   [`retire`](KeyRing::retire) while the program runs.
//! - [`Sealer`]: seal / open / renew of any `serde` type, idle and absolute lifetimes, leeway,
//!   an injectable [`Clock`], re-seal hints ([`ResealReason`]), the exact size rule and
//!   [`Sealer::max_payload_len`].
//! - [`Signer`]: the signed-only mode (HMAC-SHA256) for state the client may read but not change,
//!   with the same key ring, stamps, binding and size rule.
//! - [`SessionCookie`] and [`CookieOptions`]: `Set-Cookie` rendering with secure defaults,
//!   `__Host-`/`__Secure-` prefix rules, removal cookies, `Cookie` header parsing
//!   ([`cookie_pairs`]) in one bounded pass, and opt-in chunking over up to [`MAX_CHUNKS`] cookies.
//!
//! ## Possible future features
//! Tower/axum and actix integrations, server-side revocation lists (embedded store, Redis), an
//! extended-nonce (XAES-256-GCM) suite under a new version byte.
//!
//! ## Non-features
//! - **No replay protection within a lifetime.** A stolen cookie works until it expires; a copy
//!   of an old value keeps working after the user "logs out" unless the server keeps revocation
//!   state. Keep lifetimes short. See SECURITY.md.
//! - **No server-side storage.** Large or frequently changing data belongs in a database; a cookie
//!   holds at most about 3 KB.
//! - **No hiding of the size.** The length of the value reveals the length of the state.
//! - **No custom cryptography.** AES-256-GCM comes from `aws-lc-rs` (AWS-LC, rustls's default
//!   provider; chosen over RustCrypto's `aes-gcm` because it seals this crate's inputs two to
//!   three times faster, see the README) or, with the `rust-crypto` feature, from RustCrypto's
//!   `aes-gcm`; HKDF, HMAC, SHA-2 from RustCrypto, constant-time comparison from `subtle`,
//!   base64 from `base64-simd`.
//!
//! ## Crate features
//! The AES-256-GCM implementation; the format, the API and every test are the same with either.
//! - `aws-lc` (default): AWS-LC through `aws-lc-rs`. The fastest (two to three times RustCrypto's
//!   `aes-gcm` on this crate's inputs); C and assembly, so building needs a C compiler.
//! - `rust-crypto`: RustCrypto's `aes-gcm`, pure Rust, for targets AWS-LC does not build for. It
//!   is used only when `aws-lc` is off: `default-features = false, features = ["rust-crypto"]`.
//!
//! With neither, the crate does not compile, and says why.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod aead;
mod b64;
mod clock;
mod config;
pub(crate) mod cookie;
mod error;
mod format;
mod key;
mod keyring;
mod nonce;
mod scratch;
mod sealer;
mod signed;
mod stamps;

#[cfg(test)]
mod vectors;

// The public interface is:
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::config::{
    BROWSER_COOKIE_LIMIT, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT, DEFAULT_LEEWAY,
    DEFAULT_PURPOSE, MAX_LEEWAY, MAX_PURPOSE_LEN, Opened, ResealReason, Sealed, SealerBuilder,
};
pub use crate::cookie::{
    CookieOptions, MAX_ATTRIBUTE_LEN, MAX_CHUNKS, MAX_COOKIE_AGE, MAX_COOKIE_HEADER_LEN, SameSite,
    SessionCookie, cookie_pairs,
};
pub use crate::error::{
    CodecError, ConfigError, CookieError, KeyError, KeyRingError, Lifetime, Malformed, OpenError,
    SealError,
};
pub use crate::key::{KEY_ID_LEN, KEY_LEN, Key, KeyId, MIN_MASTER_LEN};
pub use crate::keyring::KeyRing;
pub use crate::sealer::Sealer;
pub use crate::signed::Signer;
pub use crate::stamps::Stamps;

/// The README's example, compiled and run as a doctest so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
