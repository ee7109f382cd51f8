//! Why the app did not start: each error says what to do, and a `main` that returns one prints
//! that text.

use std::fmt;

use sealed_session::key_file::KeyFileError;
use sealed_session::store::StoreError;
use sealed_session::{ConfigError, KeyError};

/// Why the app did not start.
#[non_exhaustive]
pub enum StartError {
    /// An environment variable the app does not understand, or choices that contradict each
    /// other: the message names the variable and what to set.
    Env(String),
    /// The key-ring file (`KEY_RING`) could not be loaded: the message names the file and the
    /// line.
    Keys(KeyFileError),
    /// No key could be generated: the system's random generator failed.
    Key(KeyError),
    /// The store could not be opened: a redb file another process holds, or a URL that is not
    /// a Redis URL.
    Store(StoreError),
    /// The sessions' settings were refused (by the sealer, the cookie, or the adapters); with a
    /// key-ring file, its `max_session_lifetime` may be shorter than the app's sessions.
    Sessions(String),
    /// The server could not listen: the port is taken, say.
    Serve(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(message) => f.write_str(message),
            Self::Keys(e) => write!(f, "the key ring (KEY_RING) did not load: {e}"),
            Self::Key(e) => write!(f, "no key could be generated: {e}"),
            Self::Store(e) => write!(
                f,
                "the store did not open: {e} (a redb file is open in one process at a time; \
                 REDB_PATH or REDIS_URL chooses another)"
            ),
            Self::Sessions(message) => write!(f, "the sessions' settings: {message}"),
            Self::Serve(e) => write!(
                f,
                "the server could not listen: {e} (PORT chooses the port)"
            ),
        }
    }
}

/// As its `Display`: `main` returning the error prints this, and it should read as advice.
impl fmt::Debug for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for StartError {}

impl From<KeyFileError> for StartError {
    fn from(e: KeyFileError) -> Self {
        Self::Keys(e)
    }
}

impl From<KeyError> for StartError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<ConfigError> for StartError {
    fn from(e: ConfigError) -> Self {
        Self::Sessions(e.to_string())
    }
}

impl From<std::io::Error> for StartError {
    fn from(e: std::io::Error) -> Self {
        Self::Serve(e)
    }
}
