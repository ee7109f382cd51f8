//! The example app end to end, as its users meet it: the axum and the actix-web app
//! (app/src), each served on loopback in each setup of its header (tests/common/example.rs), and
//! a client that keeps cookies and posts the app's HTML forms, as a browser does. Every rule is
//! written once, as `async fn rule(app: &Example)`, and runs as
//! `<setup>::<framework>::<rule>` in each setup it holds in. Run with `cargo test -p
//! sealed-session-app --test example_app` (CI does; the Redis setup needs `redis-server`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::example::{Example, Setup};
use common::web::Framework;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION};
use sealed_session::key_file::RingDocument;
use sealed_session::{Clock as _, Key, SystemClock, peek};
use sealed_session_app::{COOKIE_NAME, NOTES_STEP};

/// A browser: a client with its own cookie jar, which follows the app's redirects.
struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Browser {
    fn new() -> Self {
        Self::with(reqwest::redirect::Policy::default())
    }

    /// One that stops at each redirect, to read the response of a form's POST itself.
    fn stopping_at_redirects() -> Self {
        Self::with(reqwest::redirect::Policy::none())
    }

    fn with(policy: reqwest::redirect::Policy) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(policy)
            .build()
            .unwrap();
        Self { client, jar }
    }

    /// Posts a form of the app: the response, after the redirect unless this browser stops
    /// at redirects.
    async fn post(&self, app: &Example, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(app.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Logs in as `user` through the login form.
    async fn log_in(&self, app: &Example, user: &str) {
        let page = self.post(app, "/login", &[("user", user)]).await;
        assert_eq!(page.status(), StatusCode::OK);
    }

    /// What the home page says of the session: its `who` paragraph.
    async fn who(&self, app: &Example) -> String {
        let page = self.client.get(app.url("/")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        who(&page.text().await.unwrap())
    }

    /// The `Cookie` header this browser sends the app: what a thief who copied its cookies
    /// would send.
    fn cookie_header(&self, app: &Example) -> String {
        let url = app.url("/").parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The names of the cookies this browser holds for the app.
    fn cookie_names(&self, app: &Example) -> Vec<String> {
        let header = self.cookie_header(app);
        let mut names: Vec<String> = header
            .split("; ")
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split('=').next().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The id of the key the session cookie is sealed with.
    fn key_id(&self, app: &Example) -> String {
        let header = self.cookie_header(app);
        let value = header
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{COOKIE_NAME}=")))
            .expect("a session cookie");
        peek(value).unwrap().key_id.to_string()
    }
}

/// The `who` paragraph of a page of the app.
fn who(html: &str) -> String {
    let start = html.find("<p id=who>").expect("a who paragraph") + "<p id=who>".len();
    let end = start + html[start..].find("</p>").unwrap();
    html[start..end].to_owned()
}

fn logged_in_as(user: &str) -> String {
    format!("Logged in as <b>{user}</b>, with 0 bytes of notes.")
}

const LOGGED_OUT: &str = "Not logged in.";

/// What the home page says to a request carrying exactly `cookie_header`.
async fn who_with(app: &Example, cookie_header: &str) -> String {
    let page = reqwest::Client::new()
        .get(app.url("/"))
        .header(COOKIE, cookie_header)
        .send()
        .await
        .unwrap();
    who(&page.text().await.unwrap())
}

// The rules of every setup.

async fn a_login_through_the_post_form_shows_the_user(app: &Example) {
    let browser = Browser::new();
    assert_eq!(browser.who(app).await, LOGGED_OUT);
    let page = browser.post(app, "/login", &[("user", "alice")]).await;
    // Redirected to the home page, which shows the user.
    assert_eq!(page.url().path(), "/");
    assert_eq!(who(&page.text().await.unwrap()), logged_in_as("alice"));
    assert_eq!(browser.who(app).await, logged_in_as("alice"));
    assert_eq!(browser.cookie_names(app), [COOKIE_NAME]);
}

async fn the_pages_are_html_forms_that_post(app: &Example) {
    let browser = Browser::new();
    let page = browser.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        page.headers()["content-type"],
        "text/html; charset=utf-8",
        "an HTML page"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=post action=/login>"), "{html}");
    browser.log_in(app, "alice").await;
    let html = browser
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for action in ["/logout", "/logout-others", "/logout-everywhere"] {
        let form = format!("<form method=post action={action}>");
        assert!(html.contains(&form), "{form} in {html}");
    }
}

async fn a_get_to_a_forms_address_changes_nothing(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    // A link, a prefetch or a crawler only GETs: none of them logs anyone out.
    for path in ["/logout", "/logout-everywhere", "/logout-others", "/login"] {
        let response = browser.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    assert_eq!(browser.who(app).await, logged_in_as("alice"));
}

async fn logout_through_the_post_form_ends_the_session(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    let page = browser.post(app, "/logout", &[]).await;
    assert_eq!(page.url().path(), sealed_session_app::LOGGED_OUT);
    let html = page.text().await.unwrap();
    assert!(html.contains("You are logged out."), "{html}");
    assert_eq!(who(&html), LOGGED_OUT);
    // The browser deleted its cookie.
    assert!(browser.cookie_names(app).is_empty());
    assert_eq!(browser.who(app).await, LOGGED_OUT);
}

async fn no_cache_keeps_a_page_that_shows_a_session(app: &Example) {
    let browser = Browser::stopping_at_redirects();
    let no_store = |response: &reqwest::Response| {
        let lines: Vec<_> = response.headers().get_all(CACHE_CONTROL).iter().collect();
        lines == ["no-store"]
    };
    let login = browser.post(app, "/login", &[("user", "alice")]).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[LOCATION], "/");
    assert!(no_store(&login), "{:?}", login.headers());
    let home = browser.client.get(app.url("/")).send().await.unwrap();
    assert!(no_store(&home), "{:?}", home.headers());
    let logout = browser.post(app, "/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(logout.headers()[LOCATION], sealed_session_app::LOGGED_OUT);
    assert!(no_store(&logout), "{:?}", logout.headers());
}

async fn a_user_name_is_shown_as_text_not_markup(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "<i>eve</i>").await;
    assert_eq!(
        browser.who(app).await,
        logged_in_as("&lt;i&gt;eve&lt;/i&gt;")
    );
}

// The rules of the setups with a store.

async fn a_cookie_replayed_after_logout_shows_logged_out(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    let copied = browser.cookie_header(app);
    assert_eq!(who_with(app, &copied).await, logged_in_as("alice"));
    browser.post(app, "/logout", &[]).await;
    // Revoked (cookie sessions) or its record removed (server-side): the copy opens nothing.
    assert_eq!(who_with(app, &copied).await, LOGGED_OUT);
}

async fn log_out_everywhere_ends_the_users_session_in_another_browser(app: &Example) {
    let (laptop, phone) = (Browser::new(), Browser::new());
    laptop.log_in(app, "alice").await;
    phone.log_in(app, "alice").await;
    let bob = Browser::new();
    bob.log_in(app, "bob").await;
    let page = laptop.post(app, "/logout-everywhere", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.url().path(), sealed_session_app::LOGGED_OUT);
    assert_eq!(who(&page.text().await.unwrap()), LOGGED_OUT);
    assert_eq!(phone.who(app).await, LOGGED_OUT);
    // Another user's session is not touched.
    assert_eq!(bob.who(app).await, logged_in_as("bob"));
    // A new login after it is a new session, which stays.
    phone.log_in(app, "alice").await;
    assert_eq!(phone.who(app).await, logged_in_as("alice"));
}

async fn log_out_my_other_sessions_keeps_this_one_and_ends_the_other(app: &Example) {
    let (laptop, phone) = (Browser::new(), Browser::new());
    laptop.log_in(app, "alice").await;
    phone.log_in(app, "alice").await;
    let page = laptop.post(app, "/logout-others", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.url().path(), sealed_session_app::HOME);
    assert_eq!(who(&page.text().await.unwrap()), logged_in_as("alice"));
    assert_eq!(laptop.who(app).await, logged_in_as("alice"));
    assert_eq!(phone.who(app).await, LOGGED_OUT);
}

async fn a_key_revoked_in_the_watched_ring_file_logs_its_sessions_out(app: &Example) {
    let ring = app.ring.as_ref().expect("a setup with a key-ring file");
    let before = Browser::new();
    before.log_in(app, "alice").await;
    let old = before.key_id(app);

    // A leaked key, as KEYS.md says: add a new key sealing from now on, revoke the old one.
    let now = SystemClock.now_unix();
    let mut document = RingDocument::read(ring).unwrap();
    let leaked = document.keys()[0].id;
    assert_eq!(leaked.to_string(), old);
    let new = document
        .add(Key::generate().unwrap(), now, Some(now))
        .unwrap();
    document.revoke(leaked, now).unwrap();
    document.write(ring).unwrap();

    // The app reads the file again by itself: the old key's session ends, with no restart.
    let deadline = Instant::now() + Duration::from_secs(10);
    while before.who(app).await != LOGGED_OUT {
        assert!(Instant::now() < deadline, "the ring was not reloaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = Browser::new();
    after.log_in(app, "alice").await;
    assert_eq!(after.key_id(app), new.to_string());
    assert_eq!(after.who(app).await, logged_in_as("alice"));
}

// The rules of cookie sessions without a store.

async fn without_a_store_log_out_everywhere_is_refused_and_this_session_stays(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    for path in ["/logout-everywhere", "/logout-others"] {
        let page = browser.post(app, path, &[]).await;
        assert_eq!(page.status(), StatusCode::CONFLICT, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("configure revocations"), "{html}");
        // Refused, not quietly turned into a logout of this browser alone.
        assert_eq!(browser.who(app).await, logged_in_as("alice"));
    }
}

async fn without_a_store_a_cookie_copied_before_logout_still_opens(app: &Example) {
    // What the header's table says: nothing on the server remembers the logout.
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    let copied = browser.cookie_header(app);
    browser.post(app, "/logout", &[]).await;
    assert_eq!(browser.who(app).await, LOGGED_OUT);
    assert_eq!(who_with(app, &copied).await, logged_in_as("alice"));
}

// The rules of cookie sessions and of server-side sessions, apart.

async fn notes_spread_a_cookie_session_over_chunk_cookies_and_back(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    browser.post(app, "/notes/add", &[]).await;
    browser.post(app, "/notes/add", &[]).await;
    let grown = format!(
        "Logged in as <b>alice</b>, with {} bytes of notes.",
        2 * NOTES_STEP
    );
    assert_eq!(browser.who(app).await, grown);
    let chunk = format!("{COOKIE_NAME}.1");
    assert_eq!(browser.cookie_names(app), [COOKIE_NAME.to_owned(), chunk]);
    // Past the cookies the app allows: the page says so, and the session is as it was.
    let mut refused = None;
    for _ in 0..4 {
        let page = browser.post(app, "/notes/add", &[]).await;
        if page.status() == StatusCode::PAYLOAD_TOO_LARGE {
            refused = Some(page.text().await.unwrap());
            break;
        }
    }
    let refused = refused.expect("the notes stop growing");
    assert!(refused.contains("The notes were not added"), "{refused}");
    assert!(
        browser
            .who(app)
            .await
            .starts_with("Logged in as <b>alice</b>")
    );
    browser.post(app, "/notes/clear", &[]).await;
    assert_eq!(browser.who(app).await, logged_in_as("alice"));
    assert_eq!(browser.cookie_names(app), [COOKIE_NAME]);
}

async fn notes_keep_a_server_side_session_in_one_small_cookie(app: &Example) {
    let browser = Browser::new();
    browser.log_in(app, "alice").await;
    let cookie = browser.cookie_header(app);
    for _ in 0..5 {
        browser.post(app, "/notes/add", &[]).await;
    }
    let grown = format!(
        "Logged in as <b>alice</b>, with {} bytes of notes.",
        5 * NOTES_STEP
    );
    assert_eq!(browser.who(app).await, grown);
    // The state grew in the store; the cookie, the sealed id, did not change.
    assert_eq!(browser.cookie_header(app), cookie);
    assert!(cookie.len() < 200, "{cookie}");
}

// Two servers of one deployment (one Redis, one key-ring file, each server its own store
// connection and driver, each reading through its own local cache), as a load balancer spreads
// one browser's requests: what one server does, the other sees as soon as Redis tells it, and
// never later than the cache's silence bound. The browser's cookie jar, like a browser's, sends
// the cookie to both (cookies are per host, not per port).

/// Asks `ask` until it answers `want`: every request begun a silence bound after `since` (when
/// the other server's response said it was done) must answer it.
async fn seen<F: std::future::Future<Output = String>>(
    since: Instant,
    want: &str,
    ask: impl Fn() -> F,
) {
    loop {
        let began = Instant::now();
        let answer = ask().await;
        if answer == want {
            eprintln!("seen on the other server after {:?}", since.elapsed());
            return;
        }
        let bound = sealed_session::store::DEFAULT_SILENCE;
        assert!(
            began < since + bound,
            "{answer:?} past the bound, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn a_session_from_one_server_opens_on_the_other_and_a_logout_there_ends_it_here(
    (one, other): &(Example, Example),
) {
    let browser = Browser::new();
    browser.log_in(one, "alice").await;
    assert_eq!(browser.who(other).await, logged_in_as("alice"));
    let copied = browser.cookie_header(one);
    let page = browser.post(other, "/logout", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    // Revoked (cookie sessions) or its record removed (server-side) by the other server: the
    // copy opens nothing on the first one.
    seen(Instant::now(), LOGGED_OUT, || who_with(one, &copied)).await;
    assert_eq!(browser.who(one).await, LOGGED_OUT);
}

async fn log_out_everywhere_on_one_server_ends_the_users_sessions_on_the_other(
    (one, other): &(Example, Example),
) {
    let (laptop, phone) = (Browser::new(), Browser::new());
    laptop.log_in(one, "alice").await;
    phone.log_in(other, "alice").await;
    let copied = phone.cookie_header(other);
    laptop.post(other, "/logout-everywhere", &[]).await;
    seen(Instant::now(), LOGGED_OUT, || who_with(one, &copied)).await;
    assert_eq!(laptop.who(one).await, LOGGED_OUT);
}

async fn a_change_written_on_one_server_is_read_on_the_other((one, other): &(Example, Example)) {
    let browser = Browser::new();
    browser.log_in(one, "alice").await;
    // A write on a server whose cache has not yet heard of the other's conflicts, and is done
    // again on the record read afresh (`Conflicts::Retry`): no change is lost.
    for app in [one, other, one] {
        let page = browser.post(app, "/notes/add", &[]).await;
        assert!(page.status().is_success() || page.status().is_redirection());
    }
    let grown = format!(
        "Logged in as <b>alice</b>, with {} bytes of notes.",
        3 * NOTES_STEP
    );
    let done = Instant::now();
    seen(done, &grown, || browser.who(other)).await;
    seen(done, &grown, || browser.who(one)).await;
}

/// Each rule listed becomes a test of two servers of the setup on axum, in the module named.
macro_rules! two_servers_in {
    ($module:ident = $variant:ident: [$($rule:ident),* $(,)?]) => {
        mod $module {
            $(#[tokio::test]
            async fn $rule() {
                let pair =
                    crate::Example::pair(crate::Framework::Axum, crate::Setup::$variant).await;
                if let Some(pair) = pair {
                    crate::$rule(&pair).await;
                }
            })*
        }
    };
}

two_servers_in!(two_servers_cookie_on_redis = CookieOnRedis: [
    a_session_from_one_server_opens_on_the_other_and_a_logout_there_ends_it_here,
    log_out_everywhere_on_one_server_ends_the_users_sessions_on_the_other,
    a_change_written_on_one_server_is_read_on_the_other,
]);

two_servers_in!(two_servers_server_side_on_redis = ServerSideOnRedis: [
    a_session_from_one_server_opens_on_the_other_and_a_logout_there_ends_it_here,
    log_out_everywhere_on_one_server_ends_the_users_sessions_on_the_other,
    a_change_written_on_one_server_is_read_on_the_other,
]);

/// Each rule listed becomes a test of two servers of the setup as two processes of the app
/// (app/src/bin/app-server.rs, the axum example), in the module named.
macro_rules! two_processes_in {
    ($module:ident = $variant:ident: [$($rule:ident),* $(,)?]) => {
        mod $module {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $rule() {
                if let Some(pair) = crate::Example::processes(crate::Setup::$variant).await {
                    crate::$rule(&pair).await;
                }
            })*
        }
    };
}

two_processes_in!(two_processes_cookie_on_redis = CookieOnRedis: [
    a_session_from_one_server_opens_on_the_other_and_a_logout_there_ends_it_here,
    log_out_everywhere_on_one_server_ends_the_users_sessions_on_the_other,
    a_change_written_on_one_server_is_read_on_the_other,
]);

two_processes_in!(two_processes_server_side_on_redis = ServerSideOnRedis: [
    a_session_from_one_server_opens_on_the_other_and_a_logout_there_ends_it_here,
    log_out_everywhere_on_one_server_ends_the_users_sessions_on_the_other,
    a_change_written_on_one_server_is_read_on_the_other,
]);

/// Each rule listed becomes a test per framework in the setup's module:
/// `<setup>::axum::<rule>`, `<setup>::actix::<rule>` and `<setup>::hyper::<rule>`.
macro_rules! rules_in {
    ($setup:ident = $variant:ident: [$($rule:ident),* $(,)?]) => {
        mod $setup {
            mod axum {
                $(#[tokio::test]
                async fn $rule() {
                    let framework = crate::Framework::Axum;
                    if let Some(app) = crate::Example::start(framework, crate::Setup::$variant).await {
                        crate::$rule(&app).await;
                    }
                })*
            }

            mod actix {
                $(#[tokio::test]
                async fn $rule() {
                    let framework = crate::Framework::Actix;
                    if let Some(app) = crate::Example::start(framework, crate::Setup::$variant).await {
                        crate::$rule(&app).await;
                    }
                })*
            }

            mod hyper {
                $(#[tokio::test]
                async fn $rule() {
                    let framework = crate::Framework::Hyper;
                    if let Some(app) = crate::Example::start(framework, crate::Setup::$variant).await {
                        crate::$rule(&app).await;
                    }
                })*
            }
        }
    };
}

rules_in!(cookie = Cookie: [
    a_login_through_the_post_form_shows_the_user,
    the_pages_are_html_forms_that_post,
    a_get_to_a_forms_address_changes_nothing,
    logout_through_the_post_form_ends_the_session,
    no_cache_keeps_a_page_that_shows_a_session,
    a_user_name_is_shown_as_text_not_markup,
    without_a_store_log_out_everywhere_is_refused_and_this_session_stays,
    without_a_store_a_cookie_copied_before_logout_still_opens,
    notes_spread_a_cookie_session_over_chunk_cookies_and_back,
]);

rules_in!(cookie_on_redb = CookieOnRedb: [
    a_login_through_the_post_form_shows_the_user,
    a_get_to_a_forms_address_changes_nothing,
    logout_through_the_post_form_ends_the_session,
    no_cache_keeps_a_page_that_shows_a_session,
    a_cookie_replayed_after_logout_shows_logged_out,
    log_out_everywhere_ends_the_users_session_in_another_browser,
    log_out_my_other_sessions_keeps_this_one_and_ends_the_other,
    a_key_revoked_in_the_watched_ring_file_logs_its_sessions_out,
    notes_spread_a_cookie_session_over_chunk_cookies_and_back,
]);

rules_in!(server_side_on_redb = ServerSideOnRedb: [
    a_login_through_the_post_form_shows_the_user,
    a_get_to_a_forms_address_changes_nothing,
    logout_through_the_post_form_ends_the_session,
    no_cache_keeps_a_page_that_shows_a_session,
    a_cookie_replayed_after_logout_shows_logged_out,
    log_out_everywhere_ends_the_users_session_in_another_browser,
    log_out_my_other_sessions_keeps_this_one_and_ends_the_other,
    a_key_revoked_in_the_watched_ring_file_logs_its_sessions_out,
    notes_keep_a_server_side_session_in_one_small_cookie,
]);

rules_in!(server_side_on_redis = ServerSideOnRedis: [
    a_login_through_the_post_form_shows_the_user,
    a_get_to_a_forms_address_changes_nothing,
    logout_through_the_post_form_ends_the_session,
    no_cache_keeps_a_page_that_shows_a_session,
    a_cookie_replayed_after_logout_shows_logged_out,
    log_out_everywhere_ends_the_users_session_in_another_browser,
    log_out_my_other_sessions_keeps_this_one_and_ends_the_other,
    a_key_revoked_in_the_watched_ring_file_logs_its_sessions_out,
    notes_keep_a_server_side_session_in_one_small_cookie,
]);
