//! When the store forgets (a Redis restarted without persistence, or flushed), every revocation
//! in it is lost: the store must not go on vouching for the sessions it knew. Every session the
//! handle creates is registered at the end of its request (the generation of its tag: its
//! subject's, or its id's without one), and a check refuses a session the store no longer
//! vouches for, by default. Through the handler's API, on a memory store; a fresh store for the
//! same cookies is a store that forgot. The same rules over every store are in app/tests/stores.rs,
//! over a real Redis killed and restarted empty under load in app/tests/web_redis.rs.

mod common;

use std::time::Duration;

use common::driver::{Sent, begin_loaded, end};
use common::store::FlakyStore;
use sealed_session::store::MemoryStore;
use sealed_session::web::{Driver, Field, Reply};
use sealed_session::{
    CookieOptions, Forgotten, Key, KeyRing, ManualClock, Outage, Refusal, Revocations, Sealer,
    ServerSide, Session, SessionCookie, Subject,
};

const T0: u64 = 1_900_000_000;
const MS0: u64 = T0 * 1000;

/// The sessions of one application over one store; `fresh` gives the same cookies a new, empty
/// store: the store restarted empty.
struct App {
    cookie: SessionCookie,
    store: FlakyStore,
    driver: Driver,
    clock: ManualClock,
}

fn cookie(clock: &ManualClock) -> SessionCookie {
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&[9; 32]).unwrap()), "sid")
        .session_ids(true)
        .idle_timeout(Duration::from_secs(600))
        .absolute_lifetime(Duration::from_secs(3600))
        .renew_after(Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .unwrap();
    SessionCookie::sealed(sealer, CookieOptions::new()).unwrap()
}

fn app() -> App {
    let clock = ManualClock::new(T0);
    App::over(cookie(&clock), clock, |r| r)
}

impl App {
    /// The application over a new, empty store, its revocations set by `configure`.
    fn over(
        cookie: SessionCookie,
        clock: ManualClock,
        configure: fn(Revocations) -> Revocations,
    ) -> Self {
        let store = FlakyStore::new(MemoryStore::new().clock(clock.clone()));
        let revocations = configure(Revocations::new(store.clone()));
        App {
            driver: Driver::builder(cookie.clone())
                .revocations(revocations)
                .build()
                .unwrap(),
            cookie,
            store,
            clock,
        }
    }

    /// The same cookies over a store that forgot everything.
    fn fresh(&self) -> Self {
        Self::over(self.cookie.clone(), self.clock.clone(), |r| r)
    }

    /// As [`fresh`](Self::fresh), its revocations set by `configure`.
    fn fresh_with(&self, configure: fn(Revocations) -> Revocations) -> Self {
        Self::over(self.cookie.clone(), self.clock.clone(), configure)
    }

    /// The same cookies in server-side mode (state in the cookie while it fits) over a new,
    /// empty store.
    fn server_side(&self) -> Self {
        self.server_side_with(|side| side)
    }

    /// As [`server_side`](Self::server_side), its settings changed by `configure`.
    fn server_side_with(&self, configure: fn(ServerSide) -> ServerSide) -> Self {
        let mut app = self.fresh();
        let side = configure(ServerSide::new(app.store.clone()).overflow(true));
        let driver = Driver::builder(app.cookie.clone()).server_side(side);
        app.driver = driver.build().unwrap();
        app
    }

    /// The session of a request carrying `cookie`, loaded as an adapter's extractor loads it.
    fn request(&self, cookie: &str) -> Session<String> {
        begin_loaded(&self.driver, cookie)
    }

    /// Ends a request as the adapters do; the cookie the browser then holds (`kept` if the
    /// response set none).
    fn respond(&self, session: &Session<String>, kept: &str) -> String {
        let response = end(&self.driver, session);
        assert_eq!(
            response.status(),
            200,
            "the store took the request's writes"
        );
        match response.set_cookies().first() {
            None => kept.to_owned(),
            Some(line) => line.split(';').next().unwrap().to_owned(),
        }
    }

    /// Logs `user` in on a new browser: its cookie.
    fn login(&self, user: &str) -> String {
        let session = self.request("");
        session
            .login(&Subject::new(user).unwrap(), format!("{user}'s state"))
            .unwrap();
        self.respond(&session, "")
    }

    /// Starts a session without a subject (a first state, no login): its cookie.
    fn anonymous(&self) -> String {
        let session = self.request("");
        session.replace("cart".to_owned()).unwrap();
        self.respond(&session, "")
    }

    /// What a request carrying `cookie` finds, and why it found nothing if it did not.
    fn open(&self, cookie: &str) -> (Option<String>, Option<Refusal>) {
        let session = self.request(cookie);
        (session.get(), session.refused())
    }

    /// How many generation writes the store was asked for.
    /// How many registrations were written: a subject's generation, or the record of a
    /// session without a subject under its own id (the tests that count them revoke nothing).
    fn registrations(&self) -> usize {
        let raised = self.store.raised();
        raised
            .iter()
            .filter(|k| k.ends_with(":gen") || k.starts_with("ss:{sid:"))
            .count()
    }
}

#[test]
fn a_store_that_forgot_refuses_a_live_session() {
    let before = app();
    let cookies = [before.login("alice"), before.anonymous()];
    let after = before.fresh();
    for cookie in &cookies {
        assert!(before.open(cookie).0.is_some());
        assert_eq!(after.open(cookie), (None, Some(Refusal::Forgotten)));
    }
}

#[test]
fn a_store_that_forgot_refuses_a_logged_out_session() {
    let before = app();
    let cookie = before.login("alice");
    let session = before.request(&cookie);
    session.clear();
    before.respond(&session, &cookie);
    assert_eq!(before.open(&cookie).1, Some(Refusal::Revoked));
    // The revocation is gone with the store; the cookie still does not open.
    assert_eq!(
        before.fresh().open(&cookie),
        (None, Some(Refusal::Forgotten))
    );
}

#[test]
fn a_login_after_the_store_forgot_works() {
    let after = app().fresh();
    let cookies = [after.login("alice"), after.anonymous()];
    assert_eq!(after.open(&cookies[0]).0.as_deref(), Some("alice's state"));
    assert_eq!(after.open(&cookies[1]).0.as_deref(), Some("cart"));
}

#[test]
fn a_session_created_before_the_loss_stays_refused_after_a_later_login_of_its_subject() {
    let before = app();
    before.clock.set_millis(MS0 + 100);
    let old = before.login("alice");
    let after = before.fresh();
    after.clock.set_millis(MS0 + 5_000);
    let fresh = after.login("alice");
    // The new login registered alice again, from its own creation on: not the older session.
    assert!(after.open(&fresh).0.is_some());
    assert_eq!(after.open(&old), (None, Some(Refusal::Forgotten)));
}

#[test]
fn renewals_and_changes_register_nothing() {
    let app = app();
    let mut cookie = app.login("alice");
    assert_eq!(app.registrations(), 1);
    for step in 1..=5 {
        // Each request past the renewal interval renews the cookie, and changes the state.
        app.clock.advance(Duration::from_secs(61));
        let session = app.request(&cookie);
        session.replace(format!("step {step}")).unwrap();
        cookie = app.respond(&session, &cookie);
    }
    assert_eq!(app.open(&cookie).0.as_deref(), Some("step 5"));
    assert_eq!(app.registrations(), 1);
}

#[test]
fn a_new_identity_is_registered_under_its_new_id() {
    // Without a subject, the registration is the session id's own record: the new id needs
    // its own.
    let app = app();
    let old = app.anonymous();
    let session = app.request(&old);
    session.renew_identity().unwrap();
    let renewed = app.respond(&session, &old);
    assert_ne!(renewed, old);
    assert_eq!(app.open(&renewed).0.as_deref(), Some("cart"));
    assert_eq!(app.registrations(), 2);
}

#[test]
fn accepting_forgotten_sessions_is_an_explicit_choice_that_opens_them() {
    let before = app();
    let cookie = before.login("alice");
    let session = before.request(&cookie);
    session.clear();
    before.respond(&session, &cookie);
    let lenient = before.fresh_with(|r| r.on_forgotten(Forgotten::Accept));
    // What the choice costs: the logged-out cookie opens again.
    assert_eq!(lenient.open(&cookie).0.as_deref(), Some("alice's state"));
}

#[test]
fn the_check_with_its_generation_is_one_round_trip() {
    let app = app();
    let cookies = [app.login("alice"), app.anonymous()];
    for cookie in &cookies {
        let reads = app.store.reads();
        assert!(app.open(cookie).0.is_some());
        assert_eq!(app.store.reads() - reads, 1);
    }
}

#[test]
fn a_login_whose_registration_fails_is_a_503_that_sends_no_cookie() {
    let app = app();
    let session = app.request("");
    session
        .login(&Subject::new("alice").unwrap(), "s".into())
        .unwrap();
    app.store.set_down(true);
    let response = end(&app.driver, &session);
    assert_eq!(response.status(), 503);
    assert_eq!(response.set_cookies(), Vec::<String>::new());
    assert_eq!(response.header(Field::RetryAfter), ["1"]);
    // Once the store answers, the user logs in again, and that login is registered.
    app.store.set_down(false);
    let cookie = app.login("alice");
    assert_eq!(app.open(&cookie).0.as_deref(), Some("alice's state"));
}

#[test]
fn with_outages_accepted_a_failed_registration_lets_the_login_through_unvouched() {
    let app = app().fresh_with(|r| r.on_outage(Outage::Accept));
    let session = app.request("");
    session
        .login(&Subject::new("alice").unwrap(), "s".into())
        .unwrap();
    app.store.set_down(true);
    let cookie = app.respond(&session, "");
    app.store.set_down(false);
    // Once the store answers, it does not vouch for the session: one more login.
    assert_eq!(app.open(&cookie), (None, Some(Refusal::Forgotten)));
}

#[test]
fn in_server_side_mode_only_sessions_checked_by_subject_are_registered_and_refused() {
    let before = app().server_side();
    let logged_in = before.login("alice");
    assert_eq!(before.registrations(), 1);
    let anonymous = before.anonymous();
    // A session without a subject is not checked against revocations in server-side mode.
    assert_eq!(before.registrations(), 1);
    let after = before.server_side();
    assert_eq!(after.open(&logged_in), (None, Some(Refusal::Forgotten)));
    assert_eq!(after.open(&anonymous).0.as_deref(), Some("cart"));
}

#[test]
fn in_server_side_mode_accepting_forgotten_sessions_is_a_setting_of_the_store() {
    let before = app().server_side();
    let cookie = before.login("alice");
    let after = before.server_side_with(|side| side.on_forgotten(Forgotten::Accept));
    assert_eq!(after.open(&cookie).0.as_deref(), Some("alice's state"));
}
