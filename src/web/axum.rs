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
use http::header::COOKIE;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use super::{Driver, StoreOutage};
use super::{MissingSession, SessionRejection};
use crate::handle::Session;

/// A tower [`Layer`] that gives each request a [`Session<T>`] for `cookie`, and adds the
/// `Set-Cookie` lines the session asks for to the response.
///
/// The response gets no `Set-Cookie` when the handler did not touch the session, nor (unless
/// [`write_on_server_error`](super::DriverBuilder::write_on_server_error)) when it is a 5xx. If a renewal due at
/// the end of the request cannot be sealed, the response becomes a 500 and the cookie is left as
/// it was (or, with [`keep_response_on_write_error`](super::DriverBuilder::keep_response_on_write_error), the
/// response goes out without the renewal); either way the error is logged.
///
/// A response whose handler used the session gets `Vary: Cookie`, one that sets or deletes a
/// session cookie `Cache-Control: private` (unless the handler chose its own), and with
/// [`cache_no_store`](super::DriverBuilder::cache_no_store) every response bearing a session `no-store`. The
/// 503 of a store outage carries [`retry_after`](super::DriverBuilder::retry_after). See [`crate::web`].
pub struct SessionLayer<T> {
    driver: Driver,
    state: PhantomData<fn() -> T>,
}

impl<T> Clone for SessionLayer<T> {
    fn clone(&self) -> Self {
        Self {
            driver: self.driver.clone(),
            state: PhantomData,
        }
    }
}

impl<T> SessionLayer<T> {
    /// A layer for sessions of type `T`, run by `driver` (its settings are the [`Driver`]'s): a
    /// [`SessionCookie`](crate::SessionCookie) alone gives the default settings.
    ///
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
    /// use sealed_session::web::Driver;
    /// use sealed_session::web::axum::SessionLayer;
    ///
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// let sessions = SessionLayer::<u64>::new(Driver::builder(cookie).cache_no_store(true).build()?);
    /// # let _ = sessions;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(driver: impl Into<Driver>) -> Self {
        Self {
            driver: driver.into(),
            state: PhantomData,
        }
    }
}

impl<S, T> Layer<S> for SessionLayer<T> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            driver: self.driver.clone(),
            state: PhantomData,
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
pub struct SessionService<S, T> {
    inner: S,
    driver: Driver,
    state: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            driver: self.driver.clone(),
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
        let session = self.driver.begin::<T, HeaderValue>(fields);
        request.extensions_mut().insert(session.clone());
        let driver = self.driver.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            driver.end(&session, &mut response).await;
            Ok(response)
        })
    }
}

/// The extractor: the request's session, as [`SessionLayer`] made it, [loaded](Driver::load)
/// from the store if it needs it. Fails only when no `SessionLayer<T>` wraps the handler (a
/// 500) or the store cannot answer (a 503): [`SessionRejection`]. A bad cookie is an empty
/// session.
// Marked itself, as are the impls below: they are listed on the pages of `Session` and the
// rejections, which exist without this feature.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
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
            .ok_or_else(Driver::missing::<T>)?;
        Driver::load(&session).await?;
        Ok(session)
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl IntoResponse for SessionRejection {
    fn into_response(self) -> AxumResponse {
        let outage = matches!(self, Self::Unavailable(_));
        super::log::rejected(&self);
        // Opaque: how the app is wired, or which store failed, is not the client's business.
        let mut response = StatusCode::from_u16(self.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
        if outage {
            // For the layer to add its `Retry-After` on the way out.
            response.extensions_mut().insert(StoreOutage);
        }
        response
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl IntoResponse for MissingSession {
    fn into_response(self) -> AxumResponse {
        tracing::error!("{self}");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
