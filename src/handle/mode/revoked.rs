//! Cookie sessions with revocations: the state in the cookie, and every session that carries an
//! id checked against revocations in a store before it is used. A logout revokes the session's
//! id, "log out everywhere" its subject's sessions; the end of the request records them before
//! the response goes out, and registers the sessions the request created (checks.rs).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::{Revocations, State};
use super::checks::id_revocation;
use super::{Checks, Mode, Sources, checked_first, opened};
use crate::cookie::{Carried, SessionCookie};

/// The cookie mode with revocations.
pub(in crate::handle) struct Revoked {
    checks: Checks,
}

impl Revoked {
    pub(in crate::handle) fn new(revocations: Revocations) -> Self {
        Self {
            checks: Checks::new(revocations, true),
        }
    }
}

impl<T: Serialize + DeserializeOwned> Mode<T> for Revoked {
    fn open(&self, cookie: &SessionCookie, header: &str) -> (State<T>, Option<Carried>) {
        let (state, carried) = cookie.open_carried::<T>(header);
        (checked_first(opened(state)), carried)
    }

    fn needs_store(&self) -> bool {
        true
    }

    fn sources(&self, _in_cookie: bool, subject: bool) -> Sources {
        Sources {
            revocations: self.checks.for_session(subject),
            backing: None,
        }
    }

    fn checks(&mut self) -> Option<&mut Checks> {
        Some(&mut self.checks)
    }

    fn logout(&mut self, state: &State<T>) {
        if let Some(revocation) = id_revocation(state, true) {
            self.checks.pending.push(revocation);
        }
    }

    fn idle(&self) -> bool {
        self.checks.pending.is_empty()
    }
}
