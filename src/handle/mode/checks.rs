//! The revocation bookkeeping of the modes that keep revocations (cookie sessions with
//! revocations, and server-side sessions, whose subjects' revocations live in their own store):
//! what a request's logouts ask to record, recorded at its end before the response goes out,
//! and the registration of the sessions it creates, so that the store vouches for them.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::{Revocations, Session, State};
use crate::Outage;
use crate::session::{SessionId, Subject};
use crate::store::StoreError;

/// A mode's revocations, and what this request asked to record in them.
pub(in crate::handle) struct Checks {
    pub(in crate::handle) revocations: Revocations,
    /// Whether sessions are checked and revoked by their id (cookie mode with revocations, or
    /// server-side mode given revocations of its own); otherwise only by their subject.
    revoke_ids: bool,
    /// The revocations the handler asked for, recorded at the end of the request in order.
    pub(in crate::handle) pending: Vec<Pending>,
}

/// A revocation to record before the response goes out.
#[derive(Clone)]
pub(in crate::handle) enum Pending {
    /// One session, until its own end.
    Session {
        id: SessionId,
        subject: Option<Subject>,
        until: u64,
    },
    /// Every session of a subject that exists when it is recorded, but the one the request
    /// ends with if it is the subject's (the caller's own for "log out my other sessions", or
    /// a login after "log out everywhere"); kept for the longest absolute lifetime.
    Subject {
        subject: Subject,
        lifetime: Duration,
    },
}

impl Checks {
    pub(in crate::handle) fn new(revocations: Revocations, revoke_ids: bool) -> Self {
        Self {
            revocations,
            revoke_ids,
            pending: Vec::new(),
        }
    }

    /// Whether sessions are revoked by their id.
    pub(in crate::handle) fn revoke_ids(&self) -> bool {
        self.revoke_ids
    }

    /// The revocations a session is checked against before use: by its id, or by its subject
    /// if it has one; none for a session with neither.
    pub(in crate::handle) fn for_session(&self, subject: bool) -> Option<Revocations> {
        (self.revoke_ids || subject).then(|| self.revocations.clone())
    }
}

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// After the handler, before [`finish`](Self::finish): records the revocation its logout
    /// asked for, then registers the session the request created, if it created one that is
    /// checked against the revocations (a login, a first state, a new identity), so that the
    /// store vouches for it ([`Revocations::register_session`]): without it, the session would
    /// be refused as [`Forgotten`](crate::Verdict::Forgotten) on its next request. Nothing to
    /// do otherwise (a renewal registers nothing), nor in a mode without revocations.
    ///
    /// # Errors
    /// [`StoreError`]: the logout was not recorded, or the new session not registered. The
    /// driver answers 503 and sends no `Set-Cookie`, so that the user sees the logout failed
    /// (and can retry) rather than believe a copied cookie is dead, and gets no cookie the
    /// store cannot vouch for. With [`Outage::Accept`], a registration that fails is not an
    /// error: the session goes out unregistered, and is refused as forgotten once the store
    /// answers again, unless [`Forgotten::Accept`](crate::Forgotten::Accept) was chosen too.
    pub(crate) async fn record_revocations(&self) -> Result<(), StoreError> {
        self.record_pending().await?;
        self.register_created().await
    }

    /// The revocations the handler asked for, in order.
    async fn record_pending(&self) -> Result<(), StoreError> {
        let (revocations, pending, survivor) = {
            let mut inner = self.guard();
            // The session the request ends with, if it has one: spared by its subject's
            // revocation (it is the caller's, kept, or a login made after the logout).
            let survivor = match &inner.core.state {
                State::Present { envelope, .. } => {
                    envelope.session_id().zip(envelope.subject().copied())
                }
                _ => None,
            };
            let Some(checks) = inner.mode.get_mut().checks() else {
                return Ok(());
            };
            if checks.pending.is_empty() {
                return Ok(());
            }
            let pending = std::mem::take(&mut checks.pending);
            (checks.revocations.clone(), pending, survivor)
        };
        for (done, asked) in pending.iter().enumerate() {
            let recorded = match asked {
                Pending::Session { id, subject, until } => {
                    revocations
                        .revoke_session(id, subject.as_ref(), *until)
                        .await
                }
                Pending::Subject { subject, lifetime } => {
                    let keep = survivor
                        .as_ref()
                        .filter(|(_, s)| s == subject)
                        .map(|(id, _)| id);
                    revocations
                        .revoke_subject_keeping(subject, keep, *lifetime)
                        .await
                }
            };
            if let Err(e) = recorded {
                // What was not recorded stays asked for: a retry records it.
                if let Some(checks) = self.guard().mode.get_mut().checks() {
                    checks.pending = pending[done..].to_vec();
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Registers the session the request created and ends with, if it is one the revocations
    /// check (as [`load`](Self::load) decides: one with an id, and in server-side mode only
    /// one with a subject, unless ids are revoked too).
    async fn register_created(&self) -> Result<(), StoreError> {
        let (revocations, id, subject, created, until) = {
            let mut guard = self.guard();
            let inner = &mut *guard;
            if !inner.core.created {
                return Ok(());
            }
            let State::Present { envelope, .. } = &inner.core.state else {
                return Ok(());
            };
            let Some(id) = envelope.session_id() else {
                return Ok(());
            };
            let subject = envelope.subject().copied();
            let stamps = &envelope.stamps;
            // No renewal of it opens past its creation plus the absolute lifetime.
            let until = stamps
                .created()
                .saturating_add(inner.core.cookie.context().policy.absolute);
            let created = stamps.created_at_millis();
            let Some(checks) = inner.mode.get_mut().checks() else {
                return Ok(());
            };
            let Some(revocations) = checks.for_session(subject.is_some()) else {
                return Ok(());
            };
            (revocations, id, subject, created, until)
        };
        match revocations
            .register_session(&id, subject.as_ref(), created, until)
            .await
        {
            Ok(()) => {}
            Err(_) if revocations.outage() == Outage::Accept => {}
            // Still to do: a retry registers it.
            Err(e) => return Err(e),
        }
        self.guard().core.created = false;
        Ok(())
    }
}

/// The revocation of a session's id that its logout records, if the session has one: `revocable`
/// says whether this mode revokes it.
pub(in crate::handle) fn id_revocation<T>(state: &State<T>, revocable: bool) -> Option<Pending> {
    let envelope = match state {
        State::Present { envelope, .. } | State::Pending { envelope, .. } => envelope,
        _ => return None,
    };
    let id = envelope.session_id().filter(|_| revocable)?;
    Some(Pending::Session {
        id,
        subject: envelope.subject().copied(),
        // The last value's own end: no reader opens it later than that plus its leeway,
        // whatever its policy.
        until: envelope.stamps.expires(),
    })
}
