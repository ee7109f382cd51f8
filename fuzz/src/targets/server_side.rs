//! `server_side`: server-side sessions (`ServerSide` over a `MemoryStore`, bound to a
//! sealed `SessionCookie` with session ids): any `Cookie` header, and any stored record value
//! written through the public `Store` trait under the key of the session id the header's cookie
//! names (when it names one).
//!
//! Input: the first byte's low bit says whether the record is written; the rest is the header,
//! then, after the first `\n`, the record's value (both lossy UTF-8).
//!
//! Checked against reference sealers built from FORMAT.md ("Server-side sessions": the cookie
//! under `purpose || 0x00 || "sealed-session server-side cookie"` with a payload saying where
//! the state is, the record under `purpose || 0x00 || "sealed-session state at rest"`): no panic;
//! `Session::load` never fails (the memory store answers); a session opens exactly when the
//! header holds one authentic server-side cookie and either it carries the state itself or the
//! record under its id is authentic and sealed for that same id, and then holds that state and
//! id; a record sealed for another id is refused as `Stored(Authentication)`, a missing record as
//! `NotStored`, a record that does not open as `Stored(_)`; anything refused reads as no session
//! with `refused()` set; the same header in cookie mode opens exactly what the cookie-mode
//! reference opens, so a value of one mode never opens in the other, and a stored value opens
//! as neither.

use std::sync::{Arc, OnceLock};

use sealed_session::store::{MemoryStore, RecordWrite, Store};
use sealed_session::web::Driver;
use sealed_session::{
    BROWSER_COOKIE_LIMIT, CookieOptions, MAX_COOKIE_HEADER_LEN, ManualClock, OpenError, Opened,
    Refusal, Revocations, Sealer, ServerSide, SessionCookie, SessionId, cookie_pairs,
};
use serde::Deserialize;

use crate::fixtures::{self, NOW, SEALED_PURPOSE, Session, now};

/// The server-side cookie's name.
pub const NAME: &str = "__Host-ss";
/// FORMAT.md: the server-side cookie's purpose suffix.
pub const COOKIE_SUFFIX: &str = "\0sealed-session server-side cookie";
/// FORMAT.md: the stored state's purpose suffix.
pub const AT_REST_SUFFIX: &str = "\0sealed-session state at rest";

/// Where a server-side cookie says the state is (FORMAT.md: `0x00` in the store, `0x01 ||
/// postcard(state)` here), as the reference reads it.
#[derive(Debug, Deserialize)]
pub enum Held<T> {
    InStore,
    Here(T),
}

/// The cookie under test and the reference sealers.
pub struct Harness {
    /// The configured (cookie-mode) cookie; bound to a store for server-side mode.
    pub cookie: Arc<SessionCookie>,
    /// Reference: opens cookie-mode values.
    pub cookie_mode: Sealer,
    /// Reference: opens server-side cookies.
    pub server_cookie: Sealer,
    /// Reference: opens stored states.
    pub at_rest: Sealer,
}

/// The sealer of [`NAME`] with the harness lifetimes, session ids on, clock at `now`.
pub fn sealer(purpose: &str, now: u64) -> Sealer {
    fixtures::builder(fixtures::ring(), NAME, purpose, now)
        .session_ids(true)
        .build()
        .expect("valid config")
}

/// The cookie of [`NAME`] at `now`.
pub fn cookie(now: u64) -> Arc<SessionCookie> {
    Arc::new(
        SessionCookie::sealed(sealer(SEALED_PURPOSE, now), CookieOptions::new())
            .expect("valid options"),
    )
}

/// The harness, built once per process.
pub fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| Harness {
        cookie: cookie(NOW),
        cookie_mode: sealer(SEALED_PURPOSE, NOW),
        server_cookie: sealer(&format!("{SEALED_PURPOSE}{COOKIE_SUFFIX}"), NOW),
        at_rest: sealer(&format!("{SEALED_PURPOSE}{AT_REST_SUFFIX}"), NOW),
    })
}

/// The store key of a session's record (FORMAT.md): `ss:st:{` lowercase hex `}`.
pub fn record_key(id: &SessionId) -> String {
    let hex: String = id.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("ss:st:{{{hex}}}")
}

/// What one input did in server-side mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The header has no cookie of the name.
    NoCookie,
    /// A cookie was there and did not make a session.
    Refused,
    /// A session opened.
    Opened,
}

/// Splits an input into (write the record?, header, record).
pub fn split(data: &[u8]) -> (bool, String, String) {
    let Some((&flag, rest)) = data.split_first() else {
        return (false, String::new(), String::new());
    };
    let (header, record) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    (
        flag & 1 == 1,
        String::from_utf8_lossy(header).into_owned(),
        String::from_utf8_lossy(record).into_owned(),
    )
}

/// The target.
pub fn run(data: &[u8]) -> Outcome {
    let (write, header, record) = split(data);
    check(write, &header, &record)
}

/// Runs one request in both modes and checks it against the references.
pub fn check(write: bool, header: &str, record: &str) -> Outcome {
    let h = harness();
    let ours: Vec<&str> = cookie_pairs(header)
        .filter(|(n, _)| *n == NAME)
        .map(|(_, v)| v)
        .collect();
    // The cookie is unchunked: only its own name counts, and only once (a duplicate is refused).
    let readable = header.len() <= MAX_COOKIE_HEADER_LEN;
    let single = match ours.as_slice() {
        [value] if readable => Some(*value),
        _ => None,
    };

    // The references.
    let by_cookie: Option<Opened<Held<Session>>> =
        single.and_then(|v| h.server_cookie.open(v).ok());
    let by_cookie_mode: Option<Opened<Session>> = single.and_then(|v| h.cookie_mode.open(v).ok());
    assert!(
        !(by_cookie.is_some() && by_cookie_mode.is_some()),
        "a value opened in both modes"
    );
    let id = by_cookie.as_ref().map(|o| {
        o.envelope()
            .session_id()
            .expect("a server-side cookie carries a session id")
    });
    let stored: Option<Opened<Session>> = h.at_rest.open(record).ok();
    // The reference is a cookie sealer: it opens at most a cookie's worth (4096 octets with the
    // name), the crate a stored value up to `max_state_len` (64 KiB). A longer record is only
    // checked to open under its cookie's id, if at all.
    let beyond_reference = record.len() > BROWSER_COOKIE_LIMIT - NAME.len() - 1;
    if let Some(s) = &stored {
        assert!(s.envelope().session_id().is_some(), "a record without id");
    }
    assert!(
        stored.is_none()
            || (h.server_cookie.open::<Held<Session>>(record).is_err()
                && h.cookie_mode.open::<Session>(record).is_err()),
        "a stored value opened as a cookie"
    );

    // Server-side mode.
    let store = MemoryStore::new().clock(ManualClock::new(NOW));
    let written = match (write, &id) {
        (true, Some(id)) => {
            now(store.save(&record_key(id), RecordWrite::create(record, NOW + 86_400)))
                .expect("memory store");
            true
        }
        _ => false,
    };
    if let (Some(o), Some(id)) = (&by_cookie, &id) {
        // The request that made an authentic cookie registered its session (a store that never
        // heard of it refuses it as forgotten: tests/forgotten.rs).
        let revocations = Revocations::new(store.clone()).clock(ManualClock::new(NOW));
        let registered = revocations.register_session(
            id,
            o.subject.as_ref(),
            o.stamps.created_at_millis(),
            NOW + 86_400,
        );
        now(registered).expect("memory store");
    }
    // Through the request driver, as the adapters run it.
    let driver = Driver::builder((*h.cookie).clone())
        .server_side(ServerSide::new(store))
        .build()
        .expect("the cookie has session ids");
    let session = driver.begin::<Session, _>([header.as_bytes().to_vec()]);
    now(Driver::load(&session)).expect("the memory store answers");
    let got = session.get();
    let refused = session.refused();

    let in_store = matches!(&by_cookie, Some(o) if matches!(o.state, Held::InStore));
    let expected: Option<(Session, SessionId)> = match (&by_cookie, &id) {
        (Some(o), Some(id)) => match &o.state {
            Held::Here(state) => Some((state.clone(), *id)),
            Held::InStore => stored
                .as_ref()
                .filter(|s| written && s.envelope().session_id() == Some(*id))
                .map(|s| (s.state.clone(), *id)),
        },
        _ => None,
    };
    let outcome = match (&got, expected) {
        (Some(state), Some((want, id))) => {
            assert_eq!(*state, want, "opened another state");
            assert_eq!(session.session_id(), Some(id), "opened under another id");
            assert_eq!(refused, None, "an opened session is not refused");
            Outcome::Opened
        }
        (Some(_), None) if beyond_reference && written && in_store => {
            assert_eq!(session.session_id(), id, "opened under another id");
            assert_eq!(refused, None, "an opened session is not refused");
            Outcome::Opened
        }
        (Some(_), None) => panic!(
            "a session opened that the references refuse (cookie {}, record {})",
            by_cookie.is_some(),
            stored.is_some()
        ),
        (None, Some(_)) => panic!("an authentic cookie and record did not open: {refused:?}"),
        (None, None) if ours.is_empty() && readable => {
            assert_eq!(refused, None, "no cookie, yet refused");
            Outcome::NoCookie
        }
        (None, None) => {
            assert!(refused.is_some(), "a refused session without a reason");
            if let (Some(o), Some(id)) = (&by_cookie, &id) {
                assert!(matches!(o.state, Held::InStore));
                let reason = refused.clone().expect("checked");
                match &stored {
                    _ if !written => assert_eq!(reason, Refusal::NotStored),
                    Some(s) => {
                        assert_ne!(s.envelope().session_id(), Some(*id));
                        assert_eq!(
                            reason,
                            Refusal::Stored(OpenError::Authentication),
                            "another session's record"
                        );
                    }
                    None if beyond_reference => {}
                    None => assert!(
                        matches!(reason, Refusal::Stored(_)),
                        "a record that does not open gave {reason:?}"
                    ),
                }
            }
            Outcome::Refused
        }
    };

    // Cookie mode: the same header opens exactly what the cookie-mode reference opens.
    let plain = Driver::new((*h.cookie).clone()).begin::<Session, _>([header.as_bytes().to_vec()]);
    now(Driver::load(&plain)).expect("nothing to ask");
    match (plain.get(), by_cookie_mode) {
        (Some(state), Some(o)) => assert_eq!(state, o.state, "cookie mode opened another state"),
        (None, None) => {}
        (Some(_), None) => panic!("cookie mode opened a value its reference refuses"),
        (None, Some(_)) => panic!(
            "cookie mode refused an authentic value: {:?}",
            plain.refused()
        ),
    }
    outcome
}
