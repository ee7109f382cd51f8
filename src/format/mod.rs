//! The byte layout of FORMAT.md: version byte and flags, varints, base64 lengths, the associated
//! data, and (in [`plaintext`]) the stamps and identity fields. Encoding and bounds-checked
//! decoding only: which key, which suite, which clock and which policy are decided elsewhere.
//!
//! ```text
//! value     = base64url-nopad(version || key_id || nonce || protected body || tag)
//! plaintext = stamps || [created millisecond] || identity || payload
//! aad       = version || key_id || varint(len(name)) || name || varint(len(purpose)) || purpose
//! ```

mod plaintext;

pub(crate) use plaintext::{
    MAX_SUBJECT_LEN, SESSION_ID_LEN, put_created_millis, put_identity, put_stamps,
    take_created_millis, take_identity, take_stamps,
};

use crate::key::KEY_ID_LEN;

/// version byte + key id.
pub(crate) const HEADER_LEN: usize = 1 + KEY_ID_LEN;
/// Version-byte flag: a session id follows the stamps.
pub(crate) const FLAG_SESSION_ID: u8 = 0x10;
/// Version-byte flag: a subject follows the stamps (and the session id, if any).
pub(crate) const FLAG_SUBJECT: u8 = 0x20;
/// Version-byte flag: the millisecond of the creation second follows the stamps.
pub(crate) const FLAG_CREATED_MILLIS: u8 = 0x40;
/// Every flag of the version byte: what is left names the suite.
pub(crate) const FLAGS_MASK: u8 = FLAG_SESSION_ID | FLAG_SUBJECT | FLAG_CREATED_MILLIS;
/// The longest LEB128 encoding of a u64.
pub(crate) const MAX_VARINT_LEN: usize = 10;
/// Three stamps of one byte each is the least a plaintext holds.
pub(crate) const MIN_STAMPS_LEN: usize = 3;

/// Unsigned LEB128: 7 bits per byte, least significant group first, high bit = "more follows".
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The length of `v`'s LEB128 encoding.
pub(crate) const fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    if bits == 0 { 1 } else { bits.div_ceil(7) }
}

/// Reads one canonical LEB128 u64. Refuses a truncated encoding, one longer than 10 bytes, one
/// that overflows 64 bits, and a non-minimal one (a final byte of 0 after the first), so that each
/// number has exactly one encoding.
pub(crate) fn take_varint(input: &[u8]) -> Option<(u64, &[u8])> {
    // One byte (the deltas of most stamps, every short length) needs no loop.
    if let Some((&b, rest)) = input.split_first() {
        if b < 0x80 {
            return Some((u64::from(b), rest));
        }
    }
    let mut v: u64 = 0;
    for (i, &b) in input.iter().enumerate().take(MAX_VARINT_LEN) {
        let group = u64::from(b & 0x7f);
        if i == MAX_VARINT_LEN - 1 && b > 0x01 {
            return None; // the tenth byte may carry only bit 63
        }
        v |= group << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return None; // non-minimal
            }
            return Some((v, &input[i + 1..]));
        }
    }
    None
}

/// The length of `n` bytes in unpadded base64: ceil(4n/3).
pub(crate) const fn base64_len(n: usize) -> usize {
    (n / 3) * 4 + [0, 2, 3][n % 3]
}

/// The most bytes whose unpadded base64 fits in `chars` characters: floor(3c/4).
pub(crate) const fn max_bytes_in_base64(chars: usize) -> usize {
    (chars / 4) * 3 + [0, 0, 1, 2][chars % 4]
}

/// Appended to the purpose of a server-side session's state sealed at rest (FORMAT.md,
/// "Server-side sessions"). The NUL keeps it apart from any purpose a cookie is likely to be
/// given.
pub(crate) const AT_REST_PURPOSE_SUFFIX: &str = "\0sealed-session state at rest";

/// Appended to the purpose of a cookie in server-side mode, so that a cookie of one mode never
/// opens in the other (its payload could deserialize there).
pub(crate) const SERVER_SIDE_PURPOSE_SUFFIX: &str = "\0sealed-session server-side cookie";

/// The part of the associated data that does not depend on the key:
/// `varint(len(name)) || name || varint(len(purpose)) || purpose`.
pub(crate) fn aad_suffix(name: &str, purpose: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * MAX_VARINT_LEN + name.len() + purpose.len());
    put_varint(&mut out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    put_varint(&mut out, purpose.len() as u64);
    out.extend_from_slice(purpose.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_at_every_length_boundary() {
        let mut cases = vec![0u64, 1, u64::MAX];
        for k in 1..64 {
            cases.extend([(1u64 << k) - 1, 1u64 << k, (1u64 << k) + 1]);
        }
        for v in cases {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(buf.len(), varint_len(v), "length of {v}");
            buf.push(0xAA);
            assert_eq!(take_varint(&buf), Some((v, &[0xAA][..])), "value {v}");
        }
    }

    #[test]
    fn varint_refuses_non_canonical_truncated_and_overflowing_encodings() {
        assert_eq!(take_varint(&[]), None);
        assert_eq!(take_varint(&[0x80]), None);
        assert_eq!(take_varint(&[0x80, 0x00]), None, "non-minimal zero");
        assert_eq!(take_varint(&[0xff, 0x00]), None, "non-minimal 127");
        let eleven = [0xff; 10].iter().copied().chain([0x01]).collect::<Vec<_>>();
        assert_eq!(take_varint(&eleven), None);
        let mut over = [0xff; 10];
        over[9] = 0x02;
        assert_eq!(take_varint(&over), None, "bit 64 set");
    }

    #[test]
    fn base64_lengths_match_the_engine() {
        use base64::Engine as _;
        for n in 0..200 {
            let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![0u8; n]);
            assert_eq!(base64_len(n), enc.len());
            assert_eq!(max_bytes_in_base64(enc.len()), n);
            if n > 0 {
                assert!(max_bytes_in_base64(enc.len() - 1) < n);
            }
        }
    }
}
