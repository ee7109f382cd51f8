//! The per-request session handle: lazy, quiet when untouched, safe with bad cookies, and exact in
//! what it asks the browser to keep and delete.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::driver::{Sent, begin, end};
use sealed_session::web::Driver;
use sealed_session::{
    CookieOptions, CookieReadError, Key, KeyRing, ManualClock, OpenError, Refusal, RenewalReason,
    SealError, Sealer, Session, SessionCookie, Subject, WriteError,
};
use serde::{Deserialize, Serialize};

const NAME: &str = "__Host-s";
const T0: u64 = 1_800_000_000;
const IDLE: u64 = 1800;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct State {
    user: u64,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

fn state(user: u64) -> State {
    State {
        user,
        data: Vec::new(),
    }
}

/// A cookie configuration over one ring and clock, with up to `max_chunks` chunks, and the
/// request driver over it (cookie sessions, no store).
struct Site {
    ring: KeyRing,
    clock: ManualClock,
    /// The sealer of the site's cookie: what a value says of itself (its stamps, its renewal).
    sealer: Sealer,
    driver: Driver,
}

fn site_with(max_chunks: usize) -> Site {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let sealer = Sealer::builder(ring.clone(), NAME)
        .idle_timeout(Duration::from_secs(IDLE))
        .session_ids(true)
        .clock(clock.clone())
        .build()
        .unwrap();
    let options = CookieOptions::new().max_chunks(max_chunks);
    let cookie = SessionCookie::sealed(sealer.clone(), options).unwrap();
    Site {
        ring,
        clock,
        sealer,
        driver: Driver::new(cookie),
    }
}

fn site() -> Site {
    site_with(1)
}

/// A browser's cookie store for this site: applies `Set-Cookie` lines as a browser does (a
/// `Max-Age=0` line deletes), and sends back a `Cookie` header.
#[derive(Default, Clone, Debug)]
struct Browser(BTreeMap<String, String>);

impl Browser {
    fn apply(&mut self, set_cookie: &[String]) {
        for line in set_cookie {
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                // A browser deletes a cookie only if the removal names the same path and
                // (for `__Host-`) carries `Secure`; check what it would check.
                assert!(attributes.contains("Path=/"), "{line}");
                assert!(attributes.contains("Secure"), "{line}");
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.join("; ")
    }

    /// The value of the session's cookie (unchunked).
    fn value(&self) -> &str {
        &self.0[NAME]
    }

    fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

impl Site {
    /// One request from `browser`, handled by `handler`; the browser applies the response.
    fn request(&self, browser: &mut Browser, handler: impl FnOnce(&Session<State>)) -> Vec<String> {
        let session = self.begin(&browser.header());
        handler(&session);
        let lines = self.end(&session);
        browser.apply(&lines);
        lines
    }

    /// The session of a request whose `Cookie` header is `header`, as the driver begins it.
    fn begin(&self, header: &str) -> Session<State> {
        begin(&self.driver, header)
    }

    /// The `Set-Cookie` lines the end of the request gives a 200 response.
    fn end(&self, session: &Session<State>) -> Vec<String> {
        end(&self.driver, session).set_cookies()
    }

    fn logged_in(&self) -> Browser {
        let mut browser = Browser::default();
        self.request(&mut browser, |s| s.replace(state(7)).unwrap());
        browser
    }
}

#[test]
fn a_request_that_never_touches_the_session_gets_no_set_cookie_whatever_it_carries() {
    let site = site();
    for header in [
        String::new(),
        site.logged_in().header(),
        format!("{NAME}=garbage"),
        format!("{NAME}=a; {NAME}=b"),
    ] {
        let session = site.begin(&header);
        assert!(end(&site.driver, &session).is_bare(), "{header}");
    }
}

#[test]
fn a_session_is_untouched_until_the_handler_reads_changes_or_clears_it() {
    // Untouched, the response gets no header at all: it does not depend on the cookie.
    let site = site();
    let header = site.logged_in().header();
    assert!(end(&site.driver, &site.begin(&header)).is_bare());
    type Use = fn(&Session<State>);
    let uses: [(&str, Use); 3] = [
        ("read", |s| drop(s.get())),
        ("replace", |s| s.replace(state(8)).unwrap()),
        ("clear", |s| s.clear()),
    ];
    for (what, use_it) in uses {
        let session = site.begin(&header);
        use_it(&session);
        let response = end(&site.driver, &session);
        assert_eq!(
            response.header(sealed_session::web::Field::Vary),
            ["Cookie"],
            "{what}"
        );
    }
}

#[test]
fn no_cookie_reads_as_no_session_and_writes_nothing() {
    let site = site();
    let mut browser = Browser::default();
    let lines = site.request(&mut browser, |s| assert_eq!(s.get(), None));
    assert!(lines.is_empty());
}

#[test]
fn a_new_session_is_written_once_and_reads_back_on_the_next_request() {
    let site = site();
    let mut browser = Browser::default();
    let lines = site.request(&mut browser, |s| s.replace(state(7)).unwrap());
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(&format!("{NAME}=")));
    assert!(lines[0].ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"));
    let lines = site.request(&mut browser, |s| {
        assert_eq!(s.get(), Some(state(7)));
        assert!(s.session_id().is_some());
    });
    assert!(lines.is_empty(), "a read-only request writes nothing");
}

#[test]
fn an_unchanged_session_is_renewed_only_when_due() {
    let site = site();
    let mut browser = site.logged_in();
    let first = browser.header();
    // Before a tenth of the idle timeout: nothing.
    site.clock.advance(Duration::from_secs(IDLE / 10 - 1));
    assert!(
        site.request(&mut browser, |s| {
            s.get();
        })
        .is_empty()
    );
    // Due: the cookie is renewed, with the same session id and creation time.
    site.clock.advance(Duration::from_secs(1));
    let id = site.begin(&first).session_id();
    let lines = site.request(&mut browser, |s| {
        s.get();
    });
    assert_eq!(lines.len(), 1);
    assert_ne!(browser.header(), first);
    let renewed = site.begin(&browser.header());
    assert_eq!(renewed.get(), Some(state(7)));
    assert_eq!(renewed.session_id(), id);
}

#[test]
fn a_session_under_an_old_key_is_renewed_under_the_primary() {
    let site = site();
    let mut browser = site.logged_in();
    site.ring.rotate(Key::generate().unwrap()).unwrap();
    let opened = site.sealer.open::<State>(browser.value()).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
    assert_eq!(
        site.request(&mut browser, |s| {
            s.get();
        })
        .len(),
        1
    );
    let opened = site.sealer.open::<State>(browser.value()).unwrap();
    assert_eq!(opened.renewal, None);
}

/// Whether a refusal is the one a case expects.
type Expected = fn(&CookieReadError) -> bool;

#[test]
fn a_bad_cookie_is_no_session_and_the_response_deletes_it() {
    let site = site();
    let good = site.logged_in().header();
    let value = good.split_once('=').unwrap().1.to_owned();
    let mut tampered = value.clone().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other_key = {
        let other = site_with(1);
        other.logged_in().header()
    };
    let cases: Vec<(String, Expected)> = vec![
        (format!("{NAME}={tampered}"), |e| {
            matches!(e, CookieReadError::Open(OpenError::Authentication))
        }),
        (format!("{NAME}=garbage"), |e| {
            matches!(e, CookieReadError::Open(OpenError::Malformed(_)))
        }),
        (other_key, |e| {
            matches!(e, CookieReadError::Open(OpenError::UnknownKey(_)))
        }),
        (format!("{NAME}={value}; {NAME}={value}"), |e| {
            matches!(e, CookieReadError::DuplicateCookie { .. })
        }),
        (format!("{NAME}={}", "A".repeat(5000)), |e| {
            matches!(e, CookieReadError::Open(OpenError::Oversized { .. }))
        }),
    ];
    for (header, expected) in cases {
        let session = site.begin(&header);
        assert_eq!(session.get(), None, "{header}");
        let Some(Refusal::Cookie(refused)) = session.refused() else {
            panic!("{header}: refused by the cookie layer");
        };
        assert!(expected(&refused), "{refused:?}");
        let lines = site.end(&session);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with(&format!("{NAME}=; Max-Age=0;")),
            "{lines:?}"
        );
        assert!(lines[0].contains("; Path=/; Secure"), "{lines:?}");
    }
}

#[test]
fn refused_reads_the_session_so_a_handler_may_ask_it_first() {
    let site = site();
    let session = site.begin(&format!("{NAME}=garbage"));
    assert!(matches!(
        session.refused(),
        Some(Refusal::Cookie(CookieReadError::Open(
            OpenError::Malformed(_)
        )))
    ));
    assert_eq!(session.get(), None);
    let lines = site.end(&session);
    assert!(
        lines[0].starts_with(&format!("{NAME}=; Max-Age=0;")),
        "{lines:?}"
    );
}

#[test]
fn an_expired_session_is_no_session_and_is_deleted() {
    let site = site();
    let mut browser = site.logged_in();
    site.clock.advance(Duration::from_secs(IDLE + 61));
    site.request(&mut browser, |s| {
        assert_eq!(s.get(), None);
        assert!(matches!(
            s.refused(),
            Some(Refusal::Cookie(CookieReadError::Open(
                OpenError::Expired { .. }
            )))
        ));
    });
    assert!(browser.names().is_empty(), "the browser no longer holds it");
}

#[test]
fn logout_deletes_the_cookie_without_decrypting_it() {
    let site = site();
    let mut browser = site.logged_in();
    let lines = site.request(&mut browser, |s| s.clear());
    assert_eq!(lines.len(), 1);
    assert!(browser.names().is_empty());
    // Even without a cookie in this request, logout deletes the cookie name (a copy may be held
    // for another path).
    let lines = site.request(&mut Browser::default(), |s| s.clear());
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(&format!("{NAME}=; Max-Age=0")));
}

#[test]
fn a_state_too_large_for_the_cookies_is_an_error_the_handler_sees_and_nothing_changes() {
    let site = site();
    let mut browser = site.logged_in();
    let before = browser.header();
    let lines = site.request(&mut browser, |s| {
        let huge = State {
            user: 8,
            data: vec![1; 5000],
        };
        let err = s.replace(huge).unwrap_err();
        assert!(matches!(err, WriteError::Seal(SealError::TooLarge { .. })));
        assert_eq!(s.get(), Some(state(7)), "the old state stays");
    });
    assert!(lines.is_empty(), "the old cookie is left as it was");
    assert_eq!(browser.header(), before);
}

#[test]
fn modify_changes_the_state_in_place_and_keeps_the_identity() {
    let site = site();
    let mut browser = site.logged_in();
    let id = site.begin(&browser.header()).session_id();
    site.request(&mut browser, |s| {
        assert_eq!(s.modify(|st| st.user += 1).unwrap(), Some(()));
    });
    let after = site.begin(&browser.header());
    assert_eq!(after.get(), Some(state(8)));
    assert_eq!(after.session_id(), id);
    // Without a session there is nothing to modify, and nothing is written.
    let lines = site.request(&mut Browser::default(), |s| {
        assert_eq!(s.modify(|st| st.user += 1).unwrap(), None);
    });
    assert!(lines.is_empty());
}

#[test]
fn login_starts_a_new_session_with_a_fresh_id_and_the_subject() {
    let site = site();
    let mut browser = site.logged_in();
    let anonymous = site.begin(&browser.header()).session_id();
    let alice = Subject::new("alice").unwrap();
    site.clock.advance(Duration::from_secs(5));
    site.request(&mut browser, |s| s.login(&alice, state(1)).unwrap());
    let after = site.begin(&browser.header());
    assert_eq!(after.subject(), Some(alice));
    assert_ne!(after.session_id(), anonymous, "against session fixation");
    let opened = site.sealer.open::<State>(browser.value()).unwrap();
    assert_eq!(opened.stamps.created(), T0 + 5, "a new session");
}

#[test]
fn renew_identity_keeps_state_and_subject_under_a_new_id() {
    let site = site();
    let mut browser = Browser::default();
    let alice = Subject::new("alice").unwrap();
    site.request(&mut browser, |s| s.login(&alice, state(1)).unwrap());
    let before = site.begin(&browser.header()).session_id();
    site.request(&mut browser, |s| s.renew_identity().unwrap());
    let after = site.begin(&browser.header());
    assert_eq!(after.get(), Some(state(1)));
    assert_eq!(after.subject(), Some(alice));
    assert_ne!(after.session_id(), before);
}

#[test]
fn a_growing_session_spreads_over_chunks_and_a_shrinking_one_deletes_only_what_was_sent() {
    let site = site_with(4);
    let mut browser = Browser::default();
    // Small: one cookie, and no removal lines for chunk names the browser never had.
    let lines = site.request(&mut browser, |s| s.replace(state(1)).unwrap());
    assert_eq!(lines.len(), 1, "{lines:?}");
    // Large: three cookies.
    let big = State {
        user: 2,
        data: vec![9; 7000],
    };
    site.request(&mut browser, |s| s.replace(big.clone()).unwrap());
    assert_eq!(browser.names(), [NAME, "__Host-s.1", "__Host-s.2"]);
    assert_eq!(site.begin(&browser.header()).get(), Some(big));
    // Small again: the first cookie is rewritten and exactly the two chunks sent are deleted.
    let lines = site.request(&mut browser, |s| s.replace(state(3)).unwrap());
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(browser.names(), [NAME]);
    // Logout deletes every chunk it carried, not more.
    site.request(&mut browser, |s| {
        s.replace(State {
            user: 4,
            data: vec![9; 5000],
        })
        .unwrap()
    });
    assert_eq!(browser.names().len(), 2);
    let lines = site.request(&mut browser, |s| s.clear());
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(browser.names().is_empty());
}

#[test]
fn a_stray_chunk_from_an_older_deployment_is_deleted() {
    let site = site_with(2);
    let mut browser = site.logged_in();
    browser.0.insert("__Host-s.3".into(), "left-over".into());
    site.request(&mut browser, |s| {
        assert_eq!(s.get(), None);
        assert!(matches!(
            s.refused(),
            Some(Refusal::Cookie(CookieReadError::UnexpectedChunk {
                chunk: 3
            }))
        ));
    });
    assert!(browser.names().is_empty(), "{:?}", browser.names());
}

#[test]
fn split_cookie_headers_are_read_as_one_with_the_duplicate_rule_across_them() {
    // HTTP/2 clients send one `Cookie` field per cookie: the driver joins them.
    let site = site();
    let good = site.logged_in().header();
    let one = site
        .driver
        .begin::<State, _>([b"a=1".to_vec(), good.clone().into_bytes()]);
    assert_eq!(one.get(), Some(state(7)));
    let twice = site
        .driver
        .begin::<State, _>([good.clone().into_bytes(), good.into_bytes()]);
    assert_eq!(twice.get(), None);
    assert!(matches!(
        twice.refused(),
        Some(Refusal::Cookie(CookieReadError::DuplicateCookie {
            chunk: 0
        }))
    ));
}

#[test]
fn a_read_only_request_overlapping_a_logout_does_not_bring_the_session_back() {
    // Both requests carry the same cookie; the logout's response arrives first, the read-only
    // one after. The read-only one writes nothing, so the browser stays logged out.
    let site = site();
    let mut browser = site.logged_in();
    let header = browser.header();
    let reader = site.begin(&header);
    let logout = site.begin(&header);
    assert_eq!(reader.get(), Some(state(7)));
    logout.clear();
    browser.apply(&site.end(&logout));
    browser.apply(&site.end(&reader));
    assert!(browser.names().is_empty());
}

#[test]
fn a_renewal_due_during_a_concurrent_logout_is_the_one_window_left_to_revocation() {
    // The specified limit of a cookie session: a request whose renewal is due when a logout
    // overlaps it sends a renewed cookie. Revocation (a store) closes this; without one, the
    // window is one request per renewal interval.
    let site = site();
    let mut browser = site.logged_in();
    site.clock.advance(Duration::from_secs(IDLE / 10));
    let header = browser.header();
    let reader = site.begin(&header);
    let logout = site.begin(&header);
    assert_eq!(reader.get(), Some(state(7)));
    logout.clear();
    browser.apply(&site.end(&logout));
    browser.apply(&site.end(&reader));
    assert_eq!(browser.names(), [NAME]);
}

#[test]
fn the_handle_is_shared_by_clones_and_can_cross_threads() {
    fn send_sync<S: Send + Sync>(_: &S) {}
    let site = site();
    let session = site.begin("");
    send_sync(&session);
    let other = session.clone();
    std::thread::spawn(move || other.replace(state(9)).unwrap())
        .join()
        .unwrap();
    assert_eq!(session.get(), Some(state(9)));
    assert_eq!(site.end(&session).len(), 1);
}

#[test]
fn debug_output_shows_neither_state_nor_cookie() {
    let site = site();
    let header = site.logged_in().header();
    let session = site.begin(&header);
    let shown = format!("{session:?}");
    assert!(!shown.contains(header.split_once('=').unwrap().1));
}

#[test]
fn a_session_reads_its_cookie_fields_only_when_used_and_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A `Cookie` field that counts how often it is read.
    struct Counted(String, Arc<AtomicUsize>);

    impl AsRef<[u8]> for Counted {
        fn as_ref(&self) -> &[u8] {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.as_bytes()
        }
    }

    let site = site();
    let header = site.logged_in().header();
    let calls = Arc::new(AtomicUsize::new(0));
    let make = || {
        site.driver
            .begin::<State, _>([Counted(header.clone(), Arc::clone(&calls))])
    };
    let untouched = make();
    assert!(end(&site.driver, &untouched).is_bare());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let used = make();
    assert_eq!(used.get(), Some(state(7)));
    assert_eq!(used.get(), Some(state(7)));
    used.replace(state(8)).unwrap();
    assert_eq!(site.end(&used).len(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
