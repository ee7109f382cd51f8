//! The `http` crate's response as the request driver reads and changes it (feature `http`): the
//! response type of hyper, axum and every framework on the `http` crate, so that each gets the
//! driver's [`Reply`] without writing one.

use http::header::{CACHE_CONTROL, RETRY_AFTER, SET_COOKIE, VARY};
use http::{HeaderName, HeaderValue, Response, StatusCode};

use super::{Field, Reply, StoreOutage, Value};

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

/// An `http` response (hyper's, axum's) as the driver reads and changes it: its status, its
/// header map, and a [`StoreOutage`] in its extensions for the answer to a store outage. A
/// replaced response gets an empty body (`B::default()`).
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
impl<B: Default> Reply for Response<B> {
    fn status(&self) -> u16 {
        Response::status(self).as_u16()
    }

    fn is_store_outage(&self) -> bool {
        self.extensions().get::<StoreOutage>().is_some()
    }

    fn values(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.headers()
            .get_all(name(field))
            .iter()
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
        let mut response = Response::default();
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        *self = response;
    }
}
