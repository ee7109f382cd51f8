//! # sealed-session
//!
//! Web sessions both ways, behind one API. Cookie sessions: the whole session state travels in
//! the cookie, sealed so the browser can neither read nor change it; the server keeps only keys,
//! so sessions need no database and scale with the web tier. Server-side sessions
//! ([`ServerSide`]): the cookie carries only a sealed session id, and the state lives in
//! a store, sealed there too, so logout ends it and its size is not capped near 4 KB. Handlers
//! are the same either way.
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
//! seal: T --postcard--> payload;  plaintext = stamps || [session id] [subject] || payload
//!       value  = version || key_id || nonce || suite.protect(plaintext, aad) || tag
//!       aad    = version || key_id || len || cookie name || len || purpose
//!       cookie = base64url-nopad(value) --size check (name=value <= 4096)--> Set-Cookie
//! open: cookie --length bound--> base64url --> version byte: suite --> key_id: key (no trial)
//!       --> authenticate --> stamps, identity checked --> postcard --> T
//! ```
//! One pipeline seals and opens every value; a cipher suite (AES-256-GCM `0x01`, XAES-256-GCM
//! `0x02`, HMAC-SHA256 `0x81`) only protects the bytes. FORMAT.md in the repository is the
//! byte-exact specification, with test vectors.
//!
//! ## Getting started
//! Handlers take a [`Session<T>`]. A web adapter (features `axum` and `actix`), or the request
//! [`Driver`](web::Driver) it wraps, makes it from the request's cookies and turns it into the
//! response's `Set-Cookie` lines. Here the driver runs without a framework:
//! ```
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use sealed_session::web::{Driver, Field, Lines};
//! use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
//!
//! #[derive(Serialize, Deserialize, Clone)]
//! struct Account { user_id: u64 }
//!
//! // Load keys from your secret store (`Key::from_base64`); `Key::generate` makes a new one.
//! let ring = KeyRing::new(Key::generate()?);
//! let sealer = Sealer::builder(ring.clone(), "__Host-session")
//!     .idle_timeout(Duration::from_secs(30 * 60))
//!     .absolute_lifetime(Duration::from_secs(12 * 3600))
//!     .build()?;
//! let driver = Driver::new(SessionCookie::sealed(sealer, CookieOptions::new())?);
//!
//! // A request without a cookie; its handler logs the user in.
//! let session = driver.begin::<Account, &str>([]);
//! session.replace(Account { user_id: 7 })?;
//! // The end of the request (a framework's adapter does it; without one, any executor).
//! let mut response = Lines::new(200);
//! pollster::block_on(driver.end(&session, &mut response));
//! // One `Set-Cookie` line per cookie: Secure, HttpOnly, SameSite=Lax, Max-Age.
//! let set_cookie = response.header(Field::SetCookie);
//!
//! // The next request carries the cookie back.
//! let cookie = set_cookie[0].split(';').next().unwrap().to_owned();
//! let session = driver.begin::<Account, _>([cookie]);
//! assert_eq!(session.read(|a| a.map(|a| a.user_id)), Some(7));
//!
//! // A tampered or foreign cookie is no session, never an error page.
//! let session = driver.begin::<Account, _>(["__Host-session=garbage"]);
//! assert!(session.get().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Errors in `main`
//! Each stage has its own error type, whose `Display` says what happened and what to do. Its
//! `Debug` prints the same text (`{:#?}` adds the type and the source's `Debug`), so a
//! `fn main() -> Result<(), Box<dyn std::error::Error>>` that returns one with `?` shows the user
//! that text, as `Error: ` and the message:
//! ```
//! use sealed_session::Key;
//!
//! fn key_from_config(text: &str) -> Result<Key, Box<dyn std::error::Error>> {
//!     Ok(Key::from_base64(text)?)
//! }
//!
//! // What `main` would print, had it returned this error:
//! let error = key_from_config("not a key").unwrap_err();
//! assert_eq!(format!("Error: {error:?}"), "Error: key text is not valid base64");
//! ```
//!
//! ## Current features
//! - [`Key`]: generation from the OS, parsing from bytes and base64, HKDF-SHA256 derivation of
//!   per-purpose keys from a master secret; zeroized on drop, redacted in `Debug`.
//! - [`KeyRing`]: primary + open-only keys, [`add`](KeyRing::add) / [`promote`](KeyRing::promote) /
//!   [`retire`](KeyRing::retire) while the program runs; each key's subkeys derived once, on
//!   first use.
//! - [`Sealer`]: seal / open / renew of any `serde` type, idle and absolute lifetimes, leeway,
//!   an injectable [`Clock`], renewal hints ([`RenewalReason`]), the exact size rule,
//!   [`Sealer::max_payload_len`]; AES-256-GCM by default, XAES-256-GCM on request
//!   ([`SealerBuilder::extended_nonce`]); an optional [`SessionId`] and [`Subject`] sealed in.
//! - [`Signer`]: the signed-only mode (HMAC-SHA256) for state the client may read but not change,
//!   with the same key ring, stamps, identity, binding and size rule.
//! - [`SessionCookie`] and [`CookieOptions`]: a session cookie's configuration, checked when it
//!   is made: secure defaults, `__Host-`/`__Secure-` prefix rules, and opt-in chunking over up
//!   to [`MAX_CHUNKS`] cookies. The request driver renders its `Set-Cookie` lines and parses the
//!   `Cookie` header in one bounded pass ([`cookie_pairs`] is that parser).
//! - [`Session`]: the session of one request for any web framework: read lazily (a request that
//!   never touches it decrypts nothing and gets no `Set-Cookie`), changes sealed when made (a
//!   state too large is an error the handler sees), renewal only when due, a bad cookie read as
//!   no session and deleted, logout deleting exactly the chunks the request carried.
//! - [`web::Driver`]: the request lifecycle for any web framework (the session begun from the
//!   request's `Cookie` fields, loaded from the store if it needs it, ended on the response with
//!   its `Set-Cookie` lines and caching headers); the axum and actix-web adapters (features
//!   `axum` and `actix`) are thin layers over it, and a few lines run it on plain hyper.
//! - [`peek`]: a value's version, suite and key id without opening it, for operators.
//!
//! - [`Revocations`]: logout that revokes, for cookie sessions with session ids: a revoked
//!   id, every session of a subject ("log out everywhere") or all but the caller's ("log out my
//!   other sessions"), kept in a [`store::Store`] and checked by the request driver when a
//!   handler takes the session; fail closed on outages and when the store forgot what it was
//!   told.
//! - [`ServerSide`]: server-side sessions with the same handlers: the cookie holds only
//!   a sealed session id, the state lives in a store, sealed at rest and bound to the id;
//!   logout deletes it, writes are compare-and-set (a late write never brings a logged-out
//!   session back; concurrent changes are applied again or reported), and `overflow` keeps
//!   small states in the cookie.
//!
//! ## Where things are
//! Each public item has one path. The core is at the crate root: keys, sealers and signers,
//! cookies, [`Session`] and its modes' settings ([`Revocations`], [`ServerSide`]), their errors
//! and constants. Three public modules hold the rest: [`store`] (the `Store` trait and the
//! stores, which know nothing of cookies or sessions), [`web`] (the request driver, the axum and
//! actix adapters and their rejections) and, with feature `key-file`, `key_file` (the key-ring
//! file).
//!
//! Inside, the layers depend downward only, with no import circle: keys and suites; the
//! sealing pipeline ([`Sealer`] and [`Signer`] are one [`Protector`] type); the cookie layer; the
//! session handle, whose modes (cookie, cookie with revocations, server-side, overflow) are one
//! trait; the request driver. The stores sit apart, below the modes that use them.
//!
//! ## Possible future features
//! - Server-side reads and revocation checks served from memory on each server, invalidated by
//!   Redis when another server writes (its client-side caching), instead of a round trip per
//!   request.
//!
//! ## Non-features
//! - **No replay protection within a cookie session's lifetime.** A stolen cookie works until
//!   it expires; a copy of an old value keeps working after the user "logs out" unless the server
//!   keeps revocation state ([`Revocations`]) or the session is server-side. Keep
//!   lifetimes short. See SECURITY.md.
//! - **No large state in a cookie.** A cookie holds at most about 3 KB (chunking stretches it);
//!   a larger state belongs server-side ([`ServerSide`], or its `overflow`).
//! - **No hiding of the size.** The length of the value reveals the length of the state.
//! - **No custom cryptography.** AES-256-GCM and XAES-256-GCM from RustCrypto's `aes-gcm` and
//!   `xaes-256-gcm` (or AWS-LC through `aws-lc-rs`, feature `aws-lc`); HKDF, HMAC, SHA-2 from
//!   RustCrypto, constant-time comparison from `subtle`, base64 from `base64-simd`.
//!
//! ## Crate features
//! The documentation on docs.rs is built with every feature on, and marks each item that needs
//! a feature with that feature's name.
//!
//! The AES implementation; the format, the API and every test are the same with either.
//! - `rust-crypto` (default): RustCrypto's `aes-gcm` and `xaes-256-gcm`, pure Rust: builds
//!   wherever Rust does, no C compiler.
//! - `aws-lc`: AWS-LC through `aws-lc-rs`, faster (`cargo bench -p sealed-session-benches --bench levers`, lever
//!   `aead_backend`); C and assembly, so building needs a C compiler. Takes precedence over
//!   `rust-crypto` when both are on.
//!
//! With neither, the crate does not compile, and says why.
//!
//! The request driver, and its `Reply` for `http::Response`:
//! - `http`: the driver's [`web::Reply`] for `http::Response`, the response type of hyper and of
//!   every framework on the `http` crate, so that `web::Driver` runs on plain hyper with no glue
//!   (the example app's hyper server does). Adds `http` 1.
//!
//! The web adapters, each adding its framework's crates to the build:
//! - `axum`: `web::axum::SessionLayer` (a tower layer) and the `Session<T>` extractor for
//!   axum 0.8 handlers; turns on `http`.
//! - `actix`: `web::actix::SessionMiddleware` and the `Session<T>` extractor for actix-web 4
//!   (without actix-web's default features), and `web::actix::SessionExt` to reach the session
//!   from other middleware.
//!
//! Both adapters follow the same rules from the same code, the request driver
//! (src/web/driver.rs), which logs through `tracing` (always in the build: why a cookie was
//! refused, a store or a write that failed); the end-to-end tests run one table of cases against
//! both, and against plain hyper over the driver. They also mark responses for HTTP caches
//! (`Vary: Cookie`, `Cache-Control: private` on a `Set-Cookie`, opt-in `no-store` for pages
//! that show a session) and give a store outage's 503 a `Retry-After` ([`web`]).
//!
//! Keys for a fleet:
//! - `key-file`: `key_file::KeyRingFile`, a key ring loaded from a TOML file (KEYS.md) with
//!   staged activation, reloaded while running; `key_file::RingDocument` to edit it. Adds
//!   `toml`, `humantime`, `tempfile` and serde's derive.
//! - `cli`: the `sealed-session` binary (keygen, ring, inspect, budget). Adds `clap`,
//!   `serde_json` and the `key-file` feature.
//!
//! Stores:
//! - `redb`: `store::RedbStore`, revocations and server-side sessions in one durable file
//!   (redb 4, which needs Rust 1.90; writes on tokio's blocking pool).
//! - `redis`: `store::RedisStore`, revocations and server-side sessions in Redis 7+ (one server
//!   or a cluster) shared by many machines (the `redis` crate on tokio, its connection manager
//!   or cluster client, a script per write).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
// docs.rs only (its nightly rustdoc, `[package.metadata.docs.rs]`): each item gated by a feature
// shows which feature it needs, since those docs are built with every feature on.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod b64;
mod backend;
mod clock;
mod cookie;
mod error;
mod error_debug;
mod format;
mod handle;
mod key;
#[cfg(feature = "key-file")]
#[cfg_attr(docsrs, doc(cfg(feature = "key-file")))]
pub mod key_file;
mod limits;
mod nonce;
mod scratch;
mod session;
pub mod store;
mod suite;
pub mod web;

#[cfg(test)]
mod vectors;

// One path per public item: the core at the root, from private modules; the stores, the web
// adapters and the key-ring file in the public modules `store`, `web` and `key_file`, and
// nowhere else.
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::cookie::{
    BROWSER_COOKIE_LIMIT, CookieOptions, CookieReadError, MAX_ATTRIBUTE_LEN, MAX_CHUNKS,
    MAX_COOKIE_AGE, MAX_COOKIE_HEADER_LEN, SameSite, SessionCookie, cookie_pairs,
};
pub use crate::error::{
    CodecError, ConfigError, Lifetime, Malformed, OpenError, SealError, WriteError,
};
pub use crate::handle::{
    Conflicts, DEFAULT_MAX_STATE_LEN, Forgotten, LogoutError, Outage, RECORD_MARGIN, Refusal,
    Revocations, ServerSide, Session, Verdict,
};
pub use crate::key::{
    KEY_ID_LEN, KEY_LEN, Key, KeyError, KeyId, KeyListError, KeyRing, KeyRingError, MIN_MASTER_LEN,
};
pub use crate::session::{
    Builder, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_PURPOSE,
    Envelope, Header, Inspection, MAX_LEEWAY, MAX_PURPOSE_LEN, MAX_SUBJECT_LEN, Opened, Protector,
    RenewalReason, SESSION_ID_LEN, Sealed, Sealer, SealerBuilder, Sealing, SessionId, Signer,
    SignerBuilder, Signing, Stamps, Subject, SubjectError, peek,
};
pub use crate::suite::Suite;

/// The AES implementation this build uses: `"rust-crypto"` (RustCrypto's `aes-gcm` and
/// `xaes-256-gcm`, the default) or `"aws-lc"` (feature `aws-lc`). Values are the same either way;
/// reports and operators use it to say which one they measured or run.
pub fn aes_backend() -> &'static str {
    backend::NAME
}

/// The README's examples, compiled (and the first one run) as doctests so they cannot drift
/// from the API. Its production wiring needs the features it shows, so the README is tested
/// with them on, as the README's test command (`--all-features`) does.
#[cfg(all(doctest, feature = "axum", feature = "redis", feature = "key-file"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
