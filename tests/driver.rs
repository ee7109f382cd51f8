//! The request driver's protocol, as a framework without an adapter meets it: what a rejected
//! load is answered with, what the end of the request adds to that answer, and the values it
//! writes. The rules every request follows are in tests/handle.rs (cookie sessions),
//! tests/logout.rs and tests/forgotten.rs (stores), and end to end on axum, actix-web and plain
//! hyper in app/tests.

mod common;

use std::time::Duration;

use common::driver::{Sent, begin, end};
use common::store::{FlakyStore, now};
use sealed_session::store::MemoryStore;
use sealed_session::web::{Driver, Field, Lines, Reply, SessionRejection, Value};
use sealed_session::{
    CookieOptions, Key, KeyRing, ManualClock, Revocations, Sealer, SessionCookie, Subject,
};

const T0: u64 = 1_900_000_000;

/// A driver whose revocations live in `store`.
fn driver(store: &FlakyStore) -> Driver {
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&[3; 32]).unwrap()), "sid")
        .session_ids(true)
        .clock(ManualClock::new(T0))
        .build()
        .unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    Driver::builder(cookie)
        .revocations(Revocations::new(store.clone()))
        .retry_after(Duration::from_millis(2500))
        .build()
        .unwrap()
}

/// Logs alice in through `driver`: the cookie her browser then sends.
fn logged_in(driver: &Driver) -> String {
    let login = begin::<u32>(driver, "");
    now(Driver::load(&login)).unwrap();
    login.login(&Subject::new("alice").unwrap(), 1).unwrap();
    end(driver, &login).set_cookies()[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_load_the_store_cannot_answer_is_a_503_that_the_end_gives_retry_after() {
    let store = FlakyStore::new(MemoryStore::new().clock(ManualClock::new(T0)));
    let driver = driver(&store);
    let cookie = logged_in(&driver);
    store.set_down(true);
    let session = begin::<u32>(&driver, &cookie);
    let rejection = now(Driver::load(&session)).unwrap_err();
    assert!(matches!(rejection, SessionRejection::Unavailable(_)));
    assert_eq!(rejection.status(), 503);
    // The framework answers the rejection, marked as a store outage; the end of the request
    // gives it the driver's `Retry-After`, a fraction of a second rounded up.
    let mut response = Lines::store_outage();
    now(driver.end(&session, &mut response));
    assert_eq!(response.status(), 503);
    assert_eq!(response.header(Field::RetryAfter), ["3"]);
    assert!(
        response.set_cookies().is_empty(),
        "the cookie is left as it was"
    );
    assert_eq!(session.get(), None, "nothing is assumed meanwhile");
}

#[test]
fn a_session_no_driver_began_is_a_500_that_names_its_type() {
    let rejection = Driver::missing::<Vec<u32>>();
    assert_eq!(rejection.status(), 500);
    assert!(rejection.to_string().contains("Vec<u32>"), "{rejection}");
}

#[test]
fn header_values_and_names_are_what_http_writes() {
    assert_eq!(Value::Static("Cookie").as_bytes(), b"Cookie");
    assert_eq!(Value::Owned(b"3".to_vec()).into_bytes(), b"3");
    let names: Vec<&str> = [
        Field::SetCookie,
        Field::Vary,
        Field::CacheControl,
        Field::RetryAfter,
    ]
    .into_iter()
    .map(Field::name)
    .collect();
    assert_eq!(
        names,
        ["set-cookie", "vary", "cache-control", "retry-after"]
    );
}

#[test]
fn the_driver_replaces_a_response_whose_write_the_store_refused() {
    // A logout whose revocation cannot be recorded: the handler's 200 becomes a 503, its body
    // and headers dropped, so that the user sees the logout failed.
    let store = FlakyStore::new(MemoryStore::new().clock(ManualClock::new(T0)));
    let driver = driver(&store);
    let cookie = logged_in(&driver);
    let session = begin::<u32>(&driver, &cookie);
    now(Driver::load(&session)).unwrap();
    session.clear();
    store.set_down(true);
    let mut response = Lines::new(200);
    response.append(Field::CacheControl, Value::Static("max-age=60"));
    now(driver.end(&session, &mut response));
    assert_eq!(response.status(), 503);
    assert_eq!(response.header(Field::RetryAfter), ["3"]);
    assert_eq!(response.header(Field::CacheControl), Vec::<String>::new());
    assert!(response.set_cookies().is_empty());
}
