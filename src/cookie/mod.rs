//! The cookie layer: `Set-Cookie` rendering with secure defaults and validated prefixes, reading
//! the session back from a `Cookie` header, and opt-in chunking of large sessions.

pub(crate) mod chunk;
mod header;

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Opened;
use crate::error::{CookieError, SealError};
use crate::stamps::Stamps;
use crate::{Sealer, Signer};

pub use header::{MAX_COOKIE_HEADER_LEN, cookie_pairs};

/// The most octets a browser accepts in one attribute value (RFC 6265bis section 5.7).
pub const MAX_ATTRIBUTE_LEN: usize = 1024;

/// The longest lifetime browsers keep a cookie: 400 days (RFC 6265bis section 5.5). Longer
/// `Max-Age`/`Expires` values are rendered as this.
pub const MAX_COOKIE_AGE: Duration = Duration::from_secs(400 * 24 * 3600);

/// 9999-12-31T23:59:59Z, the last instant an HTTP date can express.
const MAX_HTTP_DATE: u64 = 253_402_300_799;

/// The most cookies one session may be split into. Each may be 4 KB, and request headers are
/// capped by servers (nginx: 8 KiB per header line by default; hyper: 64 KiB for all headers),
/// so more than a few chunks will not reach the application anyway.
pub const MAX_CHUNKS: usize = 8;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level cross-site navigations (the default).
    Lax,
    /// Sent with every request; browsers require `Secure` with it.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// Attributes of the session cookie. The defaults are the safe ones: `Path=/`, `Secure`,
/// `HttpOnly`, `SameSite=Lax`, no `Domain`, and `Max-Age`/`Expires` from the sealed expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    persistent: bool,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            persistent: true,
        }
    }
}

impl CookieOptions {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Path` attribute. Must start with `/`. A `__Host-` cookie must keep `/`.
    pub fn path(mut self, path: &str) -> Self {
        path.clone_into(&mut self.path);
        self
    }

    /// The `Domain` attribute (the cookie is then also sent to subdomains). Not allowed with a
    /// `__Host-` name.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = Some(domain.to_owned());
        self
    }

    /// The `SameSite` attribute. `SameSite::None` requires `Secure`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Whether to set `HttpOnly` (default true: page scripts cannot read the cookie). Turn it off
    /// only for signed values that scripts must read.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Omits the `Secure` attribute, so the cookie also travels over plain HTTP, where anyone on
    /// the path can copy it. For local development only; refused with `__Host-`/`__Secure-` names
    /// and with `SameSite=None`.
    pub fn dangerous_omit_secure(mut self) -> Self {
        self.secure = false;
        self
    }

    /// Makes a browser-session cookie: no `Max-Age` or `Expires`, so the browser forgets it when
    /// it closes (many browsers restore sessions, so this is not a logout). The sealed expiry is
    /// still enforced on open.
    pub fn browser_session(mut self) -> Self {
        self.persistent = false;
        self
    }

    /// Checks these attributes for a cookie named `name`: prefix rules, `SameSite=None` without
    /// `Secure`, and each attribute value's syntax and length.
    ///
    /// # Errors
    /// The [`CookieError`] attribute variants.
    pub fn validate(&self, name: &str) -> Result<(), CookieError> {
        check_attribute("Path", &self.path)?;
        if !self.path.starts_with('/') {
            return Err(CookieError::InvalidAttribute { attribute: "Path" });
        }
        if let Some(domain) = &self.domain {
            check_attribute("Domain", domain)?;
            if domain.is_empty() {
                return Err(CookieError::InvalidAttribute {
                    attribute: "Domain",
                });
            }
        }
        // RFC 6265bis section 4.1.3: prefixes match case-insensitively.
        let has_prefix = |p: &str| {
            name.get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p))
        };
        if has_prefix("__Secure-") && !self.secure {
            return Err(CookieError::SecurePrefixWithoutSecure);
        }
        if has_prefix("__Host-") {
            if !self.secure {
                return Err(CookieError::HostPrefixWithoutSecure);
            }
            if self.domain.is_some() {
                return Err(CookieError::HostPrefixWithDomain);
            }
            if self.path != "/" {
                return Err(CookieError::HostPrefixWithPath);
            }
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(CookieError::SameSiteNoneWithoutSecure);
        }
        Ok(())
    }

    /// Renders a `Set-Cookie` header value for `name=value`, sealed at `issued` and expiring at
    /// `expires` (seconds since the Unix epoch); a browser-session cookie leaves both out.
    fn render(&self, name: &str, value: &str, issued: u64, expires: u64) -> String {
        let mut out = String::with_capacity(name.len() + value.len() + 128);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        if self.persistent {
            // Browsers cap a cookie's lifetime at 400 days (RFC 6265bis section 5.5) and HTTP
            // dates end in year 9999: render within both, whatever the lifetimes (the sealed
            // expiry inside the value is what is enforced).
            let max_age = expires.saturating_sub(issued).min(MAX_COOKIE_AGE.as_secs());
            let expires = issued.saturating_add(max_age).min(MAX_HTTP_DATE);
            let when = UNIX_EPOCH
                .checked_add(Duration::from_secs(expires))
                .unwrap_or(UNIX_EPOCH);
            out.push_str(&format!(
                "; Max-Age={max_age}; Expires={}",
                httpdate::fmt_http_date(when)
            ));
        }
        self.push_common(&mut out);
        out
    }

    /// A `Set-Cookie` value that deletes `name` (same path and domain, so it hits the same cookie).
    fn render_removal(&self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 128);
        out.push_str(name);
        out.push_str("=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        self.push_common(&mut out);
        out
    }

    fn push_common(&self, out: &mut String) {
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        out.push_str("; Path=");
        out.push_str(&self.path);
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str("; SameSite=");
        out.push_str(self.same_site.as_str());
    }
}

/// An attribute value may hold only visible ASCII and space, no `;` (RFC 6265bis section 4.1.1:
/// `%x20-3A / %x3C-7E`), and at most 1024 octets.
fn check_attribute(attribute: &'static str, value: &str) -> Result<(), CookieError> {
    if value.len() > MAX_ATTRIBUTE_LEN {
        return Err(CookieError::AttributeTooLong {
            attribute,
            len: value.len(),
            max: MAX_ATTRIBUTE_LEN,
        });
    }
    if value
        .bytes()
        .any(|b| !(0x20..=0x7e).contains(&b) || b == b';')
    {
        return Err(CookieError::InvalidAttribute { attribute });
    }
    Ok(())
}

#[derive(Clone)]
enum Codec {
    Sealed(Sealer),
    Signed(Signer),
}

impl Codec {
    fn ctx(&self) -> &crate::config::Context {
        match self {
            Self::Sealed(s) => s.context(),
            Self::Signed(s) => s.context(),
        }
    }
}

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
    codec: Codec,
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
    pub fn sealed(sealer: Sealer, options: CookieOptions) -> Result<Self, CookieError> {
        Self::new(Codec::Sealed(sealer), options)
    }

    /// A cookie whose value is signed (readable by the client, not changeable) by `signer`.
    ///
    /// # Errors
    /// As [`sealed`](Self::sealed).
    pub fn signed(signer: Signer, options: CookieOptions) -> Result<Self, CookieError> {
        Self::new(Codec::Signed(signer), options)
    }

    fn new(codec: Codec, options: CookieOptions) -> Result<Self, CookieError> {
        options.validate(&codec.ctx().name)?;
        Ok(Self {
            codec,
            options,
            max_chunks: 1,
        })
    }

    /// Lets a session too large for one cookie be split over up to `max` cookies named `name`,
    /// `name.1`, ... `name.{max-1}` (FORMAT.md, "Chunked cookies"). Default 1: no chunking.
    ///
    /// Each chunk obeys the size rule on its own, but browsers send them all on every request,
    /// and servers cap the request header (nginx 8 KiB per line, hyper 64 KiB): two or three
    /// chunks is the useful maximum.
    ///
    /// With chunking on, every cookie named `name.1` ... `name.{max-1}` belongs to this session:
    /// do not give another cookie such a name.
    ///
    /// Splits are canonical: [`open`](Self::open) accepts only the split
    /// [`set_cookies`](Self::set_cookies) makes (one unchunked cookie when the value fits; else
    /// the fewest chunks, every part but the last filled to exactly what the size limit leaves
    /// it), so each value has exactly one accepted cookie set. Readers and writers must therefore
    /// share the sealer's size limit as well as the name; a reader's `max` may be larger than
    /// the writer's.
    ///
    /// # Errors
    /// [`CookieError::InvalidChunkCount`] if `max` is 0 or above [`MAX_CHUNKS`].
    pub fn max_chunks(mut self, max: usize) -> Result<Self, CookieError> {
        if max == 0 || max > MAX_CHUNKS {
            return Err(CookieError::InvalidChunkCount { max });
        }
        self.max_chunks = max;
        Ok(self)
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.codec.ctx().name
    }

    /// The cookie's attributes.
    pub fn options(&self) -> &CookieOptions {
        &self.options
    }

    /// `Set-Cookie` header values for a new session holding `state`: one per chunk, followed by
    /// removals of every chunk name this cookie may have used before that is now unused.
    ///
    /// # Errors
    /// [`CookieError::Seal`] (serialization, or `TooLarge` when chunking is off) or
    /// [`CookieError::TooManyChunks`].
    pub fn set_cookies<T: Serialize + ?Sized>(
        &self,
        state: &T,
    ) -> Result<Vec<String>, CookieError> {
        let stamps = self.codec.ctx().new_stamps()?;
        self.emit(state, stamps)
    }

    /// `Set-Cookie` header values for an existing session (keeps its creation time): use when
    /// [`Opened::needs_reseal`] says so or the state changed.
    ///
    /// # Errors
    /// As [`set_cookies`](Self::set_cookies), and `Seal(SealError::Expired)` if the previous
    /// value has expired (idle or absolute).
    pub fn renew_cookies<T: Serialize + ?Sized>(
        &self,
        state: &T,
        previous: &Stamps,
    ) -> Result<Vec<String>, CookieError> {
        let stamps = self.codec.ctx().renewed_stamps(previous)?;
        self.emit(state, stamps)
    }

    fn emit<T: Serialize + ?Sized>(
        &self,
        state: &T,
        stamps: Stamps,
    ) -> Result<Vec<String>, CookieError> {
        let ctx = self.codec.ctx();
        let capacity = chunk::capacity(&ctx.name, ctx.limit, self.max_chunks);
        let value = match &self.codec {
            Codec::Sealed(s) => s.seal_value(state, &stamps, capacity)?,
            Codec::Signed(s) => s.sign_value(state, &stamps, capacity)?,
        };
        let pieces = chunk::split(&ctx.name, ctx.limit, self.max_chunks, &value)?;
        let mut out = Vec::with_capacity(self.max_chunks);
        for (i, piece) in pieces.iter().enumerate() {
            let name = chunk::chunk_name(&ctx.name, i);
            out.push(
                self.options
                    .render(&name, piece, stamps.issued(), stamps.expires()),
            );
        }
        for i in pieces.len().max(1)..self.max_chunks {
            out.push(
                self.options
                    .render_removal(&chunk::chunk_name(&ctx.name, i)),
            );
        }
        Ok(out)
    }

    /// `Set-Cookie` header values that delete the session: the cookie and every chunk it may
    /// have. Deleting the cookie does not invalidate copies of it (SECURITY.md).
    pub fn removal_cookies(&self) -> Vec<String> {
        let name = &self.codec.ctx().name;
        (0..self.max_chunks)
            .map(|i| self.options.render_removal(&chunk::chunk_name(name, i)))
            .collect()
    }

    /// Finds this session's cookie (and its chunks) in a `Cookie` request header and opens it.
    /// `Ok(None)` when the request carries no such cookie at all.
    ///
    /// A name sent twice is refused ([`CookieError::DuplicateCookie`]): a cookie set for a
    /// sibling domain or another path could otherwise choose the session (cookie tossing). Use a
    /// `__Host-` name, which a sibling domain cannot set.
    ///
    /// Chunks are accepted only as [`set_cookies`](Self::set_cookies) splits the value under the
    /// same size limit; any other split of it, even one that joins to an authentic value, is
    /// [`CookieError::NonCanonicalChunks`] (see [`max_chunks`](Self::max_chunks)).
    ///
    /// # Errors
    /// Header, duplicate and chunk errors ([`CookieError::NonCanonicalChunks`] included), or
    /// [`CookieError::Open`] from the sealed value.
    pub fn open<T: DeserializeOwned>(
        &self,
        cookie_header: &str,
    ) -> Result<Option<Opened<T>>, CookieError> {
        let ctx = self.codec.ctx();
        let Some(value) = chunk::gather(&ctx.name, ctx.limit, self.max_chunks, cookie_header)?
        else {
            return Ok(None);
        };
        let max = chunk::capacity(&ctx.name, ctx.limit, self.max_chunks);
        let opened = match &self.codec {
            Codec::Sealed(s) => s.open_value(&value, max)?,
            Codec::Signed(s) => s.verify_value(&value, max)?,
        };
        Ok(Some(opened))
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

impl From<SealError> for CookieError {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}

impl From<crate::error::OpenError> for CookieError {
    fn from(e: crate::error::OpenError) -> Self {
        Self::Open(e)
    }
}
