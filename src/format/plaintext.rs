//! The plaintext's fixed part (FORMAT.md, "Plaintext"): the three stamps, then the identity
//! fields the version byte announces. What follows is the payload.

use super::{FLAG_SESSION_ID, FLAG_SUBJECT, MAX_VARINT_LEN, put_varint, take_varint};
use crate::session::{MAX_SUBJECT_LEN, SESSION_ID_LEN, SessionId, Stamps, Subject};

/// Appends the three stamps as FORMAT.md says: `created` absolute, then two non-negative deltas.
/// `Stamps` guarantees `created <= issued <= expires`.
pub(crate) fn put_stamps(out: &mut Vec<u8>, s: &Stamps) {
    // Encoded on the stack and appended once: one capacity check instead of one per byte.
    let mut buf = [0u8; 3 * MAX_VARINT_LEN];
    let mut len = 0;
    for v in [
        s.created(),
        s.issued() - s.created(),
        s.expires() - s.issued(),
    ] {
        len += write_varint(&mut buf[len..], v);
    }
    out.extend_from_slice(&buf[..len]);
}

/// Writes `v` as LEB128 at the start of `out` (at least `varint_len(v)` bytes); returns its length.
fn write_varint(out: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// Reads the three stamps from the start of a plaintext. `None` if any varint is bad or a sum
/// overflows.
pub(crate) fn take_stamps(input: &[u8]) -> Option<(Stamps, &[u8])> {
    let (created, rest) = take_varint(input)?;
    let (d_issued, rest) = take_varint(rest)?;
    let (d_expires, rest) = take_varint(rest)?;
    let issued = created.checked_add(d_issued)?;
    let expires = issued.checked_add(d_expires)?;
    Some((Stamps::new(created, issued, expires)?, rest))
}

/// Appends the identity fields: the session id's 16 bytes, then the subject after its length.
pub(crate) fn put_identity(out: &mut Vec<u8>, id: Option<&SessionId>, subject: Option<&Subject>) {
    if let Some(id) = id {
        out.extend_from_slice(id.as_bytes());
    }
    if let Some(subject) = subject {
        put_varint(out, subject.as_bytes().len() as u64);
        out.extend_from_slice(subject.as_bytes());
    }
}

/// The identity fields a plaintext carries after its stamps, as the version byte's `flags` say.
pub(crate) type Identity = (Option<SessionId>, Option<Subject>);

/// Reads the identity fields `flags` announces from the start of `input`. `None` if one is cut
/// short or a subject's length is 0 or over 64.
pub(crate) fn take_identity(flags: u8, input: &[u8]) -> Option<(Identity, &[u8])> {
    let mut rest = input;
    let id = if flags & FLAG_SESSION_ID != 0 {
        let (id, tail) = rest.split_first_chunk::<SESSION_ID_LEN>()?;
        rest = tail;
        Some(SessionId::from_bytes(*id))
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
        Some(Subject::new(bytes).ok()?)
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
        let id = SessionId::from_bytes([7; SESSION_ID_LEN]);
        for len in [1, 2, 63, MAX_SUBJECT_LEN] {
            let subject = Subject::new(vec![b'u'; len]).unwrap();
            for flags in [0, FLAG_SESSION_ID, FLAG_SUBJECT, FLAGS_MASK] {
                let with_id = (flags & FLAG_SESSION_ID != 0).then_some(&id);
                let with_subject = (flags & FLAG_SUBJECT != 0).then_some(&subject);
                let mut buf = Vec::new();
                put_identity(&mut buf, with_id, with_subject);
                buf.push(0xAA);
                let ((got_id, got_subject), rest) = take_identity(flags, &buf).unwrap();
                assert_eq!(got_id.as_ref(), with_id);
                assert_eq!(got_subject.as_ref(), with_subject);
                assert_eq!(rest, [0xAA]);
            }
        }
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
