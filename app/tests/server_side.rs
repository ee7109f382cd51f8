//! Server-side sessions end to end, on both adapters and plain hyper: the same app and handlers
//! as the cookie tests (tests/common/web.rs), configured with `server_side`; a real server on
//! loopback, a real client. Each case runs as `axum::<case>`, `actix::<case>` and
//! `hyper::<case>`. Run with `cargo test -p sealed-session-app` (CI does).

mod common;

use std::time::Duration;

use common::store::FlakyStore;
use common::web::{
    Framework, Server, Stores, browser, cookie_with, for_each_framework, get_text, headers,
    held_at, lines, now, open_gate, pairs, serve_with, set_cookies,
};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER, SET_COOKIE};
use sealed_session::store::{MemoryStore, RecordWrite};
use sealed_session::{
    Clock, ConfigError, Conflicts, CookieOptions, Key, KeyRing, ManualClock, Sealer, ServerSide,
    SessionCookie,
};

/// The app with server-side sessions in a store the test can look into and take down.
struct App {
    server: Server,
    store: FlakyStore,
    clock: ManualClock,
}

async fn serve_server_side(framework: Framework, configure: fn(ServerSide) -> ServerSide) -> App {
    let ring = KeyRing::new(Key::generate().unwrap());
    serve_over(framework, ring, ManualClock::new(now()), configure).await
}

/// As [`serve_server_side`], over a key ring and a clock the test holds.
async fn serve_over(
    framework: Framework,
    ring: KeyRing,
    clock: ManualClock,
    configure: fn(ServerSide) -> ServerSide,
) -> App {
    let store = FlakyStore::new(MemoryStore::new().clock(clock.clone()));
    let side = configure(ServerSide::new(store.clone()));
    let server = serve_with(
        framework,
        cookie_with(ring, clock.clone()),
        Stores::server_side(side),
    )
    .await;
    App {
        server,
        store,
        clock,
    }
}

async fn serve(framework: Framework) -> App {
    serve_server_side(framework, |side| side).await
}

impl App {
    /// One request with exactly `cookie`: its status, `Set-Cookie` lines and body.
    async fn get(&self, path: &str, cookie: &str) -> (u16, Vec<String>) {
        let fields: &[&str] = if cookie.is_empty() { &[] } else { &[cookie] };
        set_cookies(self.server.addr, path, fields).await
    }

    /// Logs `user` in; the `Cookie` header that carries the session back.
    async fn login(&self, user: &str) -> String {
        let (status, lines) = self.get(&format!("/login?user={user}"), "").await;
        assert_eq!(status, 200);
        pairs(&lines)
    }

    /// What `/ro` shows for `cookie`.
    async fn shows(&self, cookie: &str) -> String {
        let mut request = reqwest::Client::new().get(format!("http://{}/ro", self.server.addr));
        if !cookie.is_empty() {
            request = request.header(reqwest::header::COOKIE, cookie);
        }
        request.send().await.unwrap().text().await.unwrap()
    }

    /// The number of live records in the store (numbers, such as generations, not counted).
    fn records(&self) -> usize {
        self.store.records()
    }

    /// Sends `/held?gate=..&change=..` with `cookie` and waits until its change is made and it
    /// waits at the gate; the test opens the gate and awaits the returned task, for the
    /// response's status and `Set-Cookie` lines.
    async fn held(
        &self,
        gate: &str,
        change: &str,
        cookie: &str,
    ) -> tokio::task::JoinHandle<(u16, Vec<String>)> {
        let held = self.held_headers(gate, change, cookie).await;
        tokio::spawn(async move {
            let (status, headers) = held.await.unwrap();
            (status, lines(&headers, SET_COOKIE))
        })
    }

    /// As [`held`](Self::held), for the response's status and headers.
    async fn held_headers(
        &self,
        gate: &str,
        change: &str,
        cookie: &str,
    ) -> tokio::task::JoinHandle<(u16, HeaderMap)> {
        let before = held_at(gate);
        let (addr, path, cookie) = (
            self.server.addr,
            format!("/held?gate={gate}&change={change}"),
            cookie.to_owned(),
        );
        let task = tokio::spawn(async move { headers(addr, &path, &[&cookie]).await });
        for _ in 0..500 {
            if held_at(gate) > before {
                return task;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the held request never made its change");
    }
}

/// A gate name of its own for each test and framework.
fn gate(framework: Framework, test: &str) -> String {
    format!("{framework:?}-{test}")
}

for_each_framework! {
    async fn the_state_lives_in_the_store_and_the_cookie_carries_only_its_id(framework: Framework) {
        let app = serve(framework).await;
        let client = browser();
        let addr = app.server.addr;
        assert_eq!(get_text(&client, addr, "/login?user=alice").await.1, "hello alice");
        assert_eq!(get_text(&client, addr, "/rw").await.1, "1");
        assert_eq!(get_text(&client, addr, "/rw").await.1, "2");
        // A state far larger than any cookie: the cookie does not grow.
        assert_eq!(get_text(&client, addr, "/grow?bytes=20000").await.1, "grown");
        assert_eq!(
            get_text(&client, addr, "/show").await.1,
            "user=alice counter=2 data=20000"
        );
        assert_eq!(app.records(), 1);
        let cookie = app.login("bob").await;
        assert!(cookie.len() < 120, "{} bytes: {cookie}", cookie.len());
    }

    async fn the_state_is_sealed_at_rest(framework: Framework) {
        let app = serve(framework).await;
        app.login("alice-in-the-clear").await;
        let saved = app.store.saved();
        assert_eq!(saved.len(), 1);
        let (key, value) = &saved[0];
        assert!(key.starts_with("ss:st:{"), "{key}");
        assert!(!value.contains("alice"), "{value}");
        let decoded = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            value,
        )
        .unwrap();
        assert!(!decoded.windows(5).any(|w| w == b"alice"));
    }

    async fn a_change_rewrites_the_record_not_the_cookie(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let (status, lines) = app.get("/rw", &cookie).await;
        assert_eq!((status, lines.len()), (200, 0));
        assert_eq!(app.shows(&cookie).await, "alice 1");
    }

    async fn a_request_that_reads_writes_nothing_anywhere(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let writes = app.store.saved().len();
        let (status, lines) = app.get("/ro", &cookie).await;
        assert_eq!((status, lines.len()), (200, 0));
        assert_eq!(app.store.saved().len(), writes);
    }

    async fn a_handler_that_ignores_the_session_never_asks_the_store(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        app.store.set_down(true);
        let (status, lines) = app.get("/none", &cookie).await;
        assert_eq!((status, lines.len()), (200, 0));
        assert_eq!(app.store.reads(), 0);
    }

    async fn a_request_without_a_session_cookie_never_asks_the_store(framework: Framework) {
        let app = serve(framework).await;
        let (status, lines) = app.get("/ro", "").await;
        assert_eq!((status, lines.len()), (200, 0));
        assert_eq!(app.store.reads(), 0);
    }

    async fn logout_everywhere_needs_no_revocations_and_ends_the_same_seconds_sessions(framework: Framework) {
        let app = serve(framework).await;
        app.clock.set_millis(app.clock.now_unix() * 1000 + 100);
        let phone = app.login("alice").await;
        let laptop = app.login("alice").await;
        let bob = app.login("bob").await;
        app.clock.advance(Duration::from_millis(100));
        let (status, lines) = app.get("/logout-all", &laptop).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        assert_eq!(app.shows(&phone).await, "none");
        assert_eq!(app.shows(&laptop).await, "none");
        assert_eq!(app.shows(&bob).await, "bob 0");
        // A login just after, in the same second, stays.
        app.clock.advance(Duration::from_millis(1));
        let again = app.login("alice").await;
        assert_eq!(app.shows(&again).await, "alice 0");
    }

    async fn logout_others_needs_no_revocations_and_keeps_this_session(framework: Framework) {
        let app = serve(framework).await;
        let phone = app.login("alice").await;
        let laptop = app.login("alice").await;
        let (status, lines) = app.get("/logout-others", &laptop).await;
        assert_eq!((status, lines.len()), (200, 0));
        assert_eq!(app.shows(&laptop).await, "alice 0");
        assert_eq!(app.shows(&phone).await, "none");
    }

    async fn logout_removes_the_state_so_a_copied_cookie_finds_nothing(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let copy = cookie.clone();
        let (status, lines) = app.get("/logout", &cookie).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        assert_eq!(app.records(), 0);
        // The copy opens (its seal is fine), but the session is gone: no session, and the
        // response deletes the copy.
        let (status, lines) = app.get("/ro", &copy).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        assert_eq!(app.shows(&copy).await, "none");
    }

    async fn a_change_that_ends_after_a_logout_does_not_bring_the_session_back(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "resurrect");
        let late = app.held(&gate, "update", &cookie).await;
        let (status, _) = app.get("/logout", &cookie).await;
        assert_eq!(status, 200);
        open_gate(&gate);
        let (status, lines) = late.await.unwrap();
        // Reported, with no cookie: the store holds nothing and the browser gets nothing back.
        assert_eq!(status, 409);
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(app.records(), 0);
        assert_eq!(app.shows(&cookie).await, "none");
    }

    async fn two_concurrent_updates_are_both_kept(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "both-kept");
        let first = app.held(&gate, "update", &cookie).await;
        let second = app.held(&gate, "update", &cookie).await;
        open_gate(&gate);
        open_gate(&gate);
        assert_eq!(first.await.unwrap().0, 200);
        assert_eq!(second.await.unwrap().0, 200);
        // Both read counter 0; the later write was applied again on the earlier one's.
        assert_eq!(app.shows(&cookie).await, "alice 2");
    }

    async fn a_whole_new_state_that_lost_the_race_is_reported_not_applied(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "whole");
        let replace = app.held(&gate, "replace", &cookie).await;
        assert_eq!(app.get("/rw", &cookie).await.0, 200);
        open_gate(&gate);
        let (status, lines) = replace.await.unwrap();
        assert_eq!((status, lines.len()), (409, 0));
        assert_eq!(app.shows(&cookie).await, "alice 1");
    }

    async fn conflicts_can_be_reported_instead_of_applied_again(framework: Framework) {
        let app = serve_server_side(framework, |s| s.conflicts(Conflicts::Report)).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "report-updates");
        let first = app.held(&gate, "update", &cookie).await;
        let second = app.held(&gate, "update", &cookie).await;
        open_gate(&gate);
        assert_eq!(first.await.unwrap().0, 200);
        open_gate(&gate);
        assert_eq!(second.await.unwrap().0, 409);
        assert_eq!(app.shows(&cookie).await, "alice 1");
    }

    async fn login_moves_the_session_to_a_new_id(framework: Framework) {
        let app = serve(framework).await;
        let before = app.login("alice").await;
        // Logging in again from the same browser: a new id, the old record removed.
        let (status, lines) = app.get("/login?user=bob", &before).await;
        assert_eq!(status, 200);
        let after = pairs(&lines);
        assert_ne!(before, after);
        assert_eq!(app.records(), 1);
        assert_eq!(app.shows(&before).await, "none");
        assert_eq!(app.shows(&after).await, "bob 0");
    }

    async fn an_unreachable_store_is_a_503_with_no_cookie_and_the_app_recovers(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        app.store.set_down(true);
        for path in ["/ro", "/rw", "/logout"] {
            let (status, lines) = app.get(path, &cookie).await;
            assert_eq!((status, lines.len()), (503, 0), "{path}");
        }
        app.store.set_down(false);
        assert_eq!(app.get("/rw", &cookie).await.0, 200);
        assert_eq!(app.shows(&cookie).await, "alice 1");
    }

    async fn a_write_the_store_cannot_take_is_a_503_and_the_old_state_stays(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "down-at-end");
        let held = app.held(&gate, "update", &cookie).await;
        app.store.set_down(true);
        open_gate(&gate);
        let (status, lines) = held.await.unwrap();
        assert_eq!((status, lines.len()), (503, 0));
        app.store.set_down(false);
        assert_eq!(app.shows(&cookie).await, "alice 0");
    }

    async fn a_503_for_a_write_the_store_cannot_take_says_when_to_retry(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        let gate = gate(framework, "retry-after");
        let held = app.held_headers(&gate, "update", &cookie).await;
        app.store.set_down(true);
        open_gate(&gate);
        let (status, headers) = held.await.unwrap();
        assert_eq!(status, 503);
        assert_eq!(lines(&headers, RETRY_AFTER), ["1"]);
    }

    async fn a_record_moved_to_another_session_is_refused(framework: Framework) {
        let app = serve(framework).await;
        let alice = app.login("alice").await;
        let bob = app.login("bob").await;
        let saved = app.store.saved();
        let (alice_key, alice_value) = &saved[0];
        let (bob_key, _) = &saved[1];
        // Someone with write access to the store puts alice's sealed state under bob's id.
        use sealed_session::store::Store as _;
        let store = &app.store.store;
        let bob_record = store.load(bob_key).await.unwrap().unwrap();
        let write = RecordWrite::update(bob_record.version, alice_value, u64::MAX / 2);
        store.save(bob_key, write).await.unwrap();
        let (status, lines) = app.get("/ro", &bob).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        assert_eq!(app.shows(&bob).await, "none");
        // Alice's own session is untouched.
        assert!(store.load(alice_key).await.unwrap().is_some());
        assert_eq!(app.shows(&alice).await, "alice 0");
    }

    async fn a_session_idle_past_its_timeout_is_gone_from_cookie_and_store(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        app.clock.advance(sealed_session::DEFAULT_IDLE_TIMEOUT + Duration::from_secs(61));
        assert_eq!(app.shows(&cookie).await, "none");
        // The store forgot it too: its record expired with the session.
        use sealed_session::store::Store as _;
        let (key, _) = &app.store.saved()[0];
        assert_eq!(app.store.store.load(key).await, Ok(None));
    }

    async fn a_due_renewal_extends_the_record_with_the_cookie(framework: Framework) {
        let app = serve(framework).await;
        let cookie = app.login("alice").await;
        // Past the renewal point: a read renews both the cookie and the record.
        let idle = sealed_session::DEFAULT_IDLE_TIMEOUT;
        app.clock.advance(idle / 2);
        let (status, lines) = app.get("/ro", &cookie).await;
        assert_eq!((status, lines.len()), (200, 1));
        let renewed = pairs(&lines);
        // Past the first cookie's idle end: the renewed one and its record still live.
        app.clock.advance(idle / 2 + Duration::from_secs(120));
        assert_eq!(app.shows(&cookie).await, "none");
        assert_eq!(app.shows(&renewed).await, "alice 0");
    }

    async fn a_state_over_the_stores_bound_is_an_error_the_handler_sees(framework: Framework) {
        let app = serve_server_side(framework, |s| s.max_state_len(4096)).await;
        let cookie = app.login("alice").await;
        let (status, lines) = app.get("/grow?bytes=5000", &cookie).await;
        assert_eq!((status, lines.len()), (413, 0));
        assert_eq!(app.shows(&cookie).await, "alice 0");
    }

    async fn a_cookie_of_the_other_mode_is_no_session_and_is_deleted(framework: Framework) {
        // One key ring, the same cookie name and purpose, the two modes: switching a deployment
        // from one to the other logs its users out cleanly, never misreads a state.
        let ring = KeyRing::new(Key::generate().unwrap());
        let clock = ManualClock::new(now());
        let cookie_mode = common::web::serve(framework, cookie_with(ring.clone(), clock.clone())).await;
        let server_side = serve_over(framework, ring, clock, |side| side.overflow(true)).await;
        let (_, lines) = set_cookies(cookie_mode.addr, "/login?user=alice", &[]).await;
        let from_cookie_mode = pairs(&lines);
        let from_server_side = server_side.login("bob").await;
        let (status, lines) = server_side.get("/ro", &from_cookie_mode).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        assert_eq!(server_side.shows(&from_cookie_mode).await, "none");
        let (status, lines) = set_cookies(cookie_mode.addr, "/ro", &[&from_server_side]).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
    }

    async fn with_overflow_a_small_state_stays_in_the_cookie(framework: Framework) {
        let app = serve_server_side(framework, |side| side.overflow(true)).await;
        let cookie = app.login("alice").await;
        assert_eq!(app.records(), 0);
        let (status, _) = app.get("/ro", &cookie).await;
        assert_eq!(status, 200);
        // No record to read; one check of the user's revocations ("log out everywhere").
        assert_eq!(app.store.reads(), 1);
        assert_eq!(app.shows(&cookie).await, "alice 0");
    }

    async fn with_overflow_logout_revokes_a_logged_in_cookie_held_state(framework: Framework) {
        let app = serve_server_side(framework, |side| side.overflow(true)).await;
        let cookie = app.login("alice").await;
        let copy = cookie.clone();
        assert_eq!(app.get("/logout", &cookie).await.0, 200);
        assert_eq!(app.shows(&copy).await, "none");
    }

    async fn with_overflow_a_large_state_moves_to_the_store_and_back(framework: Framework) {
        let app = serve_server_side(framework, |side| side.overflow(true)).await;
        let client = browser();
        let addr = app.server.addr;
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/grow?bytes=20000").await.1, "grown");
        assert_eq!(app.records(), 1);
        assert_eq!(
            get_text(&client, addr, "/show").await.1,
            "user=alice counter=0 data=20000"
        );
        assert_eq!(get_text(&client, addr, "/grow?bytes=10").await.1, "grown");
        assert_eq!(app.records(), 0);
        assert_eq!(get_text(&client, addr, "/show").await.1, "user=alice counter=0 data=10");
        assert_eq!(get_text(&client, addr, "/logout").await.0, StatusCode::OK);
        assert_eq!(get_text(&client, addr, "/show").await.1, "none");
    }
}

#[test]
fn server_side_sessions_need_session_ids() {
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "sid")
        .build()
        .unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    let side = ServerSide::new(MemoryStore::new());
    let refused = sealed_session::web::Driver::builder(cookie)
        .server_side(side)
        .build();
    assert_eq!(refused.err(), Some(ConfigError::ServerSideNeedsSessionIds));
}
