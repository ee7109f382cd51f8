//! Chunking: one sealed value spread over `name`, `name.1`, ... `name.{k-1}` when it does not fit
//! one cookie. The first cookie's value is `k.` followed by its part; the others carry bare parts.
//! The parts joined in order are the sealed value, authenticated as a whole, so a reordered,
//! truncated or foreign part fails authentication; a missing, extra or duplicated cookie is
//! refused before any decoding.

use std::borrow::Cow;

use super::MAX_CHUNKS;
use super::header::{MAX_COOKIE_HEADER_LEN, cookie_pairs};
use crate::error::{CookieError, OpenError, SealError};

/// The name of chunk `i`: the cookie name itself for the first, `name.i` for the others.
pub(crate) fn chunk_name(name: &str, i: usize) -> Cow<'_, str> {
    if i == 0 {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name}.{i}"))
    }
}

fn chunk_name_len(name: &str, i: usize) -> usize {
    if i == 0 {
        name.len()
    } else {
        name.len() + 1 + decimal_len(i)
    }
}

fn decimal_len(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Room for value characters in chunk `i` of `k`: the size rule less the name, `=`, and (first
/// chunk of several) the `k.` marker.
fn room(name: &str, limit: usize, i: usize, k: usize) -> usize {
    let marker = if i == 0 && k > 1 {
        decimal_len(k) + 1
    } else {
        0
    };
    limit.saturating_sub(chunk_name_len(name, i) + 1 + marker)
}

fn total_room(name: &str, limit: usize, k: usize) -> usize {
    (0..k).map(|i| room(name, limit, i, k)).sum()
}

/// The longest value `max_chunks` cookies can carry.
pub(crate) fn capacity(name: &str, limit: usize, max_chunks: usize) -> usize {
    (1..=max_chunks.clamp(1, MAX_CHUNKS))
        .map(|k| total_room(name, limit, k))
        .max()
        .unwrap_or(0)
}

/// Splits `value` into the values of as few cookies as possible, each within the size rule.
pub(crate) fn split<'a>(
    name: &str,
    limit: usize,
    max_chunks: usize,
    value: &'a str,
) -> Result<Vec<Cow<'a, str>>, CookieError> {
    if room(name, limit, 0, 1) >= value.len() {
        return Ok(vec![Cow::Borrowed(value)]);
    }
    if max_chunks <= 1 {
        return Err(CookieError::Seal(SealError::TooLarge {
            size: name.len() + 1 + value.len(),
            limit,
        }));
    }
    let Some(k) = (2..=max_chunks).find(|&k| total_room(name, limit, k) >= value.len()) else {
        return Err(CookieError::TooManyChunks {
            size: value.len(),
            capacity: capacity(name, limit, max_chunks),
            max_chunks,
        });
    };
    let mut out = Vec::with_capacity(k);
    let mut at = 0;
    for i in 0..k {
        let end = (at + room(name, limit, i, k)).min(value.len());
        // The value is base64url (ASCII), so every index is a character boundary; `get` keeps
        // even a broken invariant from panicking.
        let part = value.get(at..end).ok_or(CookieError::MalformedChunkCount)?;
        out.push(if i == 0 {
            Cow::Owned(format!("{k}.{part}"))
        } else {
            Cow::Borrowed(part)
        });
        at = end;
    }
    Ok(out)
}

/// A canonical decimal (no sign, no leading zero, at most 3 digits), or `None`.
fn parse_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Finds the session's cookie(s) in a `Cookie` header and joins the chunks. `Ok(None)` if the
/// header holds neither the cookie nor any chunk of it. One pass over the header; no
/// allocation unless there are chunks to join.
pub(crate) fn gather<'h>(
    name: &str,
    limit: usize,
    max_chunks: usize,
    header: &'h str,
) -> Result<Option<Cow<'h, str>>, CookieError> {
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Err(CookieError::HeaderTooLong {
            len: header.len(),
            max: MAX_COOKIE_HEADER_LEN,
        });
    }
    let max_chunks = max_chunks.clamp(1, MAX_CHUNKS);
    let mut parts: [Option<&'h str>; MAX_CHUNKS] = [None; MAX_CHUNKS];
    for (n, v) in cookie_pairs(header) {
        let index = if n == name {
            0
        } else if max_chunks > 1 {
            let Some(i) = n
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(parse_index)
            else {
                continue; // another cookie
            };
            if i >= max_chunks {
                return Err(CookieError::UnexpectedChunk { chunk: i });
            }
            i
        } else {
            continue;
        };
        if parts[index].is_some() {
            return Err(CookieError::DuplicateCookie { chunk: index });
        }
        // Each cookie obeys the size rule on its own; refuse a longer one before decoding.
        let max = limit.saturating_sub(chunk_name_len(name, index) + 1);
        if v.len() > max {
            return Err(CookieError::Open(OpenError::Oversized {
                len: v.len(),
                max,
            }));
        }
        parts[index] = Some(v);
    }
    let rest = &parts[1..max_chunks];
    let Some(first) = parts[0] else {
        return match rest.iter().position(Option::is_some) {
            Some(_) => Err(CookieError::MissingChunk { chunk: 0 }),
            None => Ok(None),
        };
    };
    let marked = if max_chunks > 1 {
        first.split_once('.')
    } else {
        None
    };
    let Some((count, head)) = marked else {
        if let Some(i) = rest.iter().position(Option::is_some) {
            return Err(CookieError::UnexpectedChunk { chunk: i + 1 });
        }
        return Ok(Some(Cow::Borrowed(first)));
    };
    let k = parse_index(count)
        .filter(|k| (2..=max_chunks).contains(k))
        .ok_or(CookieError::MalformedChunkCount)?;
    let mut joined = String::with_capacity(capacity(name, limit, max_chunks));
    joined.push_str(head);
    for (i, part) in parts.iter().enumerate().take(max_chunks).skip(1) {
        match (part, i < k) {
            (Some(p), true) => joined.push_str(p),
            (None, true) => return Err(CookieError::MissingChunk { chunk: i }),
            (Some(_), false) => return Err(CookieError::UnexpectedChunk { chunk: i }),
            (None, false) => {}
        }
    }
    Ok(Some(Cow::Owned(joined)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_grows_with_each_chunk_and_every_split_respects_the_size_rule() {
        let name = "session";
        let mut last = 0;
        for k in 1..=MAX_CHUNKS {
            let cap = capacity(name, 4096, k);
            assert!(cap > last);
            last = cap;
            let value = "A".repeat(cap);
            let parts = split(name, 4096, k, &value).unwrap();
            for (i, p) in parts.iter().enumerate() {
                assert!(chunk_name(name, i).len() + 1 + p.len() <= 4096);
            }
            assert!(split(name, 4096, k, &"A".repeat(cap + 1)).is_err());
        }
    }

    #[test]
    fn chunk_indices_are_canonical_decimals() {
        assert_eq!(parse_index("1"), Some(1));
        assert_eq!(parse_index("12"), Some(12));
        for bad in ["", "0", "01", "+1", "-1", "1a", "1000", " 1"] {
            assert_eq!(parse_index(bad), None, "{bad:?}");
        }
    }
}
