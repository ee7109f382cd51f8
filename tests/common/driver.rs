//! Requests through the public request driver, as a framework adapter makes them: the session
//! begun from the request's `Cookie` header, loaded before the handler reads it, and the end of
//! the request on the handler's response, seen as a status and header lines ([`Lines`]).

use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{Refusal, Session, WriteError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::store::now;

/// The session of a request whose `Cookie` header is `header` (no field if it is empty), as the
/// adapters begin it; not loaded.
pub(crate) fn begin<T>(driver: &Driver, header: &str) -> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    let fields = (!header.is_empty()).then(|| header.as_bytes().to_vec());
    driver.begin::<T, Vec<u8>>(fields)
}

/// As [`begin`], then loaded as the adapters' extractors load it, the store answering.
pub(crate) fn begin_loaded<T>(driver: &Driver, header: &str) -> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    let session = begin(driver, header);
    now(Driver::load(&session)).expect("the store answers");
    session
}

/// Ends the request on a 200 response: what the response then is.
pub(crate) fn end<T>(driver: &Driver, session: &Session<T>) -> Lines
where
    T: Serialize + DeserializeOwned,
{
    let mut response = Lines::new(200);
    now(driver.end(session, &mut response));
    response
}

/// One request: begun with the `Cookie` header `header`, loaded, handled by `handler`, and
/// ended on a 200. What the response then is.
pub(crate) fn request<T>(driver: &Driver, header: &str, handler: impl FnOnce(&Session<T>)) -> Lines
where
    T: Serialize + DeserializeOwned,
{
    let session = begin_loaded(driver, header);
    handler(&session);
    end(driver, &session)
}

/// The `Set-Cookie` lines of a request with the `Cookie` header `header` (none if empty) whose
/// handler sets the state to `state` ([`Session::replace`]): a new session, or the request's
/// own one with its identity kept. The handler's error if the state could not be written.
pub(crate) fn write<T>(driver: &Driver, header: &str, state: T) -> Result<Vec<String>, WriteError>
where
    T: Serialize + DeserializeOwned,
{
    let session = begin_loaded(driver, header);
    session.replace(state)?;
    Ok(end(driver, &session).set_cookies())
}

/// What the handler of a request with the `Cookie` header `header` reads: the state (`None`
/// without a session cookie), or why the request's cookie was refused.
pub(crate) fn open<T>(driver: &Driver, header: &str) -> Result<Option<T>, Refusal>
where
    T: Serialize + DeserializeOwned + Clone,
{
    let session = begin_loaded::<T>(driver, header);
    let state = session.get();
    match session.refused() {
        Some(refusal) => Err(refusal),
        None => Ok(state),
    }
}

/// What the tests read of a response.
pub(crate) trait Sent {
    /// The `Set-Cookie` lines, in order.
    fn set_cookies(&self) -> Vec<String>;

    /// Whether the end of the request wrote no header at all: the session was never touched.
    fn is_bare(&self) -> bool;
}

impl Sent for Lines {
    fn set_cookies(&self) -> Vec<String> {
        self.header(Field::SetCookie)
    }

    fn is_bare(&self) -> bool {
        self.lines().next().is_none()
    }
}
