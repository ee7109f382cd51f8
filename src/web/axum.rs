//! tower and axum: a [`SessionLayer`] that gives every request a [`Session`], and the
//! `Session<T>` extractor for handlers (feature `axum`).
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use sealed_session::web::axum::SessionLayer;
//! use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie};
//!
//! async fn counter(session: Session<u64>) -> String {
//!     let n = session.get().unwrap_or(0) + 1;
//!     match session.replace(n) {
//!         Ok(()) => format!("visit {n}"),
//!         Err(e) => format!("could not keep the session: {e}"),
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
//! let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
//! let app: Router = Router::new()
//!     .route("/", get(counter))
//!     .layer(SessionLayer::<u64>::new(cookie));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response as AxumResponse};
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::cookie::SessionCookie;
use crate::handle::{Session, join_cookie_headers};

/// A tower [`Layer`] that gives each request a [`Session<T>`] for `cookie`, and adds the
/// `Set-Cookie` lines the session asks for to the response.
///
/// The response gets no `Set-Cookie` when the handler did not touch the session, nor (unless
/// [`write_on_server_error`](Self::write_on_server_error)) when it is a 5xx. If a renewal due at
/// the end of the request cannot be sealed, the response becomes a 500 and the cookie is left as
/// it was (or, with [`keep_response_on_write_error`](Self::keep_response_on_write_error), the
/// response goes out without the renewal); either way the error is logged.
pub struct SessionLayer<T> {
    config: Arc<Config>,
    state: PhantomData<fn() -> T>,
}

struct Config {
    cookie: Arc<SessionCookie>,
    write_on_server_error: bool,
    fail_on_write_error: bool,
}

impl<T> Clone for SessionLayer<T> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            state: PhantomData,
        }
    }
}

impl<T> SessionLayer<T> {
    /// A layer for sessions of type `T` kept in `cookie`.
    pub fn new(cookie: SessionCookie) -> Self {
        Self {
            config: Arc::new(Config {
                cookie: Arc::new(cookie),
                write_on_server_error: false,
                fail_on_write_error: true,
            }),
            state: PhantomData,
        }
    }

    fn with(self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            cookie: Arc::clone(&self.config.cookie),
            write_on_server_error: self.config.write_on_server_error,
            fail_on_write_error: self.config.fail_on_write_error,
        };
        f(&mut config);
        Self {
            config: Arc::new(config),
            state: PhantomData,
        }
    }

    /// Also send the session's `Set-Cookie` lines on 5xx responses (default: a failed request
    /// changes no cookie).
    pub fn write_on_server_error(self, write: bool) -> Self {
        self.with(|c| c.write_on_server_error = write)
    }

    /// When a renewal due at the end of the request cannot be sealed, send the handler's response
    /// anyway, without the renewal, instead of a 500 (the error is logged either way).
    pub fn keep_response_on_write_error(self) -> Self {
        self.with(|c| c.fail_on_write_error = false)
    }
}

impl<S, T> Layer<S> for SessionLayer<T> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: Arc::clone(&self.config),
            state: PhantomData,
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
pub struct SessionService<S, T> {
    inner: S,
    config: Arc<Config>,
    state: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
            state: PhantomData,
        }
    }
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Default + Send + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The fields are shared buffers: keeping them is cheap, and they are read (and, as HTTP/2
        // clients send one field per cookie, joined into one header) only if the handler uses
        // the session.
        let mut fields = request.headers().get_all(COOKIE).iter();
        let first = fields.next().cloned();
        let rest: Vec<HeaderValue> = fields.cloned().collect();
        let session = Session::<T>::lazy(Arc::clone(&self.config.cookie), move || {
            let all = first.iter().chain(&rest);
            join_cookie_headers(all.filter_map(|v| v.to_str().ok()))
        });
        request.extensions_mut().insert(session.clone());
        let response = self.inner.call(request);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let mut response = response.await?;
            finish(&config, &session, &mut response);
            Ok(response)
        })
    }
}

/// Adds the session's `Set-Cookie` lines to `response`, by the layer's rules.
fn finish<T, B>(config: &Config, session: &Session<T>, response: &mut Response<B>)
where
    T: Serialize + DeserializeOwned,
    B: Default,
{
    if let Some(reason) = session.refused() {
        super::log::refused(&reason);
    }
    if response.status().is_server_error() && !config.write_on_server_error {
        return;
    }
    let lines = match session.finish() {
        Ok(lines) => lines,
        Err(error) => {
            tracing::error!(%error, "the session could not be written; the cookie is left as it was");
            if config.fail_on_write_error {
                *response = Response::default();
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            }
            return;
        }
    };
    for line in lines {
        // Every line is built from a cookie token, base64url and checked attribute values.
        match HeaderValue::from_str(&line) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Err(_) => tracing::error!("a Set-Cookie line was not a valid header value"),
        }
    }
}

/// The extractor: the request's session, as [`SessionLayer`] made it.
impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    T: Send + 'static,
{
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session<T>>()
            .cloned()
            .ok_or(MissingSessionLayer)
    }
}

/// A handler asked for a `Session<T>` but no [`SessionLayer<T>`] (of that `T`) wraps it: a
/// mistake in how the router is built. Answered with a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionLayer;

impl std::fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no SessionLayer of this session type wraps the handler")
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> AxumResponse {
        tracing::error!("{self}");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
