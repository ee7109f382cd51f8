//! The app's sessions, made once from a [`Config`]: the keys (a key-ring file, watched, or a key
//! made for this run), the cookie, the store, and the session layer of each framework over them.

use std::sync::Arc;
use std::time::Duration;

use sealed_session::key_file::{KeyRingFile, Watch};
use sealed_session::store::{LocalCache, RedbStore, RedisStore, Store};
use sealed_session::web::Driver;
use sealed_session::web::actix::SessionMiddleware;
use sealed_session::web::axum::SessionLayer;
use sealed_session::{CookieOptions, Key, KeyRing, Revocations, Sealer, ServerSide, SessionCookie};

use crate::config::{Config, Keys, Sessions, StoreConfig};
use crate::{Account, StartError};

/// The session cookie's name. `__Host-`: the browser keeps it only if it is `Secure`, for this
/// host alone and `Path=/`, so no subdomain can set or shadow it. Browsers keep `Secure`
/// cookies for `http://localhost`, so the app runs as it would in production.
pub const COOKIE_NAME: &str = "__Host-session";

/// A session ends after this long without a request.
const IDLE: Duration = Duration::from_secs(30 * 60);

/// A session ends this long after its login, however busy. With the default leeway, within the
/// `max_session_lifetime` the key-ring tool writes by default (8h 5m).
const ABSOLUTE: Duration = Duration::from_secs(8 * 3600);

/// The most cookies a cookie session spreads over (the notes make it grow): past that, the
/// handler is told the state does not fit.
const MAX_CHUNKS: usize = 3;

/// The app's sessions, ready for either framework: clone it into each worker. While any clone
/// lives, the key-ring file (if any) is read again every few seconds.
#[derive(Clone)]
pub struct Site {
    config: Arc<Config>,
    driver: Driver,
    layer: SessionLayer<Account>,
    middleware: SessionMiddleware<Account>,
    /// The key-ring file's reloading thread; it stops when the last clone is dropped.
    _watch: Option<Arc<Watch>>,
}

/// What the store keeps, if there is one: cookie sessions' revocations, or server-side
/// sessions (with their subjects' revocations, in the same store).
enum Backing {
    None,
    Revocations(Revocations),
    ServerSide(ServerSide),
}

impl Site {
    /// Loads the keys, opens the store and builds the sessions `config` asks for. Call it inside
    /// a tokio runtime (axum's, or actix-web's `main`): the Redis store connects on it.
    ///
    /// # Errors
    /// [`StartError`]: the key-ring file, the store or the settings were refused; the message
    /// says why and what to do.
    pub fn start(config: Config) -> Result<Self, StartError> {
        let (ring, watch) = match &config.keys {
            Keys::Generated => (KeyRing::new(Key::generate()?), None),
            Keys::File { path, reload_every } => {
                let file = KeyRingFile::open(path)?;
                let shown = path.clone();
                let watch = file.watch(*reload_every, move |e| {
                    // Each failed reload, so that whoever broke the file hears of it until it
                    // is mended; the ring keeps the keys it had.
                    eprintln!(
                        "the key ring {} was not reloaded; the app keeps its keys: {e}",
                        shown.display()
                    );
                });
                (file.ring(), Some(Arc::new(watch)))
            }
        };
        let cookie = cookie(ring)?;
        // One store, whichever mode uses it. Server-side sessions keep their subjects'
        // revocations ("log out everywhere") in the store they are kept in, so no separate
        // `Revocations` is given to them: it would only check every request a second time.
        let backing = match &config.sessions {
            Sessions::Cookie { revocations: None } => Backing::None,
            Sessions::Cookie {
                revocations: Some(store),
            } => Backing::Revocations(Revocations::from_shared(open(store)?)),
            Sessions::ServerSide(store) => {
                Backing::ServerSide(ServerSide::from_shared(open(store)?))
            }
        };
        // No HTTP cache keeps a page that shows a session, the browser's included, so Back after
        // a logout cannot show a logged-in page from it (the back/forward cache, which is no
        // HTTP cache, is the pages' own business: app/src/pages.rs).
        let driver = Driver::builder(cookie).cache_no_store(true);
        let driver = match backing {
            Backing::None => driver,
            Backing::Revocations(revocations) => driver.revocations(revocations),
            Backing::ServerSide(side) => driver.server_side(side),
        }
        .build()?;
        Ok(Self {
            layer: SessionLayer::new(driver.clone()),
            middleware: SessionMiddleware::new(driver.clone()),
            driver,
            config: Arc::new(config),
            _watch: watch,
        })
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What it runs on, for the page's footer and the startup message.
    pub fn about(&self) -> String {
        self.config.to_string()
    }

    /// The request driver of the sessions, which the axum layer and the actix-web middleware
    /// run, and the plain hyper server runs by hand.
    pub fn driver(&self) -> Driver {
        self.driver.clone()
    }

    /// The axum (tower) layer of the sessions.
    pub fn layer(&self) -> SessionLayer<Account> {
        self.layer.clone()
    }

    /// The actix-web middleware of the sessions.
    pub fn middleware(&self) -> SessionMiddleware<Account> {
        self.middleware.clone()
    }

    /// The address to listen on: loopback, the configured port (0: any free one).
    pub fn address(&self) -> (&'static str, u16) {
        ("127.0.0.1", self.config.port)
    }

    /// Prints what the app runs on and where to open it.
    pub fn announce(&self, port: u16) {
        println!("{}", self.about());
        println!("listening on http://localhost:{port}/");
    }
}

/// The entries of the Redis store's local cache: records and revocation checks of this many
/// recent sessions are read from memory, with Redis telling this server of every change made
/// elsewhere (within the cache's silence bound, 500 ms, whatever fails).
const REDIS_CACHE_ENTRIES: usize = 100_000;

/// The store `store` names.
fn open(store: &StoreConfig) -> Result<Arc<dyn Store>, StartError> {
    Ok(match store {
        StoreConfig::Redb(path) => Arc::new(RedbStore::open(path)?),
        StoreConfig::Redis(url) => {
            Arc::new(RedisStore::new(url)?.cached(LocalCache::new(REDIS_CACHE_ENTRIES))?)
        }
    })
}

/// The session cookie over `ring`: `__Host-session`, with session ids (what revocations and
/// server-side records are kept under), spread over up to 3 cookies.
fn cookie(ring: KeyRing) -> Result<SessionCookie, StartError> {
    let sealer = Sealer::builder(ring, COOKIE_NAME)
        .purpose("sealed-session example")
        .idle_timeout(IDLE)
        .absolute_lifetime(ABSOLUTE)
        .session_ids(true)
        .build()?;
    let options = CookieOptions::new().max_chunks(MAX_CHUNKS);
    Ok(SessionCookie::sealed(sealer, options)?)
}
