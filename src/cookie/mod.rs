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

use crate::error::WriteError;
use crate::session::{self, Context, Envelope, Opened, Sealer, Signer};

pub(crate) use chunk::Carried;

pub(crate) use crate::error::ConfigError;
pub use error::CookieReadError;
pub use header::{MAX_COOKIE_HEADER_LEN, cookie_pairs};
pub use options::{CookieOptions, SameSite};

pub use crate::limits::{BROWSER_COOKIE_LIMIT, MAX_COOKIE_AGE};

/// The most octets a browser accepts in one attribute value (RFC 6265bis section 5.7).
pub const MAX_ATTRIBUTE_LEN: usize = 1024;

/// The most cookies one session may be split into. Each may be 4 KB, and request headers are
/// capped by servers (nginx: 8 KiB per header line by default; hyper: 64 KiB for all headers),
/// so more than a few chunks will not reach the application anyway.
pub const MAX_CHUNKS: usize = 8;

/// A session cookie's configuration: its name and keys (a [`Sealer`], or a [`Signer`] for a
/// value the client may read but not change) and its attributes ([`CookieOptions`], checked
/// here). A request [`Driver`](crate::web::Driver) reads and writes sessions with it: the
/// driver applies every rule of a response's `Set-Cookie` lines (renewal, deletion of a refused
/// cookie, chunking, caching headers), so there is no other way to write them. For a sealed
/// value outside a cookie (a token in a link), use the [`Sealer`] itself.
///
/// ```
/// use sealed_session::web::Driver;
/// use sealed_session::{ConfigError, CookieOptions, Key, KeyRing, Sealer, SessionCookie};
///
/// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
///
/// // A `__Host-` cookie must be sent for the whole site: browsers drop one with a `Path`.
/// let scoped = SessionCookie::sealed(sealer.clone(), CookieOptions::new().path("/app"));
/// assert!(matches!(scoped, Err(ConfigError::HostPrefixWithPath)));
///
/// let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
/// assert_eq!(cookie.name(), "__Host-session");
/// let driver = Driver::new(cookie);
/// # let _ = driver;
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

    /// The `Set-Cookie` values for `state` sealed with `envelope`, followed by removals of the
    /// chunk names in `carried` that the new value does not use.
    pub(crate) fn write<T: Serialize + ?Sized>(
        &self,
        state: &T,
        envelope: &Envelope,
        carried: Carried,
    ) -> Result<Vec<String>, WriteError> {
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

    /// Finds this session's cookie (and its chunks) in a `Cookie` request header and opens it,
    /// for the unit tests; requests go through [`open_carried`](Self::open_carried).
    #[cfg(test)]
    pub(crate) fn open<T: DeserializeOwned>(
        &self,
        cookie_header: &str,
    ) -> Result<Option<Opened<T>>, CookieReadError> {
        self.open_carried(cookie_header).0
    }

    /// Finds this session's cookie (and its chunks) in a `Cookie` request header and opens it:
    /// `Ok(None)` when the request carries no such cookie at all. Also says which of the
    /// session's names the header carried, when the scan for them completed (so the session
    /// handle need not scan the header again).
    ///
    /// A name sent twice is refused ([`CookieReadError::DuplicateCookie`]): a cookie set for a
    /// sibling domain or another path could otherwise choose the session (cookie tossing). Chunks
    /// are accepted only as [`write`](Self::write) splits the value under the same size limit;
    /// any other split, even one that joins to an authentic value, is
    /// [`CookieReadError::NonCanonicalChunks`].
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
