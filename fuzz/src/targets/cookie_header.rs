//! `cookie_header`: any bytes as a `Cookie` request header.
//!
//! Checked: `cookie_pairs` iterates to the end and yields exactly what an independent model of
//! the header grammar yields; three `SessionCookie`s (sealed with chunking over up to 4 cookies,
//! sealed unchunked, signed), each read through the request driver as a web adapter reads it (a
//! request with the header as its `Cookie` field, begun and loaded, whose handler reads the
//! session), never panic, give no session and no refusal exactly when the header carries none
//! of their cookies, refuse before decoding exactly the headers the FORMAT.md chunk rules refuse,
//! with exactly the error (`Refusal::Cookie`) and in the order FORMAT.md's chunk rules give, and
//! otherwise behave exactly like opening the joined value directly (the same state, or the same
//! `OpenError`).

use std::sync::OnceLock;

use sealed_session::web::Driver;
use sealed_session::{
    CookieReadError, KeyRing, MAX_COOKIE_HEADER_LEN, OpenError, Opened, Refusal, Sealer, Signer,
    cookie_pairs,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::fixtures::{self, CHUNKED_LIMIT, CHUNKED_MAX, CHUNKED_NAME, NOW, Session, now};
use crate::oracle;

/// The session of a request whose one `Cookie` field is `header`, begun and loaded as a web
/// adapter does before its handler runs.
pub fn request<T: Serialize + DeserializeOwned>(
    driver: &Driver,
    header: &str,
) -> sealed_session::Session<T> {
    let session = driver.begin::<T, _>([header.to_owned()]);
    now(Driver::load(&session)).expect("no store: loading cannot fail");
    session
}

/// What a handler that reads `session` finds, as the cookie layer's reader reports it: the state
/// (`Ok(Some)`), no cookie of the name (`Ok(None)`: no session and no refusal), or why the
/// cookie was refused (`Err`: no session, and `Refusal::Cookie` with this error). A session
/// that is both there and refused, or a refusal only a store gives, fails the target.
pub fn read<T: Serialize + DeserializeOwned + Clone>(
    session: &sealed_session::Session<T>,
) -> Result<Option<T>, CookieReadError> {
    let state = session.get();
    match (state, session.refused()) {
        (state, None) => Ok(state),
        (None, Some(Refusal::Cookie(e))) => Err(e),
        (Some(_), Some(refusal)) => panic!("a session that opened was refused: {refusal:?}"),
        (None, Some(refusal)) => panic!("a refusal only a store gives, without one: {refusal:?}"),
    }
}

/// Reads the session of a request with `header` through `driver` ([`request`], [`read`]).
pub fn read_header<T: Serialize + DeserializeOwned + Clone>(
    driver: &Driver,
    header: &str,
) -> Result<Option<T>, CookieReadError> {
    read(&request::<T>(driver, header))
}

/// What opens a cookie's value directly: the sealer or signer of its name, purpose, ring and
/// clock with the default size limit, so that it opens a chunked value whole (the limit only
/// bounds the length a value may have).
pub enum Reference {
    Sealer(Sealer),
    Signer(Signer),
}

impl Reference {
    /// Opens `value` as a `Session`.
    pub fn open(&self, value: &str) -> Result<Opened<Session>, OpenError> {
        match self {
            Self::Sealer(s) => s.open(value),
            Self::Signer(s) => s.verify(value),
        }
    }
}

/// One cookie configuration under test.
pub struct Case {
    /// The request driver of the cookie (default settings: cookie sessions, no store).
    pub driver: Driver,
    /// Opens its joined values directly.
    pub reference: Reference,
    pub name: &'static str,
    pub limit: usize,
    pub max_chunks: usize,
    /// Which suites the cookie's reader opens.
    pub mode: oracle::ReaderMode,
}

/// The three cookies, over the three-key ring.
pub struct Harness {
    pub ring: KeyRing,
    pub cases: Vec<Case>,
}

/// The harness, built once per process.
pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let ring = fixtures::ring();
        let cases = vec![
            Case {
                driver: Driver::new(fixtures::chunked_cookie(ring.clone(), NOW)),
                reference: Reference::Sealer(sealer(&ring, CHUNKED_NAME)),
                name: CHUNKED_NAME,
                limit: CHUNKED_LIMIT,
                max_chunks: CHUNKED_MAX,
                mode: oracle::ReaderMode::Sealed,
            },
            Case {
                driver: Driver::new(fixtures::single_cookie(ring.clone(), NOW)),
                reference: Reference::Sealer(sealer(&ring, fixtures::SEALED_NAME)),
                name: fixtures::SEALED_NAME,
                limit: sealed_session::BROWSER_COOKIE_LIMIT,
                max_chunks: 1,
                mode: oracle::ReaderMode::Sealed,
            },
            Case {
                driver: Driver::new(fixtures::signed_cookie(ring.clone(), NOW)),
                reference: Reference::Signer(
                    fixtures::signer_builder(
                        ring.clone(),
                        fixtures::SIGNED_NAME,
                        fixtures::SIGNED_PURPOSE,
                        NOW,
                    )
                    .build()
                    .expect("valid config"),
                ),
                name: fixtures::SIGNED_NAME,
                limit: sealed_session::BROWSER_COOKIE_LIMIT,
                max_chunks: 1,
                mode: oracle::ReaderMode::Signed,
            },
        ];
        Harness { ring, cases }
    })
}

/// The reference sealer of the cookie `name` (the sealed cookies' purpose).
fn sealer(ring: &KeyRing, name: &str) -> Sealer {
    fixtures::builder(ring.clone(), name, fixtures::SEALED_PURPOSE, NOW)
        .build()
        .expect("valid config")
}

/// The target.
pub fn run(data: &[u8]) {
    let h = harness();
    let header = String::from_utf8_lossy(data);
    check_pairs(&header);
    for case in &h.cases {
        check_case(&h.ring, case, &header);
    }
}

/// `cookie_pairs` against the model, iterated to the end.
pub fn check_pairs(header: &str) {
    let pairs: Vec<(&str, &str)> = cookie_pairs(header).collect();
    assert_eq!(pairs, oracle::model_cookie_pairs(header), "cookie_pairs");
    assert!(pairs.len() <= header.matches(';').count() + 1);
    for (name, value) in &pairs {
        assert!(!name.is_empty());
        assert!(!name.contains(';') && !name.contains('='));
        assert!(!value.contains(';'));
        assert!(!name.starts_with([' ', '\t']) && !name.ends_with([' ', '\t']));
    }
}

/// One cookie configuration against the FORMAT.md reader model: what the request driver reads,
/// and what opened (by the reference, from the joined value) when it gave a session.
pub fn check_case(ring: &KeyRing, case: &Case, header: &str) -> Option<Opened<Session>> {
    let got = read_header::<Session>(&case.driver, header);
    if header.len() > MAX_COOKIE_HEADER_LEN {
        assert!(
            matches!(got, Err(CookieReadError::HeaderTooLong { .. })),
            "{got:?}"
        );
        return None;
    }
    let joined = match oracle::model_gather(header, case.name, case.limit, case.max_chunks) {
        Err(refusal) => {
            assert_eq!(
                got.err(),
                Some(refusal),
                "{}: refusal before decoding",
                case.name
            );
            return None;
        }
        Ok(None) => {
            assert!(matches!(got, Ok(None)), "no cookie {}: {got:?}", case.name);
            return None;
        }
        Ok(Some(joined)) => joined,
    };
    // Well-formed: the joined value is opened as one value (never `Oversized`: each part obeyed
    // the size rule, so the joined value fits the chunks' capacity).
    let expected = oracle::pre_auth(&joined, usize::MAX, case.mode, ring);
    // The same value opened directly: the driver's session is exactly what it opens to.
    let direct = case.reference.open(&joined);
    match (expected, got) {
        (Err(e), got) => {
            assert_eq!(got.err(), Some(CookieReadError::Open(e)), "{}", case.name);
            None
        }
        (Ok(_), Ok(Some(state))) => {
            let opened = direct.unwrap_or_else(|e| {
                panic!(
                    "{}: the driver opened what the reference refuses: {e:?}",
                    case.name
                )
            });
            assert_eq!(state, opened.state, "{}: the state", case.name);
            fixtures::check_opened(&opened);
            Some(opened)
        }
        (Ok(_), Err(CookieReadError::Open(e)))
            if e == OpenError::Authentication || oracle::is_post_auth(&e) =>
        {
            assert_eq!(
                direct.err(),
                Some(e),
                "{}: the reference's refusal",
                case.name
            );
            None
        }
        (Ok(_), other) => panic!("{}: well-formed header gave {other:?}", case.name),
    }
}
