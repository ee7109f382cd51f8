//! `chunks`: fuzzer-chosen sets of chunk cookies assembled into a `Cookie` header.
//!
//! At start-up three real sessions are written for the cookie `sess` with a 200-octet limit
//! through the request driver (a request without cookies whose handler sets the state, and the
//! `Set-Cookie` lines of its end), so each needs four chunks (two hold the same state under
//! different nonces, the third another state). The input picks cookie names (`sess`,
//! `sess.1`..`sess.9`, `sess.0N`, junk) and values (real chunks of any of the three, bare parts,
//! re-marked parts, slices, a re-split of the joined value, the whole joined value, junk). The
//! header is read through the driver too: a request with it as its `Cookie` field, whose handler
//! reads the session.
//!
//! Checked: no panic; a header opens only if its `sess*` cookies are exactly one real session's
//! cookies (in any order, quoted or not), and then the state and the stamps (`Session::stamps`)
//! are that session's, as the request that wrote it left them; such a set
//! always opens, whatever other cookies surround it; every other well-formed set is refused by
//! the AEAD, and every malformed one before decoding with exactly the error FORMAT.md's refusal
//! order gives (the driver's `Refusal::Cookie`; no cookie of the name is no session and no
//! refusal). FORMAT.md says splits are canonical, so a re-split of a real value (same joined
//! value, other boundaries) is refused before decoding with exactly
//! `CookieReadError::NonCanonicalChunks`, although the value it joins to is authentic.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{CookieReadError, MAX_COOKIE_HEADER_LEN, OpenError, Stamps};

use crate::fixtures::now;
use crate::fixtures::{self, IDLE, NOW, Session};
use crate::oracle;
use crate::targets::cookie_header::{read, request};

/// The chunked cookie's name.
pub const NAME: &str = "sess";
/// Its size limit.
pub const LIMIT: usize = 200;
/// Its `max_chunks`.
pub const MAX: usize = 5;
/// Chunks each real session needs.
pub const K: usize = 4;

/// A real chunked session.
#[derive(Debug, Clone)]
pub struct Real {
    pub state: Session,
    /// `(name, value)` of each `Set-Cookie`, in order (chunk 0 carries the `k.` marker).
    pub pairs: Vec<(String, String)>,
    /// The parts without the marker.
    pub parts: Vec<String>,
    /// The sealed value (all parts joined).
    pub joined: String,
    /// Its stamps, as the request that wrote it left them.
    pub stamps: Stamps,
}

/// The cookie's request driver and the three real sessions.
pub struct Harness {
    pub driver: Driver,
    pub reals: Vec<Real>,
}

/// The request driver (default settings: cookie sessions, no store) of a chunked session cookie
/// for `sess` at the harness time.
pub fn chunk_driver() -> Driver {
    let sealer = fixtures::builder(fixtures::ring(), NAME, fixtures::SEALED_PURPOSE, NOW)
        .size_limit(LIMIT)
        .build()
        .expect("valid config");
    let cookie = sealed_session::SessionCookie::sealed(
        sealer,
        sealed_session::CookieOptions::new().max_chunks(MAX),
    )
    .expect("valid options");
    Driver::new(cookie)
}

/// The state of the real sessions 0 and 1 (`variant` 0) and 2 (`variant` 1).
pub fn real_state(variant: u8) -> Session {
    let mut s = fixtures::sample_session(variant, 1);
    s.name = format!("{}-{}", "x".repeat(470), variant);
    s
}

/// Writes `state` as a new session through `driver` (a request without cookies whose handler
/// sets it) and reads its response's `Set-Cookie` values and the session's stamps back.
pub fn real(driver: &Driver, state: Session) -> Real {
    let session = driver.begin::<Session, &[u8]>([]);
    now(Driver::load(&session)).expect("no store: loading cannot fail");
    session.replace(state.clone()).expect("fits the chunks");
    let mut response = Lines::new(200);
    now(driver.end(&session, &mut response));
    let set = response.header(Field::SetCookie);
    let stamps = session.stamps().expect("the handler started a session");
    // A new session at the frozen clock's second (the idle timeout ends before the absolute
    // lifetime), without a subject and so without a creation millisecond.
    assert_eq!(
        (stamps.created(), stamps.issued(), stamps.expires()),
        (NOW, NOW, NOW + IDLE),
        "stamps of a new session: {stamps:?}"
    );
    assert_eq!(stamps.created_millis(), None, "{stamps:?}");
    let mut pairs = Vec::new();
    for line in &set {
        let first = line.split(';').next().expect("name=value");
        let (n, v) = first.split_once('=').expect("name=value");
        if !v.is_empty() {
            pairs.push((n.to_owned(), v.to_owned()));
        }
    }
    assert_eq!(pairs.len(), K, "the real session needs {K} chunks: {set:?}");
    let mut parts: Vec<String> = pairs.iter().map(|(_, v)| v.clone()).collect();
    let marker = format!("{K}.");
    parts[0] = parts[0]
        .strip_prefix(&marker)
        .expect("chunk 0 carries the count")
        .to_owned();
    let joined = parts.concat();
    Real {
        state,
        pairs,
        parts,
        joined,
        stamps,
    }
}

/// The harness, built once per process.
pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let driver = chunk_driver();
        let reals = vec![
            real(&driver, real_state(0)),
            real(&driver, real_state(0)),
            real(&driver, real_state(1)),
        ];
        Harness { driver, reals }
    })
}

/// The fuzzer's description of a header.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct ChunkSet {
    /// How far (in characters) [`ChunkValue::Resplit`] moves every chunk boundary to the left.
    pub shift: u8,
    pub sep: Sep,
    pub cookies: Vec<ChunkCookie>,
}

/// The separator between cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Sep {
    Semi,
    SemiSpace,
    SemiTab,
    SpaceSemiSpace,
}

/// One `name=value` of the header.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct ChunkCookie {
    pub name: ChunkName,
    pub value: ChunkValue,
    /// Wrap the value in double quotes.
    pub quoted: bool,
}

/// Cookie names.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum ChunkName {
    /// `sess`
    Base,
    /// `sess.{1 + n % 9}`
    Index(u8),
    /// `sess.0{n % 10}` (not a chunk name: leading zero)
    ZeroPadded(u8),
    /// `sess.`
    Dotted,
    /// `SESS.1` (names are case-sensitive)
    Upper,
    /// Anything.
    Other(String),
}

/// Cookie values.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum ChunkValue {
    /// A real chunk's cookie value exactly (chunk 0 with its `4.` marker).
    Real {
        session: u8,
        chunk: u8,
    },
    /// A real part without any marker.
    Part {
        session: u8,
        chunk: u8,
    },
    /// `{count}.{part}`
    Marked {
        count: u8,
        session: u8,
        chunk: u8,
    },
    /// A slice of a real chunk's cookie value.
    Slice {
        session: u8,
        chunk: u8,
        start: u8,
        end: u8,
    },
    /// Chunk `chunk` of the joined value split at boundaries moved left by `shift`: a complete
    /// set of these joins to the authentic value but, unless `shift` is 0, is not the writer's
    /// split, so it must be refused (`NonCanonicalChunks`).
    Resplit {
        session: u8,
        chunk: u8,
    },
    /// The whole joined value in one cookie (too long for one).
    Joined {
        session: u8,
    },
    Junk(String),
    Empty,
}

impl ChunkName {
    fn render(&self) -> String {
        match self {
            Self::Base => NAME.to_owned(),
            Self::Index(n) => format!("{NAME}.{}", 1 + n % 9),
            Self::ZeroPadded(n) => format!("{NAME}.0{}", n % 10),
            Self::Dotted => format!("{NAME}."),
            Self::Upper => "SESS.1".to_owned(),
            Self::Other(s) => s.clone(),
        }
    }
}

fn pick(reals: &[Real], session: u8) -> &Real {
    &reals[usize::from(session) % reals.len()]
}

/// The parts of `real.joined` with every boundary moved `shift` characters left.
pub fn resplit(real: &Real, shift: usize) -> Vec<String> {
    let mut bounds = Vec::with_capacity(K + 1);
    bounds.push(0);
    let mut end = 0;
    for (i, p) in real.parts.iter().enumerate() {
        end += p.len();
        let b = if i + 1 == K {
            end
        } else {
            end.saturating_sub(shift)
        };
        bounds.push(b.max(*bounds.last().expect("non-empty")));
    }
    bounds
        .windows(2)
        .map(|w| real.joined[w[0]..w[1]].to_owned())
        .collect()
}

impl ChunkValue {
    fn render(&self, reals: &[Real], shift: u8) -> String {
        match self {
            Self::Real { session, chunk } => pick(reals, *session).pairs[usize::from(*chunk) % K]
                .1
                .clone(),
            Self::Part { session, chunk } => {
                pick(reals, *session).parts[usize::from(*chunk) % K].clone()
            }
            Self::Marked {
                count,
                session,
                chunk,
            } => format!(
                "{count}.{}",
                pick(reals, *session).parts[usize::from(*chunk) % K]
            ),
            Self::Slice {
                session,
                chunk,
                start,
                end,
            } => {
                let v = &pick(reals, *session).pairs[usize::from(*chunk) % K].1;
                let n = v.len() + 1;
                let (a, b) = (usize::from(*start) % n, usize::from(*end) % n);
                v.get(a.min(b)..b.max(a)).unwrap_or_default().to_owned()
            }
            Self::Resplit { session, chunk } => {
                let parts = resplit(pick(reals, *session), usize::from(shift));
                let i = usize::from(*chunk) % K;
                if i == 0 {
                    format!("{K}.{}", parts[0])
                } else {
                    parts[i].clone()
                }
            }
            Self::Joined { session } => pick(reals, *session).joined.clone(),
            Self::Junk(s) => s.clone(),
            Self::Empty => String::new(),
        }
    }
}

/// The `Cookie` header an input describes.
pub fn assemble(input: &ChunkSet, reals: &[Real]) -> String {
    let sep = match input.sep {
        Sep::Semi => ";",
        Sep::SemiSpace => "; ",
        Sep::SemiTab => ";\t",
        Sep::SpaceSemiSpace => " ; ",
    };
    let mut header = String::new();
    for (i, c) in input.cookies.iter().enumerate() {
        if i > 0 {
            header.push_str(sep);
        }
        header.push_str(&c.name.render());
        header.push('=');
        let value = c.value.render(reals, input.shift);
        if c.quoted {
            header.push('"');
            header.push_str(&value);
            header.push('"');
        } else {
            header.push_str(&value);
        }
    }
    header
}

/// What happened to one input (for the seed generator's self-check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Absent,
    RefusedBeforeDecoding,
    /// Refused before decoding as `NonCanonicalChunks`: complete chunks that are not the writer's
    /// split; `authentic` when they join to a real session's value (a re-split).
    NonCanonical {
        authentic: bool,
    },
    RefusedByOpen,
    /// Opened real session number `n` (its cookies were the real ones unchanged).
    Opened {
        n: usize,
    },
}

/// The target.
pub fn run(input: &ChunkSet) -> Outcome {
    let h = harness();
    let header = assemble(input, &h.reals);
    let session = request::<Session>(&h.driver, &header);
    let got = read(&session);
    if header.len() > MAX_COOKIE_HEADER_LEN {
        assert!(matches!(got, Err(CookieReadError::HeaderTooLong { .. })));
        return Outcome::RefusedBeforeDecoding;
    }
    let joined = match oracle::model_gather(&header, NAME, LIMIT, MAX) {
        Err(CookieReadError::NonCanonicalChunks) => {
            assert_eq!(
                got.err(),
                Some(CookieReadError::NonCanonicalChunks),
                "a split other than the writer's"
            );
            let authentic = resplit_joins_to_a_real_value(&header, &h.reals);
            return Outcome::NonCanonical { authentic };
        }
        Err(refusal) => {
            assert_eq!(got.err(), Some(refusal), "refusal before decoding");
            return Outcome::RefusedBeforeDecoding;
        }
        Ok(None) => {
            assert!(matches!(got, Ok(None)), "{got:?}");
            return Outcome::Absent;
        }
        Ok(Some(joined)) => joined,
    };
    let Some(n) = h.reals.iter().position(|r| r.joined == joined) else {
        match &got {
            Err(CookieReadError::Open(e))
                if !matches!(e, OpenError::Oversized { .. }) && !oracle::is_post_auth(e) => {}
            other => panic!("a chunk set that is no real session gave {other:?}"),
        }
        return Outcome::RefusedByOpen;
    };
    let state = match got {
        Ok(Some(state)) => state,
        other => panic!("a complete chunk set of real session {n} gave {other:?}"),
    };
    assert_eq!(state, h.reals[n].state, "state of real session {n}");
    assert_eq!(
        session.stamps(),
        Some(h.reals[n].stamps),
        "stamps of real session {n}"
    );
    // Splits are canonical (FORMAT.md): what opens is exactly the writer's cookies, unchanged.
    let mut sent = chunk_pairs(&header);
    sent.sort_unstable();
    let mut real: Vec<(&str, &str)> = h.reals[n]
        .pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    real.sort_unstable();
    assert_eq!(sent, real, "only the real cookies of session {n} open it");
    Outcome::Opened { n }
}

/// The `sess` and `sess.{i}` pairs of `header` (chunk names only: canonical indices).
fn chunk_pairs(header: &str) -> Vec<(&str, &str)> {
    oracle::model_cookie_pairs(header)
        .into_iter()
        .filter(|(name, _)| {
            *name == NAME
                || name
                    .strip_prefix(NAME)
                    .and_then(|r| r.strip_prefix('.'))
                    .and_then(oracle::canonical_index)
                    .is_some()
        })
        .collect()
}

/// Whether the chunks of `header` (already known complete and well-formed) join to a real
/// session's value: a re-split of an authentic value.
fn resplit_joins_to_a_real_value(header: &str, reals: &[Real]) -> bool {
    let mut parts = [""; MAX];
    let mut k = 1;
    for (name, value) in chunk_pairs(header) {
        if name == NAME {
            let (count, head) = value.split_once('.').expect("a chunked first cookie");
            k = count.parse().expect("a canonical count");
            parts[0] = head;
        } else {
            let i = oracle::canonical_index(&name[NAME.len() + 1..]).expect("a chunk name");
            parts[i] = value;
        }
    }
    let joined = parts[..k].concat();
    reals.iter().any(|r| r.joined == joined)
}
