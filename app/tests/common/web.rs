//! The test app of the web adapters' tests, once for every framework: login, read, change, grow,
//! logout, fail, a login whose handler sets its own caching headers, and a page behind a guard
//! middleware. What each route does is written once (`routes`); the axum, actix and hyper apps
//! only turn requests and replies into their framework's types, so every test of the shared
//! table meets the same app on each.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, HeaderName, SET_COOKIE};
use sealed_session::web::Driver;
use sealed_session::{
    CookieOptions, Key, KeyRing, ManualClock, Revocations, Sealer, ServerSide, Session,
    SessionCookie, Subject,
};
use serde::{Deserialize, Serialize};

/// Plain HTTP on loopback: an HTTP client keeps `Secure` cookies only for https, so the cookie
/// here omits `Secure` (and so cannot carry a `__Host-` name).
pub(crate) const NAME: &str = "sid";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct State {
    pub(crate) user: String,
    pub(crate) counter: u64,
    #[serde(with = "serde_bytes")]
    pub(crate) data: Vec<u8>,
}

#[derive(Deserialize)]
pub(crate) struct Login {
    user: String,
}

/// `/login-with`: a login whose handler sets its own `Vary` and `Cache-Control`, when given.
#[derive(Deserialize)]
pub(crate) struct LoginWith {
    user: String,
    vary: Option<String>,
    cache_control: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Grow {
    bytes: usize,
}

/// `/held`: change the session, then wait at the gate named `gate` until the test opens it.
#[derive(Deserialize)]
pub(crate) struct Held {
    gate: String,
    /// `update` (a change that can be applied again) or `replace` (a whole new state).
    change: String,
}

/// The gates `/held` requests wait at, by name: a test opens one to let a request end at the
/// moment it chooses (after a concurrent logout, or another request's write).
static GATES: Mutex<Option<HashMap<String, Arc<tokio::sync::Semaphore>>>> = Mutex::new(None);

fn gate(name: &str) -> Arc<tokio::sync::Semaphore> {
    let mut gates = GATES.lock().unwrap();
    let gates = gates.get_or_insert_with(HashMap::new);
    Arc::clone(
        gates
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(0))),
    )
}

/// Lets one request waiting at gate `name` through.
pub(crate) fn open_gate(name: &str) {
    gate(name).add_permits(1);
}

/// How many `/held` requests have made their change, by gate: a test polls it to know a request
/// now waits at its gate.
static HELD: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// How many `/held` requests have made their change and wait at gate `name`.
pub(crate) fn held_at(name: &str) -> usize {
    HELD.lock()
        .unwrap()
        .as_ref()
        .and_then(|h| h.get(name).copied())
        .unwrap_or(0)
}

/// A status and a body.
pub(crate) type Reply = (u16, String);

/// Header names and values a handler sets on its response.
pub(crate) type Headers = Vec<(&'static str, String)>;

/// What each route does, on the framework-agnostic session.
pub(crate) mod routes {
    use super::*;

    pub(crate) fn login(session: &Session<State>, q: &Login) -> Reply {
        let Ok(subject) = Subject::new(&q.user) else {
            return (400, "bad user".into());
        };
        let state = State {
            user: q.user.clone(),
            counter: 0,
            data: Vec::new(),
        };
        match session.login(&subject, state) {
            Ok(()) => (200, format!("hello {}", q.user)),
            Err(e) => (500, e.to_string()),
        }
    }

    /// As [`login`], the response carrying the handler's own `Vary` and `Cache-Control`, if
    /// the query gives them.
    pub(crate) fn login_with(session: &Session<State>, q: &LoginWith) -> (Reply, Headers) {
        let reply = login(
            session,
            &Login {
                user: q.user.clone(),
            },
        );
        let headers = [("vary", &q.vary), ("cache-control", &q.cache_control)]
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
            .collect();
        (reply, headers)
    }

    /// Everything the session holds, for the browser test.
    pub(crate) fn show(session: &Session<State>) -> Reply {
        let text = session.read(|s| {
            s.map(|s| {
                format!(
                    "user={} counter={} data={}",
                    s.user,
                    s.counter,
                    s.data.len()
                )
            })
        });
        (200, text.unwrap_or_else(|| "none".into()))
    }

    pub(crate) fn read_only(session: &Session<State>) -> Reply {
        let text = session.read(|s| s.map(|s| format!("{} {}", s.user, s.counter)));
        (200, text.unwrap_or_else(|| "none".into()))
    }

    /// Counts a visit, with a change that can be applied again to a newer state (server-side
    /// sessions apply it again when another request wrote first).
    pub(crate) fn read_write(session: &Session<State>) -> Reply {
        match session.update(|s| s.counter += 1) {
            Ok(true) => {
                let n = session.read(|s| s.map_or(0, |s| s.counter));
                (200, n.to_string())
            }
            Ok(false) => (401, "no session".into()),
            Err(e) => (500, e.to_string()),
        }
    }

    /// Changes the session (`update`: counter + 1; `replace`: counter set to 1000), then waits
    /// at the test's gate.
    pub(crate) async fn held(session: &Session<State>, q: &Held) -> Reply {
        let changed = match q.change.as_str() {
            "update" => session.update(|s| s.counter += 1).map(|_| ()),
            _ => match session.get() {
                Some(state) => session.replace(State {
                    counter: 1000,
                    ..state
                }),
                None => Ok(()),
            },
        };
        if let Err(e) = changed {
            return (500, e.to_string());
        }
        *HELD
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .entry(q.gate.clone())
            .or_insert(0) += 1;
        let gate = gate(&q.gate);
        gate.acquire().await.unwrap().forget();
        (200, "held".into())
    }

    pub(crate) fn grow(session: &Session<State>, q: &Grow) -> Reply {
        match session.modify(|s| s.data = vec![7; q.bytes]) {
            Ok(Some(())) => (200, "grown".into()),
            Ok(None) => (401, "no session".into()),
            // The handler sees the size error before the response, and can say so.
            Err(e) => (413, e.to_string()),
        }
    }

    pub(crate) fn logout(session: &Session<State>) -> Reply {
        session.clear();
        (200, "bye".into())
    }

    /// "Log out everywhere": the handler sees why it cannot, if it cannot.
    pub(crate) fn logout_everywhere(session: &Session<State>) -> Reply {
        match session.logout_everywhere() {
            Ok(()) => (200, "bye everywhere".into()),
            Err(e) => (409, e.to_string()),
        }
    }

    /// "Log out my other sessions".
    pub(crate) fn logout_others(session: &Session<State>) -> Reply {
        match session.logout_others() {
            Ok(()) => (200, "others logged out".into()),
            Err(e) => (409, e.to_string()),
        }
    }

    /// Changes the session, then fails: the change must not reach the browser.
    pub(crate) fn fail(session: &Session<State>) -> Reply {
        let _ = session.modify(|s| s.counter += 100);
        (500, String::new())
    }

    pub(crate) fn private() -> Reply {
        (200, "secret".into())
    }

    /// The guard middleware, before the handler: the user, or `None` to refuse with a 401.
    pub(crate) fn guard_admits(session: &Session<State>) -> Option<String> {
        session.read(|s| s.map(|s| s.user.clone()))
    }

    /// The guard middleware, after the handler: it counts the visit in the same session.
    pub(crate) fn guard_after(session: &Session<State>) {
        let _ = session.modify(|s| s.counter += 1);
    }
}

// The client side: what a browser does, for the tests.

/// A client that keeps cookies, as a browser does.
pub(crate) fn browser() -> reqwest::Client {
    browser_with(Arc::new(reqwest::cookie::Jar::default()))
}

/// A client keeping its cookies in `jar`, which the test can read and change.
pub(crate) fn browser_with(jar: Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .build()
        .unwrap()
}

/// A GET with `client`: the status and the body.
pub(crate) async fn get_text(
    client: &reqwest::Client,
    addr: SocketAddr,
    path: &str,
) -> (StatusCode, String) {
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The status and headers of one request sent with exactly `cookie_header`.
pub(crate) async fn headers(
    addr: SocketAddr,
    path: &str,
    cookie_header: &[&str],
) -> (u16, HeaderMap) {
    let mut request = reqwest::Client::new().get(format!("http://{addr}{path}"));
    for field in cookie_header {
        request = request.header(COOKIE, *field);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.headers().clone())
}

/// Every line of the header `name` in `headers`, in order.
pub(crate) fn lines(headers: &HeaderMap, name: HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `Set-Cookie` lines of one request sent with exactly `cookie_header`.
pub(crate) async fn set_cookies(
    addr: SocketAddr,
    path: &str,
    cookie_header: &[&str],
) -> (u16, Vec<String>) {
    let (status, headers) = headers(addr, path, cookie_header).await;
    (status, lines(&headers, SET_COOKIE))
}

/// The `Cookie` header that carries back what `lines` set.
pub(crate) fn pairs(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn now() -> u64 {
    use sealed_session::Clock as _;
    sealed_session::SystemClock.now_unix()
}

pub(crate) fn cookie() -> SessionCookie {
    cookie_on(ManualClock::new(now()))
}

/// The app's cookie, reading `clock` (the tests that move time hold on to it).
pub(crate) fn cookie_on(clock: ManualClock) -> SessionCookie {
    cookie_with(KeyRing::new(Key::generate().unwrap()), clock)
}

/// The app's cookie over `ring`, reading `clock` (for tests that rotate keys or move time).
pub(crate) fn cookie_with(ring: KeyRing, clock: ManualClock) -> SessionCookie {
    let sealer = Sealer::builder(ring, NAME)
        .session_ids(true)
        .clock(clock)
        .build()
        .unwrap();
    SessionCookie::sealed(
        sealer,
        CookieOptions::new()
            .dangerous_omit_secure(true)
            .max_chunks(3),
    )
    .unwrap()
}

/// The cookie a browser gets: a `__Host-` name with the default attributes (`Secure`, `Path=/`),
/// which browsers keep for `http://localhost`.
pub(crate) fn host_cookie(ring: KeyRing) -> SessionCookie {
    let sealer = Sealer::builder(ring, "__Host-session")
        .session_ids(true)
        .build()
        .unwrap();
    SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(3)).unwrap()
}

/// Each case, written once as `async fn case(framework: Framework)`, becomes a test per
/// framework: `axum::<case>`, `actix::<case>` and `hyper::<case>`. The test file imports
/// `Framework`.
macro_rules! for_each_framework {
    ($(async fn $case:ident($framework:ident: Framework) $body:block)*) => {
        $(async fn $case($framework: Framework) $body)*

        mod axum {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::Framework::Axum).await
            })*
        }

        mod actix {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::Framework::Actix).await
            })*
        }

        mod hyper {
            $(#[tokio::test]
            async fn $case() {
                super::$case(super::Framework::Hyper).await
            })*
        }
    };
}
#[allow(unused_imports)] // the files with a shared table use it
pub(crate) use for_each_framework;

/// The frameworks the shared tests run against: the two adapters, and plain hyper with the
/// request driver run by hand (no framework).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Framework {
    Axum,
    Actix,
    Hyper,
}

/// The app served on a free loopback port; stopped when dropped.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    actix: Option<actix_web::dev::ServerHandle>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(handle) = &self.actix {
            // The stop command is sent at once; its completion need not be awaited.
            drop(handle.stop(false));
        }
    }
}

/// What the app keeps in a store, if anything.
#[derive(Clone, Default)]
pub(crate) struct Stores {
    pub(crate) revocations: Option<Revocations>,
    pub(crate) server_side: Option<ServerSide>,
}

impl Stores {
    /// Cookie sessions, checked against and revoked in `revocations`.
    pub(crate) fn revocations(revocations: Revocations) -> Self {
        Self {
            revocations: Some(revocations),
            server_side: None,
        }
    }

    /// Server-side sessions, kept by `side`.
    pub(crate) fn server_side(side: ServerSide) -> Self {
        Self {
            revocations: None,
            server_side: Some(side),
        }
    }
}

/// The session middleware's caching and outage settings a test asks for; the defaults
/// otherwise.
#[derive(Clone, Copy, Default)]
pub(crate) struct Settings {
    /// `cache_no_store(true)`.
    pub(crate) cache_no_store: bool,
    /// `retry_after(..)`.
    pub(crate) retry_after: Option<Duration>,
}

impl Settings {
    /// `cache_no_store(true)`, the rest by default.
    pub(crate) fn cache_no_store() -> Self {
        Self {
            cache_no_store: true,
            ..Self::default()
        }
    }
}

/// The request driver every framework's app runs, with `stores` and `settings`.
pub(crate) fn driver(cookie: SessionCookie, stores: Stores, settings: Settings) -> Driver {
    let mut driver = Driver::builder(cookie).cache_no_store(settings.cache_no_store);
    if let Some(after) = settings.retry_after {
        driver = driver.retry_after(after);
    }
    if let Some(revocations) = stores.revocations {
        driver = driver.revocations(revocations);
    }
    if let Some(side) = &stores.server_side {
        driver = driver.server_side(side.clone());
    }
    driver.build().unwrap()
}

/// Serves the test app of `framework` with `cookie`. Call inside a tokio runtime.
pub(crate) async fn serve(framework: Framework, cookie: SessionCookie) -> Server {
    serve_with(framework, cookie, Stores::default()).await
}

/// As [`serve`], with `stores`.
pub(crate) async fn serve_with(
    framework: Framework,
    cookie: SessionCookie,
    stores: Stores,
) -> Server {
    serve_configured(framework, cookie, stores, Settings::default()).await
}

/// As [`serve_with`], with `settings`.
pub(crate) async fn serve_configured(
    framework: Framework,
    cookie: SessionCookie,
    stores: Stores,
    settings: Settings,
) -> Server {
    match framework {
        Framework::Axum => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let app = axum_app::app_with(cookie, stores, settings);
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            Server { addr, actix: None }
        }
        Framework::Actix => actix_app::serve(cookie, stores, settings),
        Framework::Hyper => hyper_app::serve(cookie, stores, settings).await,
    }
}

pub(crate) mod axum_app {
    use super::*;
    use axum::Router;
    use axum::extract::{Query, Request};
    use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
    use axum::middleware::{Next, from_fn};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use sealed_session::web::Driver;
    use sealed_session::web::axum::SessionLayer;

    fn reply((status, body): Reply) -> (StatusCode, String) {
        (StatusCode::from_u16(status).unwrap(), body)
    }

    fn reply_with(((status, body), headers): (Reply, Headers)) -> impl IntoResponse {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        (StatusCode::from_u16(status).unwrap(), map, body)
    }

    async fn guard(request: Request, next: Next) -> Response {
        let session = request.extensions().get::<Session<State>>().cloned();
        let Some(session) = session else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        // Taken from the request, not extracted: loaded from the store (if any) here, an
        // outage answered as the extractor answers it.
        if let Err(rejection) = Driver::load(&session).await {
            return rejection.into_response();
        }
        let Some(user) = routes::guard_admits(&session) else {
            return StatusCode::UNAUTHORIZED.into_response();
        };
        let mut response = next.run(request).await;
        routes::guard_after(&session);
        response
            .headers_mut()
            .insert("x-user", HeaderValue::from_str(&user).unwrap());
        response
    }

    pub(crate) fn app(cookie: SessionCookie) -> Router {
        app_with(cookie, Stores::default(), Settings::default())
    }

    pub(crate) fn app_with(cookie: SessionCookie, stores: Stores, settings: Settings) -> Router {
        let layer = SessionLayer::<State>::new(super::driver(cookie, stores, settings));
        Router::new()
            .route(
                "/login",
                get(|s: Session<State>, Query(q): Query<Login>| async move {
                    reply(routes::login(&s, &q))
                }),
            )
            .route(
                "/login-with",
                get(|s: Session<State>, Query(q): Query<LoginWith>| async move {
                    reply_with(routes::login_with(&s, &q))
                }),
            )
            .route(
                "/ro",
                get(|s: Session<State>| async move { reply(routes::read_only(&s)) }),
            )
            .route(
                "/show",
                get(|s: Session<State>| async move { reply(routes::show(&s)) }),
            )
            .route(
                "/rw",
                get(|s: Session<State>| async move { reply(routes::read_write(&s)) }),
            )
            .route(
                "/held",
                get(|s: Session<State>, Query(q): Query<Held>| async move {
                    reply(routes::held(&s, &q).await)
                }),
            )
            .route("/none", get(|| async { "untouched" }))
            .route(
                "/grow",
                get(|s: Session<State>, Query(q): Query<Grow>| async move {
                    reply(routes::grow(&s, &q))
                }),
            )
            .route(
                "/logout",
                get(|s: Session<State>| async move { reply(routes::logout(&s)) }),
            )
            .route(
                "/logout-all",
                get(|s: Session<State>| async move { reply(routes::logout_everywhere(&s)) }),
            )
            .route(
                "/logout-others",
                get(|s: Session<State>| async move { reply(routes::logout_others(&s)) }),
            )
            .route(
                "/fail",
                get(|s: Session<State>| async move { reply(routes::fail(&s)) }),
            )
            .route(
                "/private",
                get(|| async { reply(routes::private()) }).layer(from_fn(guard)),
            )
            // A session type no layer provides.
            .route("/unwired", get(|_: Session<u8>| async { "?" }))
            .layer(layer)
    }
}

pub(crate) mod actix_app {
    use super::*;
    use actix_web::body::MessageBody;
    use actix_web::dev::{ServiceRequest, ServiceResponse};
    use actix_web::http::StatusCode;
    use actix_web::http::header::HeaderValue;
    use actix_web::middleware::{Next, from_fn};
    use actix_web::{App, Error, HttpResponse, HttpServer, web};
    use sealed_session::web::Driver;
    use sealed_session::web::actix::{SessionExt, SessionMiddleware};

    fn reply((status, body): Reply) -> HttpResponse {
        HttpResponse::build(StatusCode::from_u16(status).unwrap()).body(body)
    }

    fn reply_with(((status, body), headers): (Reply, Headers)) -> HttpResponse {
        let mut response = HttpResponse::build(StatusCode::from_u16(status).unwrap());
        for (name, value) in headers {
            response.append_header((name, value));
        }
        response.body(body)
    }

    async fn guard(
        request: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<impl MessageBody>, Error> {
        // From the request on the way in, loaded from the store (if any) before it is read, an
        // outage answered as the extractor answers it: a response, which passes the session
        // middleware on its way out.
        let session = request.session::<State>()?;
        if let Err(rejection) = Driver::load(&session).await {
            return Ok(request.error_response(rejection).map_into_right_body());
        }
        let Some(user) = routes::guard_admits(&session) else {
            let refused = HttpResponse::Unauthorized().finish();
            return Ok(request.into_response(refused).map_into_right_body());
        };
        let mut response = next.call(request).await?;
        // From the response on the way out: the same session.
        let session = response.session::<State>()?;
        routes::guard_after(&session);
        response.headers_mut().insert(
            "x-user".parse().unwrap(),
            HeaderValue::from_str(&user).unwrap(),
        );
        Ok(response.map_into_left_body())
    }

    /// The routes, without the session middleware.
    pub(crate) fn configure(config: &mut web::ServiceConfig) {
        config
            .route(
                "/login",
                web::get().to(|s: Session<State>, q: web::Query<Login>| async move {
                    reply(routes::login(&s, &q))
                }),
            )
            .route(
                "/login-with",
                web::get().to(|s: Session<State>, q: web::Query<LoginWith>| async move {
                    reply_with(routes::login_with(&s, &q))
                }),
            )
            .route(
                "/ro",
                web::get().to(|s: Session<State>| async move { reply(routes::read_only(&s)) }),
            )
            .route(
                "/show",
                web::get().to(|s: Session<State>| async move { reply(routes::show(&s)) }),
            )
            .route(
                "/rw",
                web::get().to(|s: Session<State>| async move { reply(routes::read_write(&s)) }),
            )
            .route(
                "/held",
                web::get().to(|s: Session<State>, q: web::Query<Held>| async move {
                    reply(routes::held(&s, &q).await)
                }),
            )
            .route("/none", web::get().to(|| async { "untouched" }))
            .route(
                "/grow",
                web::get().to(|s: Session<State>, q: web::Query<Grow>| async move {
                    reply(routes::grow(&s, &q))
                }),
            )
            .route(
                "/logout",
                web::get().to(|s: Session<State>| async move { reply(routes::logout(&s)) }),
            )
            .route(
                "/logout-all",
                web::get()
                    .to(|s: Session<State>| async move { reply(routes::logout_everywhere(&s)) }),
            )
            .route(
                "/logout-others",
                web::get().to(|s: Session<State>| async move { reply(routes::logout_others(&s)) }),
            )
            .route(
                "/fail",
                web::get().to(|s: Session<State>| async move { reply(routes::fail(&s)) }),
            )
            .service(
                web::resource("/private")
                    .wrap(from_fn(guard))
                    .route(web::get().to(|| async { reply(routes::private()) })),
            )
            // A session type no middleware provides.
            .route("/unwired", web::get().to(|_: Session<u8>| async { "?" }));
    }

    /// Serves the app on a free loopback port, on actix's own runtime in a thread of its own.
    pub(crate) fn serve(cookie: SessionCookie, stores: Stores, settings: Settings) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let middleware = SessionMiddleware::<State>::new(super::driver(cookie, stores, settings));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().wrap(middleware.clone()).configure(configure)
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        Server {
            addr,
            actix: Some(rx.recv().unwrap()),
        }
    }
}

/// The test app on plain hyper 1, with no framework: the request driver run by hand, as the
/// example app's hyper server runs it (app/src/hyper.rs), written only on the public API.
pub(crate) mod hyper_app {
    use super::*;
    use hyper::body::Incoming;
    use hyper::http::{HeaderName, HeaderValue};
    use hyper::{Request, StatusCode};
    use sealed_session::web::Driver;
    use sealed_session_app::hyper::{Response, rejected, serve_with, text};
    use serde::de::DeserializeOwned;

    fn reply((status, body): Reply) -> Response {
        text(StatusCode::from_u16(status).unwrap(), body)
    }

    fn reply_with(((status, body), headers): (Reply, Headers)) -> Response {
        let mut response = reply((status, body));
        for (name, value) in headers {
            response.headers_mut().append(
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        response
    }

    /// The query of `request` as `Q`.
    fn query<Q: DeserializeOwned>(request: &Request<Incoming>) -> Q {
        serde_urlencoded::from_str(request.uri().query().unwrap_or("")).unwrap()
    }

    /// One request: begin the session, load it if the route takes it (an outage answered as
    /// the adapters' extractors answer it), run the route, end the request on its response.
    async fn handle(driver: &Driver, request: Request<Incoming>) -> Response {
        let fields = request.headers().get_all(COOKIE).iter().cloned();
        let session = driver.begin::<State, HeaderValue>(fields);
        let path = request.uri().path().to_owned();
        // The routes that take no session, and the one that asks for a session of a type no
        // driver began (a wiring bug: the rejection's 500, as the extractors answer it).
        let mut response = match path.as_str() {
            "/none" => reply((200, "untouched".into())),
            "/unwired" => rejected(&Driver::missing::<u8>()),
            "/private" => guard(&session).await,
            _ => match Driver::load(&session).await {
                Err(rejection) => rejected(&rejection),
                Ok(()) => route(&path, &request, &session).await,
            },
        };
        driver.end(&session, &mut response).await;
        response
    }

    async fn route(path: &str, request: &Request<Incoming>, s: &Session<State>) -> Response {
        match path {
            "/login" => reply(routes::login(s, &query(request))),
            "/login-with" => reply_with(routes::login_with(s, &query(request))),
            "/ro" => reply(routes::read_only(s)),
            "/show" => reply(routes::show(s)),
            "/rw" => reply(routes::read_write(s)),
            "/held" => reply(routes::held(s, &query(request)).await),
            "/grow" => reply(routes::grow(s, &query(request))),
            "/logout" => reply(routes::logout(s)),
            "/logout-all" => reply(routes::logout_everywhere(s)),
            "/logout-others" => reply(routes::logout_others(s)),
            "/fail" => reply(routes::fail(s)),
            _ => text(StatusCode::NOT_FOUND, String::new()),
        }
    }

    /// The guard in front of `/private`, as the other apps' middleware: it loads the session
    /// itself, refuses a visitor without one, and counts the visit after the handler.
    async fn guard(session: &Session<State>) -> Response {
        if let Err(rejection) = Driver::load(session).await {
            return rejected(&rejection);
        }
        let Some(user) = routes::guard_admits(session) else {
            return text(StatusCode::UNAUTHORIZED, String::new());
        };
        let mut response = reply(routes::private());
        routes::guard_after(session);
        response
            .headers_mut()
            .insert("x-user", HeaderValue::from_str(&user).unwrap());
        response
    }

    /// Serves the app on a free loopback port, on the test's runtime.
    pub(crate) async fn serve(cookie: SessionCookie, stores: Stores, settings: Settings) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let driver = Arc::new(super::driver(cookie, stores, settings));
        tokio::spawn(serve_with(listener, move |request| {
            let driver = Arc::clone(&driver);
            async move { handle(&driver, request).await }
        }));
        Server { addr, actix: None }
    }
}
