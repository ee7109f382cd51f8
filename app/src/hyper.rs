//! The app on plain hyper 1, with no web framework: the session's request lifecycle run by hand
//! with sealed-session's public [`Driver`], as an adapter for any other framework would run it.
//! Each request: begin the session from the `Cookie` fields, load it before a page reads it (a
//! store outage is a 503), run the page, and end the request on the response (hyper's response
//! is an `http::Response`, which the driver reads and changes: feature `http`). The pages are
//! those of app/src/pages.rs; app/examples/hyper_app.rs serves it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, COOKIE, LOCATION};
use hyper::http::HeaderValue;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use sealed_session::Session;
use sealed_session::web::{Driver, SessionRejection, StoreOutage};
use tokio::net::TcpListener;

use crate::pages::{self, Account, LoginForm, Reply};
use crate::site::Site;

/// A response of the app: hyper's, with the whole body in memory.
pub type Response = hyper::Response<Full<Bytes>>;

/// The largest form body the app reads: a login form is a name.
const MAX_FORM_LEN: usize = 16 * 1024;

/// Serves the app under `site`'s sessions on `listener`, until the task running it is dropped
/// or aborted.
///
/// # Errors
/// The listener failed to accept a connection.
pub async fn serve(site: &Site, listener: TcpListener) -> std::io::Result<()> {
    let app = Arc::new(App {
        driver: site.driver(),
        about: site.about(),
    });
    serve_with(listener, move |request| {
        let app = Arc::clone(&app);
        async move { app.handle(request).await }
    })
    .await
}

/// Serves HTTP/1.1 on `listener`, each connection on a task of its own, each request answered
/// by `handle`, until the task running it is dropped or aborted.
///
/// # Errors
/// The listener failed to accept a connection.
pub async fn serve_with<H, F>(listener: TcpListener, handle: H) -> std::io::Result<()>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let answer = handle(request);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            // A connection that fails (a client gone mid-request) ends alone.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// What every request needs: the sessions' driver and the footer of the pages.
struct App {
    driver: Driver,
    about: String,
}

impl App {
    async fn handle(&self, request: Request<Incoming>) -> Response {
        let (parts, body) = request.into_parts();
        let route = match route(&parts.method, parts.uri.path()) {
            Ok(route) => route,
            Err(status) => return text(status, String::new()),
        };
        // 1. Begin: the session of this request, from its `Cookie` fields (nothing read yet).
        let fields = parts.headers.get_all(COOKIE).iter().cloned();
        let session = self.driver.begin::<Account, HeaderValue>(fields);
        // 2. Load it before the page reads it: the store's round trip, if it needs one.
        let mut response = match Driver::load(&session).await {
            Ok(()) => match self.page(route, &session, body).await {
                Ok(reply) => respond(reply),
                Err(status) => text(status, String::new()),
            },
            Err(rejection) => rejected(&rejection),
        };
        // 3. End: the session's `Set-Cookie` lines and caching headers, or the status that
        // replaces the response.
        self.driver.end(&session, &mut response).await;
        response
    }

    /// Runs the page of `route`; a form that cannot be read is a 4xx.
    async fn page(
        &self,
        route: Route,
        session: &Session<Account>,
        body: Incoming,
    ) -> Result<Reply, StatusCode> {
        Ok(match route {
            Route::Home => pages::home(session, &self.about),
            Route::LoggedOut => pages::logged_out(session, &self.about),
            Route::Login => pages::login(session, &form(body).await?),
            Route::Page(page) => page(session),
        })
    }
}

/// What a request asks for.
enum Route {
    Home,
    LoggedOut,
    Login,
    /// A form posted to a page that needs only the session.
    Page(fn(&Session<Account>) -> Reply),
}

/// The route of `method` and `path`: 404 for an unknown path, 405 for a known one asked with
/// another method (the pages that change something take POST only, as on axum and actix-web).
fn route(method: &Method, path: &str) -> Result<Route, StatusCode> {
    let (route, allowed) = match path {
        pages::HOME => (Route::Home, Method::GET),
        pages::LOGGED_OUT => (Route::LoggedOut, Method::GET),
        "/login" => (Route::Login, Method::POST),
        "/logout" => (Route::Page(pages::logout), Method::POST),
        "/logout-everywhere" => (Route::Page(pages::logout_everywhere), Method::POST),
        "/logout-others" => (Route::Page(pages::logout_others), Method::POST),
        "/notes/add" => (Route::Page(pages::add_notes), Method::POST),
        "/notes/clear" => (Route::Page(pages::clear_notes), Method::POST),
        _ => return Err(StatusCode::NOT_FOUND),
    };
    if *method == allowed {
        Ok(route)
    } else {
        Err(StatusCode::METHOD_NOT_ALLOWED)
    }
}

/// The login form of a request body (`application/x-www-form-urlencoded`), at most
/// [`MAX_FORM_LEN`] bytes.
async fn form(body: Incoming) -> Result<LoginForm, StatusCode> {
    let bytes = Limited::new(body, MAX_FORM_LEN)
        .collect()
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?
        .to_bytes();
    serde_urlencoded::from_bytes(&bytes).map_err(|_| StatusCode::BAD_REQUEST)
}

/// A plain response of `status` with `body`.
pub fn text(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

/// The answer to a session the store could not serve (503, marked [`StoreOutage`] so that the
/// end of the request adds `Retry-After`), or to a session type no driver made (500). Opaque,
/// as the adapters' are: how the app is wired, or which store failed, is not the client's
/// business; the reason goes to the log.
pub fn rejected(rejection: &SessionRejection) -> Response {
    eprintln!("session refused before its page ran: {rejection}");
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = text(status, String::new());
    if matches!(rejection, SessionRejection::Unavailable(_)) {
        response.extensions_mut().insert(StoreOutage);
    }
    response
}

/// A page's reply as hyper's response.
fn respond(reply: Reply) -> Response {
    match reply {
        Reply::Html(status, body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = text(status, body);
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        // 303: the browser follows with a GET, whatever the method of the form.
        Reply::SeeOther(path) => {
            let mut response = text(StatusCode::SEE_OTHER, String::new());
            response
                .headers_mut()
                .insert(LOCATION, HeaderValue::from_static(path));
            response
        }
    }
}
