//! The plaintext's fixed part (FORMAT.md, "Plaintext"): the three stamps, the creation
//! millisecond and the identity fields the version byte announces. What follows is the payload.

use super::{
    FLAG_CREATED_MILLIS, FLAG_SESSION_ID, FLAG_SUBJECT, MAX_VARINT_LEN, put_varint, take_varint,
};

/// Bytes of a session id.
pub(crate) const SESSION_ID_LEN: usize = 16;

/// The longest subject, in bytes.
pub(crate) const MAX_SUBJECT_LEN: usize = 64;

/// Appends the three stamps as FORMAT.md says: `created` absolute, then two non-negative deltas.
/// The caller guarantees `created <= issued <= expires`.
pub(crate) fn put_stamps(out: &mut Vec<u8>, created: u64, issued: u64, expires: u64) {
    // Encoded on the stack and appended once: one capacity check instead of one per byte.
    let mut buf = [0u8; 3 * MAX_VARINT_LEN];
    let mut len = 0;
    for v in [created, issued - created, expires - issued] {
        len += write_varint(&mut buf[len..], v);
    }
    out.extend_from_slice(&buf[..len]);
}

/// Writes `v` as LEB128 at the start of `out` (at least `varint_len(v)` bytes); returns its length.
fn write_varint(out: &mut [u8], mut v: u64) -> usize {
    if v < 0x80 {
        out[0] = v as u8;
        return 1;
    }
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// The stamps as numbers: `(created, issued, expires)`.
pub(crate) type RawStamps = (u64, u64, u64);

/// Reads the three stamps from the start of a plaintext. `None` if any varint is bad or a sum
/// overflows; the sums make `created <= issued <= expires`.
pub(crate) fn take_stamps(input: &[u8]) -> Option<(RawStamps, &[u8])> {
    let (created, rest) = take_varint(input)?;
    let (d_issued, rest) = take_varint(rest)?;
    let (d_expires, rest) = take_varint(rest)?;
    let issued = created.checked_add(d_issued)?;
    let expires = issued.checked_add(d_expires)?;
    Some(((created, issued, expires), rest))
}

/// Appends the millisecond of the creation second, when the value carries it (flag `0x40`).
pub(crate) fn put_created_millis(out: &mut Vec<u8>, millis: Option<u16>) {
    if let Some(ms) = millis {
        put_varint(out, u64::from(ms));
    }
}

/// Reads the creation millisecond if `flags` announces it. `None` if its varint is bad or over
/// 999; `Some((None, input))` when the flag is absent.
pub(crate) fn take_created_millis(flags: u8, input: &[u8]) -> Option<(Option<u16>, &[u8])> {
    if flags & FLAG_CREATED_MILLIS == 0 {
        return Some((None, input));
    }
    let (ms, rest) = take_varint(input)?;
    let ms = u16::try_from(ms).ok().filter(|&ms| ms < 1000)?;
    Some((Some(ms), rest))
}

/// Appends the identity fields: the session id's 16 bytes, then the subject after its length.
/// The subject must be 1 to [`MAX_SUBJECT_LEN`] bytes (the caller's type guarantees it).
pub(crate) fn put_identity(
    out: &mut Vec<u8>,
    id: Option<&[u8; SESSION_ID_LEN]>,
    subject: Option<&[u8]>,
) {
    if let Some(id) = id {
        out.extend_from_slice(id);
    }
    if let Some(subject) = subject {
        put_varint(out, subject.len() as u64);
        out.extend_from_slice(subject);
    }
}

/// The identity fields a plaintext carries after its stamps, as the version byte's `flags` say:
/// the session id's bytes and the subject's.
pub(crate) type Identity<'a> = (Option<[u8; SESSION_ID_LEN]>, Option<&'a [u8]>);

/// Reads the identity fields `flags` announces from the start of `input`. `None` if one is cut
/// short or a subject's length is 0 or over 64.
pub(crate) fn take_identity(flags: u8, input: &[u8]) -> Option<(Identity<'_>, &[u8])> {
    let mut rest = input;
    let id = if flags & FLAG_SESSION_ID != 0 {
        let (id, tail) = rest.split_first_chunk::<SESSION_ID_LEN>()?;
        rest = tail;
        Some(*id)
    } else {
        None
    };
    let subject = if flags & FLAG_SUBJECT != 0 {
        let (len, tail) = take_varint(rest)?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| (1..=MAX_SUBJECT_LEN).contains(l))?;
        let bytes = tail.get(..len)?;
        rest = &tail[len..];
        Some(bytes)
    } else {
        None
    };
    Some(((id, subject), rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::FLAGS_MASK;

    #[test]
    fn stamps_refuse_overflowing_sums() {
        let mut buf = Vec::new();
        put_varint(&mut buf, u64::MAX);
        put_varint(&mut buf, 1);
        put_varint(&mut buf, 0);
        assert!(take_stamps(&buf).is_none());
    }

    #[test]
    fn identity_fields_round_trip_under_every_flag_combination() {
        let id = [7; SESSION_ID_LEN];
        for len in [1, 2, 63, MAX_SUBJECT_LEN] {
            let subject = vec![b'u'; len];
            for flags in [0, FLAG_SESSION_ID, FLAG_SUBJECT, FLAGS_MASK] {
                let with_id = (flags & FLAG_SESSION_ID != 0).then_some(&id);
                let with_subject = (flags & FLAG_SUBJECT != 0).then_some(subject.as_slice());
                let mut buf = Vec::new();
                put_identity(&mut buf, with_id, with_subject);
                buf.push(0xAA);
                let ((got_id, got_subject), rest) = take_identity(flags, &buf).unwrap();
                assert_eq!(got_id.as_ref(), with_id);
                assert_eq!(got_subject, with_subject);
                assert_eq!(rest, [0xAA]);
            }
        }
    }

    #[test]
    fn the_creation_millisecond_round_trips_from_0_to_999_and_refuses_1000() {
        for ms in [0u16, 1, 127, 128, 999] {
            let mut buf = Vec::new();
            put_created_millis(&mut buf, Some(ms));
            buf.push(0xAA);
            assert_eq!(
                take_created_millis(FLAG_CREATED_MILLIS, &buf),
                Some((Some(ms), &[0xAA][..]))
            );
        }
        let mut buf = Vec::new();
        put_varint(&mut buf, 1000);
        assert!(take_created_millis(FLAG_CREATED_MILLIS, &buf).is_none());
        assert!(take_created_millis(FLAG_CREATED_MILLIS, &[]).is_none());
        // Without the flag it takes no byte.
        assert_eq!(take_created_millis(0, &[7]), Some((None, &[7][..])));
    }

    #[test]
    fn absent_identity_fields_cost_no_byte() {
        let mut buf = Vec::new();
        put_identity(&mut buf, None, None);
        assert!(buf.is_empty());
        assert_eq!(
            take_identity(0, b"payload"),
            Some(((None, None), &b"payload"[..]))
        );
    }

    #[test]
    fn malformed_identity_fields_are_refused() {
        // A session id cut short, at every length.
        for len in 0..SESSION_ID_LEN {
            assert!(
                take_identity(FLAG_SESSION_ID, &vec![1; len]).is_none(),
                "{len}"
            );
        }
        // A subject of length 0, of 65, or cut short; a length that is not a canonical varint.
        assert!(take_identity(FLAG_SUBJECT, &[0]).is_none());
        let mut long = vec![65];
        long.extend([b'u'; 65]);
        assert!(take_identity(FLAG_SUBJECT, &long).is_none());
        assert!(take_identity(FLAG_SUBJECT, &[3, b'a', b'b']).is_none());
        assert!(take_identity(FLAG_SUBJECT, &[0x81, 0x00, b'a']).is_none());
        assert!(take_identity(FLAG_SUBJECT, &[]).is_none());
    }
}
