//! The key-ring file's contents (KEYS.md): parsed, checked, edited and written back.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use zeroize::Zeroizing;

use super::error::{KeyFileError, RingEditError};
use super::time::{format_time, parse_time};
use crate::key::{Key, KeyError, KeyId};

/// The only `format` this version reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The longest `max_session_lifetime` a file may give (KEYS.md, "Fields"): ten years of 365 days.
/// Far beyond any real session, it only catches a slip (`"10000000y"` for `"10000000s"`) that
/// would keep every retired key's cookies "live" for ever and push the times the tool computes
/// past what RFC 3339 can write.
pub const MAX_SESSION_LIFETIME_LIMIT: Duration = Duration::from_secs(3650 * 86_400);

/// What a key of the file may do (KEYS.md, "States").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// Opens values; seals from its `activate_at` on, if it has one (staged activation).
    Pending,
    /// Opens values, and seals while it is the most recently activated key.
    Active,
    /// Ended normally: opens nothing; its secret is gone from the file.
    Retired,
    /// Ended because it may be compromised: opens nothing; its secret is gone from the file.
    Revoked,
}

impl KeyState {
    fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "active" => Self::Active,
            "retired" => Self::Retired,
            "revoked" => Self::Revoked,
            _ => return None,
        })
    }

    /// Whether a key in this state opens values.
    pub fn opens(self) -> bool {
        matches!(self, Self::Pending | Self::Active)
    }
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One key of the file. `Debug` never shows the secret.
#[derive(Clone)]
pub struct KeyRecord {
    /// The key's id (derived from its secret; checked when read).
    pub id: KeyId,
    secret: Option<Key>,
    /// What the key may do.
    pub state: KeyState,
    /// When it was made (Unix seconds).
    pub created: u64,
    /// When it starts (or started) sealing (Unix seconds), if it is scheduled or active.
    pub activate_at: Option<u64>,
    /// When it was retired or revoked (Unix seconds).
    pub retire_at: Option<u64>,
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("created", &self.created)
            .field("activate_at", &self.activate_at)
            .field("retire_at", &self.retire_at)
            .finish_non_exhaustive()
    }
}

impl KeyRecord {
    /// Whether this key seals at `now`, ignoring newer keys: it opens and its time has come.
    fn may_seal_at(&self, now: u64) -> bool {
        self.state.opens() && self.activate_at.is_some_and(|at| at <= now)
    }
}

/// A key-ring file's contents: the longest session lifetime and the keys, oldest first.
///
/// The command-line tool edits the file through this type (`ring add`, `promote`, `retire`,
/// `revoke`); a program can too, then [`write`](Self::write) it back atomically.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::key_file::RingDocument;
///
/// let now = 1_900_000_000;
/// let mut doc = RingDocument::new(Duration::from_secs(8 * 3600), now)?;
/// let first = doc.primary_at(now).unwrap().id;
/// // Staged: opens everywhere at once, seals from two days on.
/// let next = doc.add(sealed_session::Key::generate()?, now, Some(now + 2 * 86_400))?;
/// assert_eq!(doc.primary_at(now).unwrap().id, first);
/// assert_eq!(doc.primary_at(now + 2 * 86_400).unwrap().id, next);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RingDocument {
    /// The longest a session can live plus the leeway: a key that stopped sealing less than
    /// this long ago may still have live cookies. A file is read only if it is more than zero
    /// and at most [`MAX_SESSION_LIFETIME_LIMIT`].
    pub max_session_lifetime: Duration,
    keys: Vec<KeyRecord>,
}

/// The file as TOML sees it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: Spanned<u32>,
    max_session_lifetime: Spanned<String>,
    #[serde(default)]
    key: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    id: Spanned<String>,
    secret: Option<Spanned<String>>,
    state: Spanned<String>,
    created: Spanned<String>,
    activate_at: Option<Spanned<String>>,
    retire_at: Option<Spanned<String>>,
}

impl Drop for RawKey {
    fn drop(&mut self) {
        if let Some(secret) = &mut self.secret {
            zeroize::Zeroize::zeroize(secret.get_mut());
        }
    }
}

/// The file as it is written.
#[derive(Serialize)]
struct OutFile<'a> {
    format: u32,
    max_session_lifetime: String,
    key: Vec<OutKey<'a>>,
}

#[derive(Serialize)]
struct OutKey<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    state: &'static str,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    activate_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retire_at: Option<String>,
}

const HEADER: &str = "# sealed-session key ring (format: KEYS.md). Holds secret keys: keep it \
                      mode 600.\n# Written by `sealed-session ring`; comments are not kept.\n\n";

impl RingDocument {
    /// A new ring with one freshly generated key, active from `now` (Unix seconds).
    ///
    /// # Errors
    /// [`KeyError::Random`](crate::KeyError::Random) if the system's random generator fails.
    pub fn new(max_session_lifetime: Duration, now: u64) -> Result<Self, crate::KeyError> {
        let key = Key::generate()?;
        Ok(Self {
            max_session_lifetime,
            keys: vec![KeyRecord {
                id: key.id(),
                secret: Some(key),
                state: KeyState::Active,
                created: now,
                activate_at: Some(now),
                retire_at: None,
            }],
        })
    }

    /// Parses a key-ring file's text; `path` only names the file in errors.
    ///
    /// # Errors
    /// [`KeyFileError::Syntax`] or [`KeyFileError::Invalid`], with the line.
    pub fn parse(text: &str, path: &Path) -> Result<Self, KeyFileError> {
        let line_of = |span: std::ops::Range<usize>| {
            text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| KeyFileError::Syntax {
            path: path.to_owned(),
            line: e.span().map_or(1, &line_of),
            message: e.message().to_owned(),
        })?;
        let invalid = |span: std::ops::Range<usize>, message: String| KeyFileError::Invalid {
            path: path.to_owned(),
            line: line_of(span),
            message,
        };
        if *raw.format.get_ref() != FORMAT_VERSION {
            return Err(invalid(
                raw.format.span(),
                format!(
                    "format {} is not supported (this version reads format {FORMAT_VERSION})",
                    raw.format.get_ref()
                ),
            ));
        }
        let max_session_lifetime = humantime::parse_duration(raw.max_session_lifetime.get_ref())
            .map_err(|e| {
                invalid(
                    raw.max_session_lifetime.span(),
                    format!("max_session_lifetime: {e} (write e.g. \"8h\" or \"1day 30min\")"),
                )
            })?;
        if max_session_lifetime.is_zero() || max_session_lifetime > MAX_SESSION_LIFETIME_LIMIT {
            return Err(invalid(
                raw.max_session_lifetime.span(),
                format!(
                    "max_session_lifetime {:?} is out of range: more than 0 and at most {} days \
                     (the longest a session lives plus the leeway, e.g. \"8h 5m\")",
                    raw.max_session_lifetime.get_ref(),
                    MAX_SESSION_LIFETIME_LIMIT.as_secs() / 86_400
                ),
            ));
        }
        let time = |value: &Spanned<String>, field: &str| {
            parse_time(value.get_ref()).ok_or_else(|| {
                invalid(
                    value.span(),
                    format!(
                        "{field}: {:?} is not an RFC 3339 UTC time like 2026-12-01T09:30:00Z",
                        value.get_ref()
                    ),
                )
            })
        };
        let mut keys: Vec<KeyRecord> = Vec::with_capacity(raw.key.len());
        // Ids seen so far: a set, so that a ring of many keys is checked in linear time.
        let mut ids = HashSet::with_capacity(raw.key.len());
        for k in &raw.key {
            let state = KeyState::parse(k.state.get_ref()).ok_or_else(|| {
                invalid(
                    k.state.span(),
                    format!(
                        "state {:?} is not one of pending, active, retired, revoked",
                        k.state.get_ref()
                    ),
                )
            })?;
            let id = parse_id(k.id.get_ref()).ok_or_else(|| {
                invalid(
                    k.id.span(),
                    format!(
                        "id {:?} is not 8 lowercase hexadecimal digits",
                        k.id.get_ref()
                    ),
                )
            })?;
            let secret = match (&k.secret, state.opens()) {
                (Some(secret), true) => {
                    let text = secret.get_ref();
                    // The messages name the key by its id and the line; never the text.
                    if text.trim() != text.as_str() {
                        return Err(invalid(
                            secret.span(),
                            format!(
                                "secret of key {id} has whitespace around it; write the base64 \
                                 text alone between the quotes"
                            ),
                        ));
                    }
                    let key = Key::from_base64_exact(text).map_err(|e| {
                        invalid(
                            secret.span(),
                            match e {
                                KeyError::InvalidBase64 => format!(
                                    "secret of key {id} is not canonical base64 (one alphabet, \
                                     standard or URL-safe; padded exactly or not at all; unused \
                                     trailing bits zero)"
                                ),
                                e => format!("secret of key {id}: {e}"),
                            },
                        )
                    })?;
                    if key.id() != id {
                        return Err(invalid(
                            k.id.span(),
                            format!(
                                "id {id} does not match its secret (whose id is {})",
                                key.id()
                            ),
                        ));
                    }
                    Some(key)
                }
                (None, true) => {
                    return Err(invalid(
                        k.state.span(),
                        format!("key {id} is {state} but has no secret"),
                    ));
                }
                // An ended key opens nothing: a secret left in the file is not used.
                (_, false) => None,
            };
            let activate_at = k
                .activate_at
                .as_ref()
                .map(|v| time(v, "activate_at"))
                .transpose()?;
            if state == KeyState::Active && activate_at.is_none() {
                return Err(invalid(
                    k.state.span(),
                    format!("key {id} is active but has no activate_at"),
                ));
            }
            if !ids.insert(id) {
                return Err(invalid(k.id.span(), format!("key id {id} appears twice")));
            }
            keys.push(KeyRecord {
                id,
                secret,
                state,
                created: time(&k.created, "created")?,
                activate_at,
                retire_at: k
                    .retire_at
                    .as_ref()
                    .map(|v| time(v, "retire_at"))
                    .transpose()?,
            });
        }
        Ok(Self {
            max_session_lifetime,
            keys,
        })
    }

    /// The file's text: TOML, secrets included (it is the file). Wiped when dropped.
    pub fn to_toml(&self) -> Zeroizing<String> {
        let secrets: Vec<Option<Zeroizing<String>>> = self
            .keys
            .iter()
            .map(|k| k.secret.as_ref().map(Key::to_base64))
            .collect();
        let out = OutFile {
            format: FORMAT_VERSION,
            max_session_lifetime: humantime::format_duration(self.max_session_lifetime).to_string(),
            key: self
                .keys
                .iter()
                .zip(&secrets)
                .map(|(k, secret)| OutKey {
                    id: k.id.to_string(),
                    secret: secret.as_ref().map(|s| s.as_str()),
                    state: k.state.name(),
                    created: format_time(k.created),
                    activate_at: k.activate_at.map(format_time),
                    retire_at: k.retire_at.map(format_time),
                })
                .collect(),
        };
        // Plain strings, integers and arrays of tables: nothing the serializer can refuse.
        let body = Zeroizing::new(toml::to_string(&out).unwrap_or_default());
        let mut text = Zeroizing::new(String::with_capacity(HEADER.len() + body.len()));
        text.push_str(HEADER);
        text.push_str(&body);
        text
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> &[KeyRecord] {
        &self.keys
    }

    /// The key that seals at `now`: of the keys that open and whose `activate_at` has come, the
    /// one activated last (the later in the file on a tie). `None` if no key can seal.
    pub fn primary_at(&self, now: u64) -> Option<&KeyRecord> {
        self.keys
            .iter()
            .filter(|k| k.may_seal_at(now))
            .max_by_key(|k| k.activate_at)
    }

    /// Until when cookies sealed with key `id` may still be live (Unix seconds): the moment
    /// another key took over from it plus the longest session lifetime. `None` if it never
    /// sealed, or if it still seals at `now` (then it has no end yet).
    pub fn live_until(&self, id: KeyId, now: u64) -> Option<u64> {
        let own = self.keys.iter().position(|k| k.id == id)?;
        let began = self.keys[own].activate_at.filter(|&at| at <= now)?;
        // The first activation that took sealing over from this key, among every key that ever
        // sealed: one in a later second, or in the same second by a key later in the file, which
        // wins the tie (`primary_at`). A key earlier in the file activated in the same second
        // lost the tie to this one and ended nothing.
        let ended = self
            .keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| Some((i, k.activate_at?)))
            .filter(|&(i, at)| at <= now && (at > began || (at == began && i > own)))
            .map(|(_, at)| at)
            .min()?;
        Some(ended.saturating_add(self.max_session_lifetime.as_secs()))
    }

    /// [`live_until`](Self::live_until) of every key, in the order of [`keys`](Self::keys), in
    /// `O(n log n)` for `n` keys rather than `O(n)` per key: for listing a large ring.
    pub fn live_until_each(&self, now: u64) -> Vec<Option<u64>> {
        // Every activation that has happened, with the key's place in the file, in the order
        // they took sealing over: by second, then by place (the later key wins a tie). A key's
        // own activation is among them, and the next one ended its sealing.
        let mut activations: Vec<(u64, usize)> = self
            .keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| Some((k.activate_at?, i)))
            .filter(|&(at, _)| at <= now)
            .collect();
        activations.sort_unstable();
        self.keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let began = key.activate_at.filter(|&at| at <= now)?;
                let own = activations.partition_point(|&a| a < (began, i));
                let (ended, _) = *activations.get(own + 1)?;
                Some(ended.saturating_add(self.max_session_lifetime.as_secs()))
            })
            .collect()
    }

    /// Adds `key` as pending: it opens at once; it seals from `activate_at` on if given, or
    /// once promoted. Returns its id.
    ///
    /// # Errors
    /// [`RingEditError::DuplicateKeyId`].
    pub fn add(
        &mut self,
        key: Key,
        now: u64,
        activate_at: Option<u64>,
    ) -> Result<KeyId, RingEditError> {
        let id = key.id();
        if self.keys.iter().any(|k| k.id == id) {
            return Err(RingEditError::DuplicateKeyId(id));
        }
        self.keys.push(KeyRecord {
            id,
            secret: Some(key),
            state: KeyState::Pending,
            created: now,
            activate_at,
            retire_at: None,
        });
        Ok(id)
    }

    /// Makes key `id` seal from `now` on (every server that has loaded the file switches at
    /// once). Add the key everywhere first; staged activation does both in one step.
    ///
    /// # Errors
    /// [`RingEditError::UnknownKey`], [`RingEditError::Ended`].
    pub fn promote(&mut self, id: KeyId, now: u64) -> Result<(), RingEditError> {
        let key = self.find_mut(id)?;
        if !key.state.opens() {
            return Err(RingEditError::Ended(id));
        }
        key.state = KeyState::Active;
        key.activate_at = Some(now);
        Ok(())
    }

    /// Retires key `id`: it opens nothing from now on and its secret leaves the file. Refused
    /// while cookies sealed with it may be live, unless `force`.
    ///
    /// # Errors
    /// [`RingEditError::UnknownKey`], [`RingEditError::SealsNow`],
    /// [`RingEditError::MayHaveLiveCookies`] (without `force`).
    pub fn retire(&mut self, id: KeyId, now: u64, force: bool) -> Result<(), RingEditError> {
        self.end(id, now, KeyState::Retired, force)
    }

    /// Revokes key `id` (it may be compromised): it opens nothing from now on, its secret leaves
    /// the file, and every cookie sealed with it is refused at once.
    ///
    /// # Errors
    /// [`RingEditError::UnknownKey`], [`RingEditError::SealsNow`] (promote another key first).
    pub fn revoke(&mut self, id: KeyId, now: u64) -> Result<(), RingEditError> {
        self.end(id, now, KeyState::Revoked, true)
    }

    fn end(
        &mut self,
        id: KeyId,
        now: u64,
        state: KeyState,
        force: bool,
    ) -> Result<(), RingEditError> {
        self.find_mut(id)?;
        if self.primary_at(now).is_some_and(|k| k.id == id) {
            return Err(RingEditError::SealsNow(id));
        }
        if !force {
            if let Some(live_until) = self.live_until(id, now).filter(|&t| t > now) {
                return Err(RingEditError::MayHaveLiveCookies { id, live_until });
            }
        }
        let key = self.find_mut(id)?;
        key.state = state;
        key.secret = None;
        key.retire_at = Some(now);
        Ok(())
    }

    fn find_mut(&mut self, id: KeyId) -> Result<&mut KeyRecord, RingEditError> {
        self.keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(RingEditError::UnknownKey(id))
    }

    /// A new ring of this document's keys, as of `now`; `path` names the file in errors. The
    /// ring carries the file's `max_session_lifetime`
    /// ([`KeyRing::max_session_lifetime`](crate::KeyRing::max_session_lifetime)): a sealer built
    /// on it must keep its sessions (absolute lifetime plus leeway) within that.
    ///
    /// # Errors
    /// [`KeyFileError::NoSealingKey`] if no key seals at `now`.
    pub fn to_ring(&self, now: u64, path: &Path) -> Result<crate::KeyRing, KeyFileError> {
        let first = self.first_sealing(now, path)?;
        let ring = crate::KeyRing::new(first.clone());
        self.install(&ring, now, path)?;
        Ok(ring)
    }

    /// The key that opened the sealing: the earliest-activated key that may seal at `now`.
    fn first_sealing(&self, now: u64, path: &Path) -> Result<&Key, KeyFileError> {
        self.keys
            .iter()
            .filter(|k| k.may_seal_at(now))
            .min_by_key(|k| k.activate_at)
            .and_then(|k| k.secret.as_ref())
            .ok_or_else(|| KeyFileError::NoSealingKey {
                path: path.to_owned(),
            })
    }

    /// Puts the keys into `ring` at once: every key that opens, with its activation time, and
    /// the file's `max_session_lifetime` as the ring's bound for sealers.
    ///
    /// # Errors
    /// [`KeyFileError::NoSealingKey`] if no key seals at `now`;
    /// [`KeyFileError::MaxSessionLifetimeTooShort`] if a sealer already built on the ring keeps
    /// sessions longer than the file allows. The ring is then unchanged.
    pub(super) fn install(
        &self,
        ring: &crate::KeyRing,
        now: u64,
        path: &Path,
    ) -> Result<(), KeyFileError> {
        // The ring's fallback primary is the earliest-activated key that may seal now; every
        // other activation, past or to come, is in its schedule, so each sealer picks the key by
        // its own clock.
        let primary = self.first_sealing(now, path)?;
        let first_id = primary.id();
        let mut scheduled = Vec::new();
        let mut others = Vec::new();
        for k in &self.keys {
            let Some(secret) = k.secret.as_ref().filter(|_| k.state.opens()) else {
                continue;
            };
            if k.id == first_id {
                continue;
            }
            match k.activate_at {
                Some(at) => scheduled.push((at, secret)),
                None => others.push(secret),
            }
        }
        ring.replace(
            primary,
            &scheduled,
            &others,
            self.max_session_lifetime.as_secs(),
        )
        .map_err(|needed| KeyFileError::MaxSessionLifetimeTooShort {
            path: path.to_owned(),
            max_session_lifetime: self.max_session_lifetime,
            needed: Duration::from_secs(needed),
        })
    }
}

/// A key id as written: exactly 8 lowercase hexadecimal digits, as the tool writes them (no
/// sign or upper case, which `u8::from_str_radix` would let through).
pub(crate) fn parse_id(text: &str) -> Option<KeyId> {
    let digits: &[u8; 8] = text.as_bytes().try_into().ok()?;
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut id = [0u8; 4];
    for (byte, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(KeyId(id))
}
