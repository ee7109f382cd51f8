//! Everything a sealer or a signer knows, immutable once built: the keys, the binding (cookie
//! name and purpose), the policy, the size limit, the clock, the mode and the suite it seals with.

use std::fmt;
use std::sync::Arc;

use super::identity::{Envelope, SESSION_ID_LEN, SessionId, Subject};
use super::policy::Policy;
use crate::clock::Clock;
use crate::error::{OpenError, SealError};
use crate::format;
use crate::key::KeyRing;
use crate::nonce;
use crate::suite::{CipherSuite, Mode};

#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) keys: KeyRing,
    pub(crate) name: Box<str>,
    pub(crate) purpose: Box<str>,
    /// `varint(len(name)) || name || varint(len(purpose)) || purpose` (FORMAT.md).
    pub(crate) aad_suffix: Box<[u8]>,
    pub(crate) policy: Policy,
    pub(crate) limit: usize,
    pub(crate) clock: Arc<dyn Clock>,
    /// Which suites open: sealed or signed.
    pub(crate) mode: Mode,
    /// The suite that seals.
    pub(crate) suite: &'static dyn CipherSuite,
    /// Give new sessions a session id, and refuse values without one.
    pub(crate) session_ids: bool,
    /// FORMAT.md's vectors only: outside `cfg(test)` the field does not exist, so no build of the
    /// library can seal with a fixed nonce.
    #[cfg(test)]
    pub(crate) fixed_nonce: Option<Vec<u8>>,
}

impl Context {
    pub(crate) fn now(&self) -> u64 {
        self.clock.now_unix()
    }

    /// Fills a nonce (or a session id) with fresh random bytes.
    pub(crate) fn fill_random(&self, out: &mut [u8]) -> Result<(), SealError> {
        #[cfg(test)]
        if let Some(fixed) = &self.fixed_nonce {
            if fixed.len() == out.len() {
                out.copy_from_slice(fixed);
                return Ok(());
            }
        }
        nonce::fill(out).map_err(|_| SealError::Random)
    }

    fn fresh_session_id(&self) -> Result<Option<SessionId>, SealError> {
        if !self.session_ids {
            return Ok(None);
        }
        let mut id = [0u8; SESSION_ID_LEN];
        nonce::fill(&mut id).map_err(|_| SealError::Random)?;
        Ok(Some(SessionId::from_bytes(id)))
    }

    /// The envelope of a new session: created and issued now, a fresh session id if configured.
    pub(crate) fn new_envelope(&self, subject: Option<Subject>) -> Result<Envelope, SealError> {
        // A session of a subject is created to the millisecond (FORMAT.md, "Creation
        // millisecond"), read once so that the second and its millisecond agree.
        let (now, millis) = match subject {
            Some(_) => {
                let ms = self.clock.now_unix_millis();
                (ms / 1000, Some((ms % 1000) as u16))
            }
            None => (self.now(), None),
        };
        // `build` refused a zero absolute lifetime, so a session created now has not ended.
        let stamps = self
            .policy
            .stamps_at(now, now)
            .ok_or(SealError::Expired { expired_at: now })?;
        let stamps = match millis {
            Some(ms) => stamps.with_created_millis(ms).unwrap_or(stamps),
            None => stamps,
        };
        Ok(Envelope {
            stamps,
            session_id: self.fresh_session_id()?,
            subject,
        })
    }

    /// The envelope for renewing an existing session: its creation time, session id and subject
    /// kept, issued now. Refused if the previous value has expired (idle or absolute) under the
    /// current policy, so holding an `Opened` past its expiry cannot revive the session.
    pub(crate) fn renewed_envelope(&self, previous: &Envelope) -> Result<Envelope, SealError> {
        let now = self.now();
        if let Err(OpenError::Expired { expired_at, .. }) = self.policy.check(&previous.stamps, now)
        {
            return Err(SealError::Expired { expired_at });
        }
        // A creation time a little in the future (clock skew within the leeway) counts as now.
        let created = previous.stamps.created().min(now);
        let stamps = self
            .policy
            .stamps_at(created, now)
            .ok_or(SealError::Expired {
                expired_at: created.saturating_add(self.policy.absolute),
            })?;
        // Renewals keep the creation time, its millisecond included (at the start of the second
        // when it was moved back to now: earlier, never later, so no revocation is escaped).
        let stamps = match previous.stamps.created_millis() {
            Some(ms) if created == previous.stamps.created() => {
                stamps.with_created_millis(ms).unwrap_or(stamps)
            }
            Some(_) => stamps.with_created_millis(0).unwrap_or(stamps),
            None => stamps,
        };
        let session_id = match previous.session_id {
            Some(id) => Some(id),
            None => self.fresh_session_id()?,
        };
        Ok(Envelope {
            stamps,
            session_id,
            subject: previous.subject,
        })
    }

    /// The context that seals a server-side session's state at rest (FORMAT.md, "Server-side
    /// state"): the same keys, policy and clock, always sealed (a signed cookie's state is still
    /// encrypted in the store: AES-256-GCM), and a purpose of its own, so that a stored value
    /// never opens as a cookie nor a cookie as a stored value.
    pub(crate) fn at_rest(&self) -> Context {
        let suite = if self.suite.suite().is_sealed() {
            self.suite
        } else {
            crate::Suite::Aes256Gcm.implementation()
        };
        Context {
            mode: Mode::Sealed,
            suite,
            session_ids: true,
            ..self.with_purpose_suffix(format::AT_REST_PURPOSE_SUFFIX)
        }
    }

    /// The context of a cookie in server-side mode: this one under a purpose of its own
    /// (FORMAT.md, "Server-side sessions"), so that its values and a cookie-mode cookie's never
    /// open as each other.
    pub(crate) fn server_side_cookie(&self) -> Context {
        self.with_purpose_suffix(format::SERVER_SIDE_PURPOSE_SUFFIX)
    }

    /// This context with `suffix` appended to its purpose.
    fn with_purpose_suffix(&self, suffix: &str) -> Context {
        let purpose = format!("{}{suffix}", self.purpose);
        Context {
            aad_suffix: format::aad_suffix(&self.name, &purpose).into_boxed_slice(),
            purpose: purpose.into_boxed_str(),
            ..self.clone()
        }
    }

    /// The longest value that fits one cookie with this context's name: limit - name - `=`.
    pub(crate) fn max_value_len(&self) -> usize {
        self.limit.saturating_sub(self.name.len() + 1)
    }

    /// The size check on the final value, exactly as the browser will count it.
    pub(crate) fn check_size(&self, value: &str) -> Result<(), SealError> {
        let size = self.name.len() + 1 + value.len();
        if size > self.limit {
            return Err(SealError::TooLarge {
                size,
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// The largest payload that always fits one cookie named `cookie_name`, assuming the longest
    /// stamps the policy allows and the session id if this context writes one. A subject takes
    /// its length plus three bytes on top (its length, and the creation millisecond its
    /// sessions carry).
    pub(crate) fn max_payload_len_for(&self, cookie_name: &str) -> Option<usize> {
        let p = &self.policy;
        let max_value = self.limit.checked_sub(cookie_name.len() + 1)?;
        let max_bytes = format::max_bytes_in_base64(max_value);
        // created <= now (5 bytes until 3058), issued - created < absolute, expires - issued <= idle.
        let stamps = format::varint_len(self.now())
            + format::varint_len(p.absolute.saturating_sub(1))
            + format::varint_len(p.idle);
        let id = if self.session_ids { SESSION_ID_LEN } else { 0 };
        max_bytes.checked_sub(self.suite.envelope_len() + stamps + id)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("cookie_name", &self.name)
            .field("purpose", &self.purpose)
            .field("suite", &self.suite.suite())
            .field("session_ids", &self.session_ids)
            .field("policy", &self.policy)
            .field("size_limit", &self.limit)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}
