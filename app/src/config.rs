//! What the app runs on, read from environment variables: where sessions live, the store that
//! keeps them or their revocations, the keys, and the port. Every choice has a default, so the
//! app starts with no setup at all (cookie sessions, a key made for this run).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::StartError;

/// Where `STORE=redis` connects when `REDIS_URL` is not set.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The file `STORE=redb` keeps when `REDB_PATH` is not set: `sealed-session-app.redb` in the
/// system's temporary directory (it survives a restart of the app, if not of the machine).
pub fn default_redb_path() -> PathBuf {
    std::env::temp_dir().join("sealed-session-app.redb")
}

/// How often the key-ring file is read again: a few seconds, as KEYS.md advises, so that an
/// edit (a new key, a revoked one) reaches the app soon without a restart, for one small read.
pub const KEY_RING_RELOAD: Duration = Duration::from_secs(10);

/// The app's configuration: one value per choice, made by [`Config::from_env`] or by hand (the
/// tests do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where sessions live, and the store.
    pub sessions: Sessions,
    /// Where the keys come from.
    pub keys: Keys,
    /// The loopback port to listen on; 0 for any free one.
    pub port: u16,
}

/// Where sessions live. A mode that needs a store carries it, so that server-side sessions
/// without one cannot be configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sessions {
    /// The state sealed in the cookie. With a store, the store keeps revocations: a logout
    /// revokes the cookie, and "log out everywhere" and "log out my other sessions" work.
    /// Without one, a logout deletes the cookie in this browser only, and those two buttons
    /// are refused.
    Cookie {
        /// The store of revocations, if any.
        revocations: Option<StoreConfig>,
    },
    /// The state in the store, the cookie holding only its sealed id. The same store keeps
    /// the subjects' revocations, for "log out everywhere" and "log out my other sessions".
    ServerSide(StoreConfig),
}

/// A store, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// A redb file: one machine, no server, durable.
    Redb(PathBuf),
    /// A Redis server (7.0 or later), shared by every machine of the app.
    Redis(String),
}

/// Where the keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keys {
    /// A key made at startup and kept in memory: every session ends when the app stops.
    Generated,
    /// A key-ring file (KEYS.md), read again every `reload_every` while the app runs.
    File {
        /// The file.
        path: PathBuf,
        /// How often it is read again: [`KEY_RING_RELOAD`] when the environment chose it.
        reload_every: Duration,
    },
}

impl Config {
    /// The configuration the environment variables give (see the crate's documentation).
    ///
    /// # Errors
    /// [`StartError::Env`] for a value the app does not know, or choices that contradict
    /// each other; it says what to set instead.
    pub fn from_env() -> Result<Self, StartError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading each variable through `var` (an empty value
    /// counts as unset).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, StartError> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let server_side = match var("SESSIONS").as_deref() {
            None | Some("cookie") => false,
            Some("server") => true,
            Some(other) => return Err(unknown("SESSIONS", other, "cookie or server")),
        };
        let redb =
            || StoreConfig::Redb(var("REDB_PATH").map_or_else(default_redb_path, Into::into));
        let redis = || StoreConfig::Redis(var("REDIS_URL").unwrap_or(DEFAULT_REDIS_URL.into()));
        let store = match var("STORE").as_deref() {
            Some("none") => None,
            Some("redb") => Some(redb()),
            Some("redis") => Some(redis()),
            Some(other) => return Err(unknown("STORE", other, "none, redb or redis")),
            // The store whose address is given; for server-side sessions redb, which needs no
            // server; for cookie sessions none, the setup-free start.
            None => match (var("REDIS_URL").is_some(), var("REDB_PATH").is_some()) {
                (true, true) => {
                    return Err(StartError::Env(
                        "both REDIS_URL and REDB_PATH are set: choose with STORE=redis or \
                         STORE=redb"
                            .into(),
                    ));
                }
                (true, false) => Some(redis()),
                (false, true) => Some(redb()),
                (false, false) => server_side.then(redb),
            },
        };
        let sessions = match (server_side, store) {
            (false, revocations) => Sessions::Cookie { revocations },
            (true, Some(store)) => Sessions::ServerSide(store),
            (true, None) => {
                return Err(StartError::Env(
                    "SESSIONS=server keeps sessions in a store, and STORE=none gives none: set \
                     STORE=redb (a file, REDB_PATH) or STORE=redis (REDIS_URL), or \
                     SESSIONS=cookie"
                        .into(),
                ));
            }
        };
        let keys = match var("KEY_RING") {
            Some(path) => Keys::File {
                path: path.into(),
                reload_every: KEY_RING_RELOAD,
            },
            None => Keys::Generated,
        };
        let port = match var("PORT") {
            Some(port) => port
                .parse()
                .map_err(|_| unknown("PORT", &port, "a port number, 0 to 65535"))?,
            None => 0,
        };
        Ok(Self {
            sessions,
            keys,
            port,
        })
    }

    /// The store, if there is one.
    pub fn store(&self) -> Option<&StoreConfig> {
        match &self.sessions {
            Sessions::Cookie { revocations } => revocations.as_ref(),
            Sessions::ServerSide(store) => Some(store),
        }
    }
}

fn unknown(name: &str, value: &str, expected: &str) -> StartError {
    StartError::Env(format!(
        "{name}={value:?} is not one of the choices: {expected}"
    ))
}

/// What the app runs on, as it says at startup: one line per choice, each with what it means
/// for the user and how to choose otherwise.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sessions {
            Sessions::Cookie { revocations: None } => writeln!(
                f,
                "sessions: in the cookie, no store. Log out deletes this browser's cookie, but \
                 a copy of it works until it expires, and \"log out everywhere\" is refused: \
                 STORE=redb or STORE=redis keeps revocations."
            )?,
            Sessions::Cookie {
                revocations: Some(store),
            } => writeln!(
                f,
                "sessions: in the cookie; revocations in {store}: log out revokes the cookie, \
                 and \"log out everywhere\" ends every session of the user."
            )?,
            Sessions::ServerSide(store) => writeln!(
                f,
                "sessions: server-side in {store}, the cookie holding only their sealed id; \
                 the same store ends them all on \"log out everywhere\"."
            )?,
        }
        match &self.keys {
            Keys::Generated => write!(
                f,
                "keys: one key generated in memory for this run: every session ends when the \
                 app stops. For keys that outlive a restart and rotate without logging anyone \
                 out, make a key-ring file and start the app with KEY_RING naming it:\n  \
                 cargo run --features cli --bin sealed-session -- ring init ring.toml\n  \
                 KEY_RING=ring.toml cargo run -p sealed-session-app --example axum_app \
                 (or actix_app)"
            ),
            Keys::File { path, reload_every } => write!(
                f,
                "keys: from the key-ring file {}, read again every {} s. Stage a new key with \
                 `cargo run --features cli --bin sealed-session -- ring add {} --activate-in \
                 48h`.",
                path.display(),
                reload_every.as_secs_f64(),
                path.display()
            ),
        }
    }
}

impl fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redb(path) => write!(f, "the redb file {}", path.display()),
            Self::Redis(url) => write!(f, "Redis at {}", redacted(url)),
        }
    }
}

/// `url` without a password it may carry (`redis://user:secret@host`): it is printed at
/// startup and shown on the page.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, StartError> {
        Config::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn without_variables_sessions_are_cookies_with_no_store_and_a_generated_key() {
        let config = config(&[]).unwrap();
        assert_eq!(config.sessions, Sessions::Cookie { revocations: None });
        assert_eq!(config.keys, Keys::Generated);
        assert_eq!(config.port, 0);
    }

    #[test]
    fn server_side_sessions_alone_are_kept_in_redb_in_the_temporary_directory() {
        let config = config(&[("SESSIONS", "server")]).unwrap();
        let store = StoreConfig::Redb(default_redb_path());
        assert_eq!(config.sessions, Sessions::ServerSide(store));
    }

    #[test]
    fn a_redis_url_chooses_redis_for_either_mode() {
        let url = "redis://10.0.0.7:6379";
        let cookie = config(&[("REDIS_URL", url)]).unwrap();
        let server = config(&[("SESSIONS", "server"), ("REDIS_URL", url)]).unwrap();
        let store = StoreConfig::Redis(url.into());
        assert_eq!(
            cookie.sessions,
            Sessions::Cookie {
                revocations: Some(store.clone())
            }
        );
        assert_eq!(server.sessions, Sessions::ServerSide(store));
    }

    #[test]
    fn store_redis_alone_connects_to_the_local_default() {
        let config = config(&[("STORE", "redis")]).unwrap();
        assert_eq!(
            config.store(),
            Some(&StoreConfig::Redis(DEFAULT_REDIS_URL.into()))
        );
    }

    #[test]
    fn a_redb_path_chooses_redb_at_that_path() {
        let config = config(&[("REDB_PATH", "/var/lib/app/sessions.redb")]).unwrap();
        let store = StoreConfig::Redb("/var/lib/app/sessions.redb".into());
        assert_eq!(config.store(), Some(&store));
    }

    #[test]
    fn server_side_sessions_without_a_store_are_refused_saying_what_to_set() {
        let error = config(&[("SESSIONS", "server"), ("STORE", "none")]).unwrap_err();
        assert!(error.to_string().contains("STORE=redb"), "{error}");
    }

    #[test]
    fn two_store_addresses_without_a_choice_are_refused() {
        let error = config(&[("REDIS_URL", "redis://h"), ("REDB_PATH", "/f")]).unwrap_err();
        assert!(
            error.to_string().contains("STORE=redis or STORE=redb"),
            "{error}"
        );
        let chosen = config(&[
            ("STORE", "redb"),
            ("REDIS_URL", "redis://h"),
            ("REDB_PATH", "/f"),
        ]);
        assert_eq!(
            chosen.unwrap().store(),
            Some(&StoreConfig::Redb("/f".into()))
        );
    }

    #[test]
    fn an_unknown_value_is_refused_naming_the_choices() {
        let error = config(&[("SESSIONS", "database")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SESSIONS=\"database\" is not one of the choices: cookie or server"
        );
        assert!(config(&[("PORT", "eighty")]).is_err());
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        assert_eq!(
            config(&[("SESSIONS", ""), ("KEY_RING", "")]).unwrap(),
            config(&[]).unwrap()
        );
    }

    #[test]
    fn a_key_ring_file_is_read_again_every_few_seconds() {
        let config = config(&[("KEY_RING", "ring.toml")]).unwrap();
        assert_eq!(
            config.keys,
            Keys::File {
                path: "ring.toml".into(),
                reload_every: KEY_RING_RELOAD
            }
        );
    }

    #[test]
    fn the_startup_text_says_a_generated_key_ends_sessions_and_how_to_make_a_ring() {
        let text = config(&[]).unwrap().to_string();
        assert!(text.contains("generated in memory"), "{text}");
        assert!(
            text.contains("cargo run --features cli --bin sealed-session -- ring init ring.toml"),
            "{text}"
        );
    }

    #[test]
    fn a_redis_password_is_never_printed() {
        let store = StoreConfig::Redis("redis://app:hunter2@cache:6379/0".into());
        assert_eq!(store.to_string(), "Redis at redis://…@cache:6379/0");
    }
}
