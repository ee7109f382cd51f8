//! Server-side sessions: the cookie carries only the sealed session id (and stamps); the state
//! lives in a [`Store`] under that id, sealed at rest with the cookie's own key ring and bound to
//! the id, so a leaked store reveals no state and an edited one is refused.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Refusal;
use super::{Forgotten, Revocations};
use crate::ConfigError;
use crate::cookie::SessionCookie;
use crate::error::OpenError;
use crate::error::WriteError;
use crate::session::{Context, Envelope, Opened, SESSION_ID_LEN, SessionId, push_hex};
use crate::store::{MAX_VALUE_LEN, Store};

/// The longest sealed state kept in the store by default, in characters: 64 KiB.
pub const DEFAULT_MAX_STATE_LEN: usize = 64 * 1024;

/// The length of a record's store key: `ss:st:{`, the session id in hex, `}`.
const KEY_LEN: usize = 7 + 2 * SESSION_ID_LEN + 1;

/// What a request's write does when another request of the same session wrote first (the
/// store's version moved on since this request read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflicts {
    /// Read the newer state and apply this request's changes to it again, up to `attempts`
    /// times, when every change was made with [`Session::update`](crate::Session::update) (a
    /// change that can be applied again). A request with another kind of change (a whole new
    /// state: `replace`, `modify`) is reported as with [`Report`](Self::Report). The default,
    /// with 3 attempts.
    Retry {
        /// How many times, at most, the changes are applied to a newer state.
        attempts: u32,
    },
    /// Keep the store as the other request left it, and answer this one 409 Conflict with no
    /// `Set-Cookie`: the client may retry the request.
    Report,
}

impl Default for Conflicts {
    fn default() -> Self {
        Self::Retry { attempts: 3 }
    }
}

/// Server-side sessions over a [`Store`]: give it to the request driver's
/// [`server_side`](crate::web::DriverBuilder::server_side) and the same handlers keep their state
/// in the store instead of the cookie. Cheap to clone.
///
/// The cookie holds the session id and its stamps: the same size whatever the state (93 octets
/// for `__Host-session`, and 4/3 of a logged-in subject's length more; tests/size.rs); the
/// store holds the state, sealed under the cookie's keys with a purpose of its own, bound to the
/// id, with the session's expiry. Logout removes it; [`Session::login`](crate::Session::login)
/// and [`Session::renew_identity`](crate::Session::renew_identity) move it to a new id. Every
/// write is a compare-and-set on the version the request read, so a write that comes after a
/// logout never brings the session back, and concurrent writes follow [`Conflicts`].
///
/// The web adapters run the request [`Driver`](crate::web::Driver) built with it. Without a framework, the steps of a request are the ones they take:
///
/// ```
/// use sealed_session::store::MemoryStore;
/// use sealed_session::web::{Driver, Field, Lines};
/// use sealed_session::{CookieOptions, Key, KeyRing, Sealer, ServerSide, SessionCookie, Subject};
/// # use pollster::block_on;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sealer = Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
///     .session_ids(true)
///     .build()?;
/// let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;
/// let driver = Driver::builder(cookie)
///     .server_side(ServerSide::new(MemoryStore::new()))
///     .build()?;
///
/// // A request: log in with a state far larger than a cookie.
/// let session = driver.begin::<Vec<u8>, &[u8]>([]);
/// block_on(Driver::load(&session))?;
/// session.login(&Subject::new("alice")?, vec![7; 10_000])?;
/// let mut response = Lines::new(200);
/// block_on(driver.end(&session, &mut response)); // the state written, the session registered
/// let set_cookie = response.header(Field::SetCookie);
/// let pair = set_cookie[0].split(';').next().unwrap();
/// assert!(pair.len() < 120); // only the sealed id and its stamps
///
/// // The next request carries the cookie back and finds the state in the store.
/// let session = driver.begin::<Vec<u8>, _>([pair.as_bytes().to_vec()]);
/// block_on(Driver::load(&session))?;
/// assert_eq!(session.get().map(|s| s.len()), Some(10_000));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ServerSide {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) conflicts: Conflicts,
    pub(crate) max_state_len: usize,
    pub(crate) overflow: bool,
    pub(crate) forgotten: Forgotten,
}

impl ServerSide {
    /// Sessions kept in `store`, with the defaults: conflicts retried ([`Conflicts::default`]),
    /// states up to [`DEFAULT_MAX_STATE_LEN`], every state in the store.
    pub fn new(store: impl Store) -> Self {
        Self::from_shared(Arc::new(store))
    }

    /// As [`new`](Self::new), over a store shared with other users (revocations, say).
    pub fn from_shared(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            conflicts: Conflicts::default(),
            max_state_len: DEFAULT_MAX_STATE_LEN,
            overflow: false,
            forgotten: Forgotten::Refuse,
        }
    }

    /// What a write does when another request wrote the session first.
    pub fn conflicts(mut self, conflicts: Conflicts) -> Self {
        self.conflicts = conflicts;
        self
    }

    /// The longest sealed state to keep, in characters, at most [`MAX_VALUE_LEN`] (a larger
    /// number counts as that). A larger state is a
    /// [`WriteError::StateTooLarge`] when the handler sets it.
    pub fn max_state_len(mut self, len: usize) -> Self {
        self.max_state_len = len.min(MAX_VALUE_LEN);
        self
    }

    /// Whether to keep the state in the cookie while it fits there, and move it to the store
    /// only when it does not (default false): small sessions cost no store round trip, large
    /// ones are not capped near 4 KB. A session whose state is in the cookie has the cookie
    /// mode's properties (SECURITY.md).
    pub fn overflow(mut self, on: bool) -> Self {
        self.overflow = on;
        self
    }

    /// What the check of a logged-in session's subject does when the store no longer vouches
    /// for the session (default [`Forgotten::Refuse`]; see [`Forgotten`]). A session whose
    /// state is in the store is gone anyway when the store forgets; this matters for sessions
    /// whose state is in the cookie ([`overflow`](Self::overflow)).
    pub fn on_forgotten(mut self, forgotten: Forgotten) -> Self {
        self.forgotten = forgotten;
        self
    }

    /// Binds these settings to `cookie`, whose keys seal the states at rest: what each
    /// request's session is given. [`DriverBuilder::build`](crate::web::DriverBuilder::build)
    /// does it once.
    ///
    /// # Errors
    /// [`ConfigError::ServerSideNeedsSessionIds`] if the cookie's sealer does not put session
    /// ids in its values: the state is kept under that id.
    pub(crate) fn bind(
        &self,
        cookie: &SessionCookie,
    ) -> Result<Arc<ServerSideBinding>, ConfigError> {
        let ctx = cookie.context();
        if !ctx.session_ids {
            return Err(ConfigError::ServerSideNeedsSessionIds);
        }
        Ok(Arc::new(ServerSideBinding {
            side: self.clone(),
            cookie: Arc::new(cookie.with_context(ctx.server_side_cookie())),
            at_rest: ctx.at_rest(),
            subjects: Revocations::from_shared(Arc::clone(&self.store))
                .shared_clock(Arc::clone(&ctx.clock))
                .on_forgotten(self.forgotten),
        }))
    }
}

impl std::fmt::Debug for ServerSideBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSideBinding")
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ServerSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSide")
            .field("conflicts", &self.conflicts)
            .field("max_state_len", &self.max_state_len)
            .field("overflow", &self.overflow)
            .field("forgotten", &self.forgotten)
            .finish_non_exhaustive()
    }
}

/// Where a server-side cookie says the state is (FORMAT.md, "Server-side state"): the payload
/// of the cookie's sealed value in server-side mode.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) enum Held<T> {
    /// In the store, under the cookie's session id.
    InStore,
    /// In the cookie itself (overflow mode, while it fits).
    Here(T),
}

/// [`ServerSide`] bound to one [`SessionCookie`] ([`ServerSide::bind`]): the store, the settings
/// and the sealing of states at rest under the cookie's keys. Shared by every request.
pub(crate) struct ServerSideBinding {
    pub(crate) side: ServerSide,
    /// The cookie under its server-side purpose.
    pub(crate) cookie: Arc<SessionCookie>,
    at_rest: Context,
    /// "Log out everywhere" and "log out my other sessions" of server-side sessions: the
    /// subjects' revocations, in the same store, on the cookie's clock.
    pub(crate) subjects: Revocations,
}

impl ServerSideBinding {
    /// The store key of a session's record.
    pub(crate) fn key(id: &SessionId) -> String {
        let mut key = String::with_capacity(KEY_LEN);
        key.push_str("ss:st:{");
        push_hex(&mut key, id.as_bytes());
        key.push('}');
        key
    }

    /// Seals `state` for the store, bound to the session id in `envelope`.
    pub(crate) fn seal<T: Serialize>(
        &self,
        state: &T,
        envelope: &Envelope,
    ) -> Result<String, WriteError> {
        let max = self.side.max_state_len;
        let value = crate::session::seal_value(&self.at_rest, state, envelope, max)?;
        if value.len() > max {
            return Err(WriteError::StateTooLarge {
                size: value.len(),
                max,
            });
        }
        Ok(value)
    }

    /// Opens a stored state, refusing one sealed for another session id.
    pub(crate) fn open<T: DeserializeOwned>(
        &self,
        value: &str,
        id: &SessionId,
    ) -> Result<T, Refusal> {
        let opened: Opened<T> = crate::session::open(&self.at_rest, value, self.side.max_state_len)
            .map_err(Refusal::Stored)?;
        if opened.envelope().session_id() != Some(*id) {
            // Authentic, but another session's: a record moved within the store.
            return Err(Refusal::Stored(OpenError::Authentication));
        }
        Ok(opened.into_state())
    }

    /// The expiry of a record sealed under `envelope`: the session's own end, plus the leeway
    /// its opening allows, plus the second in which a store that forgets a key at its expiry
    /// second would otherwise drop the record while the cookie still opens.
    pub(crate) fn expires_at(&self, envelope: &Envelope) -> u64 {
        let policy = &self.at_rest.policy;
        policy
            .valid_until(&envelope.stamps)
            .saturating_add(policy.leeway)
            .saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_key_is_the_session_id_in_lowercase_hex_inside_a_hash_tag() {
        let id = SessionId::from_bytes(std::array::from_fn(|i| (i as u8) * 0x11));
        let key = ServerSideBinding::key(&id);
        assert_eq!(key, "ss:st:{00112233445566778899aabbccddeeff}");
        assert_eq!(key.len(), KEY_LEN);
        assert_eq!(id.to_string(), "00112233445566778899aabbccddeeff");
    }
}
