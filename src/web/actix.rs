//! actix-web: a [`SessionMiddleware`] that gives every request a [`Session`], the `Session<T>`
//! extractor for handlers, and [`SessionExt`] for other middleware (feature `actix`).
//!
//! The same rules as the axum adapter, from the same code: the session is opened only when
//! used, `Set-Cookie` goes out only on a change, a logout, a due renewal or a bad incoming cookie,
//! nothing is written on a 5xx unless configured, a refused cookie's reason is logged through
//! `tracing`, and the caching and outage headers are the same ([`crate::web`]).
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use sealed_session::web::actix::SessionMiddleware;
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
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
//! let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
//! // Built once and cloned into each worker: they share the cookie and its key ring.
//! let sessions = SessionMiddleware::<u64>::new(cookie);
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(sessions.clone())
//!         .route("/", web::get().to(counter))
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await?;
//! # Ok(())
//! # }
//! ```

use std::future::{Future, Ready, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, COOKIE, HeaderName, HeaderValue, RETRY_AFTER, SET_COOKIE, VARY,
};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Driver, Field, Reply, StoreOutage, Value};
use super::{MissingSession, SessionRejection};
use crate::handle::Session;

/// An actix-web middleware ([`Transform`]) that gives each request a [`Session<T>`] for `cookie`,
/// and adds the `Set-Cookie` lines the session asks for to the response.
///
/// Build it once, outside `HttpServer::new`'s closure, and `wrap` a clone of it in each worker's
/// `App`: the clones share the cookie and its key ring, so a key rotated through the ring reaches
/// every worker.
///
/// The response gets no `Set-Cookie` when the handler did not touch the session, nor (unless
/// [`write_on_server_error`](super::DriverBuilder::write_on_server_error)) when it is a 5xx. A handler's error is
/// a response by the time it gets here and follows the same rules; an `Err` that an inner
/// middleware returns instead of a response passes through untouched, without `Set-Cookie`. If a
/// renewal due at the end of the request cannot be sealed, the response becomes a 500 and the
/// cookie is left as it was (or, with
/// [`keep_response_on_write_error`](super::DriverBuilder::keep_response_on_write_error), the response goes out
/// without the renewal); either way the error is logged.
///
/// A response whose handler used the session gets `Vary: Cookie`, one that sets or deletes a
/// session cookie `Cache-Control: private` (unless the handler chose its own), and with
/// [`cache_no_store`](super::DriverBuilder::cache_no_store) every response bearing a session `no-store`. The
/// 503 of a store outage carries [`retry_after`](super::DriverBuilder::retry_after). See [`crate::web`].
pub struct SessionMiddleware<T> {
    driver: Driver,
    state: PhantomData<fn() -> T>,
}

impl<T> Clone for SessionMiddleware<T> {
    fn clone(&self) -> Self {
        Self {
            driver: self.driver.clone(),
            state: PhantomData,
        }
    }
}

impl<T> SessionMiddleware<T> {
    /// A middleware for sessions of type `T`, run by `driver` (its settings are the [`Driver`]'s): a
    /// [`SessionCookie`](crate::SessionCookie) alone gives the default settings.
    ///
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
    /// use sealed_session::web::Driver;
    /// use sealed_session::web::actix::SessionMiddleware;
    ///
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// let sessions = SessionMiddleware::<u64>::new(Driver::builder(cookie).cache_no_store(true).build()?);
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

impl<S, B, T> Transform<S, ServiceRequest> for SessionMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = SessionService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service: Rc::new(service),
            driver: self.driver.clone(),
            state: PhantomData,
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around an inner service.
pub struct SessionService<S, T> {
    service: Rc<S>,
    driver: Driver,
    state: PhantomData<fn() -> T>,
}

impl<S, B, T> Service<ServiceRequest> for SessionService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: Serialize + DeserializeOwned + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let fields = request.headers().get_all(COOKIE).cloned();
        let session = self.driver.begin::<T, HeaderValue>(fields);
        request.extensions_mut().insert(session.clone());
        let driver = self.driver.clone();
        let response = self.service.call(request);
        Box::pin(async move {
            // An error in place of a response has no request to answer with: it passes through
            // as it is. (A handler's own errors are already responses here.)
            let mut response = response.await?.map_into_left_body();
            driver.end(&session, &mut response).await;
            Ok(response)
        })
    }
}

/// The header `field` names.
fn name(field: Field) -> HeaderName {
    match field {
        Field::SetCookie => SET_COOKIE,
        Field::Vary => VARY,
        Field::CacheControl => CACHE_CONTROL,
        Field::RetryAfter => RETRY_AFTER,
    }
}

/// `value` as a header value, or `None` if it is not one.
fn header_value(value: Value) -> Option<HeaderValue> {
    match value {
        Value::Static(text) => Some(HeaderValue::from_static(text)),
        Value::Owned(bytes) => HeaderValue::try_from(bytes).ok(),
    }
}

/// The response as the driver reads and changes it.
impl<B> Reply for ServiceResponse<EitherBody<B>> {
    fn status(&self) -> u16 {
        ServiceResponse::status(self).as_u16()
    }

    fn is_store_outage(&self) -> bool {
        self.response().extensions().contains::<StoreOutage>()
    }

    fn values(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.headers()
            .get_all(name(field))
            .map(HeaderValue::as_bytes)
    }

    fn append(&mut self, field: Field, value: Value) -> bool {
        let Some(value) = header_value(value) else {
            return false;
        };
        self.headers_mut().append(name(field), value);
        true
    }

    fn set(&mut self, field: Field, value: Value) -> bool {
        let Some(value) = header_value(value) else {
            return false;
        };
        self.headers_mut().insert(name(field), value);
        true
    }

    fn replace(&mut self, status: u16) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        *self.response_mut() = HttpResponse::new(status).map_into_right_body();
    }
}

/// The request's session, from anything that holds the request: a handler's [`HttpRequest`], a
/// middleware's [`ServiceRequest`] (inside [`SessionMiddleware`]) or its [`ServiceResponse`].
/// Another middleware, an authentication guard for one, reads and changes the same session the
/// handler sees. With a store (server-side sessions, revocations), it calls
/// [`Driver::load`] before reading: until then the session reads as no session.
///
/// # Errors
/// [`MissingSession`] when no `SessionMiddleware<T>` of this `T` wraps the request.
pub trait SessionExt {
    /// The session of type `T` that [`SessionMiddleware<T>`] gave this request.
    ///
    /// # Errors
    /// [`MissingSession`] when no `SessionMiddleware<T>` wraps the request.
    fn session<T: 'static>(&self) -> Result<Session<T>, MissingSession>;
}

impl SessionExt for HttpRequest {
    fn session<T: 'static>(&self) -> Result<Session<T>, MissingSession> {
        self.extensions()
            .get::<Session<T>>()
            .cloned()
            .ok_or_else(MissingSession::of::<T>)
    }
}

impl SessionExt for ServiceRequest {
    fn session<T: 'static>(&self) -> Result<Session<T>, MissingSession> {
        self.request().session()
    }
}

impl<B> SessionExt for ServiceResponse<B> {
    fn session<T: 'static>(&self) -> Result<Session<T>, MissingSession> {
        self.request().session()
    }
}

/// The extractor: the request's session, as [`SessionMiddleware`] made it, [loaded](Driver::load)
/// from the store if it needs it. Fails only when no `SessionMiddleware<T>` wraps the handler
/// (a 500) or the store cannot answer (a 503): [`SessionRejection`]. A bad cookie is an empty
/// session.
// Marked itself, as are the impls below: they are listed on the pages of `Session` and the
// rejections, which exist without this feature.
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl<T: Serialize + DeserializeOwned + 'static> FromRequest for Session<T> {
    type Error = SessionRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = request.session::<T>();
        Box::pin(async move {
            let session = session.map_err(SessionRejection::Missing)?;
            Driver::load(&session).await?;
            Ok(session)
        })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl ResponseError for SessionRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        super::log::rejected(self);
        // Opaque: how the app is wired, or which store failed, is not the client's business.
        let mut response = HttpResponse::build(self.status_code()).finish();
        if matches!(self, Self::Unavailable(_)) {
            // For the middleware to add its `Retry-After` on the way out.
            response.extensions_mut().insert(StoreOutage);
        }
        response
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
impl ResponseError for MissingSession {
    fn error_response(&self) -> HttpResponse {
        tracing::error!("{self}");
        // An opaque 500: how the app is wired is not the client's business.
        HttpResponse::InternalServerError().finish()
    }
}
