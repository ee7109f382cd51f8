//! The app on plain hyper 1, with no web framework: the session's request lifecycle run by hand
//! with sealed-session's public [`Driver`], as an adapter for any other framework would run it.
//! Each request: begin the session from the `Cookie` fields, load it before a page reads it (a
//! store outage is a 503), run the page, and end the request on the response. The pages are
//! those of app/src/pages.rs; app/examples/hyper_app.rs serves it.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE, VARY};
use hyper::http::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sealed_session::Session;
use sealed_session::web::{Driver, Field, Reply as DriverReply, SessionRejection, Value};
use tokio::net::TcpListener;

use crate::pages::{self, Account, LoginForm, Reply};
use crate::site::Site;

/// The largest form body the app reads: a login form is a name.
const MAX_FORM_LEN: usize = 16 * 1024;

/// Serves the app under `site`'s sessions on `listener`, each connection on a task of its own,
/// until the task running it is dropped or aborted.
///
/// # Errors
/// The listener failed to accept a connection.
pub async fn serve(site: &Site, listener: TcpListener) -> std::io::Result<()> {
    let app = Arc::new(App {
        driver: site.driver(),
        about: site.about(),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(app.handle(request).await.0) }
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
    async fn handle(&self, request: Request<Incoming>) -> Answer {
        let (parts, body) = request.into_parts();
        let route = match route(&parts.method, parts.uri.path()) {
            Ok(route) => route,
            Err(status) => return Answer::empty(status),
        };
        // 1. Begin: the session of this request, from its `Cookie` fields (nothing read yet).
        let fields = parts.headers.get_all(COOKIE).iter().cloned();
        let session = self.driver.begin::<Account, HeaderValue>(fields);
        // 2. Load it before the page reads it: the store's round trip, if it needs one.
        let mut answer = match Driver::load(&session).await {
            Ok(()) => match self.page(route, &session, body).await {
                Ok(reply) => Answer::from(reply),
                Err(status) => Answer::empty(status),
            },
            Err(rejection) => Answer::rejected(&rejection),
        };
        // 3. End: the session's `Set-Cookie` lines and caching headers, or the status that
        // replaces the response.
        self.driver.end(&session, &mut answer).await;
        answer
    }

    /// Runs the page of `route`; a form that cannot be read is a 400.
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

/// A hyper response as it goes out, and the request driver's view of it ([`DriverReply`]): a
/// newtype, as neither hyper's response type nor the driver's trait is this crate's. The tests'
/// hyper app answers with it too.
pub struct Answer(pub Response<Full<Bytes>>);

impl Answer {
    /// An empty response of `status`.
    pub fn empty(status: StatusCode) -> Self {
        Self::text(status, String::new())
    }

    /// A plain response of `status` with `body`.
    pub fn text(status: StatusCode, body: String) -> Self {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        Self(response)
    }

    /// The answer to a session the store could not serve (503; the end of the request adds
    /// `Retry-After`), or to a session type no driver made (500). Opaque, as the adapters'
    /// are: how the app is wired, or which store failed, is not the client's business.
    pub fn rejected(rejection: &SessionRejection) -> Self {
        eprintln!("session refused before its page ran: {rejection}");
        let mut answer = Self::empty(
            StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        if matches!(rejection, SessionRejection::Unavailable(_)) {
            answer.0.extensions_mut().insert(StoreOutage);
        }
        answer
    }
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Self {
        match reply {
            Reply::Html(status, body) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let mut answer = Self::text(status, body);
                answer.0.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                answer
            }
            // 303: the browser follows with a GET, whatever the method of the form.
            Reply::SeeOther(path) => {
                let mut answer = Self::empty(StatusCode::SEE_OTHER);
                answer
                    .0
                    .headers_mut()
                    .insert(LOCATION, HeaderValue::from_static(path));
                answer
            }
        }
    }
}

/// Marks the 503 of a store outage, for [`DriverReply::is_store_outage`].
#[derive(Clone, Copy)]
struct StoreOutage;

/// The header `field` names.
fn name(field: Field) -> HeaderName {
    match field {
        Field::SetCookie => SET_COOKIE,
        Field::Vary => VARY,
        Field::CacheControl => CACHE_CONTROL,
        Field::RetryAfter => RETRY_AFTER,
        // A field a later version of the driver writes, by its name.
        other => HeaderName::from_static(other.name()),
    }
}

impl DriverReply for Answer {
    fn status(&self) -> u16 {
        self.0.status().as_u16()
    }

    fn is_store_outage(&self) -> bool {
        self.0.extensions().get::<StoreOutage>().is_some()
    }

    fn values(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.0
            .headers()
            .get_all(name(field))
            .iter()
            .map(HeaderValue::as_bytes)
    }

    fn append(&mut self, field: Field, value: Value) -> bool {
        let Some(value) = header_value(value) else {
            return false;
        };
        self.0.headers_mut().append(name(field), value);
        true
    }

    fn set(&mut self, field: Field, value: Value) -> bool {
        let Some(value) = header_value(value) else {
            return false;
        };
        self.0.headers_mut().insert(name(field), value);
        true
    }

    fn replace(&mut self, status: u16) {
        *self =
            Self::empty(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// `value` as a header value, or `None` if it is not one.
fn header_value(value: Value) -> Option<HeaderValue> {
    match value {
        Value::Static(text) => Some(HeaderValue::from_static(text)),
        Value::Owned(bytes) => HeaderValue::try_from(bytes).ok(),
    }
}
