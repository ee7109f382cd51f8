//! The cookie's attributes: secure defaults, prefix rules, and `Set-Cookie` rendering.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use super::{ConfigError, MAX_ATTRIBUTE_LEN, MAX_CHUNKS};
use crate::session::Stamps;

/// 9999-12-31T23:59:59Z, the last instant an HTTP date can express.
const MAX_HTTP_DATE: u64 = 253_402_300_799;

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
    pub(super) max_chunks: usize,
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
            max_chunks: 1,
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

    /// Whether to omit the `Secure` attribute (default false), so that the cookie also travels
    /// over plain HTTP, where anyone on the path can copy it. For local development only;
    /// refused with `__Host-`/`__Secure-` names and with `SameSite=None`.
    pub fn dangerous_omit_secure(mut self, omit: bool) -> Self {
        self.secure = !omit;
        self
    }

    /// Whether to make a browser-session cookie (default false): no `Max-Age` or `Expires`, so
    /// the browser forgets it when it closes (many browsers restore sessions, so this is not a
    /// logout). The sealed expiry is still enforced on open.
    pub fn browser_session(mut self, on: bool) -> Self {
        self.persistent = !on;
        self
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
    /// Splits are canonical: a request's cookies open only as the split a response's
    /// `Set-Cookie` lines make (one
    /// unchunked cookie when the value fits; else the fewest chunks, every part but the last
    /// filled to exactly what the size limit leaves it), so each value has exactly one accepted
    /// cookie set. Readers and writers must therefore share the sealer's size limit as well as
    /// the name; a reader's `max` may be larger than the writer's.
    ///
    /// [`validate`](Self::validate), and so
    /// [`SessionCookie::sealed`](crate::SessionCookie::sealed) and
    /// [`SessionCookie::signed`](crate::SessionCookie::signed), refuse a `max` of 0 or above
    /// [`MAX_CHUNKS`](crate::MAX_CHUNKS) ([`ConfigError::InvalidChunkCount`]).
    pub fn max_chunks(mut self, max: usize) -> Self {
        self.max_chunks = max;
        self
    }

    /// Checks these options for a cookie named `name`: the chunk count, prefix rules,
    /// `SameSite=None` without `Secure`, and each attribute value's syntax and length.
    ///
    /// # Errors
    /// The [`ConfigError`] attribute variants.
    pub fn validate(&self, name: &str) -> Result<(), ConfigError> {
        if self.max_chunks == 0 || self.max_chunks > MAX_CHUNKS {
            return Err(ConfigError::InvalidChunkCount {
                max: self.max_chunks,
            });
        }
        check_attribute("Path", &self.path)?;
        if !self.path.starts_with('/') {
            return Err(ConfigError::InvalidAttribute { attribute: "Path" });
        }
        if let Some(domain) = &self.domain {
            check_attribute("Domain", domain)?;
            if domain.is_empty() {
                return Err(ConfigError::InvalidAttribute {
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
            return Err(ConfigError::SecurePrefixWithoutSecure);
        }
        if has_prefix("__Host-") {
            if !self.secure {
                return Err(ConfigError::HostPrefixWithoutSecure);
            }
            if self.domain.is_some() {
                return Err(ConfigError::HostPrefixWithDomain);
            }
            if self.path != "/" {
                return Err(ConfigError::HostPrefixWithPath);
            }
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneWithoutSecure);
        }
        Ok(())
    }

    /// Renders a `Set-Cookie` header value for `name=value` holding a value with `stamps`; a
    /// browser-session cookie leaves `Max-Age` and `Expires` out.
    pub(super) fn render(&self, name: &str, value: &str, stamps: &Stamps) -> String {
        let mut out = String::with_capacity(name.len() + value.len() + 128);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        if self.persistent {
            // `Max-Age` as `Sealed::max_age` gives it (at most the 400 days browsers keep a
            // cookie), and HTTP dates end in year 9999: render within both, whatever the
            // lifetimes (the sealed expiry inside the value is what is enforced).
            let max_age = stamps.max_age().as_secs();
            let expires = stamps.issued().saturating_add(max_age).min(MAX_HTTP_DATE);
            let _ = write!(out, "; Max-Age={max_age}; Expires=");
            push_http_date(&mut out, expires);
        }
        self.push_common(&mut out);
        out
    }

    /// A `Set-Cookie` value that deletes `name` (same path and domain, so it hits the same cookie).
    pub(super) fn render_removal(&self, name: &str) -> String {
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
fn check_attribute(attribute: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.len() > MAX_ATTRIBUTE_LEN {
        return Err(ConfigError::AttributeTooLong {
            attribute,
            len: value.len(),
            max: MAX_ATTRIBUTE_LEN,
        });
    }
    if value
        .bytes()
        .any(|b| !(0x20..=0x7e).contains(&b) || b == b';')
    {
        return Err(ConfigError::InvalidAttribute { attribute });
    }
    Ok(())
}

/// Appends the HTTP date of `unix` (IMF-fixdate, always 29 characters). The last date rendered
/// on this thread is kept: a busy server writes the same `Expires` second many times over.
fn push_http_date(out: &mut String, unix: u64) {
    const LEN: usize = 29;
    thread_local! {
        static LAST: std::cell::Cell<Option<(u64, [u8; LEN])>> = const { std::cell::Cell::new(None) };
    }
    if let Some((at, text)) = LAST.get() {
        if at == unix {
            // Only ever filled from an ASCII date below.
            if let Ok(text) = std::str::from_utf8(&text) {
                out.push_str(text);
                return;
            }
        }
    }
    let when = UNIX_EPOCH
        .checked_add(Duration::from_secs(unix))
        .unwrap_or(UNIX_EPOCH);
    let start = out.len();
    let _ = write!(out, "{}", httpdate::HttpDate::from(when));
    if let Ok(text) = <[u8; LEN]>::try_from(&out.as_bytes()[start..]) {
        LAST.set(Some((unix, text)));
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn every_date_is_rendered_as_httpdate_renders_it_cache_or_not() {
        // Repeats (cache hits), neighbours (misses), both ends of the range.
        let times = [
            0,
            0,
            1,
            1_900_000_000,
            1_900_000_000,
            1_900_000_001,
            0,
            MAX_HTTP_DATE,
        ];
        for unix in times {
            let mut out = String::from("x");
            push_http_date(&mut out, unix);
            let expected = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix));
            assert_eq!(out, format!("x{expected}"), "{unix}");
        }
    }
}
