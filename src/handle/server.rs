//! The session handle in server-side mode: the state is read from the store when the session is
//! loaded (src/handle/load.rs) and written back by compare-and-set after the handler. Handlers
//! see the same methods as in cookie mode.
//!
//! What a request writes is decided when the handler changes the session (sealed at once, so a
//! state too large is an error the handler sees) and applied at the end of the request, on the
//! version the request read: a logout (the record removed) or another request's write makes it
//! a conflict, never a resurrection or a lost write.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Inner, Session, State};
use crate::cookie::{CookieReadError, CookieWriteError};
use crate::error::SealError;
use crate::session::{Envelope, Opened, SessionId};
use crate::store::{Conflicts, Held, SaveError, Saved, ServerSideBinding};

/// A change that can be applied again to a newer state.
pub(super) type Replay<T> = Arc<dyn Fn(&mut T) + Send + Sync>;

/// How the handler changed the state, for what a conflict may do.
pub(super) enum Change<T> {
    /// A whole new state (`replace`, `modify`, `login`): computed from what this request read,
    /// so it cannot be applied to another state.
    Whole,
    /// `update`: can be applied again to a newer state.
    Replayable(Replay<T>),
    /// The recorded changes applied again after a conflict.
    Replayed,
}

/// The server-side part of a request's session.
pub(super) struct Server<T> {
    backing: Arc<ServerSideBinding>,
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
    /// Whether the session's state came from, or goes to, the store.
    pub(super) fn holds_record(&self) -> bool {
        self.read.is_some()
    }

    /// The store and the sealing of states at rest.
    pub(super) fn backing(&self) -> &Arc<ServerSideBinding> {
        &self.backing
    }

    /// Whether the end of the request has nothing to write to the store.
    pub(super) fn writes_nothing(&self) -> bool {
        self.write.is_none()
    }

    /// Notes the record the request read: the session `id` at `version`.
    pub(super) fn read_at(&mut self, id: SessionId, version: u64) {
        self.read = Some((id, version));
    }
}

/// The session a server-side cookie names: its state if the cookie holds it (overflow mode),
/// otherwise "in the store", to be read by [`Session::load`].
pub(super) fn state_of<T>(opened: Result<Option<Opened<Held<T>>>, CookieReadError>) -> State<T> {
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
        Err(e) => State::Absent { refused: Some(e) },
    }
}

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// Keeps this request's session in a store (server-side mode): adapters call it when they
    /// are configured with [`ServerSide`](crate::store::ServerSide), before the session is
    /// used, then [`load`](Self::load) when the session is first used, and
    /// [`record_revocations`](Self::record_revocations) then [`save`](Self::save) after the
    /// handler (a login's session is registered by the first: without it, a logged-in session
    /// is refused as forgotten on its next request). The cookie is from then on the binding's: the same name and
    /// attributes, sealed under a purpose of its own (FORMAT.md, "Server-side sessions").
    pub(crate) fn set_server_side(&self, backing: Arc<ServerSideBinding>) {
        let mut inner = self.guard();
        inner.cookie = Arc::clone(&backing.cookie);
        if inner.revocations.is_none() {
            // "Log out everywhere" natively: the subject's revocations in the same store.
            inner.revocations = Some(backing.subjects.clone());
        }
        inner.server = Some(Server {
            backing,
            read: None,
            write: None,
            replays: Vec::new(),
            replayable: true,
        });
    }

    /// After the handler, before [`finish`](Self::finish), in server-side mode: applies the
    /// request's write to the store (a change, a logout, a move to a new id, or a due renewal)
    /// by compare-and-set on the version it read, and resolves a conflict by the configured
    /// [`Conflicts`]. Nothing to do in cookie mode, or when nothing changed.
    ///
    /// # Errors
    /// [`SaveError`]: the adapter answers 503 (the store), 409 (a conflict) or 500 (sealing),
    /// with no `Set-Cookie`.
    pub(crate) async fn save(&self) -> Result<(), SaveError> {
        let mut attempts = {
            let inner = self.guard();
            match &inner.server {
                None => return Ok(()),
                Some(server) => match server.backing.side.conflicts {
                    Conflicts::Retry { attempts } => attempts,
                    Conflicts::Report => 0,
                },
            }
        };
        loop {
            let (backing, write) = {
                let mut inner = self.guard();
                let write = match inner.server.as_mut().and_then(|s| s.write.take()) {
                    Some(write) => write,
                    None => match inner.renewal_write()? {
                        Some(write) => write,
                        None => return Ok(()),
                    },
                };
                let Some(server) = &inner.server else {
                    return Ok(());
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
            match store.save(&key, &value, expected, expires_at).await? {
                Saved::Written(version) => {
                    {
                        let mut inner = self.guard();
                        if let Some(server) = &mut inner.server {
                            server.read = Some((id, version));
                        }
                        if let Some(lines) = renewal {
                            inner.written = Some(lines);
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
                    if gone {
                        inner.carried();
                        inner.state = State::Absent {
                            refused: Some(CookieReadError::NotStored),
                        };
                    } else if let State::Present { renewal, .. } = &mut inner.state {
                        *renewal = None;
                    }
                    return Ok(());
                }
                Saved::Conflict => {
                    let replayable = self
                        .guard()
                        .server
                        .as_ref()
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
                    let mut inner = self.guard();
                    let Some(server) = &mut inner.server else {
                        return Ok(());
                    };
                    for f in &server.replays {
                        f(&mut state);
                    }
                    server.read = Some((id, record.version));
                    let State::Present { envelope, .. } = &inner.state else {
                        return Err(SaveError::Conflict);
                    };
                    let envelope = inner.cookie.context().renewed_envelope(envelope)?;
                    inner.commit_stored(state, envelope, Change::Replayed)?;
                }
            }
        }
    }
}

impl<T: DeserializeOwned + Serialize> Inner<T> {
    /// The server-side [`commit`](Inner::commit): the state goes into the cookie if overflow
    /// allows and it fits, otherwise it is sealed for the store and its write noted.
    pub(super) fn commit_stored(
        &mut self,
        state: T,
        envelope: Envelope,
        change: Change<T>,
    ) -> Result<(), CookieWriteError> {
        let carried = self.carried();
        let Some(server) = &mut self.server else {
            return Ok(());
        };
        let backing = Arc::clone(&server.backing);
        let id = envelope.session_id();
        if backing.side.overflow || id.is_none() {
            // Without an id (never, as configured) there is nowhere else to keep it.
            match self.cookie.write(&Held::Here(&state), &envelope, carried) {
                Ok(lines) => {
                    // The state fits the cookie: it leaves the store, if it was there.
                    server.write = server.read.map(|(old, _)| Write::Remove(old));
                    server.replays.clear();
                    self.set_written(state, envelope, lines);
                    return Ok(());
                }
                Err(e) if id.is_none() || !too_large(&e) => return Err(e),
                Err(_) => {}
            }
        }
        let Some(id) = id else {
            return Ok(());
        };
        let (expected, moved_from) = match server.read {
            Some((read, version)) if read == id => (Some(version), None),
            Some((read, _)) => (None, Some(read)),
            None => (None, None),
        };
        // A change to a stored session whose cookie is not due for renewal rewrites the record
        // only, under the envelope the cookie already carries: the response sets no cookie (or
        // the one an earlier change of this request set, which carries that envelope).
        let kept = match &self.state {
            State::Present {
                envelope: carried_envelope,
                renewal: None,
                ..
            } if expected.is_some() => Some(*carried_envelope),
            _ => None,
        };
        let envelope = kept.unwrap_or(envelope);
        let value = backing.seal(&state, &envelope)?;
        let lines = match kept {
            Some(_) => self.written.take().unwrap_or_default(),
            None => self
                .cookie
                .write(&Held::<()>::InStore, &envelope, carried)?,
        };
        match change {
            Change::Whole => server.replayable = false,
            Change::Replayable(f) => server.replays.push(f),
            Change::Replayed => {}
        }
        server.write = Some(Write::Save {
            id,
            value,
            expected,
            expires_at: backing.expires_at(&envelope),
            moved_from,
            renewal: None,
        });
        self.set_written(state, envelope, lines);
        Ok(())
    }

    /// Logout in server-side mode: the end of the request removes the record this request
    /// read (or the one its cookie names, if the state was never read), and writes nothing else.
    pub(super) fn clear_stored(&mut self) {
        let named = match &self.state {
            State::Pending {
                state: None,
                envelope,
                ..
            } => envelope.session_id(),
            _ => None,
        };
        if let Some(server) = &mut self.server {
            server.replays.clear();
            server.write = server.read.map(|(id, _)| id).or(named).map(Write::Remove);
        }
    }

    /// The write of a due renewal of a session whose state is in the store: the same state
    /// sealed again with the renewed stamps, on the version read, and the cookie lines that go
    /// out only if it is written.
    fn renewal_write(&mut self) -> Result<Option<Write>, CookieWriteError> {
        if self.cleared || self.written.is_some() {
            return Ok(None);
        }
        let Some((id, version)) = self.server.as_ref().and_then(|s| s.read) else {
            return Ok(None);
        };
        let carried = self.carried();
        let (
            State::Present {
                state,
                envelope,
                renewal: Some(_),
            },
            Some(server),
        ) = (&self.state, &self.server)
        else {
            return Ok(None);
        };
        let envelope = self.cookie.context().renewed_envelope(envelope)?;
        let value = server.backing.seal(state, &envelope)?;
        let lines = self
            .cookie
            .write(&Held::<()>::InStore, &envelope, carried)?;
        Ok(Some(Write::Save {
            id,
            value,
            expected: Some(version),
            expires_at: server.backing.expires_at(&envelope),
            moved_from: None,
            renewal: Some(lines),
        }))
    }
}

/// Whether a write failed only because the state does not fit the cookie.
fn too_large(e: &CookieWriteError) -> bool {
    matches!(
        e,
        CookieWriteError::Seal(SealError::TooLarge { .. }) | CookieWriteError::TooManyChunks { .. }
    )
}
