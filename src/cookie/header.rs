//! Parsing the `Cookie` request header (RFC 6265 section 5.4 shape, read leniently as section 4.2
//! of RFC 6265bis does): `name=value` pairs separated by `;`, whitespace tolerated around them.
//! One linear pass, no allocation, no panic, whatever the header holds.

/// The longest `Cookie` header this crate reads, in bytes. Servers refuse far shorter headers
/// (nginx 8 KiB per header line by default, hyper 64 KiB in all), so anything longer is hostile.
pub const MAX_COOKIE_HEADER_LEN: usize = 64 * 1024;

/// The `name=value` pairs of a `Cookie` header, in order, duplicates included.
///
/// Whitespace (space and tab) around names and values is dropped, one pair of double quotes
/// around a value is removed, and pieces without `=` or with an empty name are skipped.
/// Names are case-sensitive. The iterator does no allocation and finishes in time linear in the
/// header's length.
///
/// ```
/// use sealed_session::cookie_pairs;
///
/// let pairs: Vec<_> = cookie_pairs(r#"theme=dark;  session = "abc" ; flag; a=1=2"#).collect();
/// assert_eq!(pairs, [("theme", "dark"), ("session", "abc"), ("a", "1=2")]);
/// ```
pub fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').filter_map(|piece| {
        let (name, value) = piece.split_once('=')?;
        let name = name.trim_matches(is_ws);
        if name.is_empty() {
            return None;
        }
        let value = value.trim_matches(is_ws);
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some((name, value))
    })
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}
