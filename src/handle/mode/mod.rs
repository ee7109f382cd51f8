//! The session modes: where a session's state lives and what a store must say of it. A request's
//! [`Session`](super::Session) runs the same steps in every mode (open the cookie, ask the store
//! before use, commit a change, log out, end the request) and asks its mode at each step; each
//! mode answers in its own file:
//!
//! - [`Cookie`] (cookie.rs): the state in the cookie, no store;
//! - [`Revoked`] (revoked.rs): the state in the cookie, each session checked against
//!   revocations in a store, and a logout recorded there;
//! - [`Server`] (server.rs): the state in a store under the session id the cookie carries;
//! - overflow (overflow.rs): server-side, with the state in the cookie while it fits. It is the
//!   server-side mode but for where a change goes, so that is all its file holds.
//!
//! The modes that keep revocations share their bookkeeping ([`Checks`], checks.rs). A request's
//! mode is made from the [`Driver`](crate::web::Driver)'s settings, once per request, with no
//! allocation: [`AnyMode`] holds whichever it is, and hands it out as a `dyn Mode`.

mod checks;
mod cookie;
mod overflow;
mod revoked;
mod server;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Core, State};
use super::{Revocations, ServerSideBinding};
use crate::cookie::{Carried, SessionCookie};
use crate::error::WriteError;
use crate::session::{Envelope, SessionId};

pub(super) use checks::{Checks, Pending};
use cookie::Cookie;
use revoked::Revoked;
pub(crate) use server::SaveError;
pub(super) use server::{Change, Server};

/// What a session asks the store before it is used: the revocations its check reads, and the
/// binding its stored state is read through.
pub(super) struct Sources {
    pub(super) revocations: Option<Revocations>,
    pub(super) backing: Option<Arc<ServerSideBinding>>,
}

/// The `Set-Cookie` lines of a write, or why there are none.
pub(super) type Written = Result<Vec<String>, WriteError>;

/// A change to commit: the new state, to seal under `envelope`, made as `how` says.
pub(super) struct Next<T> {
    pub(super) state: T,
    pub(super) envelope: Envelope,
    pub(super) how: Change<T>,
}

/// A state to write into the cookie itself: under `envelope`, replacing the names `carried`.
pub(super) struct InCookie<'a, T> {
    pub(super) state: &'a T,
    pub(super) envelope: &'a Envelope,
    pub(super) carried: Carried,
}

/// The steps in which the modes differ. Every method has the cookie mode's answer unless a mode
/// says otherwise.
pub(super) trait Mode<T: Serialize + DeserializeOwned> {
    /// Opens the request's cookie: the session it holds (or why none), and which of the
    /// session's names the header carried, from the same scan.
    fn open(&self, cookie: &SessionCookie, header: &str) -> (State<T>, Option<Carried>);

    /// Whether a session of this mode may need the store before it is used.
    fn needs_store(&self) -> bool {
        false
    }

    /// What to ask the store of a session that opened and carries an id (`in_cookie`: its
    /// state is in the cookie; `subject`: it has one).
    fn sources(&self, in_cookie: bool, subject: bool) -> Sources {
        let _ = (in_cookie, subject);
        Sources {
            revocations: None,
            backing: None,
        }
    }

    /// Notes that the store held the session's state at `version`.
    fn read_at(&mut self, id: SessionId, version: u64) {
        let _ = (id, version);
    }

    /// Whether a change may have to be applied again to a newer state (the state is kept in a
    /// store, which other requests of the session write too).
    fn stores_state(&self) -> bool {
        false
    }

    /// Makes the next state, sealed under its envelope, the session: into the cookie, or noted
    /// for the store. Only if that succeeds is the session changed.
    fn commit(&mut self, core: &mut Core<T>, next: Next<T>) -> Result<(), WriteError> {
        let Next {
            state, envelope, ..
        } = next;
        let carried = core.carried();
        let lines = core.cookie.write(&state, &envelope, carried)?;
        core.set_written(state, envelope, lines);
        Ok(())
    }

    /// The `Set-Cookie` lines of a renewal due at the end of the request: the state under its
    /// renewed envelope.
    fn renew(&self, cookie: &SessionCookie, renewal: InCookie<'_, T>) -> Written {
        cookie.write(renewal.state, renewal.envelope, renewal.carried)
    }

    /// The revocations this mode keeps, if it keeps any: what a logout records, and what "log
    /// out everywhere" needs.
    fn checks(&mut self) -> Option<&mut Checks> {
        None
    }

    /// Whether logout must open the cookie, to learn what to revoke or remove.
    fn logout_opens(&self) -> bool {
        self.needs_store()
    }

    /// A logout of the session in `state`: what the mode must record or remove beyond deleting
    /// the cookie.
    fn logout(&mut self, state: &State<T>) {
        let _ = state;
    }

    /// The server-side part of the session, in the modes that keep the state in a store.
    fn server(&mut self) -> Option<&mut Server<T>> {
        None
    }

    /// Whether the end of the request has nothing to do in the store.
    fn idle(&self) -> bool {
        true
    }
}

/// The mode a driver gives each request's session, from its settings ([`DriverBuilder::revocations`],
/// [`DriverBuilder::server_side`], in either order).
///
/// [`DriverBuilder::revocations`]: crate::web::DriverBuilder::revocations
/// [`DriverBuilder::server_side`]: crate::web::DriverBuilder::server_side
#[derive(Clone, Debug, Default)]
pub(crate) enum Settings {
    /// Cookie sessions.
    #[default]
    Cookie,
    /// Cookie sessions checked against revocations.
    Revoked(Revocations),
    /// Server-side sessions, with revocations of the driver's own or only their subjects'.
    Server {
        backing: Arc<ServerSideBinding>,
        revocations: Option<Revocations>,
    },
}

impl Settings {
    /// These settings with `revocations` checked too.
    pub(crate) fn with_revocations(self, revocations: Revocations) -> Self {
        match self {
            Self::Cookie | Self::Revoked(_) => Self::Revoked(revocations),
            Self::Server { backing, .. } => Self::Server {
                backing,
                revocations: Some(revocations),
            },
        }
    }

    /// These settings with the state kept through `backing`.
    pub(crate) fn with_server_side(self, backing: Arc<ServerSideBinding>) -> Self {
        let revocations = match self {
            Self::Cookie => None,
            Self::Revoked(revocations) => Some(revocations),
            Self::Server { revocations, .. } => revocations,
        };
        Self::Server {
            backing,
            revocations,
        }
    }

    /// The cookie a request's session uses: `cookie`, or in server-side mode the binding's
    /// (the same name and attributes, sealed under a purpose of its own: FORMAT.md,
    /// "Server-side sessions").
    pub(super) fn cookie<'a>(&'a self, cookie: &'a Arc<SessionCookie>) -> &'a Arc<SessionCookie> {
        match self {
            Self::Server { backing, .. } => &backing.cookie,
            _ => cookie,
        }
    }

    /// A new request's mode.
    pub(super) fn begin<T: Serialize + DeserializeOwned>(&self) -> AnyMode<T> {
        match self {
            Self::Cookie => AnyMode::Cookie(Cookie),
            Self::Revoked(revocations) => AnyMode::Revoked(Revoked::new(revocations.clone())),
            Self::Server {
                backing,
                revocations,
            } => AnyMode::Server(Server::new(Arc::clone(backing), revocations.clone())),
        }
    }
}

/// The mode of one request's session: one of the three, chosen by the driver's settings.
pub(super) enum AnyMode<T> {
    Cookie(Cookie),
    Revoked(Revoked),
    Server(Server<T>),
}

impl<T: Serialize + DeserializeOwned> AnyMode<T> {
    /// The mode, to ask.
    pub(super) fn get(&self) -> &(dyn Mode<T> + '_) {
        match self {
            Self::Cookie(mode) => mode,
            Self::Revoked(mode) => mode,
            Self::Server(mode) => mode,
        }
    }

    /// The mode, to change.
    pub(super) fn get_mut(&mut self) -> &mut (dyn Mode<T> + '_) {
        match self {
            Self::Cookie(mode) => mode,
            Self::Revoked(mode) => mode,
            Self::Server(mode) => mode,
        }
    }
}

/// The session a cookie opened to, in the modes whose cookie holds the state itself.
pub(super) fn opened<T>(
    opened: Result<Option<crate::session::Opened<T>>, crate::cookie::CookieReadError>,
) -> State<T> {
    match opened {
        Ok(Some(opened)) => State::Present {
            envelope: opened.envelope(),
            renewal: opened.renewal,
            state: opened.state,
        },
        Ok(None) => State::Absent { refused: None },
        Err(e) => State::Absent {
            refused: Some(super::Refusal::Cookie(e)),
        },
    }
}

/// `state`, held back until the store has been asked if it is a session with an id: the modes
/// that check revocations, or read the state from the store, check every such session before
/// any use.
pub(super) fn checked_first<T>(state: State<T>) -> State<T> {
    match state {
        State::Present {
            state,
            envelope,
            renewal,
        } if envelope.session_id().is_some() => State::Pending {
            state: Some(state),
            envelope,
            renewal,
        },
        other => other,
    }
}
