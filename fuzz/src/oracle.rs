//! Independent models of FORMAT.md, written from the specification and not from `src/`: the
//! strict base64url rule, the order of the pre-authentication checks, the layout of a signed
//! body, the `Cookie` header split and the chunk gathering rules. Targets compare the crate's
//! behaviour with them.

use sealed_session::{CookieReadError, KeyId, KeyRing, OpenError};

/// Sealed (version 1) constants from FORMAT.md.
pub const SEALED_VERSION: u8 = 0x01;
/// Smallest sealed value in bytes: 1 + 4 + 12 + 3 + 16.
pub const SEALED_MIN_BYTES: usize = 36;
/// Fixed bytes around the plaintext of a sealed value.
pub const SEALED_ENVELOPE: usize = 33;
/// Signed version byte.
pub const SIGNED_VERSION: u8 = 0x81;
/// Smallest signed value in bytes: 1 + 4 + 3 + 32.
pub const SIGNED_MIN_BYTES: usize = 40;
/// Fixed bytes around the body of a signed value.
pub const SIGNED_ENVELOPE: usize = 37;

/// Unpadded base64 length of `n` bytes.
pub fn b64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// LEB128 length of `v`.
pub fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

fn b64_digit(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    }))
}

/// FORMAT.md's strict base64url: RFC 4648 section 5 alphabet, no padding, no `4k+1` length,
/// zero unused bits. `None` for anything else.
pub fn strict_b64url_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for quad in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            acc |= b64_digit(c)? << (18 - 6 * i);
        }
        let n = quad.len() * 6 / 8;
        let unused = (1u32 << (24 - 8 * n)) - 1;
        if acc & unused != 0 {
            return None;
        }
        out.extend_from_slice(&acc.to_be_bytes()[1..=n]);
    }
    Some(out)
}

/// Smallest XAES-256-GCM value in bytes: 1 + 4 + 24 + 3 + 16.
pub const XAES_MIN_BYTES: usize = 48;

/// Which mode a reader is configured for (FORMAT.md, "Configuration both sides share").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderMode {
    /// Opens the sealed suites, `0x01` and `0x02`, with any identity flags.
    Sealed,
    /// Opens the signed suite, `0x81`, with any identity flags.
    Signed,
}

impl ReaderMode {
    /// The smallest value of any suite of the mode (FORMAT.md step 2).
    fn min_bytes(self) -> usize {
        match self {
            Self::Sealed => SEALED_MIN_BYTES,
            Self::Signed => SIGNED_MIN_BYTES,
        }
    }

    /// The smallest value of the suite a version byte names, if this mode opens it: bits 4 to 6
    /// are flags (FORMAT.md, "Versions").
    fn suite_min_bytes(self, version: u8) -> Option<usize> {
        match (self, version & !0x70) {
            (Self::Sealed, 0x01) => Some(SEALED_MIN_BYTES),
            (Self::Sealed, 0x02) => Some(XAES_MIN_BYTES),
            (Self::Signed, 0x81) => Some(SIGNED_MIN_BYTES),
            _ => None,
        }
    }
}

/// What FORMAT.md's "Opening, in this order" says must happen to `value` before any secret is
/// used: either an exact error, or "reaches the key" (`Ok(raw)`), after which only the MAC/AEAD
/// decides.
pub fn pre_auth(
    value: &str,
    max_len: usize,
    mode: ReaderMode,
    ring: &KeyRing,
) -> Result<Vec<u8>, OpenError> {
    if value.len() > max_len {
        return Err(OpenError::Oversized {
            len: value.len(),
            max: max_len,
        });
    }
    if value.len() < b64_len(mode.min_bytes()) {
        return Err(OpenError::Malformed(sealed_session::Malformed::TooShort));
    }
    let raw = strict_b64url_decode(value)
        .ok_or(OpenError::Malformed(sealed_session::Malformed::Encoding))?;
    let min_bytes = mode
        .suite_min_bytes(raw[0])
        .ok_or(OpenError::UnsupportedVersion(raw[0]))?;
    if raw.len() < min_bytes {
        return Err(OpenError::Malformed(sealed_session::Malformed::TooShort));
    }
    let id = key_id_of_raw(&raw);
    if !ring.contains(id) {
        return Err(OpenError::UnknownKey(id));
    }
    Ok(raw)
}

/// The key id in a decoded value's header (bytes 1..5).
pub fn key_id_of_raw(raw: &[u8]) -> KeyId {
    let mut id = [0u8; 4];
    id.copy_from_slice(&raw[1..5]);
    KeyId::from_bytes(id)
}

/// FORMAT.md's varint: unsigned LEB128, minimal, at most 10 bytes (a tenth byte of at most
/// `0x01`). The value and the bytes after it, or `None` for anything a reader refuses.
pub fn take_varint(input: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &b) in input.iter().enumerate().take(10) {
        if i == 9 && b > 0x01 {
            return None;
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return None;
            }
            return Some((value, &input[i + 1..]));
        }
    }
    None
}

/// Flag `0x10` of the version byte: a 16-byte session id follows the stamps.
pub const FLAG_SESSION_ID: u8 = 0x10;
/// Flag `0x20`: a subject (a varint length of 1 to 64, then its bytes) follows.
pub const FLAG_SUBJECT: u8 = 0x20;
/// Flag `0x40`: the millisecond of the creation second (a varint of 0 to 999) ends the stamps.
pub const FLAG_CREATED_MILLIS: u8 = 0x40;

/// The payload of a decoded signed value (`version || key_id || body || tag`), readable by the
/// client: FORMAT.md's `body = stamps || identity || payload`, where the stamps are three
/// varints and, with flag `0x40`, the creation millisecond, and the identity holds the fields
/// flags `0x10` and `0x20` announce. `None` for a body a reader refuses at step 6.
pub fn signed_payload(raw: &[u8]) -> Option<&[u8]> {
    let version = *raw.first()?;
    let mut rest = raw.get(5..raw.len().checked_sub(32)?)?;
    let (created, r) = take_varint(rest)?;
    let (to_issued, r) = take_varint(r)?;
    let (to_expires, r) = take_varint(r)?;
    created.checked_add(to_issued)?.checked_add(to_expires)?;
    rest = r;
    if version & FLAG_CREATED_MILLIS != 0 {
        let (millis, r) = take_varint(rest)?;
        if millis > 999 {
            return None;
        }
        rest = r;
    }
    if version & FLAG_SESSION_ID != 0 {
        rest = rest.get(16..)?;
    }
    if version & FLAG_SUBJECT != 0 {
        let (len, r) = take_varint(rest)?;
        let len = usize::try_from(len).ok().filter(|n| (1..=64).contains(n))?;
        rest = r.get(len..)?;
    }
    Some(rest)
}

/// Whether an error can only come after successful authentication.
pub fn is_post_auth(e: &OpenError) -> bool {
    matches!(
        e,
        OpenError::Expired { .. }
            | OpenError::NotYetValid { .. }
            | OpenError::Deserialize(_)
            | OpenError::Malformed(sealed_session::Malformed::Stamps)
    )
}

/// A model of `cookie_pairs`: split on `;`, split each piece at its first `=`, trim spaces and
/// tabs, skip an empty name, strip one pair of double quotes around the value.
pub fn model_cookie_pairs(header: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for piece in header.split(';') {
        let Some(eq) = piece.find('=') else { continue };
        let ws: &[char] = &[' ', '\t'];
        let name = piece[..eq].trim_matches(ws);
        if name.is_empty() {
            continue;
        }
        let mut value = piece[eq + 1..].trim_matches(ws);
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = &value[1..value.len() - 1];
        }
        out.push((name, value));
    }
    out
}

/// FORMAT.md's chunk index: a canonical decimal (no sign, no leading zero), here of at most three
/// digits (a longer one names no chunk of any configuration).
pub fn canonical_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decimal_len(i: usize) -> usize {
    i.to_string().len()
}

/// Length of the name of chunk `i` (`name`, `name.1`, ...).
fn chunk_name_len(name: &str, i: usize) -> usize {
    if i == 0 {
        name.len()
    } else {
        name.len() + 1 + decimal_len(i)
    }
}

/// FORMAT.md's `room_i`: the characters `part_i` of `k` cookies can hold under the size rule
/// (`limit - len(name_i) - 1`, less the `k.` marker on the first of several).
fn chunk_room(name: &str, limit: usize, i: usize, k: usize) -> usize {
    let marker = if i == 0 && k > 1 {
        decimal_len(k) + 1
    } else {
        0
    };
    limit.saturating_sub(chunk_name_len(name, i) + 1 + marker)
}

/// The part lengths of the one split FORMAT.md's writer makes of a value of `n` characters with
/// at most `max_k` cookies: unchunked if it fits one cookie, else the smallest `k` whose rooms
/// hold `n`, filling each part in order. `None` if no `k <= max_k` holds it.
pub fn writer_part_lens(name: &str, limit: usize, max_k: usize, n: usize) -> Option<Vec<usize>> {
    let k =
        (1..=max_k).find(|&k| (0..k).map(|i| chunk_room(name, limit, i, k)).sum::<usize>() >= n)?;
    let mut left = n;
    Some(
        (0..k)
            .map(|i| {
                let l = left.min(chunk_room(name, limit, i, k));
                left -= l;
                l
            })
            .collect(),
    )
}

/// What a reader must make of a `Cookie` header for the cookie `name` (FORMAT.md, "Chunked
/// cookies", including its refusal order): `Ok(None)` when neither the cookie nor any chunk of
/// it is present, `Ok(Some(joined value))` to be opened as one value, or the exact refusal made
/// before decoding. Splits are canonical: complete chunks that are not the writer's split of
/// their joined value are `NonCanonicalChunks`.
///
/// With `max_chunks == 1` chunk names are unrelated cookies (chunking is off), as in the crate.
pub fn model_gather(
    header: &str,
    name: &str,
    limit: usize,
    max_chunks: usize,
) -> Result<Option<String>, CookieReadError> {
    let mut parts: Vec<Option<&str>> = vec![None; max_chunks];
    // While scanning: an index at or beyond max, a duplicated name, an over-long cookie.
    for (n, v) in model_cookie_pairs(header) {
        let index = if n == name {
            0
        } else if max_chunks > 1 {
            match n
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(canonical_index)
            {
                Some(i) => i,
                None => continue,
            }
        } else {
            continue;
        };
        if index >= max_chunks {
            return Err(CookieReadError::UnexpectedChunk { chunk: index });
        }
        if parts[index].is_some() {
            return Err(CookieReadError::DuplicateCookie { chunk: index });
        }
        let name_len = if index == 0 {
            name.len()
        } else {
            name.len() + 1 + decimal_len(index)
        };
        let max = limit.saturating_sub(name_len + 1);
        if v.len() > max {
            return Err(CookieReadError::Open(OpenError::Oversized {
                len: v.len(),
                max,
            }));
        }
        parts[index] = Some(v);
    }
    let present = |from: usize| (from..max_chunks).find(|&i| parts[i].is_some());
    let Some(first) = parts[0] else {
        // Chunks without the first cookie.
        return match present(1) {
            Some(_) => Err(CookieReadError::MissingChunk { chunk: 0 }),
            None => Ok(None),
        };
    };
    let marked = if max_chunks > 1 {
        first.split_once('.')
    } else {
        None
    };
    let Some((count, head)) = marked else {
        // An unchunked first cookie with any chunk present.
        return match present(1) {
            Some(i) => Err(CookieReadError::UnexpectedChunk { chunk: i }),
            None => Ok(Some(first.to_owned())),
        };
    };
    let k = canonical_index(count)
        .filter(|k| (2..=max_chunks).contains(k))
        .ok_or(CookieReadError::MalformedChunkCount)?;
    // Missing parts, lowest first (an empty part is not missing), then parts beyond k.
    if let Some(i) = (1..k).find(|&i| parts[i].is_none()) {
        return Err(CookieReadError::MissingChunk { chunk: i });
    }
    if let Some(i) = present(k) {
        return Err(CookieReadError::UnexpectedChunk { chunk: i });
    }
    let mut joined = head.to_owned();
    for p in parts.iter().take(k).skip(1).flatten() {
        joined.push_str(p);
    }
    // Splits are canonical: the parts must be exactly the writer's split of the joined value.
    let lens: Vec<usize> = std::iter::once(head.len())
        .chain(parts[1..k].iter().map(|p| p.map_or(0, str::len)))
        .collect();
    if writer_part_lens(name, limit, k, joined.len()) != Some(lens) {
        return Err(CookieReadError::NonCanonicalChunks);
    }
    Ok(Some(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn strict_decoder_matches_the_engine_on_canonical_text() {
        for n in 0..40usize {
            let bytes: Vec<u8> = (0..n as u8).map(|b| b.wrapping_mul(37)).collect();
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(strict_b64url_decode(&text), Some(bytes));
        }
        assert_eq!(strict_b64url_decode("AB"), None, "unused bits set");
        assert_eq!(strict_b64url_decode("AA=="), None, "padding");
        assert_eq!(strict_b64url_decode("AAAAA"), None, "4k+1");
        assert_eq!(strict_b64url_decode("AA+A"), None, "standard alphabet");
    }

    #[test]
    fn writer_split_of_the_model_fills_parts_in_order() {
        // "s" under 20 octets: 18 characters unchunked, 16 per cookie of several.
        assert_eq!(writer_part_lens("s", 20, 4, 0), Some(vec![0]));
        assert_eq!(writer_part_lens("s", 20, 4, 18), Some(vec![18]));
        assert_eq!(writer_part_lens("s", 20, 4, 19), Some(vec![16, 3]));
        assert_eq!(writer_part_lens("s", 20, 4, 33), Some(vec![16, 16, 1]));
        assert_eq!(writer_part_lens("s", 20, 4, 64), Some(vec![16, 16, 16, 16]));
        assert_eq!(writer_part_lens("s", 20, 4, 65), None);
        assert_eq!(writer_part_lens("s", 20, 2, 33), None);
    }

    #[test]
    fn varints_are_minimal_and_bounded() {
        assert_eq!(take_varint(&[0x00, 0xaa]), Some((0, &[0xaa][..])));
        assert_eq!(take_varint(&[0xe7, 0x07]), Some((999, &[][..])));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(take_varint(&max), Some((u64::MAX, &[][..])));
        for bad in [
            &[][..],
            &[0x80],
            &[0x80, 0x00],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        ] {
            assert_eq!(take_varint(bad), None, "{bad:02x?}");
        }
    }

    #[test]
    fn signed_payload_skips_the_fields_the_flags_announce() {
        let key_id = [1u8, 2, 3, 4];
        let tag = [0u8; 32];
        let stamps = [0x80, 0xa4, 0xa7, 0xda, 0x06, 0x00, 0x88, 0x0e];
        let body = |version: u8, fields: &[u8]| {
            let mut raw = vec![version];
            raw.extend_from_slice(&key_id);
            raw.extend_from_slice(&stamps);
            raw.extend_from_slice(fields);
            raw.extend_from_slice(&[0x2a]);
            raw.extend_from_slice(&tag);
            raw
        };
        let sid = [7u8; 16];
        let subject = [0x03, b'b', b'o', b'b'];
        let millis = [0xe7, 0x07];
        let all: Vec<u8> = [&millis[..], &sid, &subject].concat();
        for (version, fields) in [
            (0x81, &[][..]),
            (0xc1, &millis[..]),
            (0x91, &sid[..]),
            (0xa1, &subject[..]),
            (0xf1, &all[..]),
        ] {
            assert_eq!(
                signed_payload(&body(version, fields)),
                Some(&[0x2a][..]),
                "{version:#04x}"
            );
        }
        // Over 999, a non-minimal millisecond, a subject length of 0.
        assert_eq!(signed_payload(&body(0xc1, &[0xe8, 0x07])), None);
        assert_eq!(signed_payload(&body(0xc1, &[0x80, 0x00])), None);
        assert_eq!(signed_payload(&body(0xa1, &[0x00])), None);
    }

    #[test]
    fn varint_len_matches_leb128() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(1_800_000_000), 5);
        assert_eq!(varint_len(u64::MAX), 10);
    }
}
