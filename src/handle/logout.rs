//! Logging a user out of more than this browser: every session of the subject ("log out
//! everywhere", after a password change), or every one but the caller's ("log out my other
//! sessions", the "sign out other devices" button). Both need something that can end a copy of
//! a cookie the server never sees again: revocations (cookie mode) or the store (server-side
//! mode). Without either they are an error the handler sees, never a silent local logout.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::mode::Pending;
use super::{Inner, Session, State};
use crate::session::Subject;

/// Why [`Session::logout_everywhere`] or [`Session::logout_others`] did nothing. The session is
/// left as it was: nothing was cleared or revoked.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutError {
    /// The sessions are cookie sessions without revocations: nothing can end a copy of a cookie
    /// on another device before it expires. Configure revocations on the adapter
    /// ([`Revocations`](crate::Revocations)) or server-side sessions
    /// ([`ServerSide`](crate::ServerSide)); [`Session::clear`] logs out this browser
    /// only.
    NotRevocable,
    /// The request has no session of a subject: no session, or one that was never logged in
    /// with [`Session::login`], so there is no "everywhere" to log out of. Answer as for a
    /// logged-out user.
    NoSubject,
    /// The session needs the store before it can be used, and [`Driver::load`](crate::web::Driver::load) was not
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

crate::error_debug::debug_as_display!(LogoutError);

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
    /// # use sealed_session::Revocations;
    /// # use sealed_session::store::MemoryStore;
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie, Subject};
    /// # use sealed_session::LogoutError;
    /// use sealed_session::web::{Driver, Field, Lines};
    /// # use pollster::block_on;
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    /// #     .session_ids(true)
    /// #     .build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// let driver = Driver::builder(cookie.clone())
    ///     .revocations(Revocations::new(MemoryStore::new()))
    ///     .build()?;
    /// let alice = Subject::new("alice")?;
    /// // Alice logs in on her phone...
    /// let phone = driver.begin::<u32, &[u8]>([]);
    /// block_on(Driver::load(&phone))?;
    /// phone.login(&alice, 1)?;
    /// let mut response = Lines::new(200);
    /// block_on(driver.end(&phone, &mut response)); // registers the new session with the store
    /// let phone_cookie = response.header(Field::SetCookie)[0].split(';').next().unwrap().to_owned();
    ///
    /// // ...and on her laptop, where she presses "log out everywhere".
    /// let laptop = driver.begin::<u32, &[u8]>([]);
    /// block_on(Driver::load(&laptop))?;
    /// laptop.login(&alice, 2)?;
    /// laptop.logout_everywhere()?;
    /// block_on(driver.end(&laptop, &mut Lines::new(200))); // records it before responding
    ///
    /// // The phone's next request carries its cookie: no session any more.
    /// let next = driver.begin::<u32, _>([phone_cookie.into_bytes()]);
    /// block_on(Driver::load(&next))?;
    /// assert_eq!(next.get(), None);
    ///
    /// // Without revocations a cookie session cannot do it, and says so.
    /// let plain = Driver::new(cookie).begin::<u32, &[u8]>([]);
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
        inner.ask(Pending::Subject { subject, lifetime });
        Ok(())
    }

    /// Logs out the user's other sessions ("sign out other devices"): every session of this
    /// session's subject but this one ends when the request's revocations are recorded, sessions
    /// created earlier in the same second included. This session goes on unchanged (its
    /// creation time and absolute lifetime too); a later "log out everywhere" ends it.
    ///
    /// ```
    /// # use sealed_session::ServerSide;
    /// # use sealed_session::store::MemoryStore;
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie, Subject};
    /// use sealed_session::web::{Driver, Lines, Reply};
    /// # use pollster::block_on;
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    /// #     .session_ids(true)
    /// #     .build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// // Server-side sessions need no revocations for it: the store does it.
    /// let driver = Driver::builder(cookie)
    ///     .server_side(ServerSide::new(MemoryStore::new()))
    ///     .build()?;
    /// let session = driver.begin::<String, &[u8]>([]);
    /// block_on(Driver::load(&session))?;
    /// let alice = Subject::new("alice")?;
    /// session.login(&alice, "cart: 2 items".to_owned())?;
    /// session.logout_others()?;
    /// let mut response = Lines::new(200);
    /// block_on(driver.end(&session, &mut response)); // recorded, and the session written
    /// assert_eq!(response.status(), 200);
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
        inner.ask(Pending::Subject { subject, lifetime });
        Ok(())
    }
}

impl<T: DeserializeOwned + Serialize> Inner<T> {
    /// The subject whose sessions a logout can end, or why there is none.
    fn revocable_subject(&mut self) -> Result<Subject, LogoutError> {
        if self.mode.get_mut().checks().is_none() {
            return Err(LogoutError::NotRevocable);
        }
        self.load();
        match &self.core.state {
            State::Present { envelope, .. } => envelope.subject().copied(),
            State::Pending { .. } => return Err(LogoutError::NotLoaded),
            _ => None,
        }
        .ok_or(LogoutError::NoSubject)
    }

    /// How long a subject's revocation must be kept: the longest a session it covers can live.
    fn longest_lifetime(&self) -> Duration {
        Duration::from_secs(self.core.cookie.context().policy.absolute)
    }

    /// Asks the end of the request to record `revocation` (the mode keeps revocations: checked
    /// by [`revocable_subject`](Self::revocable_subject)).
    fn ask(&mut self, revocation: Pending) {
        if let Some(checks) = self.mode.get_mut().checks() {
            checks.pending.push(revocation);
        }
    }
}
