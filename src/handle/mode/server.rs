//! Server-side sessions: the cookie carries the session id, and the state is read from the store
//! when the session is loaded (src/handle/load.rs) and written back by compare-and-set at the end
//! of the request. Handlers see the same methods as in cookie mode.
//!
//! What a request writes is decided when the handler changes the session (sealed at once, so a
//! state too large is an error the handler sees) and applied at the end of the request, on the
//! version the request read: a logout (the record removed) or another request's write makes it
//! a conflict, never a resurrection or a lost write. A logged-in session is also checked against
//! its subject's revocations, kept in the same store ("log out everywhere"; checks.rs).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::{
    Conflicts, Core, Held, Refusal, Revocations, ServerSideBinding, Session, State,
};
use super::checks::id_revocation;
use super::{Checks, InCookie, Mode, Next, Sources, Written, checked_first, overflow};
use crate::cookie::{Carried, CookieReadError, SessionCookie};
use crate::error::SealError;
use crate::error::WriteError;
use crate::session::{Envelope, Opened, SessionId};
use crate::store::{RecordWrite, Saved, StoreError};

/// What a commit returns: whether the state could be sealed where it goes.
type Commit = Result<(), WriteError>;

/// A change that can be applied again to a newer state.
pub(in crate::handle) type Replay<T> = Arc<dyn Fn(&mut T) + Send + Sync>;

/// How the handler changed the state, for what a conflict may do.
pub(in crate::handle) enum Change<T> {
    /// A whole new state (`replace`, `modify`, `login`): computed from what this request read,
    /// so it cannot be applied to another state.
    Whole,
    /// `update`: can be applied again to a newer state.
    Replayable(Replay<T>),
    /// The recorded changes applied again after a conflict.
    Replayed,
}

/// The server-side mode: the store, what this request read from it and what it will write.
pub(in crate::handle) struct Server<T> {
    backing: Arc<ServerSideBinding>,
    /// The subjects' revocations in the same store, or the driver's own revocations.
    checks: Checks,
    /// The record this request read: its session id and version.
    read: Option<(SessionId, u64)>,
    /// What the end of the request writes to the store.
    write: Option<Write>,
    /// The request's changes, in order, while each can be applied again.
    replays: Vec<Replay<T>>,
    /// Whether every change of the request can be applied again.
    replayable: bool,
}

/// A write to the store, applied at the end of the request.
enum Write {
    /// Remove a session's record (logout, or its state moved back into the cookie).
    Remove(SessionId),
    /// Write a record by compare-and-set.
    Save {
        id: SessionId,
        value: String,
        /// The version read (`None`: a new record).
        expected: Option<u64>,
        expires_at: u64,
        /// The record this one replaces under a new id (login, `renew_identity`): removed once
        /// the new one is written.
        moved_from: Option<SessionId>,
        /// A renewal with no change: these cookie lines go out only if the write succeeds.
        renewal: Option<Vec<String>>,
    },
}

impl<T> Server<T> {
    /// A request's session kept through `backing`, checked against `revocations` by id as well
    /// as by subject if the driver was given revocations of its own, otherwise against its
    /// subject's revocations in the same store.
    pub(in crate::handle) fn new(
        backing: Arc<ServerSideBinding>,
        revocations: Option<Revocations>,
    ) -> Self {
        let checks = match revocations {
            Some(revocations) => Checks::new(revocations, true),
            // "Log out everywhere" natively: the subject's revocations in the same store.
            None => Checks::new(backing.subjects.clone(), false),
        };
        Self {
            backing,
            checks,
            read: None,
            write: None,
            replays: Vec::new(),
            replayable: true,
        }
    }

    /// Whether the session's state came from, or goes to, the store.
    pub(in crate::handle) fn holds_record(&self) -> bool {
        self.read.is_some()
    }
}

/// The session a server-side cookie names: its state if the cookie holds it (overflow mode),
/// otherwise "in the store", to be read by [`Session::load`].
fn state_of<T>(opened: Result<Option<Opened<Held<T>>>, CookieReadError>) -> State<T> {
    match opened {
        Ok(Some(opened)) => {
            let envelope = opened.envelope();
            let renewal = opened.renewal;
            match opened.into_state() {
                Held::Here(state) => State::Present {
                    state,
                    envelope,
                    renewal,
                },
                Held::InStore => State::Pending {
                    state: None,
                    envelope,
                    renewal,
                },
            }
        }
        Ok(None) => State::Absent { refused: None },
        Err(e) => State::Absent {
            refused: Some(Refusal::Cookie(e)),
        },
    }
}

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// After the handler, before [`finish`](Self::finish), in server-side mode: applies the
    /// request's write to the store (a change, a logout, a move to a new id, or a due renewal)
    /// by compare-and-set on the version it read, and resolves a conflict by the configured
    /// [`Conflicts`]. Nothing to do in the cookie modes, or when nothing changed.
    ///
    /// # Errors
    /// [`SaveError`]: the driver answers 503 (the store), 409 (a conflict) or 500 (sealing),
    /// with no `Set-Cookie`.
    pub(crate) async fn save(&self) -> Result<(), SaveError> {
        let mut attempts = match self.guard().mode.get_mut().server() {
            None => return Ok(()),
            Some(server) => match server.backing.side.conflicts {
                Conflicts::Retry { attempts } => attempts,
                Conflicts::Report => 0,
            },
        };
        loop {
            let (backing, write) = {
                let mut guard = self.guard();
                let inner = &mut *guard;
                let Some(server) = inner.mode.get_mut().server() else {
                    return Ok(());
                };
                let write = match server.write.take() {
                    Some(write) => write,
                    None => match server.renewal_write(&mut inner.core)? {
                        Some(write) => write,
                        None => return Ok(()),
                    },
                };
                (Arc::clone(&server.backing), write)
            };
            let store = &backing.side.store;
            let (id, value, expected, expires_at, moved_from, renewal) = match write {
                Write::Remove(id) => {
                    store.remove(&ServerSideBinding::key(&id)).await?;
                    return Ok(());
                }
                Write::Save {
                    id,
                    value,
                    expected,
                    expires_at,
                    moved_from,
                    renewal,
                } => (id, value, expected, expires_at, moved_from, renewal),
            };
            let key = ServerSideBinding::key(&id);
            let write = RecordWrite {
                value: &value,
                expected,
                expires_at,
            };
            match store.save(&key, write).await? {
                Saved::Written(version) => {
                    {
                        let mut inner = self.guard();
                        if let Some(server) = inner.mode.get_mut().server() {
                            server.read = Some((id, version));
                        }
                        if let Some(lines) = renewal {
                            inner.core.written = Some(lines);
                        }
                    }
                    if let Some(old) = moved_from {
                        store.remove(&ServerSideBinding::key(&old)).await?;
                    }
                    return Ok(());
                }
                Saved::Conflict if renewal.is_some() => {
                    // Another request wrote the session since this one read it, and renewed it
                    // with its write: this request leaves the cookie as it is, unless the
                    // session is gone.
                    let gone = store.load(&key).await?.is_none();
                    let mut inner = self.guard();
                    let core = &mut inner.core;
                    if gone {
                        core.carried();
                        core.state = State::Absent {
                            refused: Some(Refusal::NotStored),
                        };
                    } else if let State::Present { renewal, .. } = &mut core.state {
                        *renewal = None;
                    }
                    return Ok(());
                }
                Saved::Conflict => {
                    let replayable = self
                        .guard()
                        .mode
                        .get_mut()
                        .server()
                        .is_some_and(|s| s.replayable && !s.replays.is_empty());
                    if attempts == 0 || !replayable {
                        return Err(SaveError::Conflict);
                    }
                    attempts -= 1;
                    // The newer state, and this request's changes on it.
                    let record = store.load(&key).await?.ok_or(SaveError::Conflict)?;
                    let mut state = backing
                        .open::<T>(&record.value, &id)
                        .map_err(|_| SaveError::Conflict)?;
                    let mut guard = self.guard();
                    let inner = &mut *guard;
                    let Some(server) = inner.mode.get_mut().server() else {
                        return Ok(());
                    };
                    for f in &server.replays {
                        f(&mut state);
                    }
                    server.read = Some((id, record.version));
                    let State::Present { envelope, .. } = &inner.core.state else {
                        return Err(SaveError::Conflict);
                    };
                    let envelope = inner.core.cookie.context().renewed_envelope(envelope)?;
                    let how = Change::Replayed;
                    let next = Next {
                        state,
                        envelope,
                        how,
                    };
                    inner.mode.get_mut().commit(&mut inner.core, next)?;
                }
            }
        }
    }
}

impl<T: DeserializeOwned + Serialize> Server<T> {
    /// Keeps the next state sealed for the store, its write noted for the end of the request.
    /// A session without an id (never, as configured: the driver checks) has nowhere else to
    /// keep it than the cookie.
    pub(super) fn store_state(&mut self, core: &mut Core<T>, next: Next<T>) -> Commit {
        let Next {
            state,
            envelope,
            how,
        } = next;
        let Some(id) = envelope.session_id() else {
            return self
                .keep_in_cookie(core, state, envelope)
                .map_err(|(e, _)| e);
        };
        let carried = core.carried();
        let (expected, moved_from) = match self.read {
            Some((read, version)) if read == id => (Some(version), None),
            Some((read, _)) => (None, Some(read)),
            None => (None, None),
        };
        // A change to a stored session whose cookie is not due for renewal rewrites the record
        // only, under the envelope the cookie already carries: the response sets no cookie (or
        // the one an earlier change of this request set, which carries that envelope).
        let kept = match &core.state {
            State::Present {
                envelope: carried_envelope,
                renewal: None,
                ..
            } if expected.is_some() => Some(*carried_envelope),
            _ => None,
        };
        let envelope = kept.unwrap_or(envelope);
        let value = self.backing.seal(&state, &envelope)?;
        let lines = match kept {
            Some(_) => core.written.take().unwrap_or_default(),
            None => core
                .cookie
                .write(&Held::<()>::InStore, &envelope, carried)?,
        };
        match how {
            Change::Whole => self.replayable = false,
            Change::Replayable(f) => self.replays.push(f),
            Change::Replayed => {}
        }
        self.write = Some(Write::Save {
            id,
            value,
            expected,
            expires_at: self.backing.expires_at(&envelope),
            moved_from,
            renewal: None,
        });
        core.set_written(state, envelope, lines);
        Ok(())
    }

    /// Keeps `state` in the cookie itself; if it was in the store, the record is removed at the
    /// end of the request. On failure, the error and the state, untouched.
    pub(super) fn keep_in_cookie(
        &mut self,
        core: &mut Core<T>,
        state: T,
        envelope: Envelope,
    ) -> Result<(), (WriteError, T)> {
        let carried = core.carried();
        let lines = match core.cookie.write(&Held::Here(&state), &envelope, carried) {
            Ok(lines) => lines,
            Err(e) => return Err((e, state)),
        };
        self.write = self.read.map(|(old, _)| Write::Remove(old));
        self.replays.clear();
        core.set_written(state, envelope, lines);
        Ok(())
    }

    /// The write of a due renewal of a session whose state is in the store: the same state
    /// sealed again with the renewed stamps, on the version read, and the cookie lines that go
    /// out only if it is written.
    fn renewal_write(&self, core: &mut Core<T>) -> Result<Option<Write>, WriteError> {
        if core.cleared || core.written.is_some() {
            return Ok(None);
        }
        let Some((id, version)) = self.read else {
            return Ok(None);
        };
        let carried = core.carried();
        let State::Present {
            state,
            envelope,
            renewal: Some(_),
        } = &core.state
        else {
            return Ok(None);
        };
        let envelope = core.cookie.context().renewed_envelope(envelope)?;
        let value = self.backing.seal(state, &envelope)?;
        let lines = core
            .cookie
            .write(&Held::<()>::InStore, &envelope, carried)?;
        Ok(Some(Write::Save {
            id,
            value,
            expected: Some(version),
            expires_at: self.backing.expires_at(&envelope),
            moved_from: None,
            renewal: Some(lines),
        }))
    }
}

impl<T: Serialize + DeserializeOwned> Mode<T> for Server<T> {
    fn open(&self, cookie: &SessionCookie, header: &str) -> (State<T>, Option<Carried>) {
        let (opened, carried) = cookie.open_carried::<Held<T>>(header);
        (checked_first(state_of(opened)), carried)
    }

    fn needs_store(&self) -> bool {
        true
    }

    fn sources(&self, in_cookie: bool, subject: bool) -> Sources {
        Sources {
            // The record is the session's id: its revocations are asked only about its
            // subject, unless ids are revoked too.
            revocations: self.checks.for_session(subject),
            backing: (!in_cookie).then(|| Arc::clone(&self.backing)),
        }
    }

    fn read_at(&mut self, id: SessionId, version: u64) {
        self.read = Some((id, version));
    }

    fn stores_state(&self) -> bool {
        true
    }

    fn commit(&mut self, core: &mut Core<T>, next: Next<T>) -> Commit {
        if self.backing.side.overflow {
            return overflow::commit(self, core, next);
        }
        self.store_state(core, next)
    }

    fn renew(&self, cookie: &SessionCookie, renewal: InCookie<'_, T>) -> Written {
        if self.holds_record() {
            // Renewed with its record, by `save`, or not at all.
            return Ok(Vec::new());
        }
        cookie.write(
            &Held::Here(renewal.state),
            renewal.envelope,
            renewal.carried,
        )
    }

    fn checks(&mut self) -> Option<&mut Checks> {
        Some(&mut self.checks)
    }

    /// The end of the request removes the record this request read (or the one its cookie
    /// names, if the state was never read), and writes nothing else. The session's id is
    /// revoked too with revocations of the driver's own, and for a logged-in session whose
    /// state is in the cookie (overflow), which is checked against its subject's revocations on
    /// every use: a session whose state is in the store ends when its record is removed.
    fn logout(&mut self, state: &State<T>) {
        // Whether the state is in the cookie, and the session has a subject.
        let (in_cookie, subject) = match state {
            State::Present { envelope, .. } => (true, envelope.subject().is_some()),
            State::Pending {
                state, envelope, ..
            } => (state.is_some(), envelope.subject().is_some()),
            _ => (false, false),
        };
        let revocable = self.checks.revoke_ids() || (in_cookie && !self.holds_record() && subject);
        if let Some(revocation) = id_revocation(state, revocable) {
            self.checks.pending.push(revocation);
        }
        let named = match state {
            State::Pending {
                state: None,
                envelope,
                ..
            } => envelope.session_id(),
            _ => None,
        };
        self.replays.clear();
        self.write = self.read.map(|(id, _)| id).or(named).map(Write::Remove);
    }

    fn server(&mut self) -> Option<&mut Server<T>> {
        Some(self)
    }

    fn idle(&self) -> bool {
        self.checks.pending.is_empty() && self.write.is_none()
    }
}

/// Why the end of a request could not write a server-side session
/// of its request. The store holds what it held before (a failed write is never applied later);
/// the response should carry no `Set-Cookie`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// The store did not answer, or refused: answer 503; the client may retry.
    Store(StoreError),
    /// Another request of the session wrote it first, or logged it out, and this request's
    /// changes could not be applied again ([`Conflicts`](crate::Conflicts)): answer 409; the
    /// client may retry on the newer state.
    Conflict,
    /// The state could not be sealed again (after a conflict, or for a due renewal): answer 500.
    Write(WriteError),
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => e.fmt(f),
            Self::Conflict => {
                f.write_str("another request of the session wrote it first, or logged it out")
            }
            Self::Write(e) => write!(f, "the session could not be sealed: {e}"),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            Self::Write(e) => Some(e),
            Self::Conflict => None,
        }
    }
}

crate::error_debug::debug_as_display!(SaveError);

impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<WriteError> for SaveError {
    fn from(e: WriteError) -> Self {
        Self::Write(e)
    }
}

impl From<SealError> for SaveError {
    fn from(e: SealError) -> Self {
        Self::Write(WriteError::Seal(e))
    }
}
