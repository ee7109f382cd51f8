//! Times as the key-ring file writes them: RFC 3339, UTC, to the second. A module of its own as
//! both the document and its errors write them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An RFC 3339 UTC time, to the second.
pub(super) fn format_time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// Unix seconds from an RFC 3339 time, if `text` is one at or after the epoch.
pub(super) fn parse_time(text: &str) -> Option<u64> {
    let time = humantime::parse_rfc3339(text).ok()?;
    time.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}
