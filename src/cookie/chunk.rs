//! Chunking: one sealed value spread over `name`, `name.1`, ... `name.{k-1}` when it does not fit
//! one cookie. The first cookie's value is `k.` followed by its part; the others carry bare parts.
//! The parts joined in order are the sealed value, authenticated as a whole, so a reordered,
//! truncated or foreign part fails authentication; a missing, extra or duplicated cookie is
//! refused before any decoding, and so is any split other than the one [`split`] makes (each
//! value has exactly one accepted cookie set: unchunked if it fits one cookie, else the fewest
//! cookies, every part but the last filled to exactly its room). Writer and reader must use the
//! same per-cookie `limit`.

use std::borrow::Cow;

use super::CookieReadError;
use super::MAX_CHUNKS;
use super::header::{MAX_COOKIE_HEADER_LEN, cookie_pairs};
use crate::error::{OpenError, SealError, WriteError};

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
) -> Result<Vec<Cow<'a, str>>, WriteError> {
    if room(name, limit, 0, 1) >= value.len() {
        return Ok(vec![Cow::Borrowed(value)]);
    }
    if max_chunks <= 1 {
        return Err(WriteError::Seal(SealError::TooLarge {
            size: name.len() + 1 + value.len(),
            limit,
        }));
    }
    let Some(k) = (2..=max_chunks).find(|&k| total_room(name, limit, k) >= value.len()) else {
        return Err(WriteError::TooManyChunks {
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
        let part = value
            .get(at..end)
            .ok_or(WriteError::Seal(SealError::TooLarge {
                size: name.len() + 1 + value.len(),
                limit,
            }))?;
        out.push(if i == 0 {
            Cow::Owned(format!("{k}.{part}"))
        } else {
            Cow::Borrowed(part)
        });
        at = end;
    }
    Ok(out)
}

/// Which of a session's cookie names (`name` is index 0, `name.i` index `i`) a request carried,
/// whatever their values: the names a response must delete when the session ends or shrinks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Carried(u16);

impl Carried {
    /// Chunk `i` was carried.
    pub(crate) fn contains(self, i: usize) -> bool {
        i < 16 && self.0 & (1 << i) != 0
    }

    /// The same set with chunk `i` added.
    pub(crate) fn with(self, i: usize) -> Self {
        if i < 16 {
            Self(self.0 | (1 << i))
        } else {
            self
        }
    }

    /// The indices carried, lowest first.
    pub(crate) fn iter(self) -> impl Iterator<Item = usize> {
        (0..16).filter(move |&i| self.contains(i))
    }
}

/// The session's cookie names present in a `Cookie` header. With chunking on (`max_chunks > 1`)
/// every canonical chunk name below [`MAX_CHUNKS`] counts, also beyond this writer's maximum (a
/// stray chunk left by a deployment that allowed more); with chunking off only `name` itself,
/// since `name.i` may then be another cookie of the application. No allocation.
pub(crate) fn carried(name: &str, max_chunks: usize, header: &str) -> Carried {
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Carried::default();
    }
    let mut carried = Carried::default();
    for (n, _) in cookie_pairs(header) {
        match chunk_index(name, max_chunks, n) {
            Some(i) if i < MAX_CHUNKS => carried = carried.with(i),
            _ => {}
        }
    }
    carried
}

/// The index of cookie `n` among the session's cookie names: 0 for `name` itself, `i` for a
/// canonical `name.i` when chunking is on (`max_chunks > 1`); `None` for any other cookie.
fn chunk_index(name: &str, max_chunks: usize, n: &str) -> Option<usize> {
    if n == name {
        return Some(0);
    }
    if max_chunks <= 1 {
        return None;
    }
    n.strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(parse_index)
}

/// A canonical decimal (no sign, no leading zero, at most 3 digits), or `None`.
fn parse_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Finds the session's cookie(s) in a `Cookie` header and joins the chunks. `Ok(None)` if the
/// header holds neither the cookie nor any chunk of it. Chunks are accepted only as [`split`]
/// makes them under the same `limit` ([`CookieReadError::NonCanonicalChunks`] otherwise). One pass
/// over the header; no allocation unless there are chunks to join, and only once every check
/// has passed. ([`find`] then [`join`]; the cookie layer calls them apart to keep what `find`
/// saw.)
#[cfg(test)]
pub(crate) fn gather<'h>(
    name: &str,
    limit: usize,
    max_chunks: usize,
    header: &'h str,
) -> Result<Option<Cow<'h, str>>, CookieReadError> {
    join(
        name,
        limit,
        max_chunks,
        &find(name, limit, max_chunks, header)?,
    )
}

/// The session's cookies a header carried, by chunk index: what [`gather`] scans before it
/// joins. Every one of the session's names in the header is here (a scan that met a name it
/// refuses is an error instead).
pub(crate) struct Found<'h> {
    parts: [Option<&'h str>; MAX_CHUNKS],
}

impl Found<'_> {
    /// Which of the session's names the header carried: the same set as [`carried`] finds.
    pub(crate) fn carried(&self) -> Carried {
        self.parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .fold(Carried::default(), |c, (i, _)| c.with(i))
    }
}

/// The scan of [`gather`]: each of the session's cookies, checked on its own.
pub(crate) fn find<'h>(
    name: &str,
    limit: usize,
    max_chunks: usize,
    header: &'h str,
) -> Result<Found<'h>, CookieReadError> {
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Err(CookieReadError::HeaderTooLong {
            len: header.len(),
            max: MAX_COOKIE_HEADER_LEN,
        });
    }
    let max_chunks = max_chunks.clamp(1, MAX_CHUNKS);
    let mut parts: [Option<&'h str>; MAX_CHUNKS] = [None; MAX_CHUNKS];
    for (n, v) in cookie_pairs(header) {
        let Some(index) = chunk_index(name, max_chunks, n) else {
            continue; // another cookie
        };
        if index >= max_chunks {
            return Err(CookieReadError::UnexpectedChunk { chunk: index });
        }
        if parts[index].is_some() {
            return Err(CookieReadError::DuplicateCookie { chunk: index });
        }
        // Each cookie obeys the size rule on its own; refuse a longer one before decoding.
        let max = limit.saturating_sub(chunk_name_len(name, index) + 1);
        if v.len() > max {
            return Err(CookieReadError::Open(OpenError::Oversized {
                len: v.len(),
                max,
            }));
        }
        parts[index] = Some(v);
    }
    Ok(Found { parts })
}

/// The join of [`gather`]: the value the found cookies make, checked as a whole.
pub(crate) fn join<'h>(
    name: &str,
    limit: usize,
    max_chunks: usize,
    found: &Found<'h>,
) -> Result<Option<Cow<'h, str>>, CookieReadError> {
    let max_chunks = max_chunks.clamp(1, MAX_CHUNKS);
    let parts = &found.parts;
    let rest = &parts[1..max_chunks];
    let Some(first) = parts[0] else {
        return match rest.iter().position(Option::is_some) {
            Some(_) => Err(CookieReadError::MissingChunk { chunk: 0 }),
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
            return Err(CookieReadError::UnexpectedChunk { chunk: i + 1 });
        }
        return Ok(Some(Cow::Borrowed(first)));
    };
    let k = parse_index(count)
        .filter(|k| (2..=max_chunks).contains(k))
        .ok_or(CookieReadError::MalformedChunkCount)?;
    // Missing parts, lowest index first, then parts beyond `k` (every index below `k` comes
    // before every index at or beyond it, so one pass in index order keeps that order).
    for (i, part) in parts.iter().enumerate().take(max_chunks).skip(1) {
        match (part, i < k) {
            (None, true) => return Err(CookieReadError::MissingChunk { chunk: i }),
            (Some(_), false) => return Err(CookieReadError::UnexpectedChunk { chunk: i }),
            _ => {}
        }
    }
    let part_len = |i: usize| {
        if i == 0 {
            head.len()
        } else {
            parts[i].map_or(0, str::len)
        }
    };
    if !is_writer_split(name, limit, k, part_len) {
        return Err(CookieReadError::NonCanonicalChunks);
    }
    let len = (0..k).map(part_len).sum();
    let mut joined = String::with_capacity(len);
    joined.push_str(head);
    for part in parts[1..k].iter().flatten() {
        joined.push_str(part);
    }
    Ok(Some(Cow::Owned(joined)))
}

/// Whether `k` parts (`k >= 2`) of lengths `part_len(0)`, ... `part_len(k - 1)` are exactly the
/// parts [`split`] makes of their joined value under `limit`, so that each value has one accepted
/// cookie set: the value does not fit fewer cookies (one cookie unchunked included), every part
/// but the last fills its room exactly, and (hence) the last is not empty. Lengths only: no
/// allocation, no look at the characters.
fn is_writer_split(name: &str, limit: usize, k: usize, part_len: impl Fn(usize) -> usize) -> bool {
    let len: usize = (0..k).map(&part_len).sum();
    let fewest = (1..k).all(|j| total_room(name, limit, j) < len);
    let full = (0..k - 1).all(|i| part_len(i) == room(name, limit, i, k));
    fewest && full && part_len(k - 1) > 0
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

    /// A `Cookie` header carrying `parts` as chunk cookies of `name` (a `k.` marker on the first
    /// when there are several).
    fn header_of(name: &str, parts: &[&str]) -> String {
        let k = parts.len();
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| match (i, k) {
                (0, 1) => format!("{name}={p}"),
                (0, _) => format!("{name}={k}.{p}"),
                _ => format!("{}={p}", chunk_name(name, i)),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A base64url-looking value of `len` characters, no two neighbours alike.
    fn value_of(len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len).map(|i| char::from(ALPHABET[i % 64])).collect()
    }

    // Name "s", limit 20: one cookie carries 18 characters; each of several carries 16 (the first
    // loses 2 to the `k.` marker, the others 2 to `.i`).
    const NAME: &str = "s";
    const LIMIT: usize = 20;

    fn gather_parts(max: usize, parts: &[&str]) -> Result<Option<String>, CookieReadError> {
        gather(NAME, LIMIT, max, &header_of(NAME, parts)).map(|v| v.map(Cow::into_owned))
    }

    #[test]
    fn the_writers_own_split_opens_at_every_length() {
        for max in 1..=MAX_CHUNKS {
            for len in 0..=capacity(NAME, LIMIT, max) {
                let value = value_of(len);
                let cookies = split(NAME, LIMIT, max, &value).unwrap();
                let header = cookies
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{}={c}", chunk_name(NAME, i)))
                    .collect::<Vec<_>>()
                    .join("; ");
                let got = gather(NAME, LIMIT, max, &header).unwrap();
                assert_eq!(got.as_deref(), Some(value.as_str()), "max={max} len={len}");
            }
        }
    }

    #[test]
    fn exactly_one_cookie_set_per_value_is_accepted() {
        // Every split of every value over 1 to 4 cookies within the size rule: exactly one opens
        // (the writer's), and every other complete split is `NonCanonicalChunks`.
        const MAX: usize = 4;
        let mut accepted = vec![Vec::new(); capacity(NAME, LIMIT, MAX) + 1];
        for (len, sets) in accepted.iter_mut().enumerate() {
            let value = value_of(len);
            match gather_parts(MAX, &[&value]) {
                Ok(Some(v)) if v == value => sets.push(vec![len]),
                // Longer than one cookie's size rule.
                Err(CookieReadError::Open(OpenError::Oversized { .. })) => {
                    assert!(len > room(NAME, LIMIT, 0, 1), "{len}");
                }
                other => panic!("unchunked {len}: {other:?}"),
            }
        }
        let mut refused = 0;
        for k in 2..=MAX {
            let rooms: Vec<usize> = (0..k).map(|i| room(NAME, LIMIT, i, k)).collect();
            let mut lens = vec![0; k];
            loop {
                let len: usize = lens.iter().sum();
                let value = value_of(len);
                let mut parts = Vec::with_capacity(k);
                let mut at = 0;
                for l in &lens {
                    parts.push(&value[at..at + l]);
                    at += l;
                }
                match gather_parts(MAX, &parts) {
                    Ok(Some(v)) => {
                        assert_eq!(v, value, "{lens:?}");
                        accepted[len].push(lens.clone());
                    }
                    Err(CookieReadError::NonCanonicalChunks) => refused += 1,
                    other => panic!("{lens:?}: {other:?}"),
                }
                // Next length tuple, like an odometer.
                let Some(i) = (0..k).find(|&i| lens[i] < rooms[i]) else {
                    break;
                };
                lens[i] += 1;
                lens[..i].fill(0);
            }
        }
        assert!(refused > 10_000, "{refused}");
        for (len, sets) in accepted.iter().enumerate() {
            let value = value_of(len);
            let written: Vec<usize> = split(NAME, LIMIT, MAX, &value)
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 && c.contains('.') {
                        c.len() - 2
                    } else {
                        c.len()
                    }
                })
                .collect();
            assert_eq!(sets, &[written], "len={len}");
        }
    }

    #[test]
    fn splits_other_than_the_writers_are_non_canonical() {
        let v = value_of(40); // 3 chunks: 16 + 16 + 8
        let shifted = [&v[..10], &v[10..26], &v[26..]];
        let moved_last = [&v[..16], &v[16..30], &v[30..]];
        let empty_middle = [&v[..16], "", &v[16..32], &v[32..]];
        let empty_last = [&v[..16], &v[16..32], &v[32..], ""];
        let empty_head = ["", &v[..16], &v[16..32], &v[32..]];
        for parts in [
            &shifted[..],
            &moved_last,
            &empty_middle,
            &empty_last,
            &empty_head,
        ] {
            assert_eq!(
                gather_parts(4, parts),
                Err(CookieReadError::NonCanonicalChunks),
                "{parts:?}"
            );
        }
        // `2.` with an empty head and the whole value in the second cookie.
        let short = value_of(16);
        assert_eq!(
            gather_parts(2, &["", &short]),
            Err(CookieReadError::NonCanonicalChunks)
        );
        // A value that fits one cookie (18 characters), chunked with full parts.
        let fits_one = value_of(18);
        assert_eq!(
            gather_parts(2, &[&fits_one[..16], &fits_one[16..]]),
            Err(CookieReadError::NonCanonicalChunks)
        );
        assert_eq!(
            gather_parts(2, &[&fits_one]).unwrap(),
            Some(fits_one.clone())
        );
        // A value that fits two cookies (32 characters), in three with full parts.
        let fits_two = value_of(32);
        assert_eq!(
            gather_parts(3, &[&fits_two[..16], &fits_two[16..31], &fits_two[31..]]),
            Err(CookieReadError::NonCanonicalChunks)
        );
        assert_eq!(
            gather_parts(3, &[&fits_two[..16], &fits_two[16..]]).unwrap(),
            Some(fits_two.clone())
        );
        // The writer's split of the 40 characters opens.
        assert_eq!(
            gather_parts(3, &[&v[..16], &v[16..32], &v[32..]]).unwrap(),
            Some(v.clone())
        );
    }

    #[test]
    fn missing_and_extra_parts_are_reported_before_the_split() {
        let v = value_of(40);
        // Part 1 missing and part 3 beyond k = 3: the missing part is reported first.
        let header = format!("s=3.{}; s.3={}", &v[..10], &v[10..20]);
        assert_eq!(
            gather(NAME, LIMIT, 4, &header),
            Err(CookieReadError::MissingChunk { chunk: 1 })
        );
        let header = format!("s=2.{}; s.1={}; s.2=x", &v[..10], &v[10..20]);
        assert_eq!(
            gather(NAME, LIMIT, 4, &header),
            Err(CookieReadError::UnexpectedChunk { chunk: 2 })
        );
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
