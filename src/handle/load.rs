//! Before a session is used: what the store must say first. A cookie that opened is not yet a
//! session when its state is in the store (server-side mode) or its revocation has not been
//! checked; [`Session::load`] asks the store, and until it has, the session reads as absent, so
//! a path that forgot to ask fails safe (no session) rather than open (a revoked session).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::mode::Sources;
use super::{Refusal, Session, State};
use super::{Revocations, ServerSideBinding, Verdict};
use crate::session::{SessionId, Subject};
use crate::store::{Record, StoreError};

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// Makes the session ready to use: opens the request's cookie and, if the session needs the
    /// store, asks it: the revocation check (with revocations) and the state (server-side
    /// mode), one round trip each. A revoked session, one the store no longer vouches for
    /// ([`Verdict::Forgotten`]), or one whose state is gone from the store or does not open, becomes no session, and the response deletes the cookie
    /// ([`refused`](Self::refused) says why). Without a store, or once done, it returns at once
    /// and opens nothing.
    ///
    /// The adapters' `Session<T>` extractors call it, so handlers never need to. A middleware
    /// that takes the session from the request itself calls it before reading: until then, a
    /// session that needs the store reads as no session.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer (and the revocations fail closed): the session
    /// stays unusable, and the request should be answered 503.
    pub(crate) async fn load(&self) -> Result<(), StoreError> {
        let question = {
            let mut guard = self.guard();
            let inner = &mut *guard;
            if !inner.mode.get().needs_store() {
                // Nothing to ask: the cookie opens when first read.
                return Ok(());
            }
            inner.load();
            let State::Pending {
                state, envelope, ..
            } = &inner.core.state
            else {
                return Ok(());
            };
            let Some(id) = envelope.session_id() else {
                // Only a session with an id is held back for the store.
                inner.core.carried();
                inner.core.state = State::Absent {
                    refused: Some(Refusal::NotStored),
                };
                return Ok(());
            };
            let subject = envelope.subject().copied();
            let created = envelope.stamps.created_at_millis();
            let Sources {
                revocations,
                backing,
            } = inner.mode.get().sources(state.is_some(), subject.is_some());
            (id, subject, created, revocations, backing)
        };
        let (id, subject, created, revocations, backing) = question;
        // The lock is not held across the store's round trips.
        let (refused, record) = ask(
            &id,
            subject.as_ref(),
            created,
            revocations,
            backing.as_deref(),
        )
        .await?;
        let mut guard = self.guard();
        let inner = &mut *guard;
        if !matches!(inner.core.state, State::Pending { .. }) {
            // Settled meanwhile by another clone of the session.
            return Ok(());
        }
        let State::Pending {
            state,
            envelope,
            renewal,
        } = std::mem::replace(&mut inner.core.state, State::Unread)
        else {
            return Ok(());
        };
        let opened = if let Some(refused) = refused {
            Err(refused)
        } else {
            match (state, record, &backing) {
                (Some(state), _, _) => Ok(state),
                (None, Some(Some(record)), Some(backing)) => {
                    let opened = backing.open::<T>(&record.value, &id);
                    if opened.is_ok() {
                        inner.mode.get_mut().read_at(id, record.version);
                    }
                    opened
                }
                _ => Err(Refusal::NotStored),
            }
        };
        match opened {
            Ok(state) => {
                inner.core.state = State::Present {
                    state,
                    envelope,
                    renewal,
                };
            }
            Err(refused) => {
                inner.core.carried();
                inner.core.state = State::Absent {
                    refused: Some(refused),
                };
            }
        }
        Ok(())
    }
}

/// What the store says of a session before it is used: why it is refused (revoked, or a store
/// that forgot it), and its record if its state is in the store and it is not refused. A
/// logged-in server-side session asks both of one store in one round trip where the store can
/// ([`Store::load_with`]).
///
/// [`Store::load_with`]: crate::store::Store::load_with
async fn ask(
    id: &SessionId,
    subject: Option<&Subject>,
    created: u64,
    revocations: Option<Revocations>,
    backing: Option<&ServerSideBinding>,
) -> Result<(Option<Refusal>, Option<Option<Record>>), StoreError> {
    let key = || ServerSideBinding::key(id);
    let (refused, record) = match (revocations, backing) {
        (Some(r), Some(b)) if Arc::ptr_eq(r.store(), &b.side.store) => {
            match r.question(id, subject, created) {
                Ok(verdict) => (refusal(verdict), None),
                Err(question) => {
                    let (record, values) = b.side.store.load_with(&key(), &question.keys).await?;
                    (refusal(r.answer(question, Ok(values))?), Some(record))
                }
            }
        }
        (revocations, _) => match &revocations {
            Some(r) => (refusal(r.check(id, subject, created).await?), None),
            None => (None, None),
        },
    };
    let record = match (backing, &refused, record) {
        (Some(_), None, Some(record)) => Some(record),
        (Some(b), None, None) => Some(b.side.store.load(&key()).await?),
        _ => None,
    };
    Ok((refused, record))
}

/// Why a verdict refuses the session, if it does.
fn refusal(verdict: Verdict) -> Option<Refusal> {
    match verdict {
        Verdict::Revoked => Some(Refusal::Revoked),
        Verdict::Forgotten => Some(Refusal::Forgotten),
        _ => None,
    }
}
