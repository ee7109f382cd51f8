//! Cookie sessions: the state sealed in the cookie, nothing kept on the server. A logout deletes
//! the cookie the browser holds, and a copy of it opens until it expires (SECURITY.md); the
//! trait's defaults are this mode's answers.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::State;
use super::{Mode, opened};
use crate::cookie::{Carried, SessionCookie};

/// The cookie mode.
pub(in crate::handle) struct Cookie;

impl<T: Serialize + DeserializeOwned> Mode<T> for Cookie {
    fn open(&self, cookie: &SessionCookie, header: &str) -> (State<T>, Option<Carried>) {
        let (state, carried) = cookie.open_carried::<T>(header);
        (opened(state), carried)
    }
}
