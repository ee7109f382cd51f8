//! `cookie_header`: any bytes as a `Cookie` request header.
//!
//! Checked: `cookie_pairs` iterates to the end and yields exactly what an independent model of
//! the header grammar yields; three `SessionCookie`s (sealed with chunking over up to 4 cookies,
//! sealed unchunked, signed) never panic, answer `Ok(None)` exactly when the header carries none
//! of their cookies, refuse before decoding exactly the headers the FORMAT.md chunk rules refuse,
//! with exactly the error and in the order FORMAT.md's chunk rules give, and otherwise behave
//! like opening the joined value directly.

use std::sync::OnceLock;

use sealed_session::{
    CookieReadError, KeyRing, MAX_COOKIE_HEADER_LEN, OpenError, Opened, SessionCookie, cookie_pairs,
};

use crate::fixtures::{self, CHUNKED_LIMIT, CHUNKED_MAX, CHUNKED_NAME, NOW, Session};
use crate::oracle;

/// One cookie configuration under test.
pub struct Case {
    pub cookie: SessionCookie,
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
                cookie: fixtures::chunked_cookie(ring.clone(), NOW),
                name: CHUNKED_NAME,
                limit: CHUNKED_LIMIT,
                max_chunks: CHUNKED_MAX,
                mode: oracle::ReaderMode::Sealed,
            },
            Case {
                cookie: fixtures::single_cookie(ring.clone(), NOW),
                name: fixtures::SEALED_NAME,
                limit: sealed_session::BROWSER_COOKIE_LIMIT,
                max_chunks: 1,
                mode: oracle::ReaderMode::Sealed,
            },
            Case {
                cookie: fixtures::signed_cookie(ring.clone(), NOW),
                name: fixtures::SIGNED_NAME,
                limit: sealed_session::BROWSER_COOKIE_LIMIT,
                max_chunks: 1,
                mode: oracle::ReaderMode::Signed,
            },
        ];
        Harness { ring, cases }
    })
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

/// One cookie configuration against the FORMAT.md reader model.
pub fn check_case(ring: &KeyRing, case: &Case, header: &str) -> Option<Opened<Session>> {
    let got = case.cookie.open::<Session>(header);
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
    match (expected, got) {
        (Err(e), got) => {
            assert_eq!(got.err(), Some(CookieReadError::Open(e)), "{}", case.name);
            None
        }
        (Ok(_), Ok(Some(opened))) => {
            fixtures::check_opened(&opened);
            Some(opened)
        }
        (Ok(_), Err(CookieReadError::Open(e)))
            if e == OpenError::Authentication || oracle::is_post_auth(&e) =>
        {
            None
        }
        (Ok(_), other) => panic!("{}: well-formed header gave {other:?}", case.name),
    }
}
