//! The cookie layer's error: why a request's `Cookie` header gave no session. Writing a cookie
//! fails with the session's [`WriteError`](crate::WriteError), its configuration with the crate's
//! one [`ConfigError`](crate::ConfigError).

use std::fmt;

use crate::error::OpenError;

/// Why the session cookie in a request's `Cookie` header gave no session
/// ([`Refusal::Cookie`](crate::Refusal::Cookie)). Every variant means "no session": the handler
/// sees none, and the end of the request deletes each of the session's cookie names the request
/// carried.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieReadError {
    /// The value (or the joined chunks) did not open; treat as "no valid session".
    Open(OpenError),
    /// The `Cookie` header is longer than [`MAX_COOKIE_HEADER_LEN`](crate::MAX_COOKIE_HEADER_LEN);
    /// nothing in it was read.
    HeaderTooLong {
        /// The header's length in bytes.
        len: usize,
        /// The longest header read.
        max: usize,
    },
    /// The header holds the session cookie (chunk 0) or one of its chunks more than once: a
    /// cookie for another path or a sibling domain shadows it (cookie tossing). Refused rather
    /// than guessing which one is genuine; a `__Host-` name prevents it.
    DuplicateCookie {
        /// The chunk index (0: the cookie itself).
        chunk: usize,
    },
    /// A chunk the first cookie announces is absent (or, for index 0, chunks came without the
    /// first cookie).
    MissingChunk {
        /// The missing chunk's index.
        chunk: usize,
    },
    /// A chunk beyond the announced count, or beyond the configured maximum, is present.
    UnexpectedChunk {
        /// The unexpected chunk's index.
        chunk: usize,
    },
    /// The first cookie's chunk count is not a canonical number from 2 to the configured maximum.
    MalformedChunkCount,
    /// The chunks are complete, but they are not the one split a writer makes of their joined
    /// value (FORMAT.md, "Chunked cookies"): a value that fits one cookie sent chunked, more
    /// chunks than the value needs, or a part other than the last not filled to exactly its room
    /// under the size limit (a shifted boundary, an empty middle or last part). Each value has
    /// exactly one accepted cookie set. Refused before decoding, from the parts' lengths alone;
    /// treat as "no valid session".
    NonCanonicalChunks,
}

impl fmt::Display for CookieReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open(e) => e.fmt(f),
            Self::HeaderTooLong { len, max } => {
                write!(f, "the Cookie header is {len} bytes long, more than {max}")
            }
            Self::DuplicateCookie { chunk } => {
                write!(
                    f,
                    "the session cookie (chunk {chunk}) was sent more than once"
                )
            }
            Self::MissingChunk { chunk } => write!(f, "session cookie chunk {chunk} is missing"),
            Self::UnexpectedChunk { chunk } => {
                write!(f, "session cookie chunk {chunk} was not expected")
            }
            Self::MalformedChunkCount => {
                f.write_str("the session cookie's chunk count is malformed")
            }
            Self::NonCanonicalChunks => {
                f.write_str("the session cookie's chunks are not split as a writer splits them")
            }
        }
    }
}

impl std::error::Error for CookieReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open(e) => Some(e),
            _ => None,
        }
    }
}

crate::error_debug::debug_as_display!(CookieReadError);

impl From<OpenError> for CookieReadError {
    fn from(e: OpenError) -> Self {
        Self::Open(e)
    }
}
