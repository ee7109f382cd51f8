//! The key-ring file's errors: reading and writing it, and edits it refuses.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::key::KeyId;

/// Why a key-ring file could not be read, understood or written. Every variant names the file;
/// those about its contents name the line. A [`KeyRingFile`](super::KeyRingFile) that fails to
/// reload keeps the ring it had.
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be read or written (missing, no permission, disk full). Fix the path or
    /// its permissions; on a write, the old file is left as it was.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file can be read by other users than its owner (Unix mode bits 0o077). It holds
    /// secret keys: `chmod 600` it. The crate refuses such a file rather than warn, so a leaked
    /// permission is noticed before the keys are.
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode as the operating system gives it (`st_mode`: the file type's bits too);
        /// `mode & 0o777` are the permissions. Write it in octal.
        mode: u32,
    },
    /// The path names something other than a regular file: a directory, a FIFO, a device (such
    /// as `/dev/zero`) or a socket. It is refused at once, before anything is read from it (a
    /// FIFO does not make the reader wait for a writer). Give the path of the key-ring file
    /// itself; a symbolic link to it is followed.
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead, in words: `"a directory"`, `"a FIFO"`, `"a character device"`,
        /// `"a block device"`, `"a socket"`.
        kind: &'static str,
    },
    /// The file is larger than [`MAX_FILE_LEN`](super::MAX_FILE_LEN) bytes, far more than a ring
    /// needs: it is refused without being read into memory. Check that the path names the
    /// key-ring file, and retired keys can be removed from a ring that grew that large.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The most bytes a key-ring file may have.
        max: u64,
    },
    /// The file is not valid TOML (or not UTF-8 text), or does not have the shape KEYS.md gives (an unknown field,
    /// a missing one, a value of the wrong type). Fix the file at that line.
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line (from 1) the problem starts on.
        line: usize,
        /// What is wrong, from the TOML parser.
        message: String,
    },
    /// A value in the file is well-formed TOML but not a valid ring: a secret that is not 32
    /// bytes of canonical base64 or has whitespace around it, an id that is not 8 lowercase
    /// hexadecimal digits or does not match its secret, a duplicated id, a time that is not
    /// RFC 3339, a state that is not one of the four, an active key without `activate_at`, an
    /// unsupported `format`. Fix the file at that line. The message names a key by its id,
    /// never by its secret.
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line (from 1) of the offending value.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A reload found a `max_session_lifetime` shorter than the sessions of a sealer already
    /// built on the ring (its absolute lifetime plus leeway; the ring counts every sealer built
    /// on it, even one since dropped): `ring retire`, trusting the file,
    /// could then drop a key while that sealer's cookies still need it. The ring keeps its keys
    /// and its bound. Raise `max_session_lifetime` in the file to at least `needed`, or restart
    /// the service with shorter-lived sealers.
    MaxSessionLifetimeTooShort {
        /// The file.
        path: PathBuf,
        /// The file's `max_session_lifetime`.
        max_session_lifetime: Duration,
        /// The longest session of a sealer on the ring.
        needed: Duration,
    },
    /// No key of the file can seal now: none is active, or every active key's `activate_at` is
    /// still to come. A ring needs a key to seal with; activate one (`ring promote`).
    NoSealingKey {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Permissions { path, mode } => write!(
                f,
                "{}: readable by other users (mode {:04o}); it holds secret keys: chmod 600 it",
                path.display(),
                mode & 0o777
            ),
            Self::NotAFile { path, kind } => write!(
                f,
                "{}: is {kind}, not a regular file; give the path of the key-ring file itself",
                path.display()
            ),
            Self::TooLarge { path, max } => write!(
                f,
                "{}: larger than {max} bytes, the most a key-ring file may have; check that this \
                 is the key-ring file",
                path.display()
            ),
            Self::Syntax {
                path,
                line,
                message,
            }
            | Self::Invalid {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Self::MaxSessionLifetimeTooShort {
                path,
                max_session_lifetime,
                needed,
            } => write!(
                f,
                "{}: max_session_lifetime {} is shorter than the {} a sealer on this ring keeps \
                 sessions (absolute lifetime plus leeway), so retiring a key could log users out \
                 early; raise it to at least that (the ring is unchanged)",
                path.display(),
                humantime::format_duration(*max_session_lifetime),
                humantime::format_duration(*needed),
            ),
            Self::NoSealingKey { path } => write!(
                f,
                "{}: no key can seal now (no active key whose activate_at has come)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why an edit of a [`RingDocument`](super::RingDocument) was refused. A refused edit leaves the
/// document as it was.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RingEditError {
    /// The document holds no key with this id.
    UnknownKey(KeyId),
    /// The key seals now: retiring or revoking it would leave the ring with no key to seal with.
    /// Promote another key first.
    SealsNow(KeyId),
    /// The key stopped sealing less than the longest session lifetime ago, so cookies sealed
    /// with it may still be live: retiring it now would log those users out. Wait until
    /// `live_until` (Unix seconds), or force it.
    MayHaveLiveCookies {
        /// The key.
        id: KeyId,
        /// When the last cookie it can have sealed expires.
        live_until: u64,
    },
    /// The key is retired or revoked: its secret is gone, so it cannot seal again. Add a new key.
    Ended(KeyId),
    /// A key with this id is already in the document (the same key twice, or an id collision,
    /// about 2^-32 per pair). Generate another key.
    DuplicateKeyId(KeyId),
}

impl fmt::Display for RingEditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(id) => write!(f, "no key with id {id} in the ring"),
            Self::SealsNow(id) => write!(
                f,
                "key {id} seals now; promote another key before retiring or revoking it"
            ),
            Self::MayHaveLiveCookies { id, live_until } => write!(
                f,
                "key {id} may still have live cookies until {}; wait, or force it (users with \
                 those cookies are logged out)",
                super::time::format_time(*live_until)
            ),
            Self::Ended(id) => write!(f, "key {id} is retired or revoked; add a new key instead"),
            Self::DuplicateKeyId(id) => write!(f, "the ring already holds a key with id {id}"),
        }
    }
}

impl std::error::Error for RingEditError {}

crate::error_debug::debug_as_display!(KeyFileError, RingEditError);
