//! The one seal path and the one open path, for every suite and both modes (FORMAT.md,
//! "Writing" and "Opening, in this order"). A suite contributes only its version byte, its sizes
//! and protect/unprotect; everything else happens here, once.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::Context;
use super::identity::{Envelope, SessionId, Subject};
use super::inspection::Inspection;
use super::outcome::{Opened, RenewalReason, Sealed};
use super::sink::Sink;
use super::stamps::Stamps;
use crate::error::{CodecError, Malformed, OpenError, SealError};
use crate::format::{
    self, FLAG_CREATED_MILLIS, FLAG_SESSION_ID, FLAG_SUBJECT, FLAGS_MASK, HEADER_LEN,
};
use crate::key::{KEY_ID_LEN, KeyId};
use crate::scratch::{self, WipeOnDrop, WipeOnUnwind};
use crate::suite::{CipherSuite, Under};

// Associated data fits on the stack up to this length: every cookie name and purpose of
// ordinary length. Longer ones take a heap buffer; the stack one is zeroed on every call, so it
// is kept small.
const AAD_STACK: usize = 64;

/// Seals one cookie's value and applies the size rule to it.
pub(crate) fn seal_one<T: Serialize + ?Sized>(
    ctx: &Context,
    state: &T,
    envelope: Envelope,
) -> Result<Sealed, SealError> {
    let value = seal_value(ctx, state, &envelope, ctx.max_value_len())?;
    // The size check, on the value exactly as the browser will receive it.
    ctx.check_size(&value)?;
    Ok(Sealed { value, envelope })
}

/// Seals into an encoded value with no size check (the caller checks). `max_value_len` only
/// sizes the buffer: any value up to it is built without reallocating.
pub(crate) fn seal_value<T: Serialize + ?Sized>(
    ctx: &Context,
    state: &T,
    envelope: &Envelope,
    max_value_len: usize,
) -> Result<String, SealError> {
    let suite = ctx.suite;
    let ring = ctx.keys.snapshot();
    let key = ring.primary_at(envelope.stamps.issued());
    let version = suite.version() | flags(envelope);
    let body_at = HEADER_LEN + suite.nonce_len();
    let tag_len = suite.tag_len();

    // One buffer for the whole value; the plaintext is protected in place.
    scratch::with_scratch(format::max_bytes_in_base64(max_value_len), |raw| {
        // A panic in the state's own `Serialize` leaves the scope here: wipe what it wrote.
        let raw = WipeOnUnwind(raw);
        raw.0.push(version);
        raw.0.extend_from_slice(&key.id.0);
        raw.0.resize(body_at, 0);
        ctx.fill_random(&mut raw.0[HEADER_LEN..body_at])?;
        let s = &envelope.stamps;
        format::put_stamps(raw.0, s.created(), s.issued(), s.expires());
        format::put_created_millis(raw.0, s.created_millis());
        format::put_identity(
            raw.0,
            envelope.session_id.as_ref().map(SessionId::as_bytes),
            envelope.subject.as_ref().map(Subject::as_bytes),
        );
        if let Err(e) = Sink(raw.0).serialize(state) {
            scratch::wipe(raw.0);
            return Err(SealError::Serialize(CodecError::postcard(e)));
        }
        let body_end = raw.0.len();
        scratch::reserve_wiping(raw.0, tag_len);
        raw.0.resize(body_end + tag_len, 0);
        let (head, tag) = raw.0.split_at_mut(body_end);
        let (header, body) = head.split_at_mut(body_at);
        let protected = with_aad(ctx, version, key.id, |aad| {
            let under = Under::new(&key.suites, &header[HEADER_LEN..], aad);
            suite.protect(under, body, tag)
        });
        // Counted whether or not the value is used: the nonce is spent either way.
        key.seals.add();
        if protected.is_err() {
            // Only a plaintext over 2^36 bytes makes AES-GCM refuse: far over any limit.
            let size = ctx.name.len() + 1 + format::base64_len(raw.0.len());
            scratch::wipe(raw.0);
            return Err(SealError::TooLarge {
                size,
                limit: ctx.limit,
            });
        }
        let value = crate::b64::encode(raw.0);
        if !suite.confidential() {
            // A signed body is public, but a reused buffer should not carry old states around.
            scratch::wipe(raw.0);
        }
        Ok(value)
    })
}

/// The identity flags of the version byte for what `envelope` carries.
fn flags(envelope: &Envelope) -> u8 {
    let id = if envelope.session_id.is_some() {
        FLAG_SESSION_ID
    } else {
        0
    };
    let subject = if envelope.subject.is_some() {
        FLAG_SUBJECT
    } else {
        0
    };
    let millis = if envelope.stamps.created_millis().is_some() {
        FLAG_CREATED_MILLIS
    } else {
        0
    };
    id | subject | millis
}

/// Runs `f` with the associated data: version || key id || len-prefixed name || len-prefixed
/// purpose (FORMAT.md). On the stack unless the name and purpose are unusually long.
fn with_aad<R>(ctx: &Context, version: u8, id: KeyId, f: impl FnOnce(&[u8]) -> R) -> R {
    let suffix = &ctx.aad_suffix;
    let len = HEADER_LEN + suffix.len();
    let mut stack = [0u8; AAD_STACK];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if len <= AAD_STACK {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    buf[0] = version;
    buf[1..HEADER_LEN].copy_from_slice(&id.0);
    buf[HEADER_LEN..].copy_from_slice(suffix);
    f(buf)
}

/// Opens a value of at most `max` characters (more than one cookie's worth when chunked).
///
/// The order is FORMAT.md's: bound the length, decode, read the version byte and pick its suite
/// among the mode's, find the key by id, authenticate, then read the stamps and identity, check
/// them, and deserialize.
pub(crate) fn open<T: DeserializeOwned>(
    ctx: &Context,
    value: &str,
    max: usize,
) -> Result<Opened<T>, OpenError> {
    with_authentic(ctx, value, max, |a| {
        finish_open(ctx, a.version, a.suite, a.body, a.from_primary, a.now)
    })
}

/// Opens a value as far as authentication, and reports what it holds and whether opening would
/// accept it now, without a type for the state.
pub(crate) fn inspect(ctx: &Context, value: &str, max: usize) -> Result<Inspection, OpenError> {
    with_authentic(ctx, value, max, |a| {
        let ((created, issued, expires), rest) =
            format::take_stamps(a.body).ok_or(OpenError::Malformed(Malformed::Stamps))?;
        let (stamps, rest) = authentic_stamps(a.version, created, issued, expires, rest)?;
        let ((id, subject), payload) = format::take_identity(a.version & FLAGS_MASK, rest)
            .ok_or(OpenError::Malformed(Malformed::Identity))?;
        let subject = match subject {
            Some(bytes) => {
                Some(Subject::new(bytes).map_err(|_| OpenError::Malformed(Malformed::Identity))?)
            }
            None => None,
        };
        let session_id = id.map(SessionId::from_bytes);
        let verdict = if ctx.session_ids && session_id.is_none() {
            Err(OpenError::MissingSessionId)
        } else {
            ctx.policy.check(&stamps, a.now)
        };
        Ok(Inspection {
            version: a.version,
            suite: a.suite.suite(),
            key_id: a.key_id,
            stamps,
            session_id,
            subject,
            payload: zeroize::Zeroizing::new(payload.to_vec()),
            from_primary: a.from_primary,
            valid_until: ctx.policy.valid_until(&stamps),
            verdict,
            inspected_at: a.now,
        })
    })
}

/// The stamps of an authentic plaintext, with the creation millisecond if the version byte
/// announces it, and the rest of the plaintext after them.
fn authentic_stamps(
    version: u8,
    created: u64,
    issued: u64,
    expires: u64,
    rest: &[u8],
) -> Result<(Stamps, &[u8]), OpenError> {
    let malformed = OpenError::Malformed(Malformed::Stamps);
    let stamps = Stamps::new(created, issued, expires).ok_or(malformed.clone())?;
    match format::take_created_millis(version, rest).ok_or(malformed.clone())? {
        (Some(ms), rest) => Ok((stamps.with_created_millis(ms).ok_or(malformed)?, rest)),
        (None, rest) => Ok((stamps, rest)),
    }
}

/// What authentication established about a value, for the steps after it.
struct Authentic<'a> {
    version: u8,
    suite: &'a dyn CipherSuite,
    key_id: KeyId,
    /// The authenticated plaintext: stamps, identity, payload.
    body: &'a [u8],
    from_primary: bool,
    now: u64,
}

/// Bounds, decodes and authenticates `value`, then runs `then` on the authentic plaintext (in
/// a scratch buffer wiped afterwards).
fn with_authentic<R>(
    ctx: &Context,
    value: &str,
    max: usize,
    then: impl FnOnce(Authentic<'_>) -> Result<R, OpenError>,
) -> Result<R, OpenError> {
    if value.len() > max {
        return Err(OpenError::Oversized {
            len: value.len(),
            max,
        });
    }
    if value.len() < format::base64_len(ctx.mode.min_len()) {
        return Err(OpenError::Malformed(Malformed::TooShort));
    }
    scratch::with_scratch(format::max_bytes_in_base64(value.len()), |raw| {
        let raw = WipeOnDrop(raw);
        if !crate::b64::decode_into(value, raw.0) {
            return Err(OpenError::Malformed(Malformed::Encoding));
        }
        let authentic = authenticate(ctx, raw.0)?;
        then(authentic)
    })
}

fn authenticate<'a>(ctx: &'a Context, raw: &'a mut [u8]) -> Result<Authentic<'a>, OpenError> {
    let version = *raw
        .first()
        .ok_or(OpenError::Malformed(Malformed::TooShort))?;
    let suite = ctx
        .mode
        .suite_for(version)
        .ok_or(OpenError::UnsupportedVersion(version))?;
    if raw.len() < suite.min_len() {
        return Err(OpenError::Malformed(Malformed::TooShort));
    }
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&raw[1..HEADER_LEN]);
    let id = KeyId(id);
    let (header, rest) = raw.split_at_mut(HEADER_LEN + suite.nonce_len());
    let (body, tag) = rest.split_at_mut(rest.len() - suite.tag_len());
    let now = ctx.now();
    let from_primary = {
        let ring = ctx.keys.snapshot();
        let key = ring.get(id).ok_or(OpenError::UnknownKey(id))?;
        with_aad(ctx, version, id, |aad| {
            let under = Under::new(&key.suites, &header[HEADER_LEN..], aad);
            suite.unprotect(under, body, tag)
        })
        .map_err(|_| OpenError::Authentication)?;
        ring.primary_at(now).id == id
    };
    // Authentic from here on: only now are the stamps and identity read and judged.
    Ok(Authentic {
        version,
        suite,
        key_id: id,
        body,
        from_primary,
        now,
    })
}

/// The part of opening after authentication: read and judge the stamps and identity, then
/// deserialize the state and refuse leftover bytes.
fn finish_open<T: DeserializeOwned>(
    ctx: &Context,
    version: u8,
    suite: &dyn CipherSuite,
    body: &[u8],
    from_primary: bool,
    now: u64,
) -> Result<Opened<T>, OpenError> {
    let ((created, issued, expires), rest) =
        format::take_stamps(body).ok_or(OpenError::Malformed(Malformed::Stamps))?;
    let (stamps, rest) = authentic_stamps(version, created, issued, expires, rest)?;
    let ((id, subject), payload) = format::take_identity(version & FLAGS_MASK, rest)
        .ok_or(OpenError::Malformed(Malformed::Identity))?;
    let session_id = id.map(SessionId::from_bytes);
    let subject = match subject {
        Some(bytes) => {
            Some(Subject::new(bytes).map_err(|_| OpenError::Malformed(Malformed::Identity))?)
        }
        None => None,
    };
    if ctx.session_ids && session_id.is_none() {
        return Err(OpenError::MissingSessionId);
    }
    ctx.policy.check(&stamps, now)?;
    let (state, rest) = postcard::take_from_bytes::<T>(payload)
        .map_err(|e| OpenError::Deserialize(CodecError::postcard(e)))?;
    if !rest.is_empty() {
        return Err(OpenError::Deserialize(CodecError::trailing(rest.len())));
    }
    let renewal = if !from_primary {
        Some(RenewalReason::OldKey)
    } else if suite.suite() != ctx.suite.suite() {
        Some(RenewalReason::OldSuite)
    } else if ctx.policy.renewal_due(&stamps, now) {
        Some(RenewalReason::Due)
    } else {
        None
    };
    Ok(Opened {
        state,
        stamps,
        session_id,
        subject,
        renewal,
        opened_at: now,
        valid_until: ctx.policy.valid_until(&stamps),
    })
}

#[cfg(test)]
mod tests {
    use serde::ser::{Error as _, SerializeTuple, Serializer};

    use crate::{Key, KeyRing, Sealer};

    /// A state whose `Serialize` writes a secret and then panics, or fails.
    struct Halfway {
        panic: bool,
    }

    const SECRET: [u8; 12] = *b"TOP-SECRET!!";

    impl serde::Serialize for Halfway {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut t = s.serialize_tuple(SECRET.len() + 1)?;
            for b in SECRET {
                t.serialize_element(&b)?;
            }
            if self.panic {
                panic!("the state's own Serialize panicked");
            }
            Err(S::Error::custom("the state's own Serialize failed"))
        }
    }

    fn sealer() -> Sealer {
        Sealer::builder(KeyRing::new(Key::generate().unwrap()), "s")
            .build()
            .unwrap()
    }

    #[test]
    fn a_panic_in_the_states_serialize_leaves_no_plaintext_in_the_scratch_buffer() {
        let sealer = sealer();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sealer.seal(&Halfway { panic: true })
        }));
        assert!(caught.is_err(), "the panic propagates to the caller");
        let left = crate::scratch::retained();
        assert!(
            !left.windows(SECRET.len()).any(|w| w == SECRET),
            "plaintext left behind: {left:?}"
        );
        assert!(left.is_empty());
        // The thread's buffer still works afterwards.
        let sealed = sealer.seal(&7u8).unwrap();
        assert_eq!(sealer.open::<u8>(sealed.value()).unwrap().state, 7);
    }

    #[test]
    fn an_error_in_the_states_serialize_leaves_no_plaintext_in_the_scratch_buffer() {
        let sealer = sealer();
        assert!(sealer.seal(&Halfway { panic: false }).is_err());
        assert!(crate::scratch::retained().is_empty());
    }

    #[test]
    fn a_confidential_seal_leaves_only_ciphertext_in_the_scratch_buffer() {
        let sealer = sealer();
        let _ = sealer.seal(&SECRET).unwrap();
        let left = crate::scratch::retained();
        assert!(!left.windows(SECRET.len()).any(|w| w == SECRET));
    }
}
