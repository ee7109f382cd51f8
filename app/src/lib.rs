//! The example app of sealed-session, in the shape a production app takes, written once for
//! axum, actix-web and plain hyper (no framework: the request driver run by hand, as an adapter
//! for any other framework would): app/examples/axum_app.rs, actix_app.rs and hyper_app.rs only
//! read the environment and serve it.
//!
//! A login form (the user's name becomes the session's subject), and for a logged-in user the
//! buttons "Log out", "Log out my other sessions", "Log out everywhere", and "Add notes" (which
//! grows a cookie session over several cookies). Every change is an HTML form posted with POST,
//! answered with a redirect. Back after a logout shows the user logged out: every page that
//! shows a session is `Cache-Control: no-store` (the driver's `cache_no_store(true)`), and a
//! logged-in page the browser restores from its back/forward cache asks the server again.
//!
//! Chosen by environment variables ([`Config::from_env`]), every one optional:
//!
//! | `SESSIONS` | store (`STORE`) | the state lives | log out | log out everywhere, others |
//! |---|---|---|---|---|
//! | `cookie` (default) | none (default) | in the cookie | deletes the cookie; a copy works until it expires | refused: nothing can end a copy |
//! | `cookie` | `redb` or `redis` | in the cookie | revokes it in the store | revocations in the store |
//! | `server` | `redb` (default) or `redis` | in the store | removes it from the store | the same store |
//!
//! - `STORE`: `none`, `redb` or `redis`. Unset: `redis` if `REDIS_URL` is set, `redb` if
//!   `REDB_PATH` is, otherwise `redb` for server-side sessions and none for cookie sessions.
//! - `REDB_PATH`: the redb file (default `sealed-session-app.redb` in the temporary directory).
//! - `REDIS_URL`: the Redis server (default `redis://127.0.0.1:6379`). The app reads it through
//!   the store's local cache (`RedisStore::cached`, 100,000 entries), which Redis keeps current:
//!   a logout on another server of the app is seen here as soon as Redis's message arrives.
//! - `KEY_RING`: a key-ring file (KEYS.md), read again every 10 seconds while the app runs. Unset:
//!   a key generated for this run, which the app says at startup (every session ends when it
//!   stops). Make one with `cargo run --features cli --bin sealed-session -- ring init
//!   ring.toml`.
//! - `PORT`: the port on 127.0.0.1 (default: any free one; the app prints its URL).
//!
//! The wiring ([`Site::start`]): keys from the watched key-ring file, a `__Host-` cookie with
//! session ids, and one store, which server-side sessions keep their state and their
//! subjects' revocations in, or which cookie sessions keep their revocations in.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod actix;
pub mod axum;
mod config;
mod error;
pub mod hyper;
mod pages;
mod site;

// The public interface is:
pub use config::{
    Config, DEFAULT_REDIS_URL, KEY_RING_RELOAD, Keys, Sessions, StoreConfig, default_redb_path,
};
pub use error::StartError;
pub use pages::{Account, HOME, LOGGED_OUT, LoginForm, NOTES_STEP, Reply};
pub use site::{COOKIE_NAME, Site};
