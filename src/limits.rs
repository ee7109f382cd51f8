//! What browsers accept of a cookie: limits the sealing layer and the cookie layer both apply,
//! published as [`BROWSER_COOKIE_LIMIT`](crate::BROWSER_COOKIE_LIMIT) and
//! [`MAX_COOKIE_AGE`](crate::MAX_COOKIE_AGE). A module of its own so that neither
//! layer imports the other for them.

use std::time::Duration;

/// The most octets of `name=value` a browser keeps in one cookie (RFC 6265bis section 5.7;
/// Chromium and Firefox drop larger cookies without a word).
pub const BROWSER_COOKIE_LIMIT: usize = 4096;

/// The longest lifetime browsers keep a cookie: 400 days (RFC 6265bis section 5.5). Longer
/// `Max-Age`/`Expires` values are rendered as this.
pub const MAX_COOKIE_AGE: Duration = Duration::from_secs(400 * 24 * 3600);
