//! Server-side sessions with overflow: the state stays in the cookie while it fits there, and
//! moves to the store only when it does not, so small sessions cost no store round trip and
//! large ones are not capped near 4 KB. Every other step is the server-side mode's (server.rs):
//! a cookie may hold the state or name a record either way.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::{Core, State};
use super::{Change, Checks, Mode, Server, Sources};
use crate::cookie::{Carried, CookieWriteError, SessionCookie};
use crate::error::SealError;
use crate::session::{Envelope, SessionId};

/// The server-side mode with overflow.
pub(in crate::handle) struct Overflow<T> {
    server: Server<T>,
}

impl<T> Overflow<T> {
    pub(in crate::handle) fn new(server: Server<T>) -> Self {
        Self { server }
    }
}

impl<T: Serialize + DeserializeOwned> Mode<T> for Overflow<T> {
    fn open(&self, cookie: &SessionCookie, header: &str) -> (State<T>, Option<Carried>) {
        self.server.open(cookie, header)
    }

    fn needs_store(&self) -> bool {
        true
    }

    fn sources(&self, in_cookie: bool, subject: bool) -> Sources {
        self.server.sources(in_cookie, subject)
    }

    fn read_at(&mut self, id: SessionId, version: u64) {
        self.server.read_at(id, version);
    }

    fn stores_state(&self) -> bool {
        true
    }

    /// Into the cookie if the state fits there (leaving the store, if it was there), otherwise
    /// into the store.
    fn commit(
        &mut self,
        core: &mut Core<T>,
        state: T,
        envelope: Envelope,
        change: Change<T>,
    ) -> Result<(), CookieWriteError> {
        match self.server.keep_in_cookie(core, state, envelope) {
            Ok(()) => Ok(()),
            Err((e, _)) if !too_large(&e) => Err(e),
            Err((_, state)) => self.server.store_state(core, state, envelope, change),
        }
    }

    fn renew(
        &self,
        cookie: &SessionCookie,
        state: &T,
        envelope: &Envelope,
        carried: Carried,
    ) -> Result<Vec<String>, CookieWriteError> {
        self.server.renew(cookie, state, envelope, carried)
    }

    fn checks(&mut self) -> Option<&mut Checks> {
        Mode::<T>::checks(&mut self.server)
    }

    fn logout(&mut self, state: &State<T>) {
        self.server.logout(state);
    }

    fn server(&mut self) -> Option<&mut Server<T>> {
        Some(&mut self.server)
    }

    fn idle(&self) -> bool {
        self.server.idle()
    }
}

/// Whether a write failed only because the state does not fit the cookie.
fn too_large(e: &CookieWriteError) -> bool {
    matches!(
        e,
        CookieWriteError::Seal(SealError::TooLarge { .. }) | CookieWriteError::TooManyChunks { .. }
    )
}
