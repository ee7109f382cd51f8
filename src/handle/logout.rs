//! Logging a user out of more than this browser: every session of the subject ("log out
//! everywhere", after a password change), or every one but the caller's ("log out my other
//! sessions", the "sign out other devices" button). Both need something that can end a copy of
//! a cookie the server never sees again: revocations (cookie mode) or the store (server-side
//! mode). Without either they are an error the handler sees, never a silent local logout.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Inner, Pending, Session, State};
use crate::session::Subject;

/// Why [`Session::logout_everywhere`] or [`Session::logout_others`] did nothing. The session is
/// left as it was: nothing was cleared or revoked.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutError {
    /// The sessions are cookie sessions without revocations: nothing can end a copy of a cookie
    /// on another device before it expires. Configure revocations on the adapter
    /// ([`Revocations`](crate::store::Revocations)) or server-side sessions
    /// ([`ServerSide`](crate::store::ServerSide)); [`Session::clear`] logs out this browser
    /// only.
    NotRevocable,
    /// The request has no session of a subject: no session, or one that was never logged in
    /// with [`Session::login`], so there is no "everywhere" to log out of. Answer as for a
    /// logged-out user.
    NoSubject,
    /// The session needs the store before it can be used, and [`Session::load`] was not
    /// called (the adapters' extractors call it): call it first.
    NotLoaded,
}

impl fmt::Display for LogoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotRevocable => {
                "cookie sessions without revocations cannot end the sessions of other devices: \
                 configure revocations or server-side sessions, or call clear() to log out this \
                 browser only"
            }
            Self::NoSubject => {
                "the request has no logged-in session (none, or one without a subject): there \
                 are no other sessions to end"
            }
            Self::NotLoaded => {
                "the session was not loaded from the store: call Session::load before logging out \
                 everywhere"
            }
        })
    }
}

impl std::error::Error for LogoutError {}

crate::error::debug_as_display!(LogoutError);

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// Logs out everywhere: as [`clear`](Self::clear), and every session of this session's
    /// subject that exists when the request's revocations are recorded (at its end, before the
    /// response goes out) ends: every browser and device of the user, this one included,
    /// sessions created earlier in the same second included. A login after that, in the same
    /// second too, is a new session that stays; so is one the handler makes after this call
    /// ([`login`](Self::login)).
    ///
    /// In cookie mode it needs revocations on the adapter; in server-side mode the store does it
    /// natively. The handler need not read the session first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use sealed_session::store::{MemoryStore, Revocations};
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie, Subject};
    /// # use sealed_session::LogoutError;
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    /// #     .session_ids(true)
    /// #     .build()?;
    /// # let cookie = Arc::new(SessionCookie::sealed(sealer, CookieOptions::new())?);
    /// let revocations = Revocations::new(MemoryStore::new());
    /// let alice = Subject::new("alice")?;
    /// // Alice logs in on her phone...
    /// let phone = Session::<u32>::new(cookie.clone(), "");
    /// phone.set_revocations(revocations.clone());
    /// phone.login(&alice, 1)?;
    /// block_on(phone.record_revocations())?; // registers the new session with the store
    /// let phone_cookie = phone.finish()?[0].split(';').next().unwrap().to_owned();
    ///
    /// // ...and on her laptop, where she presses "log out everywhere".
    /// let laptop = Session::<u32>::new(cookie.clone(), "");
    /// laptop.set_revocations(revocations.clone());
    /// laptop.login(&alice, 2)?;
    /// laptop.logout_everywhere()?;
    /// block_on(laptop.record_revocations())?; // the adapters do this before responding
    ///
    /// // The phone's next request carries its cookie: no session any more.
    /// let next = Session::<u32>::new(cookie.clone(), phone_cookie);
    /// next.set_revocations(revocations);
    /// block_on(next.load())?;
    /// assert_eq!(next.get(), None);
    ///
    /// // Without revocations a cookie session cannot do it, and says so.
    /// let plain = Session::<u32>::new(cookie, "");
    /// plain.login(&Subject::new("bob")?, 3)?;
    /// assert_eq!(plain.logout_everywhere(), Err(LogoutError::NotRevocable));
    /// assert_eq!(plain.get(), Some(3)); // nothing happened
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`LogoutError`]: nothing can revoke (cookie mode without revocations), there is no
    /// session of a subject, or the session was not loaded. The session is then left as it was.
    pub fn logout_everywhere(&self) -> Result<(), LogoutError> {
        let mut inner = self.guard();
        let subject = inner.revocable_subject()?;
        let lifetime = inner.longest_lifetime();
        inner.clear();
        inner.pending.push(Pending::Subject { subject, lifetime });
        Ok(())
    }

    /// Logs out the user's other sessions ("sign out other devices"): every session of this
    /// session's subject but this one ends when the request's revocations are recorded, sessions
    /// created earlier in the same second included. This session goes on unchanged (its
    /// creation time and absolute lifetime too); a later "log out everywhere" ends it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use sealed_session::store::{MemoryStore, ServerSide};
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie, Subject};
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    /// #     .session_ids(true)
    /// #     .build()?;
    /// # let cookie = Arc::new(SessionCookie::sealed(sealer, CookieOptions::new())?);
    /// // Server-side sessions need no revocations for it: the store does it.
    /// let sessions = ServerSide::new(MemoryStore::new()).bind(&cookie)?;
    /// let session = Session::<String>::new(cookie, "");
    /// session.set_server_side(sessions);
    /// let alice = Subject::new("alice")?;
    /// session.login(&alice, "cart: 2 items".to_owned())?;
    /// session.logout_others()?;
    /// block_on(session.record_revocations())?;
    /// block_on(session.save())?;
    /// assert_eq!(session.subject(), Some(alice)); // still logged in here
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`logout_everywhere`](Self::logout_everywhere).
    pub fn logout_others(&self) -> Result<(), LogoutError> {
        let mut inner = self.guard();
        let subject = inner.revocable_subject()?;
        let lifetime = inner.longest_lifetime();
        inner.pending.push(Pending::Subject { subject, lifetime });
        Ok(())
    }
}

impl<T: DeserializeOwned + Serialize> Inner<T> {
    /// The subject whose sessions a logout can end, or why there is none.
    fn revocable_subject(&mut self) -> Result<Subject, LogoutError> {
        if self.revocations.is_none() {
            return Err(LogoutError::NotRevocable);
        }
        self.load();
        match &self.state {
            State::Present { envelope, .. } => envelope.subject().copied(),
            State::Pending { .. } => return Err(LogoutError::NotLoaded),
            _ => None,
        }
        .ok_or(LogoutError::NoSubject)
    }

    /// How long a subject's revocation must be kept: the longest a session it covers can live.
    fn longest_lifetime(&self) -> Duration {
        Duration::from_secs(self.cookie.context().policy.absolute)
    }
}
