//! The cookie layer: `Set-Cookie` rendering with secure defaults and validated prefixes, reading
//! the session back from a `Cookie` header, and opt-in chunking of large sessions. It works with a
//! [`Sealer`] or a [`Signer`] alike: both hand it the same context, whatever their suite.
//!
//! Constants of this layer (browser limits, the chunk bound) live here.

pub(crate) mod chunk;
mod error;
mod header;
mod options;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::session::{self, Context, Envelope, Opened, Sealer, Signer, Subject};

pub(crate) use chunk::Carried;

pub(crate) use crate::error::ConfigError;
pub use error::{CookieReadError, CookieWriteError};
pub use header::{MAX_COOKIE_HEADER_LEN, cookie_pairs};
pub use options::{CookieOptions, SameSite};

pub use crate::limits::{BROWSER_COOKIE_LIMIT, MAX_COOKIE_AGE};

/// The most octets a browser accepts in one attribute value (RFC 6265bis section 5.7).
pub const MAX_ATTRIBUTE_LEN: usize = 1024;

/// The most cookies one session may be split into. Each may be 4 KB, and request headers are
/// capped by servers (nginx: 8 KiB per header line by default; hyper: 64 KiB for all headers),
/// so more than a few chunks will not reach the application anyway.
pub const MAX_CHUNKS: usize = 8;

/// A session cookie: a [`Sealer`] (or [`Signer`]) with the cookie's attributes, turning session
/// state into `Set-Cookie` header values and a `Cookie` request header back into the state.
///
/// ```
/// use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
///
/// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
/// let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
///
/// // Response: one Set-Cookie header per string.
/// let set = cookie.set_cookies(&("alice", 42u32))?;
/// assert!(set[0].ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"));
///
/// // Next request: the browser sends `Cookie: __Host-session=...`.
/// let header = format!("theme=dark; {}", set[0].split(';').next().unwrap());
/// let opened = cookie.open::<(String, u32)>(&header)?.expect("a session");
/// assert_eq!(opened.state, ("alice".to_owned(), 42));
///
/// // Logout: delete the cookie (see SECURITY.md: copies stay valid until they expire).
/// assert!(cookie.removal_cookies()[0].starts_with("__Host-session=; Max-Age=0"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionCookie {
    ctx: Arc<Context>,
    options: CookieOptions,
    max_chunks: usize,
}

impl SessionCookie {
    /// A cookie whose value is sealed (encrypted and authenticated) by `sealer`, named by the
    /// sealer's cookie name.
    ///
    /// # Errors
    /// If `options` break a prefix rule or an attribute rule for that name (see
    /// [`CookieOptions::validate`]).
    pub fn sealed(sealer: Sealer, options: CookieOptions) -> Result<Self, ConfigError> {
        Self::new(Arc::clone(sealer.context()), options)
    }

    /// A cookie whose value is signed (readable by the client, not changeable) by `signer`.
    ///
    /// # Errors
    /// As [`sealed`](Self::sealed).
    pub fn signed(signer: Signer, options: CookieOptions) -> Result<Self, ConfigError> {
        Self::new(Arc::clone(signer.context()), options)
    }

    fn new(ctx: Arc<Context>, options: CookieOptions) -> Result<Self, ConfigError> {
        options.validate(&ctx.name)?;
        Ok(Self {
            max_chunks: options.max_chunks,
            ctx,
            options,
        })
    }

    /// The same cookie (name, attributes, chunking) sealed under `ctx`: a server-side session's
    /// cookie.
    pub(crate) fn with_context(&self, ctx: Context) -> Self {
        Self {
            ctx: Arc::new(ctx),
            options: self.options.clone(),
            max_chunks: self.max_chunks,
        }
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.ctx.name
    }

    /// The cookie's attributes.
    pub fn options(&self) -> &CookieOptions {
        &self.options
    }

    /// `Set-Cookie` header values for a new session holding `state`: one per chunk, followed by
    /// removals of every chunk name this cookie may have used before that is now unused.
    ///
    /// # Errors
    /// [`CookieWriteError::Seal`] (serialization, or `TooLarge` when chunking is off) or
    /// [`CookieWriteError::TooManyChunks`].
    pub fn set_cookies<T: Serialize + ?Sized>(
        &self,
        state: &T,
    ) -> Result<Vec<String>, CookieWriteError> {
        let envelope = self.ctx.new_envelope(None)?;
        self.emit(state, &envelope)
    }

    /// As [`set_cookies`](Self::set_cookies), for a new session of `subject` (the user who just
    /// logged in; see [`Sealer::seal_for`]).
    ///
    /// # Errors
    /// As [`set_cookies`](Self::set_cookies).
    pub fn set_cookies_for<T: Serialize + ?Sized>(
        &self,
        subject: &Subject,
        state: &T,
    ) -> Result<Vec<String>, CookieWriteError> {
        let envelope = self.ctx.new_envelope(Some(*subject))?;
        self.emit(state, &envelope)
    }

    /// `Set-Cookie` header values for an existing session (keeps its creation time, session id
    /// and subject): use when [`Opened::needs_renewal`] says so or the state changed; `previous`
    /// is [`Opened::envelope`].
    ///
    /// # Errors
    /// As [`set_cookies`](Self::set_cookies), and `Seal(SealError::Expired)` if the previous
    /// value has expired (idle or absolute).
    pub fn renew_cookies<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Envelope,
    ) -> Result<Vec<String>, CookieWriteError> {
        let envelope = self.ctx.renewed_envelope(previous)?;
        self.emit(state, &envelope)
    }

    fn emit<T: Serialize + ?Sized>(
        &self,
        state: &T,
        envelope: &Envelope,
    ) -> Result<Vec<String>, CookieWriteError> {
        // Without the request at hand, every chunk name the cookie may have used is removed.
        let every = (0..self.max_chunks).fold(Carried::default(), |c, i| c.with(i));
        self.write(state, envelope, every)
    }

    /// The `Set-Cookie` values for `state` sealed with `envelope`, followed by removals of the
    /// chunk names in `carried` that the new value does not use.
    pub(crate) fn write<T: Serialize + ?Sized>(
        &self,
        state: &T,
        envelope: &Envelope,
        carried: Carried,
    ) -> Result<Vec<String>, CookieWriteError> {
        let ctx = &self.ctx;
        let capacity = chunk::capacity(&ctx.name, ctx.limit, self.max_chunks);
        let value = session::seal_value(ctx, state, envelope, capacity)?;
        let pieces = chunk::split(&ctx.name, ctx.limit, self.max_chunks, &value)?;
        let mut out = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.iter().enumerate() {
            let name = chunk::chunk_name(&ctx.name, i);
            out.push(self.options.render(&name, piece, &envelope.stamps));
        }
        for i in carried.iter().filter(|&i| i >= pieces.len()) {
            out.push(
                self.options
                    .render_removal(&chunk::chunk_name(&ctx.name, i)),
            );
        }
        Ok(out)
    }

    /// Removals of exactly the names in `carried`.
    pub(crate) fn removals(&self, carried: Carried) -> Vec<String> {
        carried
            .iter()
            .map(|i| {
                self.options
                    .render_removal(&chunk::chunk_name(&self.ctx.name, i))
            })
            .collect()
    }

    /// Which of this session's cookie names a `Cookie` header carries.
    pub(crate) fn carried(&self, cookie_header: &str) -> Carried {
        chunk::carried(&self.ctx.name, self.max_chunks, cookie_header)
    }

    /// The context: new and renewed envelopes, for the session handle.
    pub(crate) fn context(&self) -> &Context {
        &self.ctx
    }

    /// `Set-Cookie` header values that delete the session: the cookie and every chunk it may
    /// have. Deleting the cookie does not invalidate copies of it (SECURITY.md).
    pub fn removal_cookies(&self) -> Vec<String> {
        let name = &self.ctx.name;
        (0..self.max_chunks)
            .map(|i| self.options.render_removal(&chunk::chunk_name(name, i)))
            .collect()
    }

    /// Finds this session's cookie (and its chunks) in a `Cookie` request header and opens it.
    /// `Ok(None)` when the request carries no such cookie at all.
    ///
    /// A name sent twice is refused ([`CookieReadError::DuplicateCookie`]): a cookie set for a
    /// sibling domain or another path could otherwise choose the session (cookie tossing). Use a
    /// `__Host-` name, which a sibling domain cannot set.
    ///
    /// Chunks are accepted only as [`set_cookies`](Self::set_cookies) splits the value under the
    /// same size limit; any other split of it, even one that joins to an authentic value, is
    /// [`CookieReadError::NonCanonicalChunks`] (see [`CookieOptions::max_chunks`](crate::CookieOptions::max_chunks)).
    ///
    /// # Errors
    /// Header, duplicate and chunk errors ([`CookieReadError::NonCanonicalChunks`] included), or
    /// [`CookieReadError::Open`] from the value.
    pub fn open<T: DeserializeOwned>(
        &self,
        cookie_header: &str,
    ) -> Result<Option<Opened<T>>, CookieReadError> {
        self.open_carried(cookie_header).0
    }

    /// As [`open`](Self::open), and which of the session's names the header carried when the
    /// scan for them completed (so the session handle need not scan the header again).
    pub(crate) fn open_carried<T: DeserializeOwned>(
        &self,
        cookie_header: &str,
    ) -> (Result<Option<Opened<T>>, CookieReadError>, Option<Carried>) {
        let ctx = &self.ctx;
        let found = match chunk::find(&ctx.name, ctx.limit, self.max_chunks, cookie_header) {
            Ok(found) => found,
            Err(e) => return (Err(e), None),
        };
        let carried = found.carried();
        let opened = match chunk::join(&ctx.name, ctx.limit, self.max_chunks, &found) {
            Ok(Some(value)) => {
                let max = chunk::capacity(&ctx.name, ctx.limit, self.max_chunks);
                session::open(&self.ctx, &value, max)
                    .map(Some)
                    .map_err(CookieReadError::from)
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        (opened, Some(carried))
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCookie")
            .field("name", &self.name())
            .field("options", &self.options)
            .field("max_chunks", &self.max_chunks)
            .finish_non_exhaustive()
    }
}
