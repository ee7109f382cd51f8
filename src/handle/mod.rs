//! The session of one request, for any web framework: what a handler reads and changes, and the
//! `Set-Cookie` lines that follow from it at the end of the request. The request driver
//! (src/web/driver.rs) creates a [`Session`] from the request's `Cookie` header, hands clones of
//! it to handlers, and ends the request with what [`Session::finish`] returns; everything each
//! framework would otherwise get slightly wrong lives here once. The steps that differ between
//! cookie sessions, revocations and server-side sessions are the session's mode (mode/).
//!
//! The rules, in the order a request meets them:
//! - **Nothing is decrypted until the handler looks.** Creating a `Session` only notes which of
//!   the session's cookie names the request carried. A request whose handler never touches the
//!   session gets no `Set-Cookie` at all, whatever its cookie holds.
//! - **A bad cookie is no session.** A tampered, expired, unknown-key, truncated, duplicated or
//!   oversized cookie, or a stray chunk, reads as "no session"; [`Session::refused`] says why, and
//!   the response deletes every one of the session's cookie names the request carried, so a
//!   browser is never stuck with a cookie that locks its user out until it expires.
//! - **A change is sealed when it is made.** [`Session::replace`], [`Session::modify`],
//!   [`Session::login`] and [`Session::renew_identity`] seal at once, so a state too large for
//!   the cookies is a [`WriteError`] the handler sees (and can act on) while it still
//!   writes its response; the previous state and cookie are then left as they were.
//! - **An unchanged session is written only when its renewal is due** (sliding expiry), its key
//!   is no longer the primary or its suite changed: not on every request.
//! - **Logout deletes what the request carried.** [`Session::clear`] decrypts nothing and makes
//!   the response delete the cookie and each chunk the request sent. With revocations (a store,
//!   given by the adapter) it also revokes the session's id, and a session is checked against
//!   the store before it can be used ([`Session::load`]); every session a request creates is
//!   registered with the store at its end, so that a store that forgot its revocations vouches
//!   for none of the sessions it knew ([`Verdict::Forgotten`](crate::Verdict::Forgotten)).
//! - **Server-side sessions** (a store, given by the adapter) keep the state in the store and
//!   only the session id in the cookie: [`Session::load`] reads it, changes are written back by
//!   compare-and-set at the end of the request, and logout deletes it (mode/server.rs).
//!
//! Overlapping requests of one browser each end with their own `Set-Cookie` lines, and the
//! browser keeps the last it receives. A request that only read the session writes nothing
//! unless its renewal was due, so it cannot bring back a session that a concurrent logout
//! removed, except in the one request per renewal interval that renews it: that window is the
//! limit of a cookie session without server-side state (SECURITY.md), which revocation closes.

mod load;
mod logout;
mod mode;
mod refusal;
mod revocations;
mod server_side;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::{Carried, SessionCookie};
use crate::error::WriteError;
use crate::session::{Envelope, RenewalReason, SessionId, Stamps, Subject};

pub use logout::LogoutError;
pub(crate) use mode::SaveError;
pub(crate) use mode::Settings;
use mode::{AnyMode, Change, InCookie, Next};
pub use refusal::Refusal;
pub use revocations::{Forgotten, Outage, RECORD_MARGIN, Revocations, Verdict};
pub use server_side::{Conflicts, DEFAULT_MAX_STATE_LEN, ServerSide};
pub(crate) use server_side::{Held, ServerSideBinding};

/// The session of one request: a typed state `T`, read lazily from the request's cookies and
/// changed by handlers. The request [`Driver`](crate::web::Driver) makes it from the request and
/// turns it into the response's `Set-Cookie` lines at its end; the web adapters hand it to
/// handlers (the `Session<T>` extractor).
///
/// Clones share one session, so a middleware and the handler it wraps see the same state. It is
/// `Send` and `Sync` when `T` is `Send`.
///
/// ```
/// use sealed_session::web::{Driver, Field, Lines};
/// use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};
/// # use pollster::block_on;
///
/// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
/// let driver = Driver::new(SessionCookie::sealed(sealer, CookieOptions::new())?);
///
/// // A request without cookies; the handler stores a counter.
/// let session = driver.begin::<u32, &[u8]>([]);
/// assert_eq!(session.get(), None);
/// session.replace(1)?;
/// let mut response = Lines::new(200);
/// block_on(driver.end(&session, &mut response));
///
/// // The next request carries the cookie back; a handler that only reads writes nothing.
/// let pair = response.header(Field::SetCookie)[0].split(';').next().unwrap().to_owned();
/// let session = driver.begin::<u32, _>([pair.into_bytes()]);
/// assert_eq!(session.get(), Some(1));
/// let mut response = Lines::new(200);
/// block_on(driver.end(&session, &mut response));
/// assert!(response.header(Field::SetCookie).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Session<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

impl<T> Clone for Session<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Produces the request's `Cookie` header when it is first needed.
type HeaderSource = Box<dyn FnOnce() -> String + Send>;

/// A request's session: the steps every mode shares, and its mode.
struct Inner<T> {
    core: Core<T>,
    /// Where the state lives and what the store must say of it (src/handle/mode/).
    mode: AnyMode<T>,
}

/// What every mode keeps of a request's session.
struct Core<T> {
    cookie: Arc<SessionCookie>,
    /// The request's `Cookie` header(s), made when first needed (an untouched session never
    /// needs it) and kept for the request, in case its response must delete what it carried.
    source: Option<HeaderSource>,
    header: Option<String>,
    /// Which of the session's cookie names the request carried, found when first needed.
    carried: Option<Carried>,
    state: State<T>,
    /// The `Set-Cookie` lines of the last change, sealed when it was made.
    written: Option<Vec<String>>,
    /// Logout: delete what the request carried.
    cleared: bool,
    /// Whether the request created the session it ends with (a new envelope: a login, a first
    /// state, a new identity), which the end of the request registers with the revocations of
    /// the modes that keep them, so that the store vouches for it
    /// ([`Revocations::register_session`]). Renewals keep the envelope's identity and register
    /// nothing.
    created: bool,
}

enum State<T> {
    /// Not looked at: nothing decrypted yet.
    Unread,
    /// No session: no cookie, or one that did not open (`refused` says why).
    Absent { refused: Option<Refusal> },
    /// The cookie opened, but the session needs the store before it can be used: its state is
    /// there (`state` is `None`: server-side mode), or its revocation is not checked yet.
    /// [`Session::load`] settles it; until then it reads as no session.
    Pending {
        state: Option<T>,
        envelope: Envelope,
        renewal: Option<RenewalReason>,
    },
    /// A session, opened from the cookie or set in this request.
    Present {
        state: T,
        envelope: Envelope,
        renewal: Option<RenewalReason>,
    },
}

impl<T> Session<T>
where
    T: Serialize + DeserializeOwned,
{
    /// The session of a request, with its `Cookie` header (every field joined with `"; "`) made
    /// by `header` only if the session is used: a request whose handler never touches the
    /// session does not even read its `Cookie` fields. [`Driver::begin`](crate::web::Driver::begin)
    /// hands over the fields (shared buffers) and joins them here, and the mode its `settings`
    /// choose (which, in server-side mode, also choose the cookie).
    pub(crate) fn lazy(
        cookie: &Arc<SessionCookie>,
        header: impl FnOnce() -> String + Send + 'static,
        settings: &Settings,
    ) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                core: Core {
                    cookie: Arc::clone(settings.cookie(cookie)),
                    source: Some(Box::new(header)),
                    header: None,
                    carried: None,
                    state: State::Unread,
                    written: None,
                    cleared: false,
                    created: false,
                },
                mode: settings.begin(),
            })),
        }
    }

    /// The session, as it stands. A handler that panicked while holding the lock left the state
    /// as whole values (every change is a whole-value swap), so the guard is still good.
    fn guard(&self) -> MutexGuard<'_, Inner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session, its cookie opened if this is the first access.
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        let mut inner = self.guard();
        inner.load();
        inner
    }

    /// Reads the state through `f`: `None` when there is no session. Opens the cookie on the
    /// first access of the request.
    ///
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie};
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// # struct Query { item: String }
    /// # let query = Query { item: "pen".into() };
    /// # let session = sealed_session::web::Driver::new(cookie).begin::<Vec<String>, &[u8]>([]);
    /// session.replace(vec!["book".into(), "pen".into()])?;
    ///
    /// // A handler asks whether the cart holds the item its query names.
    /// let wanted = query.item;
    /// // `f` runs once, before `read` returns: it borrows `wanted`, with no `move` and no clone.
    /// let in_cart = session.read(|cart| cart.is_some_and(|cart| cart.contains(&wanted)));
    /// assert!(in_cart);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let inner = self.lock();
        match &inner.core.state {
            State::Present { state, .. } => f(Some(state)),
            _ => f(None),
        }
    }

    /// A copy of the state, `None` when there is no session.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.read(|s| s.cloned())
    }

    /// Sets the state, keeping the session's identity (its session id, subject and creation
    /// time), or starting a new session if there was none.
    ///
    /// # Errors
    /// [`WriteError`] if the state does not fit the cookies (or cannot be serialized): the
    /// session and the response are then left as they were.
    pub fn replace(&self, state: T) -> Result<(), WriteError> {
        let mut inner = self.lock();
        let (envelope, created) = match &inner.core.state {
            State::Present { envelope, .. } => (
                inner.core.cookie.context().renewed_envelope(envelope)?,
                false,
            ),
            _ => (inner.core.cookie.context().new_envelope(None)?, true),
        };
        inner.commit(state, envelope, Change::Whole)?;
        inner.core.created |= created;
        Ok(())
    }

    /// Changes the state in place through `f` (on a copy, committed only once it is sealed);
    /// `None`, and no change, when there is no session.
    ///
    /// In server-side mode the result is a whole new state, computed from what this request read:
    /// if another request of the session wrote first, it is reported as a conflict, never
    /// applied to the newer state ([`update`](Self::update) is).
    ///
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, Sealer, Session, SessionCookie};
    /// # let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session").build()?;
    /// # let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// # struct AddItem { item: String }
    /// # let form = AddItem { item: "pen".into() };
    /// # let session = sealed_session::web::Driver::new(cookie).begin::<Vec<String>, &[u8]>([]);
    /// session.replace(vec!["book".into()])?;
    ///
    /// // A handler adds the item its form names, and answers with the cart's size.
    /// let item = form.item;
    /// // `f` runs once, before `modify` returns: it may take `item` itself, with no `move` and
    /// // no clone.
    /// let count = session.modify(|cart| {
    ///     cart.push(item);
    ///     cart.len()
    /// })?;
    /// assert_eq!(count, Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`replace`](Self::replace).
    pub fn modify<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<Option<R>, WriteError>
    where
        T: Clone,
    {
        self.change(f, |_| Change::Whole)
    }

    /// Changes the state through `f`, as [`modify`](Self::modify), with a change that can be
    /// applied again to a newer state: in server-side mode, when another request of the session
    /// wrote first, `f` is applied to what it wrote (by default; see
    /// [`Conflicts`](crate::Conflicts)), so neither request's change is lost. Returns
    /// whether there was a session to change. In cookie mode the same as `modify`.
    ///
    /// `f` is kept with the session and may run again after the handler has returned: the
    /// request's end ([`Driver::end`](crate::web::Driver::end)) applies it once more to the newer state on each
    /// compare-and-set retry. Hence its bounds: `'static`, as it outlives the handler's
    /// borrows, so it owns what it captures (a `move` closure); `Fn`, as it runs more than once,
    /// so it leaves what it captured in place (a clone of each value it puts in the state);
    /// `Send + Sync`, as it travels inside the session, which handlers share across threads.
    /// Without `move`, the closure below fails with E0373 ("closure may outlive the current
    /// function"); pushing `item` itself instead of a clone fails with E0507 ("cannot move out
    /// of `item`, a captured variable in an `Fn` closure").
    ///
    /// ```
    /// use sealed_session::{
    ///     CookieOptions, Key, KeyRing, Sealer, ServerSide, Session, SessionCookie, WriteError,
    /// };
    /// use sealed_session::store::MemoryStore;
    /// use sealed_session::web::{Driver, Field, Lines};
    /// # use pollster::block_on;
    ///
    /// /// A form that adds an item to the cart.
    /// struct AddItem {
    ///     item: String,
    /// }
    ///
    /// /// The handler.
    /// fn add_to_cart(
    ///     session: &Session<Vec<String>>,
    ///     form: AddItem,
    /// ) -> Result<bool, WriteError> {
    ///     let item = form.item;
    ///     // `move`: the closure outlives this handler (a retry runs it later), so it owns
    ///     // `item`; `clone`: each run puts a copy in the cart and keeps `item` for the next.
    ///     session.update(move |cart| cart.push(item.clone()))
    /// }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
    ///     .session_ids(true)
    ///     .build()?;
    /// let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
    /// let driver = Driver::builder(cookie)
    ///     .server_side(ServerSide::new(MemoryStore::new()))
    ///     .build()?;
    /// // The session of a request with this `Cookie` header, and the end of the request, as the
    /// // adapters run them.
    /// let request = |header: &str| -> Result<Session<Vec<String>>, Box<dyn std::error::Error>> {
    ///     let session = driver.begin::<Vec<String>, _>([header.as_bytes().to_vec()]);
    ///     block_on(Driver::load(&session))?;
    ///     Ok(session)
    /// };
    /// let respond = |session: &Session<Vec<String>>| {
    ///     let mut response = Lines::new(200);
    ///     block_on(driver.end(session, &mut response));
    ///     response
    /// };
    ///
    /// // A first request starts an empty cart.
    /// let first = request("")?;
    /// first.replace(Vec::new())?;
    /// let set_cookie = respond(&first).header(Field::SetCookie);
    /// let header = set_cookie[0].split(';').next().unwrap();
    ///
    /// // Two requests overlap: each reads the empty cart and adds an item.
    /// let (a, b) = (request(header)?, request(header)?);
    /// add_to_cart(&a, AddItem { item: "book".into() })?;
    /// add_to_cart(&b, AddItem { item: "pen".into() })?;
    /// respond(&a);
    /// // `b`'s compare-and-set finds `a`'s write: its closure runs again, on `a`'s cart.
    /// respond(&b);
    ///
    /// let cart = request(header)?.get();
    /// assert_eq!(cart, Some(vec!["book".to_owned(), "pen".to_owned()]));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`replace`](Self::replace).
    pub fn update(&self, f: impl Fn(&mut T) + Send + Sync + 'static) -> Result<bool, WriteError>
    where
        T: Clone,
    {
        let f = Arc::new(f);
        let again = Arc::clone(&f);
        let changed = self.change(
            |s| f(s),
            // Only a stored session may need the change again.
            |stored| {
                if stored {
                    Change::Replayable(again)
                } else {
                    Change::Whole
                }
            },
        )?;
        Ok(changed.is_some())
    }

    /// Applies `f` to a copy of the state and commits it as the change `how` says (given whether
    /// the session is kept in a store); `None` without a session.
    fn change<R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
        how: impl FnOnce(bool) -> Change<T>,
    ) -> Result<Option<R>, WriteError>
    where
        T: Clone,
    {
        let mut inner = self.lock();
        let Some((state, envelope)) = inner.core.present() else {
            return Ok(None);
        };
        let mut next = state.clone();
        let out = f(&mut next);
        let envelope = inner.core.cookie.context().renewed_envelope(envelope)?;
        let change = how(inner.mode.get().stores_state());
        inner.commit(next, envelope, change)?;
        Ok(Some(out))
    }

    /// Logs `subject` in: a new session (a fresh session id and creation time, against session
    /// fixation) holding `state`, whatever the request carried.
    ///
    /// # Errors
    /// As [`replace`](Self::replace).
    pub fn login(&self, subject: &Subject, state: T) -> Result<(), WriteError> {
        let mut inner = self.lock();
        let envelope = inner.core.cookie.context().new_envelope(Some(*subject))?;
        inner.commit(state, envelope, Change::Whole)?;
        inner.core.created = true;
        Ok(())
    }

    /// Keeps the state and subject but gives the session a new identity: a fresh session id and
    /// creation time (after a privilege change, against fixation). Nothing happens without a
    /// session.
    ///
    /// # Errors
    /// As [`replace`](Self::replace).
    pub fn renew_identity(&self) -> Result<(), WriteError>
    where
        T: Clone,
    {
        let mut inner = self.lock();
        let Some((state, envelope)) = inner.core.present() else {
            return Ok(());
        };
        let (state, subject) = (state.clone(), envelope.subject);
        let envelope = inner.core.cookie.context().new_envelope(subject)?;
        inner.commit(state, envelope, Change::Whole)?;
        inner.core.created = true;
        Ok(())
    }

    /// Logs out: no session from now on, and the response deletes the cookie and every chunk
    /// the request carried. Deleting the cookie does not revoke copies of it (SECURITY.md)
    /// unless the adapter has revocations: then the session's id is revoked too, before the
    /// response goes out, and a copy of the cookie is refused from then on. In server-side mode
    /// the session's record is removed: a copy of the cookie finds nothing.
    ///
    /// To end the user's other sessions too, see [`logout_everywhere`](Self::logout_everywhere)
    /// and [`logout_others`](Self::logout_others).
    pub fn clear(&self) {
        self.guard().clear();
    }

    /// The session id, if the session has one.
    pub fn session_id(&self) -> Option<SessionId> {
        let inner = self.lock();
        inner
            .core
            .present()
            .and_then(|(_, envelope)| envelope.session_id())
    }

    /// The subject the session belongs to, if any.
    pub fn subject(&self) -> Option<Subject> {
        let inner = self.lock();
        inner
            .core
            .present()
            .and_then(|(_, envelope)| envelope.subject().copied())
    }

    /// The session's time stamps, as the response carries them: when it was created (the login,
    /// to the millisecond if the value says), when its value was last issued, and when it
    /// expires unless renewed. `None` without a session. A change made in this request shows
    /// its new value's stamps (issued now).
    pub fn stamps(&self) -> Option<Stamps> {
        let inner = self.lock();
        inner.core.present().map(|(_, envelope)| envelope.stamps)
    }

    /// Whether the request never used the session: nothing read, changed, cleared or left to
    /// record. Its end then has nothing to write and nothing to ask a store.
    pub(crate) fn is_untouched(&self) -> bool {
        let inner = self.guard();
        matches!(inner.core.state, State::Unread)
            && !inner.core.cleared
            && !inner.core.created
            && inner.mode.get().idle()
    }

    /// Why the request's cookie gave no session, if it carried one that did not open or that
    /// the store refused: for a handler that tells "logged out" from "your session expired", and
    /// for the log (the driver logs it at the end of the request). `None` when the cookie opened
    /// and when the request carried none. Reads the session if nothing has yet, as
    /// [`read`](Self::read) does.
    pub fn refused(&self) -> Option<Refusal> {
        self.read(|_| ());
        self.refusal()
    }

    /// As [`refused`](Self::refused), without reading: `None` also when nothing read the
    /// session, so that the end of a request that only logged out decrypts nothing.
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        let inner = self.guard();
        match &inner.core.state {
            State::Absent { refused } => refused.clone(),
            _ => None,
        }
    }

    /// The `Set-Cookie` header values the response must carry, in order: none when the session
    /// was not read, or was read and neither changed nor due for renewal.
    ///
    /// # Errors
    /// [`WriteError`] only if a renewal due at the end of the request cannot be sealed
    /// (the session expired during the request, or its stamps grew past the size limit). The
    /// response should then leave the cookie as it was.
    pub(crate) fn finish(&self) -> Result<Vec<String>, WriteError> {
        let mut inner = self.guard();
        if matches!(inner.core.state, State::Unread) && !inner.core.cleared {
            // Never touched: nothing to write, and nothing read.
            return Ok(Vec::new());
        }
        if let Some(lines) = &inner.core.written {
            return Ok(lines.clone());
        }
        if inner.core.cleared {
            // The cookie itself, even if this request did not carry it (it may have been sent
            // only to another path), and every chunk it did carry.
            let carried = inner.core.carried();
            return Ok(inner.core.cookie.removals(carried.with(0)));
        }
        // Only a refused cookie or a due renewal writes: only then are the carried names needed.
        let refused = matches!(inner.core.state, State::Absent { refused: Some(_) });
        let due = matches!(
            inner.core.state,
            State::Present {
                renewal: Some(_),
                ..
            }
        );
        if !refused && !due {
            return Ok(Vec::new());
        }
        let carried = inner.core.carried();
        match &inner.core.state {
            State::Present {
                state, envelope, ..
            } => {
                let envelope = &inner.core.cookie.context().renewed_envelope(envelope)?;
                let renewal = InCookie {
                    state,
                    envelope,
                    carried,
                };
                inner.mode.get().renew(&inner.core.cookie, renewal)
            }
            _ => Ok(inner.core.cookie.removals(carried)),
        }
    }
}

impl<T: DeserializeOwned + Serialize> Inner<T> {
    /// [`Session::clear`].
    fn clear(&mut self) {
        if self.mode.get().logout_opens() {
            // Open the cookie to learn what to revoke or remove.
            self.load();
        }
        // Otherwise a logout needs no decryption of the old cookie, only the names it came
        // under.
        self.mode.get_mut().logout(&self.core.state);
        let core = &mut self.core;
        core.carried();
        core.state = State::Absent { refused: None };
        core.written = None;
        core.cleared = true;
    }

    /// Opens the cookie on first access, noting which of the session's names the request
    /// carried from the same scan of the header.
    fn load(&mut self) {
        let core = &mut self.core;
        if !matches!(core.state, State::Unread) {
            return;
        }
        core.resolve_header();
        let header = core.header.as_deref().unwrap_or("");
        let (state, carried) = self.mode.get().open(&core.cookie, header);
        // The scan that found the cookie also tells which names to delete or replace.
        if carried.is_some() {
            core.carried = carried;
        }
        core.state = state;
    }

    /// Seals `state` under `envelope` and, only if that succeeds, makes it the session: in the
    /// cookie, or noted for the store, as the mode says.
    fn commit(&mut self, state: T, envelope: Envelope, how: Change<T>) -> Result<(), WriteError> {
        let next = Next {
            state,
            envelope,
            how,
        };
        self.mode.get_mut().commit(&mut self.core, next)
    }
}

impl<T> Core<T> {
    /// The session's state and envelope, if there is a session.
    fn present(&self) -> Option<(&T, &Envelope)> {
        match &self.state {
            State::Present {
                state, envelope, ..
            } => Some((state, envelope)),
            _ => None,
        }
    }

    /// Makes the request's `Cookie` header now if it was not yet.
    fn resolve_header(&mut self) {
        if let Some(source) = self.source.take() {
            self.header = Some(source());
        }
    }

    /// Which of the session's cookie names the request carried (scanned once).
    fn carried(&mut self) -> Carried {
        if let Some(carried) = self.carried {
            return carried;
        }
        self.resolve_header();
        let carried = self.cookie.carried(self.header.as_deref().unwrap_or(""));
        self.carried = Some(carried);
        carried
    }

    /// Makes `state` the session, its cookie lines `lines`.
    fn set_written(&mut self, state: T, envelope: Envelope, lines: Vec<String>) {
        self.state = State::Present {
            state,
            envelope,
            renewal: None,
        };
        self.written = Some(lines);
        self.cleared = false;
    }
}

impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither the state nor the header: both may hold secrets.
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// Joins the values of a request's `Cookie` header fields into one header, as HTTP/2 clients
/// send them split (RFC 9113 section 8.2.3): `"; "` between them, so that the duplicate-cookie
/// rule applies across all of them.
pub(crate) fn join_cookie_headers<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for field in fields {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(field);
    }
    out
}
