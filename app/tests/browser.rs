//! A real browser against both adapters and plain hyper over the request driver: Debian's
//! Chromium, driven through ChromeDriver by `fantoccini`, on the end-to-end tests' app
//! (tests/common/web.rs) with a `__Host-` cookie, served on loopback by axum, by actix-web and by
//! hyper. It logs in, grows the session into chunk cookies, rotates keys, shrinks the session
//! and logs out, and at each step asks the browser's own cookie
//! store what it kept: a cookie the browser silently dropped, or a removal it ignored (a
//! `__Host-` removal without `Secure; Path=/`), fails here.
//! Then the same app with server-side sessions: one small cookie whatever the state, and a key
//! rotation the stored state follows. Then, with `cache_no_store`: after a logout, the Back
//! button shows the page logged out, not the logged-in page from the browser's cache.
//! Last, the example app itself (app/src, tests/common/example.rs) on each of the three, with
//! cookie sessions and with server-side sessions in redb: the user types a name into the login
//! form and submits it, presses "Log out", then Back, and sees the page logged out; in the
//! browser as ChromeDriver starts it (its back/forward cache on), then in one without it.
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian: `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them). Without them the test says so loudly and passes,
//! except under `CI=true`, where it fails. Run with `cargo test -p sealed-session-app --test browser`.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::example::{Example, Setup};
use common::web::{Framework, Settings, Stores, host_cookie, serve, serve_configured, serve_with};
use fantoccini::{Client, ClientBuilder, Locator};
use sealed_session::store::MemoryStore;
use sealed_session::{Key, KeyRing, ServerSide};

mod common;

const NAME: &str = "__Host-session";

/// A program from PATH, or why the test cannot run.
fn find(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// ChromeDriver, stopped (by its PID) when dropped, and the browser profile it used, removed.
struct Driver(Child, std::path::PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// A headless Chromium driven through ChromeDriver, with `extra` arguments.
async fn start_browser(
    chromium: &std::path::Path,
    chromedriver: &std::path::Path,
    extra: &[&str],
) -> (Driver, Client) {
    let port = free_port();
    // One profile per browser: a test may run two, one after the other.
    let profile = std::env::temp_dir().join(format!(
        "sealed-session-chromium-{}-{port}",
        std::process::id()
    ));
    let driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        profile.clone(),
    );
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{port}");
    // ChromeDriver takes a moment to listen.
    for attempt in 0.. {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if attempt < 100 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("could not start a browser session: {e}"),
        }
    }
    unreachable!()
}

/// The text of the page the browser shows.
async fn page_text(browser: &Client) -> String {
    browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The page's text and the browser's cookies after visiting `path`.
async fn visit(browser: &Client, addr: SocketAddr, path: &str) -> (String, Vec<(String, String)>) {
    browser
        .goto(&format!("http://localhost:{}{path}", addr.port()))
        .await
        .unwrap();
    let text = page_text(browser).await;
    let mut cookies: Vec<(String, String)> = browser
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    cookies.sort();
    (text, cookies)
}

fn names(cookies: &[(String, String)]) -> Vec<&str> {
    cookies.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn a_real_browser_keeps_sends_and_deletes_every_session_cookie() {
    let (Some(chromium), Some(chromedriver)) = (find("chromium"), find("chromedriver")) else {
        let message = "tests/browser.rs: SKIPPED, chromium or chromedriver is not on PATH \
                       (Debian: apt-get install chromium chromium-driver)";
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("{message}; CI must run the browser test");
        }
        eprintln!("\n*** {message} ***\n");
        return;
    };
    let (driver, browser) = start_browser(&chromium, &chromedriver, &[]).await;
    for framework in [Framework::Axum, Framework::Actix, Framework::Hyper] {
        browser.delete_all_cookies().await.unwrap();
        let ring = KeyRing::new(Key::generate().unwrap());
        let server = serve(framework, host_cookie(ring.clone())).await;
        eprintln!("browser on {framework:?}");
        keeps_sends_and_deletes(&browser, server.addr, &ring).await;

        browser.delete_all_cookies().await.unwrap();
        let ring = KeyRing::new(Key::generate().unwrap());
        let side = ServerSide::new(MemoryStore::new());
        let stores = Stores::server_side(side);
        let server = serve_with(framework, host_cookie(ring.clone()), stores).await;
        eprintln!("browser on {framework:?}, server-side sessions");
        server_side_journey(&browser, server.addr, &ring).await;

        browser.delete_all_cookies().await.unwrap();
        let cookie = host_cookie(KeyRing::new(Key::generate().unwrap()));
        let settings = Settings::cache_no_store();
        let server = serve_configured(framework, cookie, Stores::default(), settings).await;
        eprintln!("browser on {framework:?}, cache_no_store");
        back_after_logout_shows_the_page_logged_out(&browser, server.addr).await;

        example_app_journeys(&browser, framework).await;
    }
    browser.close().await.unwrap();
    drop(driver);

    // Again without the back/forward cache. Above, with it, Back restored the logged-in page
    // from memory despite its `no-store` (this Chromium keeps such pages there), and the page's
    // own script asked the server again; here Back goes through the HTTP cache, which must not
    // answer with the logged-in page either (`no-store`; this Chromium also refetches it for its
    // `Vary: Cookie` alone, so the `no-store` header itself is asserted in tests/example_app.rs).
    let (_driver, browser) =
        start_browser(&chromium, &chromedriver, &["--disable-back-forward-cache"]).await;
    for framework in [Framework::Axum, Framework::Actix, Framework::Hyper] {
        example_app_journeys(&browser, framework).await;
    }
    browser.close().await.unwrap();
}

/// The example app's journey on `framework`, in each of its setups: cookie sessions, with and
/// without revocations, and server-side ones in redb and in a real Redis.
async fn example_app_journeys(browser: &Client, framework: Framework) {
    for setup in [
        Setup::Cookie,
        Setup::CookieOnRedb,
        Setup::ServerSideOnRedb,
        Setup::ServerSideOnRedis,
    ] {
        browser.delete_all_cookies().await.unwrap();
        // `None` only without a redis-server outside CI, which `RedisServer::start` reported.
        let Some(app) = Example::start(framework, setup).await else {
            continue;
        };
        eprintln!("browser on the example app, {framework:?}, {setup:?}");
        the_example_app_logs_in_by_form_and_back_after_logout_shows_it_logged_out(browser, &app)
            .await;
    }
}

/// The text of the example app's `who` paragraph, once it reads `expected` (a form's submission
/// loads the next page), or whatever it reads after a few seconds.
async fn who_becomes(browser: &Client, expected: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = match browser.find(Locator::Id("who")).await {
            Ok(who) => who.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text == expected || std::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The example app as a user meets it: the login form, typed into and submitted (a POST),
/// the logged-in page with its `__Host-` cookie, "Log out" (a POST), then Back: the browser
/// shows no copy of the logged-in page, it asks again and shows the user logged out.
async fn the_example_app_logs_in_by_form_and_back_after_logout_shows_it_logged_out(
    browser: &Client,
    app: &Example,
) {
    const LOGGED_IN: &str = "Logged in as alice, with 0 bytes of notes.";
    const LOGGED_OUT: &str = "Not logged in.";
    let home = format!("http://localhost:{}/", app.addr.port());
    browser.goto(&home).await.unwrap();
    assert_eq!(who_becomes(browser, LOGGED_OUT).await, LOGGED_OUT);

    let user = browser.find(Locator::Id("user")).await.unwrap();
    user.send_keys("alice").await.unwrap();
    browser
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(who_becomes(browser, LOGGED_IN).await, LOGGED_IN);
    let cookies = browser.get_all_cookies().await.unwrap();
    let names: Vec<&str> = cookies.iter().map(|c| c.name()).collect();
    assert_eq!(names, [NAME]);
    // The form posted, and the redirect brought the browser back to the home page.
    assert_eq!(browser.current_url().await.unwrap().path(), "/");

    browser
        .find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(who_becomes(browser, LOGGED_OUT).await, LOGGED_OUT);
    assert_eq!(browser.current_url().await.unwrap().path(), "/logged-out");
    assert!(browser.get_all_cookies().await.unwrap().is_empty());

    // Back: to the entry of the logged-in page, whose copy the browser must not show. (The
    // logout led to a page of its own: had it led to `/`, the browser's latest copy of `/` would
    // be the logged-out page, whatever the caching headers, and this would prove nothing.)
    browser.back().await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/");
    assert_eq!(who_becomes(browser, LOGGED_OUT).await, LOGGED_OUT);
    // Its login form, not the logged-in page's buttons.
    assert!(browser.find(Locator::Id("login")).await.is_ok());
    assert!(browser.find(Locator::Id("logout")).await.is_err());
}

/// Log in, see a logged-in page, log out, press Back: with `cache_no_store` the browser kept no
/// copy of the logged-in page, so it asks the server again, which shows no session.
async fn back_after_logout_shows_the_page_logged_out(browser: &Client, addr: SocketAddr) {
    assert_eq!(
        visit(browser, addr, "/login?user=alice").await.0,
        "hello alice"
    );
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=0 data=0"
    );
    assert_eq!(visit(browser, addr, "/logout").await.0, "bye");
    browser.back().await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/show");
    assert_eq!(page_text(browser).await, "none");
}

/// The same app with server-side sessions: one small cookie whatever the state, a key rotation
/// that moves both the cookie and the stored state to the new key, and a logout.
async fn server_side_journey(browser: &Client, addr: SocketAddr, ring: &KeyRing) {
    let (text, cookies) = visit(browser, addr, "/login?user=alice").await;
    assert_eq!(text, "hello alice");
    assert_eq!(names(&cookies), [NAME]);
    let cookie = cookies[0].1.clone();
    assert_eq!(visit(browser, addr, "/rw").await.0, "1");
    assert_eq!(visit(browser, addr, "/grow?bytes=20000").await.0, "grown");
    let (text, cookies) = visit(browser, addr, "/show").await;
    assert_eq!(text, "user=alice counter=1 data=20000");
    // Still one small cookie, unchanged by the writes.
    assert_eq!(cookies, [(NAME.to_owned(), cookie)]);

    // Rotate and retire the old key: the first request after the rotation moved both.
    let old = ring.primary_id();
    ring.rotate(Key::generate().unwrap()).unwrap();
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=1 data=20000"
    );
    ring.retire(old).unwrap();
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=1 data=20000"
    );

    let (text, cookies) = visit(browser, addr, "/logout").await;
    assert_eq!(text, "bye");
    assert!(cookies.is_empty(), "{cookies:?}");
    assert_eq!(visit(browser, addr, "/show").await.0, "none");
}

/// The browser's journey through one app: log in, count, grow into chunks, rotate keys, shrink,
/// log out.
async fn keeps_sends_and_deletes(browser: &Client, addr: SocketAddr, ring: &KeyRing) {
    // Logged out to begin with.
    let (text, cookies) = visit(browser, addr, "/show").await;
    assert_eq!((text.as_str(), cookies.len()), ("none", 0));

    // Log in: the browser keeps the __Host- cookie and sends it back.
    let (text, cookies) = visit(browser, addr, "/login?user=alice").await;
    assert_eq!(text, "hello alice");
    assert_eq!(names(&cookies), [NAME]);
    assert_eq!(visit(browser, addr, "/rw").await.0, "1");
    assert_eq!(visit(browser, addr, "/rw").await.0, "2");
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=2 data=0"
    );

    // Grow past one cookie: the browser keeps every chunk and sends them all back.
    let (text, cookies) = visit(browser, addr, "/grow?bytes=5000").await;
    assert_eq!(text, "grown");
    assert_eq!(names(&cookies), [NAME, "__Host-session.1"]);
    assert_eq!(visit(browser, addr, "/rw").await.0, "3");
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=3 data=5000"
    );

    // Rotate the key: the old cookies still open, and the next request moves them to the new key.
    let before = visit(browser, addr, "/show").await.1;
    let old = ring.primary_id();
    ring.rotate(Key::generate().unwrap()).unwrap();
    let (text, after) = visit(browser, addr, "/show").await;
    assert_eq!(text, "user=alice counter=3 data=5000");
    assert_ne!(before, after, "renewed under the new key");
    ring.retire(old).unwrap();
    assert_eq!(
        visit(browser, addr, "/show").await.0,
        "user=alice counter=3 data=5000"
    );

    // Shrink: the chunk cookie is deleted.
    assert_eq!(visit(browser, addr, "/grow?bytes=10").await.0, "grown");
    let (text, cookies) = visit(browser, addr, "/show").await;
    assert_eq!(text, "user=alice counter=3 data=10");
    assert_eq!(names(&cookies), [NAME]);

    // Grow again, then log out: the browser deletes the cookie and its chunk (a __Host- removal
    // must carry Secure and Path=/ or the browser ignores it).
    assert_eq!(
        names(&visit(browser, addr, "/grow?bytes=5000").await.1).len(),
        2
    );
    let (text, cookies) = visit(browser, addr, "/logout").await;
    assert_eq!(text, "bye");
    assert!(cookies.is_empty(), "{cookies:?}");
    assert_eq!(visit(browser, addr, "/show").await.0, "none");
}
