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

use super::adapter::{Adapter, End, invalid_header_value};
use super::{MissingSession, SessionRejection};
use crate::handle::Session;

/// A tower [`Layer`] that gives each request a [`Session<T>`] for `cookie`, and adds the
/// `Set-Cookie` lines the session asks for to the response.
///
/// The response gets no `Set-Cookie` when the handler did not touch the session, nor (unless
/// [`write_on_server_error`](Self::write_on_server_error)) when it is a 5xx. If a renewal due at
/// the end of the request cannot be sealed, the response becomes a 500 and the cookie is left as
/// it was (or, with [`keep_response_on_write_error`](Self::keep_response_on_write_error), the
/// response goes out without the renewal); either way the error is logged.
pub struct SessionLayer<T> {
    adapter: Adapter,
    state: PhantomData<fn() -> T>,
}

super::adapter::adapter_settings!(SessionLayer, "layer");

impl<S, T> Layer<S> for SessionLayer<T> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            adapter: self.adapter.clone(),
            state: PhantomData,
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
pub struct SessionService<S, T> {
    inner: S,
    adapter: Adapter,
    state: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            adapter: self.adapter.clone(),
            state: PhantomData,
        }
    }
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
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
        let fields = request.headers().get_all(COOKIE).iter().cloned();
        let session = self.adapter.session::<T, HeaderValue>(fields);
        request.extensions_mut().insert(session.clone());
        let adapter = self.adapter.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            respond(&adapter, &session, &mut response).await;
            Ok(response)
        })
    }
}

/// An empty response with `code`.
fn status<B: Default>(code: StatusCode) -> Response<B> {
    let mut response = Response::default();
    *response.status_mut() = code;
    response
}

/// Applies the end of the request to `response`: its `Set-Cookie` lines, or the error status
/// that replaces it.
async fn respond<T, B>(adapter: &Adapter, session: &Session<T>, response: &mut Response<B>)
where
    T: Serialize + DeserializeOwned,
    B: Default,
{
    match adapter
        .end(session, response.status().is_server_error())
        .await
    {
        End::Nothing => {}
        End::SetCookie(lines) => {
            for line in lines {
                match HeaderValue::try_from(line) {
                    Ok(value) => {
                        response.headers_mut().append(SET_COOKIE, value);
                    }
                    Err(_) => invalid_header_value(),
                }
            }
        }
        End::Fail => *response = status(StatusCode::INTERNAL_SERVER_ERROR),
        End::Unavailable => *response = status(StatusCode::SERVICE_UNAVAILABLE),
        End::Conflict => *response = status(StatusCode::CONFLICT),
    }
}

/// The extractor: the request's session, as [`SessionLayer`] made it, [loaded](Session::load)
/// from the store if it needs it. Fails only when no `SessionLayer<T>` wraps the handler (a
/// 500) or the store cannot answer (a 503): [`SessionRejection`]. A bad cookie is an empty
/// session.
impl<S, T> FromRequestParts<S> for Session<T>
where
    S: Send + Sync,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts
            .extensions
            .get::<Session<T>>()
            .cloned()
            .ok_or(SessionRejection::Missing(MissingSession))?;
        session
            .load()
            .await
            .map_err(SessionRejection::Unavailable)?;
        Ok(session)
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> AxumResponse {
        // Opaque: how the app is wired, or which store failed, is not the client's business.
        StatusCode::from_u16(self.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response()
    }
}

impl IntoResponse for MissingSession {
    fn into_response(self) -> AxumResponse {
        tracing::error!("{self}");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
