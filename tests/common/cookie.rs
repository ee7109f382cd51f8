//! Shared helpers for the cookie-layer and signed-mode tests: fixed keys, a manual clock at a
//! known instant, session cookies built on them, and turning `Set-Cookie` values back into the
//! `Cookie` header a browser would send.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::{
    CookieOptions, Key, KeyRing, ManualClock, Sealer, SealerBuilder, SessionCookie, Signer,
    SignerBuilder,
};

/// 2027-01-15T08:00:00Z. Its varint takes 5 bytes, so a default new session's stamps take 8.
pub(crate) const T0: u64 = 1_800_000_000;
/// The cookie name most tests use.
pub(crate) const NAME: &str = "session";
/// `Expires` of a default session created at [`T0`]: T0 + 1800 s (checked with Python's
/// `email.utils.formatdate(1800001800, usegmt=True)`).
pub(crate) const T0_PLUS_IDLE_HTTP_DATE: &str = "Fri, 15 Jan 2027 08:30:00 GMT";
/// The attributes every default cookie ends with.
pub(crate) const DEFAULT_TAIL: &str = "; Path=/; Secure; HttpOnly; SameSite=Lax";
/// Stamps of a default new session at [`T0`]: 5 (created) + 1 (issued - created = 0) + 2 (1800).
pub(crate) const T0_STAMPS_LEN: usize = 8;

/// FORMAT.md vector 1's key (`00 01 .. 1f`), id `87809c4c`.
pub(crate) fn key_a() -> Key {
    Key::from_bytes(&(0u8..32).collect::<Vec<_>>()).expect("32 bytes")
}

/// A second fixed key (`1f 1e .. 00`, FORMAT.md vector 2), id `d8831be7`.
pub(crate) fn key_b() -> Key {
    Key::from_bytes(&(0u8..32).rev().collect::<Vec<_>>()).expect("32 bytes")
}

pub(crate) fn ring() -> KeyRing {
    KeyRing::new(key_a())
}

pub(crate) fn clock() -> ManualClock {
    ManualClock::new(T0)
}

/// A builder for `name` over `ring` on `clock`; every other setting is the default.
pub(crate) fn builder(ring: &KeyRing, clock: &ManualClock, name: &str) -> SealerBuilder {
    Sealer::builder(ring.clone(), name).clock(clock.clone())
}

/// As [`builder`], for a signer.
pub(crate) fn signer_builder(ring: &KeyRing, clock: &ManualClock, name: &str) -> SignerBuilder {
    Signer::builder(ring.clone(), name).clock(clock.clone())
}

pub(crate) fn sealer(name: &str) -> Sealer {
    builder(&ring(), &clock(), name)
        .build()
        .expect("valid configuration")
}

pub(crate) fn signer(name: &str) -> Signer {
    signer_builder(&ring(), &clock(), name)
        .build()
        .expect("valid configuration")
}

/// A sealed session cookie named `name` with default options, at [`T0`].
pub(crate) fn sealed_cookie(name: &str) -> SessionCookie {
    sealed_cookie_with(name, CookieOptions::new())
}

/// As [`sealed_cookie`], with `options`.
pub(crate) fn sealed_cookie_with(name: &str, options: CookieOptions) -> SessionCookie {
    SessionCookie::sealed(sealer(name), options).expect("valid options")
}

/// The `name=value` part of a `Set-Cookie` value.
pub(crate) fn pair(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .expect("split yields one piece")
}

/// The value part of a `Set-Cookie` value.
pub(crate) fn value_of(set_cookie: &str) -> &str {
    pair(set_cookie)
        .split_once('=')
        .expect("a Set-Cookie starts with name=value")
        .1
}

/// Whether a `Set-Cookie` value deletes its cookie.
pub(crate) fn is_removal(set_cookie: &str) -> bool {
    set_cookie.contains("=; Max-Age=0;")
}

/// The `Cookie` header a browser sends after storing `set_cookies`: the `name=value` of each
/// cookie that is not deleted, joined by `"; "`.
pub(crate) fn header_from(set_cookies: &[String]) -> String {
    set_cookies
        .iter()
        .filter(|c| !is_removal(c))
        .map(|c| pair(c))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `(name, value)` pairs of the cookies a browser keeps from `set_cookies`.
pub(crate) fn stored(set_cookies: &[String]) -> Vec<(String, String)> {
    set_cookies
        .iter()
        .filter(|c| !is_removal(c))
        .map(|c| {
            let (n, v) = pair(c).split_once('=').expect("name=value");
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

/// Joins `(name, value)` pairs into a `Cookie` header.
pub(crate) fn header_of(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn decode(value: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value).expect("base64url")
}

pub(crate) fn encode(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// Unpadded base64 length of `n` bytes: ceil(4n/3).
pub(crate) fn base64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// Length of the LEB128 varint of `v` (postcard's length prefix of a byte string).
pub(crate) fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// A payload whose postcard encoding is `varint(n) || n bytes` (through `serde_bytes`).
pub(crate) fn bytes(n: usize) -> serde_bytes::ByteBuf {
    serde_bytes::ByteBuf::from((0..n).map(|i| i as u8).collect::<Vec<_>>())
}

/// Postcard length of [`bytes`]`(n)`.
pub(crate) fn bytes_postcard_len(n: usize) -> usize {
    varint_len(n as u64) + n
}
