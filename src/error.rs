//! Typed errors. Every variant says when it happens and what a caller should do about it.
//!
//! None of them carries secret material: key bytes, plaintext and tags never reach a `Display` or
//! `Debug` output. A key id is public (it travels in every sealed value) and may appear.

use std::fmt;
use std::time::Duration;

use crate::error_debug::debug_as_display;
use crate::key::KeyId;

/// Why a configuration was refused, by the step that checks it: a sealer's or signer's
/// ([`Builder`](crate::Builder)'s `build`), a cookie's
/// ([`SessionCookie::sealed`](crate::SessionCookie::sealed),
/// [`SessionCookie::signed`](crate::SessionCookie::signed),
/// [`CookieOptions::validate`](crate::CookieOptions::validate)) or a request driver's
/// ([`DriverBuilder::build`](crate::web::DriverBuilder::build)). Setters never fail: each
/// configuration is checked once, whole. Fix the configuration: none of these depends on a
/// request.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or holds a character outside an RFC 6265 `token`
    /// (controls, space, and `( ) < > @ , ; : \ " / [ ] ? = { }` are refused).
    InvalidCookieName,
    /// The purpose is longer than [`MAX_PURPOSE_LEN`](crate::MAX_PURPOSE_LEN) bytes.
    PurposeTooLong {
        /// The purpose's length in bytes.
        len: usize,
        /// The longest purpose accepted.
        max: usize,
    },
    /// A lifetime is zero, or the idle timeout is longer than the absolute lifetime.
    InvalidLifetimes,
    /// A lifetime, the leeway or the renewal interval is not a whole number of seconds. Stamps
    /// count whole seconds, and rounding would silently change the setting: give whole seconds.
    NotWholeSeconds {
        /// The builder method that was given it (`"idle_timeout"`, `"leeway"`, ...).
        setting: &'static str,
        /// The duration that was given.
        duration: Duration,
    },
    /// The leeway is longer than [`MAX_LEEWAY`](crate::MAX_LEEWAY): every second of
    /// leeway is a second more validity for every value (including stolen ones). Fix the clocks
    /// instead.
    LeewayTooLong {
        /// The leeway asked for.
        leeway: Duration,
        /// The longest leeway accepted.
        max: Duration,
    },
    /// The size limit is above [`BROWSER_COOKIE_LIMIT`](crate::BROWSER_COOKIE_LIMIT) (browsers drop such
    /// cookies), or so small that not even an empty payload fits next to the cookie name.
    InvalidSizeLimit {
        /// The limit that was asked for.
        limit: usize,
    },
    /// The sealer's sessions can outlive what its key ring promises: its absolute lifetime plus
    /// its leeway is longer than the ring's
    /// [`max_session_lifetime`](crate::KeyRing::max_session_lifetime), the bound of the
    /// key-ring file the ring was loaded from (KEYS.md). `ring retire` relies on that bound to
    /// know when every cookie of an old key has expired, so it could drop a key while this
    /// sealer's sessions still need it, logging those users out early. Raise
    /// `max_session_lifetime` in the file to at least `lifetime` and reload it, or shorten the
    /// absolute lifetime or the leeway. A ring built in code has no bound.
    LifetimeExceedsKeyRing {
        /// The sealer's absolute lifetime plus its leeway.
        lifetime: Duration,
        /// The key ring's `max_session_lifetime`.
        max: Duration,
    },
    /// A request driver was given revocations for a cookie whose sealer does not put a session id
    /// in its values: the check needs an id in every value. Build the sealer with
    /// `session_ids(true)`.
    RevocationsNeedSessionIds,
    /// A request driver was given server-side sessions for a cookie whose sealer does not put a
    /// session id in its values: the state is kept under that id. Build the sealer (or signer)
    /// with `session_ids(true)`.
    ServerSideNeedsSessionIds,
    /// [`CookieOptions::max_chunks`](crate::CookieOptions::max_chunks) was given 0 or more than
    /// [`MAX_CHUNKS`](crate::MAX_CHUNKS).
    InvalidChunkCount {
        /// The count asked for.
        max: usize,
    },
    /// A `__Host-` cookie without `Secure` (browsers reject it).
    HostPrefixWithoutSecure,
    /// A `__Host-` cookie with a `Domain` attribute (browsers reject it).
    HostPrefixWithDomain,
    /// A `__Host-` cookie with a `Path` other than `/` (browsers reject it).
    HostPrefixWithPath,
    /// A `__Secure-` cookie without `Secure` (browsers reject it).
    SecurePrefixWithoutSecure,
    /// `SameSite=None` without `Secure` (browsers reject it).
    SameSiteNoneWithoutSecure,
    /// An attribute value holds a control character or `;`, or is otherwise invalid (a `Path`
    /// that does not start with `/`, an empty `Domain`).
    InvalidAttribute {
        /// The attribute's name, as in `Set-Cookie`.
        attribute: &'static str,
    },
    /// An attribute value is longer than 1024 octets (browsers ignore it).
    AttributeTooLong {
        /// The attribute's name, as in `Set-Cookie`.
        attribute: &'static str,
        /// Its length in octets.
        len: usize,
        /// The most allowed.
        max: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCookieName => {
                f.write_str("the cookie name is empty or not an RFC 6265 token")
            }
            Self::PurposeTooLong { len, max } => {
                write!(f, "the purpose is {len} bytes long, more than {max}")
            }
            Self::InvalidLifetimes => f.write_str(
                "lifetimes must be non-zero and the idle timeout no longer than the absolute lifetime",
            ),
            Self::NotWholeSeconds { setting, duration } => {
                write!(f, "{setting} of {duration:?} is not a whole number of seconds")
            }
            Self::LeewayTooLong { leeway, max } => {
                write!(f, "a leeway of {leeway:?} is longer than the maximum of {max:?}")
            }
            Self::InvalidSizeLimit { limit } => write!(
                f,
                "size limit {limit} is above the browser limit or too small for any sealed value"
            ),
            Self::LifetimeExceedsKeyRing { lifetime, max } => write!(
                f,
                "sessions live up to {lifetime:?} (absolute lifetime plus leeway), longer than the \
                 key ring's max_session_lifetime of {max:?}, so retiring a key could log users out \
                 early: raise max_session_lifetime in the key-ring file, or shorten the lifetime"
            ),
            Self::RevocationsNeedSessionIds => f.write_str(
                "revocations need session ids in every value: build the sealer with session_ids(true)",
            ),
            Self::ServerSideNeedsSessionIds => f.write_str(
                "server-side sessions need session ids in every value: build the sealer with session_ids(true)",
            ),
            Self::InvalidChunkCount { max } => {
                write!(f, "chunk count {max} is not between 1 and the maximum")
            }
            Self::HostPrefixWithoutSecure => f.write_str("a __Host- cookie must be Secure"),
            Self::HostPrefixWithDomain => f.write_str("a __Host- cookie must not have a Domain"),
            Self::HostPrefixWithPath => f.write_str("a __Host- cookie must have Path=/"),
            Self::SecurePrefixWithoutSecure => f.write_str("a __Secure- cookie must be Secure"),
            Self::SameSiteNoneWithoutSecure => f.write_str("SameSite=None requires Secure"),
            Self::InvalidAttribute { attribute } => {
                write!(f, "the {attribute} attribute is invalid")
            }
            Self::AttributeTooLong {
                attribute,
                len,
                max,
            } => write!(
                f,
                "the {attribute} attribute is {len} octets long, more than {max}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// An error from `postcard` while turning the state into bytes or back. Opaque so that the crate's
/// public API does not depend on postcard's error type; [`std::error::Error::source`] reaches it.
#[derive(Clone, PartialEq, Eq)]
pub struct CodecError(CodecErrorKind);

#[derive(Debug, Clone, PartialEq, Eq)]
enum CodecErrorKind {
    Postcard(postcard::Error),
    TrailingBytes(usize),
}

impl CodecError {
    pub(crate) fn postcard(e: postcard::Error) -> Self {
        Self(CodecErrorKind::Postcard(e))
    }

    pub(crate) fn trailing(n: usize) -> Self {
        Self(CodecErrorKind::TrailingBytes(n))
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            CodecErrorKind::Postcard(e) => write!(f, "postcard: {e}"),
            CodecErrorKind::TrailingBytes(n) => {
                write!(f, "{n} bytes left over after the state was read")
            }
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            CodecErrorKind::Postcard(e) => Some(e),
            CodecErrorKind::TrailingBytes(_) => None,
        }
    }
}

/// Why [`Sealer::seal`](crate::Sealer::seal) or [`Sealer::renew`](crate::Sealer::renew) produced no value.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The cookie would be larger than the limit, counted as the browser counts it: cookie name,
    /// `=`, and the final encoded value. Nothing was emitted. Store less in the session (see
    /// [`Sealer::max_payload_len`](crate::Sealer::max_payload_len)) or keep the data server-side.
    TooLarge {
        /// Octets of `name=value` the cookie would have had.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The state could not be serialized with postcard (for example a `serde` impl returned an
    /// error, or a map or sequence of unknown length was given).
    Serialize(CodecError),
    /// [`Sealer::renew`](crate::Sealer::renew) was asked to renew a session that has expired:
    /// its absolute lifetime has ended, or its idle timeout passed before the renewal. Start a new
    /// session (log the user in again).
    Expired {
        /// When the session expired, in seconds since the Unix epoch.
        expired_at: u64,
    },
    /// The operating system's random number generator failed while seeding the nonce generator.
    Random,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => write!(
                f,
                "the cookie would be {size} octets, over the limit of {limit}; browsers drop it"
            ),
            Self::Serialize(e) => write!(f, "the session state could not be serialized: {e}"),
            Self::Expired { expired_at } => write!(
                f,
                "the session expired at {expired_at}; it cannot be renewed"
            ),
            Self::Random => f.write_str("the operating system's random number generator failed"),
        }
    }
}

impl std::error::Error for SealError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Serialize(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a handler's change to its [`Session`](crate::Session) was refused
/// ([`replace`](crate::Session::replace), [`modify`](crate::Session::modify),
/// [`update`](crate::Session::update), [`login`](crate::Session::login),
/// [`renew_identity`](crate::Session::renew_identity)). The change is sealed when it is made, so
/// the handler sees this while it still writes its response. The session keeps its previous
/// state, and the response keeps the request's cookie (or none), never a partial set.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The state could not be sealed: it does not serialize ([`SealError::Serialize`]), its
    /// session expired ([`SealError::Expired`]: log the user in again), or, with chunking off,
    /// it is too large for one cookie ([`SealError::TooLarge`]: store less, allow chunks with
    /// [`CookieOptions::max_chunks`](crate::CookieOptions::max_chunks), or keep the state
    /// server-side).
    Seal(SealError),
    /// The state does not fit the configured number of cookies. Store less, allow more chunks
    /// (up to [`MAX_CHUNKS`](crate::MAX_CHUNKS)), or keep the state server-side.
    TooManyChunks {
        /// Length of the encoded value, in characters.
        size: usize,
        /// The most characters `max_chunks` cookies can carry.
        capacity: usize,
        /// The configured number of chunks.
        max_chunks: usize,
    },
    /// A server-side session's sealed state is longer than the store keeps
    /// ([`ServerSide::max_state_len`](crate::ServerSide::max_state_len)). Shrink the state or
    /// raise the bound.
    StateTooLarge {
        /// Length of the sealed state, in characters.
        size: usize,
        /// The longest sealed state kept.
        max: usize,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seal(e) => e.fmt(f),
            Self::TooManyChunks {
                size,
                capacity,
                max_chunks,
            } => write!(
                f,
                "a value of {size} characters does not fit {max_chunks} cookies ({capacity} at most)"
            ),
            Self::StateTooLarge { size, max } => write!(
                f,
                "a sealed state of {size} characters is longer than the store keeps ({max})"
            ),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Seal(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SealError> for WriteError {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}

/// What is wrong with a value that is not well-formed. Reported before any key is used, except
/// [`Malformed::Stamps`], which can only be seen after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The value is not canonical base64url without padding (a character outside `A-Z a-z 0-9 - _`,
    /// padding, an impossible length, or non-zero trailing bits).
    Encoding,
    /// The decoded value is shorter than the smallest possible sealed value.
    TooShort,
    /// The authenticated plaintext does not start with well-formed time stamps. Only a writer that
    /// holds the key can produce this: it points at a bug in another implementation of FORMAT.md.
    Stamps,
    /// The authenticated plaintext's identity fields (session id, subject) are cut short or the
    /// subject's length is 0 or over 64. As for [`Malformed::Stamps`], only a writer that holds
    /// the key can produce this.
    Identity,
}

/// Which lifetime ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lifetime {
    /// The session was idle too long: its stamped expiry, or its last issue plus the current idle
    /// timeout, has passed. The user was inactive; ask them to log in again.
    Idle,
    /// The session is older than the current absolute lifetime, counted from its creation.
    Absolute,
}

/// Why [`Sealer::open`](crate::Sealer::open) (or [`Signer::verify`](crate::Signer::verify),
/// or a request's session cookie, once its chunks are gathered: [`CookieReadError::Open`](crate::CookieReadError::Open)) refused
/// a value. Treat every variant as "no session";
/// they are distinct so that logs and metrics can tell an attack from an expiry from a bad deploy.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// The value is longer than any value this sealer could have produced for its cookie. Refused
    /// before decoding or any cryptography.
    Oversized {
        /// The value's length in bytes.
        len: usize,
        /// The longest value accepted.
        max: usize,
    },
    /// The value is not well-formed; see [`Malformed`].
    Malformed(Malformed),
    /// The version byte names a format this build does not know (FORMAT.md lists the known ones).
    UnsupportedVersion(u8),
    /// The key id names no key in the ring: a retired key, a key not yet added on this server, or
    /// a forged value. The key ring was consulted by id; no other key was tried.
    UnknownKey(KeyId),
    /// Authentication failed: the value was changed, truncated, sealed under another key with the
    /// same id, or sealed for another cookie name or purpose.
    Authentication,
    /// The value is authentic but its lifetime has ended (checked only after authentication).
    Expired {
        /// Which lifetime ended.
        lifetime: Lifetime,
        /// When it ended, in seconds since the Unix epoch (before the leeway was added).
        expired_at: u64,
    },
    /// The value is authentic but was issued in the future, beyond the configured leeway: a clock
    /// on some server is wrong.
    NotYetValid {
        /// When it was issued, in seconds since the Unix epoch.
        issued_at: u64,
        /// This server's time, in seconds since the Unix epoch.
        now: u64,
    },
    /// The value is authentic but carries no session id, and this sealer requires one
    /// ([`SealerBuilder::session_ids`](crate::Builder::session_ids)): it was sealed
    /// before session ids were turned on, or by a sealer without them. Treat as "no session":
    /// without an id it could not be revoked.
    MissingSessionId,
    /// The value is authentic but its payload does not deserialize as the requested type (the
    /// session type changed between deploys, for example).
    Deserialize(CodecError),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Oversized { len, max } => {
                write!(
                    f,
                    "the value is {len} bytes long, more than the {max} accepted"
                )
            }
            Self::Malformed(Malformed::Encoding) => {
                f.write_str("the value is not canonical unpadded base64url")
            }
            Self::Malformed(Malformed::TooShort) => {
                f.write_str("the value is too short to be a sealed value")
            }
            Self::Malformed(Malformed::Stamps) => {
                f.write_str("the sealed value's time stamps are malformed")
            }
            Self::Malformed(Malformed::Identity) => {
                f.write_str("the sealed value's session id or subject is malformed")
            }
            Self::MissingSessionId => {
                f.write_str("the value carries no session id, and this sealer requires one")
            }
            Self::UnsupportedVersion(v) => write!(f, "unsupported sealed value version {v}"),
            Self::UnknownKey(id) => write!(f, "no key with id {id} in the key ring"),
            Self::Authentication => f.write_str("the value failed authentication"),
            Self::Expired {
                lifetime: Lifetime::Idle,
                expired_at,
            } => write!(f, "the session expired (idle) at {expired_at}"),
            Self::Expired {
                lifetime: Lifetime::Absolute,
                expired_at,
            } => write!(f, "the session expired (absolute lifetime) at {expired_at}"),
            Self::NotYetValid { issued_at, now } => write!(
                f,
                "the value was issued at {issued_at}, after this server's time {now} plus leeway"
            ),
            Self::Deserialize(e) => write!(f, "the session state does not deserialize: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Deserialize(e) => Some(e),
            _ => None,
        }
    }
}

debug_as_display!(ConfigError, CodecError, SealError, WriteError, OpenError);
