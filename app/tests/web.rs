//! The web adapters end to end, one table of cases run against the axum, the actix and the plain
//! hyper app (tests/common/web.rs): a real server on loopback, a real HTTP client keeping cookies. Every case
//! runs once per framework, as `axum::<case>`, `actix::<case>` and `hyper::<case>` (plain hyper,
//! the request driver run by hand), with the same expectations.
//! Run with `cargo test -p sealed-session-app` (CI does).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::store::FlakyStore;
use common::web::{
    Framework, Server, Settings, Stores, browser, browser_with, cookie, cookie_with,
    for_each_framework, get_text, headers, lines, now, pairs, serve, serve_configured, serve_with,
    set_cookies,
};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, RETRY_AFTER, SET_COOKIE, VARY};
use sealed_session::store::MemoryStore;
use sealed_session::{Clock, Key, KeyRing, ManualClock, Outage, Revocations};

/// The `Cookie` header the jar would send to `addr`.
fn jar_header(jar: &reqwest::cookie::Jar, addr: SocketAddr) -> String {
    use reqwest::cookie::CookieStore as _;
    let url = format!("http://{addr}/").parse().unwrap();
    jar.cookies(&url)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Logs `alice` in through a plain client and returns the `Cookie` header a browser would send.
async fn session_header(addr: SocketAddr) -> String {
    let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
    lines
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What `/ro` answers to a request carrying `header`: the user and counter, or "none".
async fn ro(addr: SocketAddr, header: &str) -> String {
    reqwest::Client::new()
        .get(format!("http://{addr}/ro"))
        .header(COOKIE, header)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A server that checks and records revocations in a store the test can take down.
async fn serve_revocable(framework: Framework) -> (Server, FlakyStore) {
    let (server, store, _) = serve_revocable_at(framework).await;
    (server, store)
}

/// As [`serve_revocable`], on a clock the test moves (the store and the revocations follow the
/// sealer's clock).
async fn serve_revocable_at(framework: Framework) -> (Server, FlakyStore, ManualClock) {
    serve_revocable_configured(framework, Settings::default()).await
}

/// As [`serve_revocable_at`], the session middleware configured with `settings`.
async fn serve_revocable_configured(
    framework: Framework,
    settings: Settings,
) -> (Server, FlakyStore, ManualClock) {
    let clock = ManualClock::new(now());
    let store = FlakyStore::new(MemoryStore::new().clock(clock.clone()));
    let revocations = Revocations::new(store.clone());
    let ring = KeyRing::new(Key::generate().unwrap());
    let server = serve_configured(
        framework,
        cookie_with(ring, clock.clone()),
        Stores::revocations(revocations),
        settings,
    )
    .await;
    (server, store, clock)
}

/// A server with `settings` and no store.
async fn serve_set(framework: Framework, settings: Settings) -> Server {
    serve_configured(framework, cookie(), Stores::default(), settings).await
}

/// A server over a ring and a clock the test holds.
async fn serve_with_keys(framework: Framework) -> (Server, KeyRing, ManualClock) {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(now());
    let server = serve(framework, cookie_with(ring.clone(), clock.clone())).await;
    (server, ring, clock)
}

for_each_framework! {
    async fn a_session_lives_across_requests_of_a_cookie_keeping_client(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let client = browser();
        assert_eq!(get_text(&client, addr, "/ro").await.1, "none");
        assert_eq!(
            get_text(&client, addr, "/login?user=alice").await.1,
            "hello alice"
        );
        assert_eq!(get_text(&client, addr, "/rw").await.1, "1");
        assert_eq!(get_text(&client, addr, "/rw").await.1, "2");
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 2");
        assert_eq!(get_text(&client, addr, "/logout").await.1, "bye");
        assert_eq!(get_text(&client, addr, "/ro").await.1, "none");
        assert_eq!(
            get_text(&client, addr, "/rw").await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    async fn a_request_that_never_touches_the_session_gets_no_set_cookie(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        for header in [good.as_str(), "sid=garbage", ""] {
            let (status, lines) = set_cookies(addr, "/none", &[header]).await;
            assert_eq!(status, 200);
            assert!(lines.is_empty(), "{header}: {lines:?}");
        }
    }

    async fn reading_an_unchanged_session_writes_nothing(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let (status, lines) = set_cookies(addr, "/ro", &[&good]).await;
        assert_eq!(status, 200);
        assert!(lines.is_empty(), "{lines:?}");
    }

    async fn a_bad_cookie_is_an_empty_session_and_its_removal_never_an_error_page(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let value = good.strip_prefix("sid=").unwrap();
        let mut tampered = value.as_bytes().to_vec();
        tampered[30] = if tampered[30] == b'A' { b'B' } else { b'A' };
        let tampered = format!("sid={}", String::from_utf8(tampered).unwrap());
        let duplicated = format!("{good}; {good}");
        let stray = format!("{good}; sid.2=left-over");
        for header in [
            tampered.as_str(),
            "sid=garbage",
            duplicated.as_str(),
            stray.as_str(),
        ] {
            let (status, lines) = set_cookies(addr, "/ro", &[header]).await;
            assert_eq!(status, 200, "{header}");
            assert!(!lines.is_empty(), "{header}");
            assert!(
                lines
                    .iter()
                    .all(|l| l.contains("Max-Age=0") && l.contains("Path=/")),
                "{lines:?}"
            );
        }
        // The stray chunk is deleted along with the cookie.
        let (_, lines) = set_cookies(addr, "/ro", &[&stray]).await;
        assert_eq!(lines.len(), 2, "{lines:?}");
    }

    async fn cookie_fields_sent_separately_are_read_as_one_header(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let (status, lines) = set_cookies(addr, "/ro", &["theme=dark", &good]).await;
        assert_eq!((status, lines.len()), (200, 0));
        // The same cookie in two fields is a duplicate across them: refused, deleted.
        let (status, lines) = set_cookies(addr, "/ro", &[&good, &good]).await;
        assert_eq!(status, 200);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("sid=; Max-Age=0"));
    }

    async fn a_session_grows_into_chunks_and_back(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let client = browser();
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/grow?bytes=6000").await.1, "grown");
        assert_eq!(get_text(&client, addr, "/rw").await.1, "1");
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 1");
        // Checked at the header level: three cookies, then back to one with two removals.
        let header = {
            let (_, lines) = set_cookies(addr, "/login?user=bob", &[]).await;
            let first = lines[0].split(';').next().unwrap().to_owned();
            let (_, lines) = set_cookies(addr, "/grow?bytes=8500", &[&first]).await;
            assert_eq!(lines.len(), 3, "{lines:?}");
            lines
                .iter()
                .map(|l| l.split(';').next().unwrap())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (_, lines) = set_cookies(addr, "/grow?bytes=10", &[&header]).await;
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[1].starts_with("sid.1=; Max-Age=0"), "{lines:?}");
        assert!(lines[2].starts_with("sid.2=; Max-Age=0"), "{lines:?}");
    }

    async fn a_state_too_large_is_seen_by_the_handler_and_the_old_cookie_stays(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let (status, lines) = set_cookies(addr, "/grow?bytes=20000", &[&good]).await;
        assert_eq!(status, 413);
        assert!(lines.is_empty(), "{lines:?}");
    }

    async fn a_server_error_writes_no_cookie(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let (status, lines) = set_cookies(addr, "/fail", &[&good]).await;
        assert_eq!(status, 500);
        assert!(lines.is_empty(), "{lines:?}");
    }

    async fn a_handler_asking_for_a_session_no_middleware_provides_gets_a_500(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let (status, _) = set_cookies(addr, "/unwired", &[]).await;
        assert_eq!(status, 500);
    }

    async fn concurrent_requests_of_one_client_all_succeed(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = Arc::new(session_header(addr).await);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let good = Arc::clone(&good);
                tokio::spawn(async move { set_cookies(addr, "/ro", &[&good]).await })
            })
            .collect();
        for task in tasks {
            let (status, lines) = task.await.unwrap();
            assert_eq!(status, 200);
            assert!(lines.is_empty());
        }
    }

    async fn an_expired_session_is_no_session_and_the_browser_forgets_it(framework: Framework) {
        let (server, _, clock) = serve_with_keys(framework).await;
        let addr = server.addr;
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = browser_with(jar.clone());
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 0");
        clock.advance(std::time::Duration::from_secs(31 * 60 + 61));
        assert_eq!(get_text(&client, addr, "/ro").await.1, "none");
        assert_eq!(jar_header(&jar, addr), "", "the removal was applied");
    }

    async fn keys_rotate_mid_session_without_logging_anyone_out(framework: Framework) {
        let (server, ring, _) = serve_with_keys(framework).await;
        let addr = server.addr;
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = browser_with(jar.clone());
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/rw").await.1, "1");
        let old = ring.primary_id();
        let before = jar_header(&jar, addr);
        ring.rotate(Key::generate().unwrap()).unwrap();
        // The old key still opens the cookie; reading it moves it to the new key.
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 1");
        assert_ne!(jar_header(&jar, addr), before, "renewed under the new key");
        ring.retire(old).unwrap();
        assert_eq!(get_text(&client, addr, "/rw").await.1, "2");
    }

    async fn logout_clears_every_chunk_the_browser_holds(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = browser_with(jar.clone());
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/grow?bytes=8500").await.1, "grown");
        let header = jar_header(&jar, addr);
        let mut names: Vec<&str> = header
            .split("; ")
            .map(|pair| pair.split_once('=').unwrap().0)
            .collect();
        names.sort();
        assert_eq!(names, ["sid", "sid.1", "sid.2"]);
        assert_eq!(get_text(&client, addr, "/logout").await.1, "bye");
        assert_eq!(jar_header(&jar, addr), "");
    }

    async fn after_a_bad_cookie_the_browser_recovers(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let url = format!("http://{addr}/").parse().unwrap();
        jar.add_cookie_str(&format!("sid={}; Path=/", "!".repeat(60)), &url);
        let client = browser_with(jar.clone());
        // An empty session, not an error page, and the bad cookie is gone.
        assert_eq!(
            get_text(&client, addr, "/ro").await,
            (StatusCode::OK, "none".into())
        );
        assert_eq!(jar_header(&jar, addr), "");
        // Logging in works at once.
        get_text(&client, addr, "/login?user=alice").await;
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 0");
    }

    async fn a_middleware_reads_and_changes_the_session_the_handler_sees(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        // No session: the guard refuses before the handler, and writes no cookie.
        let (status, lines) = set_cookies(addr, "/private", &[]).await;
        assert_eq!((status, lines.len()), (401, 0));
        let client = browser();
        get_text(&client, addr, "/login?user=alice").await;
        let response = client
            .get(format!("http://{addr}/private"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-user"], "alice");
        assert_eq!(response.text().await.unwrap(), "secret");
        // The guard's change after the handler reached the browser.
        assert_eq!(get_text(&client, addr, "/ro").await.1, "alice 1");
    }

    async fn a_copied_cookie_is_dead_after_logout(framework: Framework) {
        let (server, _) = serve_revocable(framework).await;
        let addr = server.addr;
        let copy = session_header(addr).await;
        assert_eq!(set_cookies(addr, "/ro", &[&copy]).await.0, 200);
        // The browser logs out; a copy of its cookie taken before is replayed.
        let (status, removal) = set_cookies(addr, "/logout", &[&copy]).await;
        assert_eq!((status, removal.len()), (200, 1));
        let client = reqwest::Client::new();
        let replay = client
            .get(format!("http://{addr}/ro"))
            .header(COOKIE, &copy)
            .send()
            .await
            .unwrap();
        let lines: Vec<String> = replay
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(replay.status(), StatusCode::OK);
        assert_eq!(replay.text().await.unwrap(), "none");
        assert!(lines[0].starts_with("sid=; Max-Age=0"), "{lines:?}");
    }

    async fn logout_everywhere_ends_the_users_sessions_of_the_same_second(framework: Framework) {
        let (server, _, clock) = serve_revocable_at(framework).await;
        let addr = server.addr;
        clock.set_millis(clock.now_unix() * 1000 + 100);
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        let phone = pairs(&lines);
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        let laptop = pairs(&lines);
        let (_, lines) = set_cookies(addr, "/login?user=bob", &[]).await;
        let bob = pairs(&lines);
        // The same second as the logins: they are still covered.
        clock.advance(std::time::Duration::from_millis(200));
        let (status, lines) = set_cookies(addr, "/logout-all", &[&laptop]).await;
        assert_eq!(status, 200);
        assert!(lines[0].contains("Max-Age=0"), "{lines:?}");
        for (header, expected) in [(&phone, "none"), (&laptop, "none"), (&bob, "bob 0")] {
            assert_eq!(ro(addr, header).await, expected);
        }
        // Logging in again afterwards, in the same second too, works at once.
        clock.advance(std::time::Duration::from_millis(1));
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        assert_eq!(ro(addr, &pairs(&lines)).await, "alice 0");
    }

    async fn logout_others_keeps_this_session_and_ends_the_users_others(framework: Framework) {
        let (server, _, _) = serve_revocable_at(framework).await;
        let addr = server.addr;
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        let phone = pairs(&lines);
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        let laptop = pairs(&lines);
        let (status, lines) = set_cookies(addr, "/logout-others", &[&laptop]).await;
        assert_eq!((status, lines.len()), (200, 0), "this cookie is left as it is");
        assert_eq!(ro(addr, &laptop).await, "alice 0");
        assert_eq!(ro(addr, &phone).await, "none");
    }

    async fn without_revocations_logout_everywhere_is_refused_not_local(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let (_, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        let alice = pairs(&lines);
        for path in ["/logout-all", "/logout-others"] {
            let (status, lines) = set_cookies(addr, path, &[&alice]).await;
            assert_eq!((status, lines.len()), (409, 0), "{path}");
        }
        assert_eq!(ro(addr, &alice).await, "alice 0");
    }

    async fn a_store_outage_answers_503_and_never_accepts_a_revoked_session(framework: Framework) {
        let (server, store) = serve_revocable(framework).await;
        let addr = server.addr;
        let revoked = session_header(addr).await;
        set_cookies(addr, "/logout", &[&revoked]).await;
        let live = session_header(addr).await;
        store.set_down(true);
        for header in [&revoked, &live] {
            let (status, lines) = set_cookies(addr, "/ro", &[header]).await;
            assert_eq!((status, lines.len()), (503, 0));
        }
        // A logout that cannot be recorded is not pretended: 503, the cookie left alone.
        let (status, lines) = set_cookies(addr, "/logout", &[&live]).await;
        assert_eq!((status, lines.len()), (503, 0));
        // A request without a session needs no store, nor one whose handler ignores it.
        assert_eq!(set_cookies(addr, "/ro", &[]).await.0, 200);
        assert_eq!(set_cookies(addr, "/none", &[&live]).await, (200, Vec::new()));
        // Back up: served again, no restart, the revoked one still refused.
        store.set_down(false);
        let body = |h: String| async move {
            reqwest::Client::new()
                .get(format!("http://{addr}/ro"))
                .header(COOKIE, h)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        assert_eq!(body(revoked.clone()).await, "none");
        assert_eq!(body(live.clone()).await, "alice 0");
    }

    async fn a_login_the_store_cannot_register_answers_503_and_sets_no_cookie(framework: Framework) {
        let (server, store) = serve_revocable(framework).await;
        let addr = server.addr;
        store.set_down(true);
        let (status, lines) = set_cookies(addr, "/login?user=alice", &[]).await;
        assert_eq!((status, lines.len()), (503, 0));
        // Once the store answers, a login goes through and its session is vouched for.
        store.set_down(false);
        let header = session_header(addr).await;
        assert_eq!(ro(addr, &header).await, "alice 0");
    }

    async fn accepting_outages_serves_unchecked_sessions_only_by_choice(framework: Framework) {
        let store = FlakyStore::new(MemoryStore::new());
        let revocations = Revocations::new(store.clone()).on_outage(Outage::Accept);
        let server = serve_with(framework, cookie(), Stores::revocations(revocations)).await;
        let addr = server.addr;
        let live = session_header(addr).await;
        store.set_down(true);
        assert_eq!(set_cookies(addr, "/ro", &[&live]).await.0, 200);
    }

    // HTTP caching: no cache hands one user's session to another, nor keeps it past a logout.

    async fn a_response_that_uses_the_session_varies_on_cookie(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let cases: [(&str, &[&str]); 5] = [
            ("/ro", &[]),
            ("/ro", &[&good]),
            ("/rw", &[&good]),
            ("/login?user=bob", &[]),
            ("/logout", &[&good]),
        ];
        for (path, cookie) in cases {
            let (status, headers) = headers(addr, path, cookie).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(lines(&headers, VARY), ["Cookie"], "{path} {cookie:?}");
        }
    }

    async fn vary_cookie_is_added_to_the_handlers_own_vary(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let path = "/login-with?user=alice&vary=Accept-Encoding";
        let (_, headers) = headers(server.addr, path, &[]).await;
        assert_eq!(lines(&headers, VARY), ["Accept-Encoding, Cookie"]);
    }

    async fn vary_cookie_is_not_added_twice(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let path = "/login-with?user=alice&vary=cookie";
        let (_, headers) = headers(server.addr, path, &[]).await;
        assert_eq!(lines(&headers, VARY), ["cookie"]);
    }

    async fn a_handlers_vary_star_is_left_alone(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let (_, headers) = headers(server.addr, "/login-with?user=alice&vary=*", &[]).await;
        assert_eq!(lines(&headers, VARY), ["*"]);
    }

    async fn a_response_that_sets_or_deletes_a_session_cookie_is_private(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let cases: [(&str, &[&str]); 4] = [
            ("/login?user=bob", &[]),
            ("/rw", &[&good]),
            ("/logout", &[&good]),
            ("/ro", &["sid=garbage"]),
        ];
        for (path, cookie) in cases {
            let (_, headers) = headers(addr, path, cookie).await;
            assert!(!lines(&headers, SET_COOKIE).is_empty(), "{path} {cookie:?}");
            assert_eq!(lines(&headers, CACHE_CONTROL), ["private"], "{path} {cookie:?}");
        }
    }

    async fn a_handlers_own_cache_control_is_kept(framework: Framework) {
        for settings in [Settings::default(), Settings::cache_no_store()] {
            let server = serve_set(framework, settings).await;
            let path = "/login-with?user=alice&cache_control=no-cache";
            let (_, headers) = headers(server.addr, path, &[]).await;
            assert_eq!(lines(&headers, SET_COOKIE).len(), 1);
            assert_eq!(lines(&headers, CACHE_CONTROL), ["no-cache"]);
        }
    }

    async fn a_response_that_only_reads_the_session_gets_no_cache_control(framework: Framework) {
        let server = serve(framework, cookie()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let (_, headers) = headers(addr, "/ro", &[&good]).await;
        assert!(lines(&headers, SET_COOKIE).is_empty());
        assert!(lines(&headers, CACHE_CONTROL).is_empty());
    }

    async fn a_response_that_never_touches_the_session_gets_no_caching_headers(framework: Framework) {
        for settings in [Settings::default(), Settings::cache_no_store()] {
            let server = serve_set(framework, settings).await;
            let addr = server.addr;
            let good = session_header(addr).await;
            let cookies: [&[&str]; 3] = [&[&good], &["sid=garbage"], &[]];
            for cookie in cookies {
                let (status, headers) = headers(addr, "/none", cookie).await;
                assert_eq!(status, 200);
                assert!(lines(&headers, VARY).is_empty(), "{cookie:?}");
                assert!(lines(&headers, CACHE_CONTROL).is_empty(), "{cookie:?}");
            }
        }
    }

    async fn with_cache_no_store_a_response_bearing_a_session_is_no_store(framework: Framework) {
        let server = serve_set(framework, Settings::cache_no_store()).await;
        let addr = server.addr;
        let good = session_header(addr).await;
        let cases: [(&str, &[&str]); 4] = [
            ("/login?user=bob", &[]),
            ("/ro", &[&good]),
            ("/rw", &[&good]),
            ("/logout", &[&good]),
        ];
        for (path, cookie) in cases {
            let (status, headers) = headers(addr, path, cookie).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(lines(&headers, CACHE_CONTROL), ["no-store"], "{path}");
        }
    }

    async fn with_cache_no_store_a_page_without_a_session_stays_cacheable(framework: Framework) {
        let server = serve_set(framework, Settings::cache_no_store()).await;
        let (_, headers) = headers(server.addr, "/ro", &[]).await;
        assert!(lines(&headers, CACHE_CONTROL).is_empty());
        assert_eq!(lines(&headers, VARY), ["Cookie"]);
    }

    // Outages: the 503 tells clients when to come back.

    async fn a_503_for_a_store_that_cannot_check_the_session_says_when_to_retry(framework: Framework) {
        let (server, store) = serve_revocable(framework).await;
        let addr = server.addr;
        let live = session_header(addr).await;
        store.set_down(true);
        // From the extractor, and from a middleware that answers as the extractor does.
        for path in ["/ro", "/private"] {
            let (status, headers) = headers(addr, path, &[&live]).await;
            assert_eq!(status, 503, "{path}");
            assert_eq!(lines(&headers, RETRY_AFTER), ["1"], "{path}");
        }
    }

    async fn the_retry_after_of_an_outage_is_a_setting(framework: Framework) {
        let settings = Settings {
            retry_after: Some(std::time::Duration::from_secs(30)),
            ..Settings::default()
        };
        let (server, store, _) = serve_revocable_configured(framework, settings).await;
        let addr = server.addr;
        let live = session_header(addr).await;
        store.set_down(true);
        let (status, headers) = headers(addr, "/ro", &[&live]).await;
        assert_eq!(status, 503);
        assert_eq!(lines(&headers, RETRY_AFTER), ["30"]);
    }
}

#[test]
fn revocations_are_refused_for_a_sealer_without_session_ids() {
    use sealed_session::{ConfigError, CookieOptions, Sealer, SessionCookie};
    let cookie = || {
        let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "sid")
            .build()
            .unwrap();
        SessionCookie::sealed(sealer, CookieOptions::new()).unwrap()
    };
    // Both frameworks' middleware take their settings from the driver.
    let revocations = Revocations::new(MemoryStore::new());
    assert!(matches!(
        sealed_session::web::Driver::builder(cookie())
            .revocations(revocations)
            .build(),
        Err(ConfigError::RevocationsNeedSessionIds)
    ));
}
