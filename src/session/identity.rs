//! The identity a value may carry besides its state: a random session id and the application's
//! subject (FORMAT.md, "Plaintext"). Both are sealed with the state, checked only after
//! authentication, and take no byte when absent.

use std::fmt;

use super::Stamps;
use crate::format;

/// Bytes of a [`SessionId`].
pub const SESSION_ID_LEN: usize = format::SESSION_ID_LEN;

/// The longest [`Subject`], in bytes.
pub const MAX_SUBJECT_LEN: usize = format::MAX_SUBJECT_LEN;

/// A 128-bit random id naming one session, drawn when the session begins and kept by renewals.
/// Revocation lists and server-side stores key on it. Shown as 32 lowercase hex digits.
///
/// It is not a credential (the sealed value is), but it is as stable as the session: log it only
/// where the session's logs may go.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; SESSION_ID_LEN]);

impl SessionId {
    /// The id's bytes, as they are sealed.
    pub fn as_bytes(&self) -> &[u8; SESSION_ID_LEN] {
        &self.0
    }

    /// An id from its bytes (for example one read back from a store).
    pub fn from_bytes(bytes: [u8; SESSION_ID_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 2 * SESSION_ID_LEN];
        let hex = base16ct::lower::encode_str(&self.0, &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(hex)
    }
}

/// Appends `bytes` to `out` in lowercase hex (store keys are built on every request that asks
/// the store: one call, not a formatter per byte).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    // A chunk of half the buffer fills at most all of it: encoding never fails.
    for chunk in bytes.chunks(buf.len() / 2) {
        if let Ok(hex) = base16ct::lower::encode_str(chunk, &mut buf) {
            out.push_str(hex);
        }
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// The application's identifier of the user a session belongs to (a user id, an account
/// number): 1 to [`MAX_SUBJECT_LEN`] bytes, sealed with the state so that every session of one
/// user can be found and revoked together ("log out everywhere").
///
/// ```
/// use sealed_session::Subject;
///
/// let alice = Subject::new("user-42")?;
/// assert_eq!(alice.as_bytes(), b"user-42");
/// assert!(Subject::new("").is_err());
/// # Ok::<(), sealed_session::SubjectError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subject {
    len: u8,
    // Inline, so that opening a value with a subject allocates nothing for it.
    bytes: [u8; MAX_SUBJECT_LEN],
}

impl Subject {
    /// A subject of 1 to 64 bytes.
    ///
    /// # Errors
    /// [`SubjectError`] if `bytes` is empty or longer than [`MAX_SUBJECT_LEN`].
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, SubjectError> {
        let bytes = bytes.as_ref();
        let len = bytes.len();
        if !(1..=MAX_SUBJECT_LEN).contains(&len) {
            return Err(SubjectError { len });
        }
        let mut out = [0u8; MAX_SUBJECT_LEN];
        out[..len].copy_from_slice(bytes);
        Ok(Self {
            len: len as u8,
            bytes: out,
        })
    }

    /// The subject's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The subject as text, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => f.debug_tuple("Subject").field(&text).finish(),
            None => f.debug_tuple("Subject").field(&self.as_bytes()).finish(),
        }
    }
}

/// A [`Subject`] was empty or longer than [`MAX_SUBJECT_LEN`] bytes. Use a shorter identifier
/// (a numeric user id or a UUID fits).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectError {
    /// The length that was given.
    pub len: usize,
}

impl fmt::Display for SubjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a subject is 1 to {MAX_SUBJECT_LEN} bytes, got {}",
            self.len
        )
    }
}

impl std::error::Error for SubjectError {}

crate::error_debug::debug_as_display!(SubjectError);

/// What a value carries besides the state: its stamps, and its session id and subject when it
/// has them. Only the crate makes one, from a value it sealed or opened, so that a renewal can
/// keep nothing but what was authentic ([`Sealer::renew`](crate::Sealer::renew)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub(crate) stamps: Stamps,
    pub(crate) session_id: Option<SessionId>,
    pub(crate) subject: Option<Subject>,
}

impl Envelope {
    /// The authenticated time stamps.
    pub fn stamps(&self) -> &Stamps {
        &self.stamps
    }

    /// The session id, if the value carries one.
    pub fn session_id(&self) -> Option<SessionId> {
        self.session_id
    }

    /// The subject, if the value carries one.
    pub fn subject(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_hex_writes_every_byte_in_lowercase_across_its_chunks() {
        for len in [0, 1, 31, 32, 33, 64, 65] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let mut out = String::from("prefix:");
            push_hex(&mut out, &bytes);
            let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(out, format!("prefix:{expected}"), "{len} bytes");
        }
    }
}
