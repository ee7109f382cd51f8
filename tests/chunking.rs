//! Chunked cookies (FORMAT.md, "Chunked cookies"): a value too long for one cookie is spread over
//! `name`, `name.1`, ... with a `k.` marker on the first. Round trips at every chunk-count
//! boundary, the size rule on every emitted cookie, removal of the stale chunks a request carried,
//! refusal of every tamper (a missing, swapped, duplicated, extra, truncated or bit-flipped
//! chunk), and refusal of every split other than the writer's (`NonCanonicalChunks`), even of an
//! authentic value. Every cookie is written and read as the public request driver
//! (`sealed_session::web::Driver`) writes and reads it for a request.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::cookie::{
    NAME, T0, T0_PLUS_IDLE_HTTP_DATE, T0_STAMPS_LEN, base64_len, builder, bytes,
    bytes_postcard_len, clock, decode, header_of, is_removal, key_a, ring, sealer, signer_builder,
    stored,
};
use common::driver::{Sent, request, write};
use sealed_session::web::Driver;
use sealed_session::{
    CookieOptions, CookieReadError, KeyId, Lifetime, Malformed, OpenError, Refusal, SealError,
    SessionCookie, WriteError,
};
use serde_bytes::ByteBuf;

const LIMIT: usize = 4096;
/// Version, key id, nonce and tag around the plaintext.
const ENVELOPE: usize = 1 + 4 + 12 + 16;
/// A small size limit for the exhaustive tamper tests: two chunks of at most 300 octets each.
const SMALL_LIMIT: usize = 300;

// ---------------------------------------------------------------------------------------------
// The chunk layout, as FORMAT.md specifies it
// ---------------------------------------------------------------------------------------------

fn decimal_len(n: usize) -> usize {
    n.to_string().len()
}

/// Length of the name of chunk `i`: `name`, then `name.1`, `name.2`, ...
fn chunk_name_len(name: &str, i: usize) -> usize {
    if i == 0 {
        name.len()
    } else {
        name.len() + 1 + decimal_len(i)
    }
}

/// Value characters chunk `i` of `k` can carry: `len(name_i) + 1 + len(cookie value) <= limit`,
/// where the first of several cookies also holds the `k.` marker.
fn room(name: &str, limit: usize, i: usize, k: usize) -> usize {
    let marker = if i == 0 && k > 1 {
        decimal_len(k) + 1
    } else {
        0
    };
    limit - chunk_name_len(name, i) - 1 - marker
}

/// Value characters `k` chunks can carry.
fn capacity(name: &str, limit: usize, k: usize) -> usize {
    (0..k).map(|i| room(name, limit, i, k)).sum()
}

/// The fewest chunks that carry a value of `len` characters.
fn chunks_needed(name: &str, limit: usize, len: usize) -> usize {
    (1..)
        .find(|&k| capacity(name, limit, k) >= len)
        .expect("some k")
}

/// The part lengths of FORMAT.md's one accepted split of a value of `len` characters: unchunked
/// if it fits one cookie, else the fewest chunks, every part but the last filled to its room.
fn writer_part_lens(name: &str, limit: usize, len: usize) -> Vec<usize> {
    let k = chunks_needed(name, limit, len);
    let mut left = len;
    (0..k)
        .map(|i| {
            let l = left.min(room(name, limit, i, k));
            left -= l;
            l
        })
        .collect()
}

/// Whether parts of these lengths are the writer's split of their joined value.
fn is_canonical(name: &str, limit: usize, lens: &[usize]) -> bool {
    writer_part_lens(name, limit, lens.iter().sum()) == lens
}

/// The part lengths a reader sees for `name` in `header` (chunk order, `k.` marker removed).
fn part_lens_in(name: &str, header: &str) -> Vec<usize> {
    let mut lens = BTreeMap::new();
    for (n, v) in sealed_session::cookie_pairs(header) {
        if n == name {
            let part = v.split_once('.').map_or(v, |(_, p)| p);
            lens.insert(0, part.len());
        } else if let Some(i) = n.strip_prefix(name).and_then(|r| r.strip_prefix('.')) {
            lens.insert(i.parse::<usize>().expect("a chunk index"), v.len());
        }
    }
    lens.into_values().collect()
}

/// Characters of the value sealing [`bytes`]`(n)` as a new default session at T0.
fn value_len(n: usize) -> usize {
    base64_len(ENVELOPE + T0_STAMPS_LEN + bytes_postcard_len(n))
}

/// The largest payload whose value fits `chars` characters.
fn largest_payload_within(chars: usize) -> usize {
    (0..)
        .take_while(|&n| value_len(n) <= chars)
        .last()
        .expect("an empty payload fits")
}

fn chunk_name(name: &str, i: usize) -> String {
    if i == 0 {
        name.to_owned()
    } else {
        format!("{name}.{i}")
    }
}

fn removal(name: &str) -> String {
    format!(
        "{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
    )
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// A driver of default sealed cookies (limit 4096) allowed `k` chunks.
fn driver(k: usize) -> Driver {
    Driver::new(SessionCookie::sealed(sealer(NAME), CookieOptions::new().max_chunks(k)).unwrap())
}

/// A driver of sealed cookies with a size limit of [`SMALL_LIMIT`], allowed `k` chunks.
fn small_driver(k: usize) -> Driver {
    let sealer = builder(&ring(), &clock(), NAME)
        .size_limit(SMALL_LIMIT)
        .build()
        .unwrap();
    Driver::new(SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(k)).unwrap())
}

/// The stored `(name, value)` pairs of a new session holding [`bytes`]`(n)`: what the response
/// to a request without cookies whose handler sets that state leaves in the browser.
fn chunks_of(driver: &Driver, n: usize) -> Vec<(String, String)> {
    stored(&write(driver, "", bytes(n)).unwrap())
}

/// What the handler of a request with the `Cookie` header `header` reads: the state, or why the
/// cookie layer refused the request's cookie (any other refusal fails the test: these drivers
/// have no store).
fn open(driver: &Driver, header: &str) -> Result<Option<ByteBuf>, CookieReadError> {
    common::driver::open::<ByteBuf>(driver, header).map_err(|refusal| match refusal {
        Refusal::Cookie(e) => e,
        other => panic!("refused by the cookie layer, not {other:?}"),
    })
}

/// The sealed value carried by stored chunks: the parts joined, without the `k.` marker.
fn joined(chunks: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (_, v)) in chunks.iter().enumerate() {
        if i == 0 && chunks.len() > 1 {
            out.push_str(v.split_once('.').expect("a k. marker").1);
        } else {
            out.push_str(v);
        }
    }
    out
}

/// A payload size whose session takes exactly two chunks under [`SMALL_LIMIT`], chosen so that
/// the last chunk is shorter than the first.
const SMALL_TWO_CHUNK_PAYLOAD: usize = 250;
const SMALL_THREE_CHUNK_PAYLOAD: usize = 500;
const SMALL_FOUR_CHUNK_PAYLOAD: usize = 700;

fn small_session(k: usize, n: usize) -> (Driver, Vec<(String, String)>) {
    let driver = small_driver(k);
    let chunks = chunks_of(&driver, n);
    (driver, chunks)
}

// ---------------------------------------------------------------------------------------------
// The layout itself
// ---------------------------------------------------------------------------------------------

#[test]
fn chunk_capacities_for_the_default_name_and_limit() {
    // "session" (7) + "=" leaves 4088; a first chunk of several also holds "k." (2 more).
    assert_eq!(capacity(NAME, LIMIT, 1), 4088);
    assert_eq!(capacity(NAME, LIMIT, 2), 4086 + 4086);
    assert_eq!(capacity(NAME, LIMIT, 3), 4086 * 3);
    assert_eq!(capacity(NAME, LIMIT, 4), 4086 * 4);
}

#[test]
fn session_exactly_at_the_two_chunk_boundary_fills_both_cookies_to_the_octet() {
    let d = driver(2);
    // The largest value two cookies can carry: 8172 characters = 6129 bytes, payload 6086.
    let n = largest_payload_within(capacity(NAME, LIMIT, 2));
    assert_eq!(value_len(n), 8172);
    let chunks = chunks_of(&d, n);
    let sizes: Vec<usize> = chunks.iter().map(|(n, v)| n.len() + 1 + v.len()).collect();
    assert_eq!(sizes, [4096, 4096]);
    assert!(chunks[0].1.starts_with("2."));
}

#[test]
fn first_cookie_is_filled_before_the_next_one_is_used() {
    // One character over a single cookie: the first cookie is full, the second holds the rest.
    let d = driver(2);
    let n = largest_payload_within(capacity(NAME, LIMIT, 1)) + 1;
    let chunks = chunks_of(&d, n);
    let len = value_len(n);
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].1.len(), 2 + room(NAME, LIMIT, 0, 2));
    assert_eq!(chunks[1].1.len(), len - room(NAME, LIMIT, 0, 2));
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

/// Payload sizes from 0 to the largest that fits `k` chunks: a stride through the range plus,
/// for every `j <= k`, the largest size that fits `j` chunks and the smallest that needs `j + 1`.
fn sizes_up_to(k: usize) -> Vec<usize> {
    let max = largest_payload_within(capacity(NAME, LIMIT, k));
    let mut sizes: Vec<usize> = (0..=max).step_by(211).collect();
    for j in 1..=k {
        let largest = largest_payload_within(capacity(NAME, LIMIT, j));
        sizes.push(largest);
        if j < k {
            sizes.push(largest + 1);
        }
    }
    sizes.push(max);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[test]
fn round_trip_at_every_size_and_chunk_boundary_for_one_to_four_chunks() {
    for k in 1..=4 {
        let d = driver(k);
        for n in sizes_up_to(k) {
            // A new session: the request carried no cookie, so there is nothing to delete.
            let set = write(&d, "", bytes(n)).unwrap();
            let expected_chunks = chunks_needed(NAME, LIMIT, value_len(n));
            assert!(expected_chunks <= k);
            // One Set-Cookie per chunk, and no removal.
            assert_eq!(set.len(), expected_chunks, "k={k} n={n}");
            for (i, s) in set.iter().enumerate() {
                let (name, value) = s.split(';').next().unwrap().split_once('=').unwrap();
                assert_eq!(name, chunk_name(NAME, i));
                assert!(name.len() + 1 + value.len() <= LIMIT, "k={k} n={n} i={i}");
                assert!(!is_removal(s), "k={k} n={n} i={i}");
            }
            let chunks = stored(&set);
            assert_eq!(chunks.len(), expected_chunks);
            assert_eq!(joined(&chunks).len(), value_len(n), "k={k} n={n}");
            if expected_chunks > 1 {
                assert!(chunks[0].1.starts_with(&format!("{expected_chunks}.")));
            }
            let opened = open(&d, &header_of(&chunks)).unwrap().expect("a session");
            assert_eq!(opened.len(), n, "k={k} n={n}");
            assert_eq!(opened, bytes(n));
        }
    }
}

#[test]
fn rewriting_a_full_session_deletes_exactly_the_names_left_unused_at_every_size() {
    for k in 1..=4 {
        let d = driver(k);
        // The request carries a session filling all `k` chunks.
        let full = chunks_of(&d, largest_payload_within(capacity(NAME, LIMIT, k)));
        assert_eq!(full.len(), k);
        let header = header_of(&full);
        for n in sizes_up_to(k) {
            let set = write(&d, &header, bytes(n)).unwrap();
            let expected_chunks = chunks_needed(NAME, LIMIT, value_len(n));
            // One Set-Cookie per chunk, then one removal per carried name the value leaves unused.
            assert_eq!(set.len(), k, "k={k} n={n}");
            for (i, s) in set.iter().enumerate() {
                let name = s.split_once('=').unwrap().0;
                assert_eq!(name, chunk_name(NAME, i), "k={k} n={n} i={i}");
                assert_eq!(is_removal(s), i >= expected_chunks, "k={k} n={n} i={i}");
            }
            // The browser that held the full session keeps exactly the new value's chunks.
            let mut jar = Jar(full.iter().cloned().collect());
            jar.apply(&set);
            assert_eq!(jar.0.len(), expected_chunks, "k={k} n={n}");
            assert_eq!(
                open(&d, &jar.header()).unwrap(),
                Some(bytes(n)),
                "k={k} n={n}"
            );
        }
    }
}

#[test]
fn every_chunk_count_boundary_uses_exactly_the_fewest_chunks() {
    let d = driver(4);
    for j in 1..=4 {
        let largest = largest_payload_within(capacity(NAME, LIMIT, j));
        assert_eq!(chunks_of(&d, largest).len(), j, "largest fitting {j}");
        if j < 4 {
            assert_eq!(
                chunks_of(&d, largest + 1).len(),
                j + 1,
                "smallest needing {}",
                j + 1
            );
        }
    }
}

#[test]
fn eight_chunks_round_trip_at_their_capacity() {
    let d = driver(8);
    let n = largest_payload_within(capacity(NAME, LIMIT, 8));
    let chunks = chunks_of(&d, n);
    let names: Vec<&str> = chunks.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "session",
            "session.1",
            "session.2",
            "session.3",
            "session.4",
            "session.5",
            "session.6",
            "session.7"
        ]
    );
    assert!(chunks.iter().all(|(n, v)| n.len() + 1 + v.len() <= LIMIT));
    assert_eq!(open(&d, &header_of(&chunks)).unwrap(), Some(bytes(n)));
}

#[test]
fn chunks_open_in_any_order_among_other_cookies() {
    let d = driver(3);
    let n = largest_payload_within(capacity(NAME, LIMIT, 3));
    let mut chunks = chunks_of(&d, n);
    chunks.reverse();
    chunks.insert(1, ("theme".into(), "dark".into()));
    chunks.push(("session.01".into(), "x".into()));
    assert_eq!(open(&d, &header_of(&chunks)).unwrap(), Some(bytes(n)));
}

#[test]
fn non_canonical_chunk_names_are_other_cookies() {
    let (d, mut chunks) = small_session(3, SMALL_TWO_CHUNK_PAYLOAD);
    for other in [
        "session.0",
        "session.01",
        "session.+1",
        "session.1a",
        "session.1000",
        "session.",
    ] {
        chunks.push((other.into(), "junk".into()));
    }
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap(),
        Some(bytes(SMALL_TWO_CHUNK_PAYLOAD))
    );
}

#[test]
fn chunked_signed_session_round_trips() {
    let signer = signer_builder(&ring(), &clock(), NAME).build().unwrap();
    let d = Driver::new(SessionCookie::signed(signer, CookieOptions::new().max_chunks(2)).unwrap());
    let chunks = chunks_of(&d, 5000);
    assert_eq!(chunks.len(), 2);
    // Signed values are readable: the payload bytes appear in the decoded joined value.
    let raw = decode(&joined(&chunks));
    assert_eq!(raw[0], 0x81);
    assert!(raw.windows(5000).any(|w| w == bytes(5000).as_slice()));
    assert_eq!(open(&d, &header_of(&chunks)).unwrap(), Some(bytes(5000)));
}

#[test]
fn renewing_a_chunked_session_keeps_its_creation_time() {
    // An absolute lifetime of 2000 s: renewed at T0 + 600 with its creation time kept, the
    // session ends at T0 + 2000 (Max-Age 1400); renewed as a new session, it would get a whole
    // idle timeout (Max-Age 1800). A chunked value does not open in a Sealer (longer than one
    // cookie), so the stamps are read from each chunk's attributes and from when it expires.
    let clock = clock();
    let sealer = builder(&ring(), &clock, NAME)
        .absolute_lifetime(Duration::from_secs(2000))
        .build()
        .unwrap();
    let d = Driver::new(SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(3)).unwrap());
    let first = write(&d, "", bytes(7000)).unwrap();
    assert_eq!(first.len(), 3);
    for line in &first {
        assert!(
            line.contains(&format!(
                "; Max-Age=1800; Expires={T0_PLUS_IDLE_HTTP_DATE};"
            )),
            "{line}"
        );
    }
    clock.advance(Duration::from_secs(600));
    // A request that only reads the session: a tenth of the idle timeout has passed, so its
    // renewal is due and the end of the request writes it.
    let renewed = request::<ByteBuf>(&d, &header_of(&stored(&first)), |s| {
        assert_eq!(s.get(), Some(bytes(7000)));
    })
    .set_cookies();
    assert_eq!(renewed.len(), 3, "{renewed:?}");
    assert_ne!(stored(&renewed), stored(&first), "sealed again");
    for line in &renewed {
        assert!(!is_removal(line), "{line}");
        // T0 + 2000: Fri, 15 Jan 2027 08:33:20 GMT.
        assert!(
            line.contains("; Max-Age=1400; Expires=Fri, 15 Jan 2027 08:33:20 GMT;"),
            "{line}"
        );
    }
    let header = header_of(&stored(&renewed));
    assert_eq!(open(&d, &header).unwrap(), Some(bytes(7000)));
    // The absolute lifetime still counts from the first creation (leeway 60 s).
    clock.set(T0 + 2060);
    assert_eq!(open(&d, &header).unwrap(), Some(bytes(7000)));
    clock.set(T0 + 2061);
    assert_eq!(
        open(&d, &header).unwrap_err(),
        CookieReadError::Open(OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + 2000
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Stale chunks and capacity
// ---------------------------------------------------------------------------------------------

/// A browser's cookie store for one path and host: `Set-Cookie` values applied in order.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn apply(&mut self, set_cookies: &[String]) {
        for s in set_cookies {
            let (name, value) = s.split(';').next().unwrap().split_once('=').unwrap();
            if is_removal(s) {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[test]
fn shrinking_session_deletes_its_stale_chunks() {
    let d = driver(3);
    let mut jar = Jar::default();
    jar.apply(&write(&d, "", bytes(9000)).unwrap());
    assert_eq!(
        jar.0.keys().collect::<Vec<_>>(),
        ["session", "session.1", "session.2"]
    );
    // The request carries the three chunks; the new value needs one: the two others go.
    let set = write(&d, &jar.header(), bytes(10)).unwrap();
    assert_eq!(set.len(), 3, "{set:?}");
    assert!(set[0].starts_with("session=") && !is_removal(&set[0]));
    assert_eq!(set[1], removal("session.1"));
    assert_eq!(set[2], removal("session.2"));
    jar.apply(&set);
    assert_eq!(jar.0.keys().collect::<Vec<_>>(), ["session"]);
    assert_eq!(open(&d, &jar.header()).unwrap(), Some(bytes(10)));
}

#[test]
fn three_chunks_shrinking_to_two_delete_only_the_third() {
    let d = driver(3);
    let mut jar = Jar::default();
    jar.apply(&write(&d, "", bytes(9000)).unwrap());
    let set = write(&d, &jar.header(), bytes(5000)).unwrap();
    assert_eq!(set.len(), 3);
    assert!(!is_removal(&set[0]) && !is_removal(&set[1]));
    assert_eq!(set[2], removal("session.2"));
    jar.apply(&set);
    assert_eq!(open(&d, &jar.header()).unwrap(), Some(bytes(5000)));
}

#[test]
fn only_the_chunk_names_the_request_carried_are_deleted() {
    // Up to eight chunks allowed, two carried: the one the new value leaves unused is deleted,
    // and none of the names the browser never had (session.2 to session.7).
    let d = driver(8);
    let two = chunks_of(&d, 5000);
    assert_eq!(two.len(), 2);
    let set = write(&d, &header_of(&two), bytes(10)).unwrap();
    assert_eq!(set.len(), 2, "{set:?}");
    assert!(set[0].starts_with("session=") && !is_removal(&set[0]));
    assert_eq!(set[1], removal("session.1"));
    // A growing session has nothing to delete.
    let set = write(&d, &header_of(&two), bytes(9000)).unwrap();
    assert_eq!(set.len(), 3, "{set:?}");
    assert!(!set.iter().any(|s| is_removal(s)), "{set:?}");
}

#[test]
fn refused_chunked_cookie_is_deleted_name_by_name_as_the_request_carried_it() {
    // A three-chunk session missing its middle chunk: no session, and the response deletes the
    // two names the request carried, not the one it lacked.
    let (d, mut chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 3);
    chunks.remove(1);
    let response = request::<ByteBuf>(&d, &header_of(&chunks), |s| {
        assert_eq!(s.get(), None);
        assert_eq!(
            s.refused(),
            Some(Refusal::Cookie(CookieReadError::MissingChunk { chunk: 1 }))
        );
    });
    assert_eq!(
        response.set_cookies(),
        [removal("session"), removal("session.2")]
    );
}

#[test]
fn session_over_the_capacity_of_its_chunks_is_too_many_chunks() {
    for k in 2..=4 {
        let d = driver(k);
        let n = largest_payload_within(capacity(NAME, LIMIT, k)) + 1;
        assert_eq!(
            write(&d, "", bytes(n)).unwrap_err(),
            WriteError::TooManyChunks {
                size: value_len(n),
                capacity: capacity(NAME, LIMIT, k),
                max_chunks: k,
            },
            "k={k}"
        );
    }
}

#[test]
fn session_over_one_cookie_without_chunking_is_too_large() {
    let d = driver(1);
    let n = largest_payload_within(capacity(NAME, LIMIT, 1)) + 1;
    assert_eq!(
        write(&d, "", bytes(n)).unwrap_err(),
        WriteError::Seal(SealError::TooLarge {
            size: NAME.len() + 1 + value_len(n),
            limit: LIMIT
        })
    );
}

#[test]
fn largest_single_cookie_is_exactly_4096_octets_and_one_byte_more_is_refused() {
    // 33 + 8 + (2 + 3023) = 3066 bytes = 4088 characters; "session=" makes 4096.
    let n = largest_payload_within(LIMIT - NAME.len() - 1);
    assert_eq!(n, 3023);
    let set = write(&driver(1), "", bytes(n)).unwrap();
    assert_eq!(set[0].split(';').next().unwrap().len(), 4096);
    // The Sealer alone applies the same rule.
    let s = sealer(NAME);
    assert_eq!(s.seal(&bytes(n)).unwrap().value().len(), 4088);
    let over = SealError::TooLarge {
        size: 4098,
        limit: 4096,
    };
    assert_eq!(s.seal(&bytes(n + 1)).unwrap_err(), over);
    assert_eq!(
        write(&driver(1), "", bytes(n + 1)).unwrap_err(),
        WriteError::Seal(over)
    );
}

// ---------------------------------------------------------------------------------------------
// Missing, duplicated, extra chunks
// ---------------------------------------------------------------------------------------------

#[test]
fn dropping_any_chunk_is_a_missing_chunk() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 3);
    for drop in 0..3 {
        let mut rest = chunks.clone();
        rest.remove(drop);
        assert_eq!(
            open(&d, &header_of(&rest)).unwrap_err(),
            CookieReadError::MissingChunk { chunk: drop },
            "dropped {drop}"
        );
    }
}

#[test]
fn chunks_without_the_first_cookie_are_missing_chunk_zero() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(
        open(&d, &header_of(&chunks[2..])).unwrap_err(),
        CookieReadError::MissingChunk { chunk: 0 }
    );
}

#[test]
fn duplicating_any_chunk_is_a_duplicate_cookie() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    for dup in 0..3 {
        let mut more = chunks.clone();
        more.push(chunks[dup].clone());
        assert_eq!(
            open(&d, &header_of(&more)).unwrap_err(),
            CookieReadError::DuplicateCookie { chunk: dup },
            "duplicated {dup}"
        );
    }
}

#[test]
fn chunk_beyond_the_announced_count_is_unexpected() {
    let (d, mut chunks) = small_session(4, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 3);
    chunks.push(("session.3".into(), "AAAA".into()));
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap_err(),
        CookieReadError::UnexpectedChunk { chunk: 3 }
    );
}

#[test]
fn chunk_beyond_the_configured_maximum_is_unexpected() {
    let (d, mut chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    chunks.push(("session.5".into(), "AAAA".into()));
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap_err(),
        CookieReadError::UnexpectedChunk { chunk: 5 }
    );
}

#[test]
fn chunk_next_to_an_unchunked_session_is_unexpected() {
    let (d, mut chunks) = small_session(3, 10);
    assert_eq!(chunks.len(), 1);
    chunks.push(("session.1".into(), "AAAA".into()));
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap_err(),
        CookieReadError::UnexpectedChunk { chunk: 1 }
    );
}

#[test]
fn chunk_longer_than_its_own_size_rule_is_oversized() {
    let (d, mut chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    // "session.1" + "=" leaves 290 characters under a 300-octet limit.
    assert_eq!(chunks[1].1.len(), 290, "a middle chunk is full");
    chunks[1].1.push('A');
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap_err(),
        CookieReadError::Open(OpenError::Oversized { len: 291, max: 290 })
    );
}

// ---------------------------------------------------------------------------------------------
// Swapped, truncated and flipped chunks
// ---------------------------------------------------------------------------------------------

/// The `k.` marker and body of a first cookie.
fn split_marker(v: &str) -> (&str, &str) {
    let at = v.find('.').expect("a marker") + 1;
    v.split_at(at)
}

#[test]
fn swapping_two_chunk_bodies_fails_to_open() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    let bodies: Vec<String> = chunks
        .iter()
        .enumerate()
        .map(|(i, (_, v))| if i == 0 { split_marker(v).1 } else { v }.to_owned())
        .collect();
    assert_eq!(bodies[0].len(), bodies[1].len(), "two full parts");
    assert!(bodies[2].len() < bodies[1].len(), "and a shorter last one");
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let mut bodies = bodies.clone();
        bodies.swap(a, b);
        let mut swapped = chunks.clone();
        for (i, body) in bodies.into_iter().enumerate() {
            swapped[i].1 = if i == 0 { format!("3.{body}") } else { body };
        }
        let expected = if b == 2 {
            // The short last part moved forward: not the writer's split, refused before decoding.
            CookieReadError::NonCanonicalChunks
        } else {
            // Same split; moving another part to the front moves the version and key id too.
            CookieReadError::Open(expected_for_joined(&joined(&swapped)))
        };
        assert_eq!(
            open(&d, &header_of(&swapped)).unwrap_err(),
            expected,
            "swapped {a} and {b}"
        );
    }
}

#[test]
fn swapping_two_full_middle_chunks_fails_authentication() {
    let (d, chunks) = small_session(4, SMALL_FOUR_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[1].1.len(), chunks[2].1.len(), "full chunks");
    let mut swapped = chunks.clone();
    swapped[1].1 = chunks[2].1.clone();
    swapped[2].1 = chunks[1].1.clone();
    assert_eq!(
        open(&d, &header_of(&swapped)).unwrap_err(),
        CookieReadError::Open(OpenError::Authentication)
    );
}

#[test]
fn swapping_whole_values_moves_the_marker_and_breaks_the_size_rule() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    let mut swapped = chunks.clone();
    swapped[0].1 = chunks[1].1.clone();
    swapped[1].1 = chunks[0].1.clone();
    // "3." + 290 characters is 292, two more than "session.1" may carry.
    assert_eq!(
        open(&d, &header_of(&swapped)).unwrap_err(),
        CookieReadError::Open(OpenError::Oversized { len: 292, max: 290 })
    );
}

#[test]
fn chunks_from_another_session_fail_authentication() {
    let (d, a) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    let b = chunks_of(&d, SMALL_THREE_CHUNK_PAYLOAD);
    let mut mixed = a.clone();
    mixed[2] = b[2].clone();
    assert_eq!(
        open(&d, &header_of(&mixed)).unwrap_err(),
        CookieReadError::Open(OpenError::Authentication)
    );
}

#[test]
fn truncating_any_chunk_by_one_character_fails_to_open() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    for i in 0..3 {
        let mut cut = chunks.clone();
        cut[i].1.pop();
        // A full part one short is not the writer's split (refused before decoding); a shorter
        // last part is, and the value is then not the authentic one.
        let expected = if i < 2 {
            CookieReadError::NonCanonicalChunks
        } else {
            CookieReadError::Open(expected_for_joined(&joined(&cut)))
        };
        assert_eq!(
            open(&d, &header_of(&cut)).unwrap_err(),
            expected,
            "chunk {i}"
        );
    }
}

#[test]
fn truncating_the_last_chunk_by_one_character_is_not_canonical_base64url() {
    // The joined value has 4k + 2 characters here, so one less leaves 4k + 1: never base64url.
    // 33 + 8 + 2 + 501 = 544 bytes: 726 characters.
    let (d, mut chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD + 1);
    assert_eq!(joined(&chunks).len(), 726);
    chunks[2].1.pop();
    assert_eq!(
        open(&d, &header_of(&chunks)).unwrap_err(),
        CookieReadError::Open(OpenError::Malformed(Malformed::Encoding))
    );
}

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What opening the joined value `text` must give when it is not the genuine one: encoding, then
/// version, then key id, then authentication (every character is in the alphabet here).
fn expected_for_joined(text: &str) -> OpenError {
    use base64::Engine as _;
    let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text) else {
        return OpenError::Malformed(Malformed::Encoding);
    };
    // A sealed reader opens the sealed suites' version bytes, with any identity flags.
    if !sealed_session::Suite::from_version(raw[0]).is_some_and(|s| s.is_sealed()) {
        return OpenError::UnsupportedVersion(raw[0]);
    }
    let id = KeyId::from_bytes(raw[1..5].try_into().unwrap());
    if id != key_a().id() {
        return OpenError::UnknownKey(id);
    }
    OpenError::Authentication
}

#[test]
fn every_single_bit_flip_of_every_chunk_character_is_refused() {
    let (d, chunks) = small_session(2, SMALL_TWO_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 2);
    assert_eq!(
        chunks[0].1.len(),
        292,
        "the first chunk is full: \"2.\" and 290 characters"
    );
    assert!(chunks[1].1.len() < 290, "the second chunk is not");
    let mut tried = 0;
    let mut non_canonical = 0;
    for i in 0..chunks.len() {
        let original: Vec<char> = chunks[i].1.chars().collect();
        for (at, &ch) in original.iter().enumerate() {
            for bit in 0..8 {
                let flipped = char::from_u32(u32::from(ch) ^ (1 << bit)).expect("below U+0100");
                let mut value = original.clone();
                value[at] = flipped;
                let mut bad = chunks.clone();
                bad[i].1 = value.into_iter().collect();
                let err = open(&d, &header_of(&bad)).expect_err("a flipped chunk never opens");
                tried += 1;
                let in_marker = i == 0 && at < 2;
                if i == 0 && !flipped.is_ascii() {
                    // The first cookie is full: a two-octet character breaks its size rule.
                    assert_eq!(
                        err,
                        CookieReadError::Open(OpenError::Oversized { len: 293, max: 292 })
                    );
                } else if in_marker && at == 0 {
                    assert_eq!(err, CookieReadError::MalformedChunkCount, "{flipped:?}");
                } else if in_marker {
                    // Without its '.', the first cookie reads as unchunked next to a chunk.
                    assert_eq!(
                        err,
                        CookieReadError::UnexpectedChunk { chunk: 1 },
                        "{flipped:?}"
                    );
                } else if ALPHABET.contains(flipped) {
                    let expected = expected_for_joined(&joined(&bad));
                    assert_eq!(
                        err,
                        CookieReadError::Open(expected),
                        "chunk {i} at {at} bit {bit}"
                    );
                } else if !is_canonical(NAME, SMALL_LIMIT, &part_lens_in(NAME, &header_of(&bad))) {
                    // A ';' (or trailing whitespace) cuts the cookie short: another split.
                    assert_eq!(
                        err,
                        CookieReadError::NonCanonicalChunks,
                        "chunk {i} at {at} bit {bit} -> {flipped:?}"
                    );
                    non_canonical += 1;
                } else {
                    // '.', ';', '=', quotes, whitespace, controls, non-ASCII: never a session.
                    assert!(
                        matches!(err, CookieReadError::Open(_)),
                        "chunk {i} at {at} bit {bit} -> {flipped:?}: {err:?}"
                    );
                }
            }
        }
    }
    assert_eq!(
        tried,
        8 * (chunks[0].1.len() + chunks[1].1.len()),
        "every bit of every character"
    );
    assert!(
        non_canonical > 0,
        "a ';' in the first cookie shortens its part"
    );
}

// ---------------------------------------------------------------------------------------------
// Canonical splits: one accepted cookie set per value
// ---------------------------------------------------------------------------------------------

/// Cookies of [`NAME`] carrying `value` in parts of lengths `lens` (a `k.` marker on the first of
/// several).
fn split_as(value: &str, lens: &[usize]) -> Vec<(String, String)> {
    assert_eq!(lens.iter().sum::<usize>(), value.len());
    let k = lens.len();
    let mut at = 0;
    lens.iter()
        .enumerate()
        .map(|(i, &l)| {
            let part = &value[at..at + l];
            at += l;
            let v = if i == 0 && k > 1 {
                format!("{k}.{part}")
            } else {
                part.to_owned()
            };
            (chunk_name(NAME, i), v)
        })
        .collect()
}

#[test]
fn shifted_boundary_of_an_authentic_value_is_non_canonical() {
    let (d, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    let value = joined(&chunks);
    // 724 characters: 290 + 290 + 144.
    assert_eq!(part_lens_in(NAME, &header_of(&chunks)), [290, 290, 144]);
    assert_eq!(
        open(&d, &header_of(&split_as(&value, &[290, 290, 144]))).unwrap(),
        Some(bytes(SMALL_THREE_CHUNK_PAYLOAD))
    );
    for lens in [
        [290, 285, 149],
        [285, 290, 149],
        [280, 290, 154],
        [289, 290, 145],
        [290, 289, 145],
    ] {
        assert_eq!(
            open(&d, &header_of(&split_as(&value, &lens))).unwrap_err(),
            CookieReadError::NonCanonicalChunks,
            "{lens:?}"
        );
    }
}

#[test]
fn empty_middle_or_last_part_is_non_canonical() {
    let (d, chunks) = small_session(4, SMALL_THREE_CHUNK_PAYLOAD);
    let value = joined(&chunks);
    for lens in [
        &[290, 0, 290, 144][..],
        &[290, 290, 0, 144],
        &[290, 290, 144, 0],
        &[0, 290, 290, 144],
    ] {
        assert_eq!(
            open(&d, &header_of(&split_as(&value, lens))).unwrap_err(),
            CookieReadError::NonCanonicalChunks,
            "{lens:?}"
        );
    }
    // A two-chunk session with an empty third part.
    let (_, two) = small_session(4, SMALL_TWO_CHUNK_PAYLOAD);
    let value = joined(&two);
    assert_eq!(
        open(
            &d,
            &header_of(&split_as(&value, &[290, value.len() - 290, 0]))
        )
        .unwrap_err(),
        CookieReadError::NonCanonicalChunks
    );
}

#[test]
fn marker_with_an_empty_head_is_non_canonical() {
    // `session=2.; session.1=<the whole value>`: every cookie within the size rule.
    let (d, chunks) = small_session(3, 10);
    assert_eq!(chunks.len(), 1);
    let value = &chunks[0].1;
    let header = format!("session=2.; session.1={value}");
    assert_eq!(
        open(&d, &header).unwrap_err(),
        CookieReadError::NonCanonicalChunks
    );
    let header = format!("session=3.; session.1={value}; session.2=");
    assert_eq!(
        open(&d, &header).unwrap_err(),
        CookieReadError::NonCanonicalChunks
    );
    assert_eq!(open(&d, &header_of(&chunks)).unwrap(), Some(bytes(10)));
}

#[test]
fn chunked_form_of_a_value_that_fits_one_cookie_is_non_canonical() {
    // The longest value one cookie carries: "session=" + 292 characters. As two chunks its first
    // part can be full (290) and its last non-empty, yet one cookie was enough.
    let n = largest_payload_within(room(NAME, SMALL_LIMIT, 0, 1));
    let (d, chunks) = small_session(2, n);
    assert_eq!(chunks.len(), 1, "unchunked");
    let value = joined(&chunks);
    assert!(
        value.len() > room(NAME, SMALL_LIMIT, 0, 2),
        "{}",
        value.len()
    );
    let full_first = room(NAME, SMALL_LIMIT, 0, 2);
    for lens in [
        [full_first, value.len() - full_first],
        [value.len() / 2, value.len() - value.len() / 2],
        [value.len() - full_first, full_first],
    ] {
        assert_eq!(
            open(&d, &header_of(&split_as(&value, &lens))).unwrap_err(),
            CookieReadError::NonCanonicalChunks,
            "{lens:?}"
        );
    }
    // A short value chunked, too.
    let (_, small) = small_session(2, 10);
    let value = joined(&small);
    assert_eq!(
        open(&d, &header_of(&split_as(&value, &[40, value.len() - 40]))).unwrap_err(),
        CookieReadError::NonCanonicalChunks
    );
    assert_eq!(open(&d, &header_of(&chunks)).unwrap(), Some(bytes(n)));
}

#[test]
fn three_chunk_form_of_a_value_that_fits_two_is_non_canonical() {
    let (d, chunks) = small_session(3, SMALL_TWO_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 2);
    let value = joined(&chunks);
    let rest = value.len() - 290;
    assert!(rest > 2, "{rest}");
    for lens in [
        [290, rest - 1, 1],
        [290, 1, rest - 1],
        [200, 90, rest],
        [290, rest, 0],
    ] {
        assert_eq!(
            open(&d, &header_of(&split_as(&value, &lens))).unwrap_err(),
            CookieReadError::NonCanonicalChunks,
            "{lens:?}"
        );
    }
    assert_eq!(
        open(&d, &header_of(&split_as(&value, &[290, rest]))).unwrap(),
        Some(bytes(SMALL_TWO_CHUNK_PAYLOAD))
    );
}

#[test]
fn only_the_writers_split_opens_at_every_size_and_every_moved_boundary_is_refused() {
    let d = small_driver(4);
    let max = largest_payload_within(capacity(NAME, SMALL_LIMIT, 4));
    let mut moved = 0;
    for n in (0..=max).step_by(7).chain([max]) {
        let chunks = chunks_of(&d, n);
        let lens = part_lens_in(NAME, &header_of(&chunks));
        let value = joined(&chunks);
        assert_eq!(
            lens,
            writer_part_lens(NAME, SMALL_LIMIT, value.len()),
            "n={n}"
        );
        assert_eq!(
            open(&d, &header_of(&chunks)).unwrap(),
            Some(bytes(n)),
            "n={n}"
        );
        let k = lens.len();
        for b in 0..k.saturating_sub(1) {
            for shift in [-3isize, -1, 1, 3] {
                let mut other = lens.clone();
                let (Some(left), Some(right)) = (
                    other[b].checked_add_signed(shift),
                    other[b + 1].checked_add_signed(-shift),
                ) else {
                    continue;
                };
                other[b] = left;
                other[b + 1] = right;
                let cookies = split_as(&value, &other);
                let got = open(&d, &header_of(&cookies)).unwrap_err();
                // A part pushed over its room breaks that cookie's size rule first.
                let over = cookies
                    .iter()
                    .map(|(name, v)| (v.len(), SMALL_LIMIT - name.len() - 1))
                    .find(|(len, max)| len > max);
                let expected = match over {
                    Some((len, max)) => CookieReadError::Open(OpenError::Oversized { len, max }),
                    None => CookieReadError::NonCanonicalChunks,
                };
                assert_eq!(got, expected, "n={n} {other:?}");
                moved += 1;
            }
        }
        // The same parts announced as one chunk more, the extra one empty.
        if (2..4).contains(&k) {
            let mut more = lens.clone();
            more.push(0);
            assert_eq!(
                open(&d, &header_of(&split_as(&value, &more))).unwrap_err(),
                CookieReadError::NonCanonicalChunks,
                "n={n}"
            );
        }
    }
    assert!(moved > 100, "{moved}");
}

#[test]
fn reader_and_writer_must_share_the_size_limit() {
    // Written under a 300-octet limit, read under 4096: the value fits one 4096-octet cookie, so
    // its chunks are not the split this reader's writer would make.
    let (_, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 3);
    assert_eq!(
        open(&driver(3), &header_of(&chunks)).unwrap_err(),
        CookieReadError::NonCanonicalChunks
    );
    // And the other way round, a full 4096-octet chunk breaks the smaller size rule.
    let d = driver(2);
    let big = chunks_of(&d, 4000);
    assert_eq!(big.len(), 2);
    assert!(matches!(
        open(&small_driver(2), &header_of(&big)).unwrap_err(),
        CookieReadError::Open(OpenError::Oversized { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// The k. marker
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_chunk_counts_are_refused() {
    let (d, chunks) = small_session(4, SMALL_TWO_CHUNK_PAYLOAD);
    assert_eq!(chunks.len(), 2);
    let (_, body) = split_marker(&chunks[0].1);
    for marker in [
        "1.", "0.", "9.", "5.", "02.", "x.", ".", "+2.", "-2.", "2 .", "1000.", "2a.", "\u{661}.",
    ] {
        // The first cookie is full: keep its length so the size rule is not what refuses it.
        let body = &body[marker.len().saturating_sub(2)..];
        let mut bad = chunks.clone();
        bad[0].1 = format!("{marker}{body}");
        assert!(bad[0].1.len() <= chunks[0].1.len());
        assert_eq!(
            open(&d, &header_of(&bad)).unwrap_err(),
            CookieReadError::MalformedChunkCount,
            "{marker:?}"
        );
    }
}

#[test]
fn chunk_count_larger_than_the_chunks_sent_is_a_missing_chunk() {
    let (d, chunks) = small_session(4, SMALL_TWO_CHUNK_PAYLOAD);
    let (_, body) = split_marker(&chunks[0].1);
    let mut bad = chunks.clone();
    bad[0].1 = format!("3.{body}");
    assert_eq!(
        open(&d, &header_of(&bad)).unwrap_err(),
        CookieReadError::MissingChunk { chunk: 2 }
    );
}

#[test]
fn chunk_count_smaller_than_the_chunks_sent_is_an_unexpected_chunk() {
    let (d, chunks) = small_session(4, SMALL_THREE_CHUNK_PAYLOAD);
    let (_, body) = split_marker(&chunks[0].1);
    let mut bad = chunks.clone();
    bad[0].1 = format!("2.{body}");
    assert_eq!(
        open(&d, &header_of(&bad)).unwrap_err(),
        CookieReadError::UnexpectedChunk { chunk: 2 }
    );
}

#[test]
fn chunked_value_is_refused_when_chunking_is_off() {
    let (_, chunks) = small_session(2, SMALL_TWO_CHUNK_PAYLOAD);
    let unchunked = small_driver(1);
    // The chunk cookie is ignored and "2.<part>" is not base64url.
    assert_eq!(
        open(&unchunked, &header_of(&chunks)).unwrap_err(),
        CookieReadError::Open(OpenError::Malformed(Malformed::Encoding))
    );
    assert_eq!(
        open(&unchunked, &header_of(&chunks[..1])).unwrap_err(),
        CookieReadError::Open(OpenError::Malformed(Malformed::Encoding))
    );
    // Alone, a chunk is just another cookie to it.
    assert_eq!(open(&unchunked, &header_of(&chunks[1..])).unwrap(), None);
}

#[test]
fn unchunked_session_opens_when_chunking_is_on() {
    let (_, chunks) = small_session(1, 10);
    assert_eq!(
        open(&small_driver(3), &header_of(&chunks)).unwrap(),
        Some(bytes(10))
    );
}

#[test]
fn chunked_session_opens_with_a_larger_maximum_but_not_a_smaller_one() {
    let (_, chunks) = small_session(3, SMALL_THREE_CHUNK_PAYLOAD);
    assert_eq!(
        open(&small_driver(8), &header_of(&chunks)).unwrap(),
        Some(bytes(SMALL_THREE_CHUNK_PAYLOAD))
    );
    // A reader allowing two chunks refuses session.2 outright.
    assert_eq!(
        open(&small_driver(2), &header_of(&chunks)).unwrap_err(),
        CookieReadError::UnexpectedChunk { chunk: 2 }
    );
}
