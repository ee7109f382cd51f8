//! Logout with no holes, through the handler's API: a logged-out session never opens again, on
//! any reader, at any second; "log out everywhere" ends every session of the user that exists
//! when it is recorded, the same second included, and spares a login after it; "log out my
//! other sessions" keeps the caller's; where nothing can revoke, both are an error the handler
//! sees. Each rule in cookie mode with revocations and in server-side mode (which needs no
//! revocations for them).

mod common;

use std::time::Duration;

use common::driver::{Sent, begin, begin_loaded, end};
use sealed_session::store::MemoryStore;
use sealed_session::web::{Driver, Reply};
use sealed_session::{
    CookieOptions, Key, KeyRing, LogoutError, MAX_LEEWAY, ManualClock, Revocations, Sealer,
    ServerSide, Session, SessionCookie, Subject,
};

const T0: u64 = 1_900_000_000;
const MS0: u64 = T0 * 1000;

/// The sessions of one application: cookie mode with revocations, or server-side.
#[derive(Clone, Copy, Debug)]
enum Mode {
    CookieWithRevocations,
    ServerSide,
}

const MODES: [Mode; 2] = [Mode::CookieWithRevocations, Mode::ServerSide];

/// An application's session settings, on a clock the test moves; `leeway` is its readers'.
struct App {
    cookie: SessionCookie,
    driver: Driver,
    clock: ManualClock,
}

fn app_with(mode: Mode, store: &MemoryStore, clock: &ManualClock, leeway: Duration) -> App {
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&[9; 32]).unwrap()), "sid")
        .session_ids(true)
        .idle_timeout(Duration::from_secs(600))
        .absolute_lifetime(Duration::from_secs(3600))
        .leeway(leeway)
        .clock(clock.clone())
        .build()
        .unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    let driver = Driver::builder(cookie.clone());
    let driver = match mode {
        Mode::CookieWithRevocations => driver.revocations(Revocations::new(store.clone())),
        Mode::ServerSide => driver.server_side(ServerSide::new(store.clone())),
    }
    .build();
    App {
        cookie,
        driver: driver.unwrap(),
        clock: clock.clone(),
    }
}

fn app(mode: Mode) -> App {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new().clock(clock.clone());
    app_with(mode, &store, &clock, Duration::from_secs(60))
}

impl App {
    /// The session of a request carrying `cookie` (a `name=value` pair, or empty), loaded as an
    /// adapter's extractor loads it.
    fn request(&self, cookie: &str) -> Session<String> {
        begin_loaded(&self.driver, cookie)
    }

    /// Ends a request as the adapters do; the cookie the browser then holds (or `None` if the
    /// response deleted it, or `kept` if it set nothing).
    fn respond(&self, session: &Session<String>, kept: &str) -> Option<String> {
        let response = end(&self.driver, session);
        assert_eq!(
            response.status(),
            200,
            "the store took the request's writes"
        );
        let lines = response.set_cookies();
        match lines.first() {
            None => Some(kept.to_owned()),
            Some(line) if line.contains("Max-Age=0") => None,
            Some(line) => Some(line.split(';').next().unwrap().to_owned()),
        }
    }

    /// Logs `user` in on a new browser: its cookie.
    fn login(&self, user: &str) -> String {
        let session = self.request("");
        session
            .login(&Subject::new(user).unwrap(), format!("{user}'s state"))
            .unwrap();
        self.respond(&session, "").unwrap()
    }

    /// What a request carrying `cookie` finds.
    fn state(&self, cookie: &str) -> Option<String> {
        self.request(cookie).get()
    }
}

#[test]
fn a_logged_out_cookie_never_opens_again_on_any_reader_at_any_second() {
    // Readers with no leeway, the default and the longest share the store; the logout is made
    // on the default one. Every second from the session's end to past the last one any reader
    // could open it.
    for mode in MODES {
        let clock = ManualClock::new(T0);
        let store = MemoryStore::new().clock(clock.clone());
        let leeways = [0, 60, MAX_LEEWAY.as_secs()].map(Duration::from_secs);
        let apps = leeways.map(|l| app_with(mode, &store, &clock, l));
        let writer = &apps[1];
        let cookie = writer.login("alice");
        let copy = cookie.clone();
        let session = writer.request(&cookie);
        session.clear();
        assert_eq!(writer.respond(&session, &cookie), None);
        let end = T0 + 600; // the idle timeout
        for second in T0..=end + MAX_LEEWAY.as_secs() + 2 {
            clock.set(second);
            for reader in &apps {
                assert_eq!(reader.state(&copy), None, "{mode:?} at {second}");
            }
        }
    }
}

#[test]
fn logout_everywhere_ends_sessions_created_earlier_in_the_same_second() {
    for mode in MODES {
        let app = app(mode);
        app.clock.set_millis(MS0 + 100);
        let phone = app.login("alice");
        app.clock.set_millis(MS0 + 200);
        let laptop = app.login("alice");
        app.clock.set_millis(MS0 + 300);
        let session = app.request(&laptop);
        session.logout_everywhere().unwrap();
        assert_eq!(app.respond(&session, &laptop), None);
        assert_eq!(app.state(&phone), None, "{mode:?}");
        // The caller's own cookie too, though it was made in the same second.
        assert_eq!(app.state(&laptop), None, "{mode:?}");
    }
}

#[test]
fn a_login_after_logout_everywhere_in_the_same_second_stays() {
    for mode in MODES {
        let app = app(mode);
        app.clock.set_millis(MS0 + 100);
        let old = app.login("alice");
        let session = app.request(&old);
        session.logout_everywhere().unwrap();
        app.respond(&session, &old);
        app.clock.set_millis(MS0 + 101);
        let fresh = app.login("alice");
        assert_eq!(
            app.state(&fresh).as_deref(),
            Some("alice's state"),
            "{mode:?}"
        );
        assert_eq!(app.state(&old), None, "{mode:?}");
    }
}

#[test]
fn a_login_in_the_same_request_after_logout_everywhere_stays() {
    for mode in MODES {
        let app = app(mode);
        let old = app.login("alice");
        let session = app.request(&old);
        session.logout_everywhere().unwrap();
        session
            .login(&Subject::new("alice").unwrap(), "again".into())
            .unwrap();
        let fresh = app.respond(&session, &old).unwrap();
        assert_eq!(app.state(&fresh).as_deref(), Some("again"), "{mode:?}");
        assert_eq!(app.state(&old), None, "{mode:?}");
    }
}

#[test]
fn logout_everywhere_works_without_the_handler_reading_the_session() {
    for mode in MODES {
        let app = app(mode);
        let phone = app.login("alice");
        let laptop = app.login("alice");
        // The extractor loaded it; the handler calls nothing else first.
        let session = app.request(&laptop);
        session.logout_everywhere().unwrap();
        app.respond(&session, &laptop);
        assert_eq!(app.state(&phone), None, "{mode:?}");
    }
}

#[test]
fn logout_everywhere_spares_other_users() {
    for mode in MODES {
        let app = app(mode);
        let bob = app.login("bob");
        let alice = app.login("alice");
        let session = app.request(&alice);
        session.logout_everywhere().unwrap();
        app.respond(&session, &alice);
        assert_eq!(app.state(&bob).as_deref(), Some("bob's state"), "{mode:?}");
    }
}

#[test]
fn logout_others_keeps_the_callers_session_and_ends_the_rest_in_the_same_second() {
    for mode in MODES {
        let app = app(mode);
        app.clock.set_millis(MS0 + 100);
        let phone = app.login("alice");
        app.clock.set_millis(MS0 + 200);
        let laptop = app.login("alice");
        app.clock.set_millis(MS0 + 300);
        let session = app.request(&laptop);
        session.logout_others().unwrap();
        let kept = app.respond(&session, &laptop).unwrap();
        assert_eq!(kept, laptop, "{mode:?}: the caller's cookie is unchanged");
        assert_eq!(app.state(&laptop).as_deref(), Some("alice's state"));
        assert_eq!(app.state(&phone), None, "{mode:?}");
    }
}

#[test]
fn a_session_kept_by_logout_others_ends_at_the_next_logout_everywhere() {
    for mode in MODES {
        let app = app(mode);
        let laptop = app.login("alice");
        let session = app.request(&laptop);
        session.logout_others().unwrap();
        app.respond(&session, &laptop);
        app.clock.advance(Duration::from_millis(5));
        let phone = app.login("alice");
        let session = app.request(&phone);
        session.logout_everywhere().unwrap();
        app.respond(&session, &phone);
        assert_eq!(app.state(&laptop), None, "{mode:?}");
    }
}

#[test]
fn without_revocations_a_cookie_session_cannot_log_out_everywhere_and_nothing_changes() {
    let app = app(Mode::CookieWithRevocations);
    let plain = Driver::new(app.cookie.clone());
    let session = begin_loaded::<String>(&plain, "");
    session
        .login(&Subject::new("alice").unwrap(), "s".into())
        .unwrap();
    assert_eq!(session.logout_everywhere(), Err(LogoutError::NotRevocable));
    assert_eq!(session.logout_others(), Err(LogoutError::NotRevocable));
    assert_eq!(session.get().as_deref(), Some("s"));
    assert!(
        !end(&plain, &session).set_cookies()[0].contains("Max-Age=0"),
        "the login's cookie, not a deletion"
    );
}

#[test]
fn logging_out_everywhere_without_a_logged_in_session_is_an_error() {
    for mode in MODES {
        let app = app(mode);
        assert_eq!(
            app.request("").logout_everywhere(),
            Err(LogoutError::NoSubject)
        );
        // A session that was never logged in (no subject) has no other sessions to end.
        let session = app.request("");
        session.replace("anonymous".into()).unwrap();
        let anonymous = app.respond(&session, "").unwrap();
        assert_eq!(
            app.request(&anonymous).logout_others(),
            Err(LogoutError::NoSubject),
            "{mode:?}"
        );
    }
}

#[test]
fn logging_out_everywhere_before_the_session_is_loaded_is_an_error() {
    let app = app(Mode::CookieWithRevocations);
    let cookie = app.login("alice");
    let session = begin::<String>(&app.driver, &cookie);
    assert_eq!(session.logout_everywhere(), Err(LogoutError::NotLoaded));
}

#[test]
fn server_side_sessions_check_no_revocation_for_a_session_without_a_subject() {
    // Their record is the session: logout removes it. An anonymous session costs the record's
    // round trip, or none when its state is in the cookie (overflow).
    for (overflow, reads) in [(false, 1), (true, 0)] {
        let clock = ManualClock::new(T0);
        let store = common::store::FlakyStore::new(MemoryStore::new().clock(clock.clone()));
        let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&[9; 32]).unwrap()), "sid")
            .session_ids(true)
            .clock(clock)
            .build()
            .unwrap();
        let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
        let side = ServerSide::new(store.clone()).overflow(overflow);
        let driver = Driver::builder(cookie).server_side(side).build().unwrap();
        let first = begin_loaded::<u32>(&driver, "");
        first.replace(7).unwrap();
        let pair = end(&driver, &first).set_cookies()[0]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let before = store.reads();
        let next = begin_loaded::<u32>(&driver, &pair);
        assert_eq!(next.get(), Some(7));
        assert_eq!(store.reads() - before, reads, "overflow: {overflow}");
    }
}

#[test]
fn logout_everywhere_on_one_server_ends_the_sessions_another_server_made() {
    // Two servers sharing one store and the same keys: a login on each in one second, then
    // "log out everywhere" on the first in that second, then a login on the second just after.
    for mode in MODES {
        let clock = ManualClock::new(T0);
        let store = MemoryStore::new().clock(clock.clone());
        let leeway = Duration::from_secs(60);
        let (one, two) = (
            app_with(mode, &store, &clock, leeway),
            app_with(mode, &store, &clock, leeway),
        );
        clock.set_millis(MS0 + 100);
        let here = one.login("alice");
        let there = two.login("alice");
        clock.set_millis(MS0 + 200);
        let session = one.request(&here);
        session.logout_everywhere().unwrap();
        one.respond(&session, &here);
        for server in [&one, &two] {
            assert_eq!(server.state(&there), None, "{mode:?}");
            assert_eq!(server.state(&here), None, "{mode:?}");
        }
        clock.set_millis(MS0 + 201);
        let again = two.login("alice");
        assert_eq!(
            one.state(&again).as_deref(),
            Some("alice's state"),
            "{mode:?}"
        );
    }
}
