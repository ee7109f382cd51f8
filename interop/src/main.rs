//! Interoperability helper for the independent Python implementation in `interop/`
//! (run by `.ci/interop.sh`; see `interop/test_interop.py`).
//!
//! ```text
//! cargo run --quiet -p sealed-session-interop -- emit
//! cargo run --quiet -p sealed-session-interop -- open <mode> <key-hex> <cookie_name> <purpose> <idle> \
//!     <absolute> <now> <value> [bytes|string|user|u64]
//! cargo run --quiet -p sealed-session-interop -- open-cookies <mode> <key-hex> <cookie_name> <purpose> \
//!     <idle> <absolute> <now> <max_chunks> <cookie-header> [bytes|string|user|u64]
//! ```
//!
//! A `<purpose>` of the form `hex:<hex>` is given in hex (for one with a NUL, as a server-side
//! state at rest has: FORMAT.md, "Server-side sessions").
//!
//! `<mode>` is `sealed` (a [`Sealer`]: AES-256-GCM), `xaes` (a sealer built with
//! `extended_nonce`: XAES-256-GCM) or `signed` (a [`Signer`]: HMAC-SHA256), optionally followed by
//! `+sid` (`sealed+sid`, `xaes+sid`, `signed+sid`): the sealer or signer is then built with
//! `session_ids(true)`, so it refuses a value without a session id (`MissingSessionId`). A sealer
//! opens values of both sealed suites, so `sealed` and `xaes` open the same values; they differ
//! only in the suite they seal with.
//!
//! `emit` prints one JSON object per line: a value made by this crate (at a fixed
//! [`ManualClock`] time) together with everything needed to open it elsewhere. Its fields:
//! `kind`; `mode` (`sealed`, `xaes` or `signed`, as above); `key` and `key_id` (hex);
//! `cookie_name`; `purpose`; `idle` and `absolute` (seconds); `leeway` (seconds); `now`; the
//! stamps `created`, `issued`, `expires`; `version` (the value's version byte, a number) and
//! `suite` (`aes-256-gcm`, `xaes-256-gcm` or `hmac-sha256`), both as [`peek`] reads them;
//! `session_id` and `subject` (hex), and `created_millis` (a number), present only when the
//! value carries them (the crate writes the creation millisecond in every value with a subject;
//! some cases are made with the clock past the start of its second); `payload`, the
//! state serialized with postcard, as hex (what the value must open to). A single value comes
//! as `value`; a chunked case comes as `max_chunks` and `cookies` (`[name, value]` pairs).
//!
//! A chunked case's cookies are written by the request driver (`sealed_session::web::Driver`), as
//! a web adapter writes them: the `Set-Cookie` lines of a request without cookies whose handler
//! starts the session (`login` with a subject, else `replace`). Its stamps, session id and
//! subject are the session's at the end of that request; a second request carrying the cookies
//! back must read the same.
//!
//! `open` and `open-cookies` open a value (or a `Cookie` header) produced elsewhere, as the given
//! type (default `bytes`: a `serde_bytes::ByteBuf`), and print the state re-serialized with
//! postcard as hex, the stamps, the session id and the subject as hex, then the creation
//! millisecond (`-` for each when absent):
//!
//! ```text
//! ok <payload-hex> <created> <issued> <expires> <session-id-hex|-> <subject-hex|-> <millis|->
//! ```
//!
//! `open-cookies` reads the header through the request driver: the session of a request with this
//! `Cookie` header, read by its handler.
//!
//! A refusal prints `error: <variant>: <message>` (`error: Malformed(TooShort): ...`; `error:
//! NoCookie` when the header holds no such cookie) and exits with code 1; bad arguments exit with 2.

use std::process::ExitCode;
use std::time::Duration;

use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{Builder, Session, SessionId, Stamps};
use sealed_session::{
    Clock, CookieOptions, CookieReadError, Envelope, Key, KeyRing, ManualClock, OpenError, Opened,
    Refusal, SealError, Sealed, Sealer, SessionCookie, Signer, Subject, Suite, peek,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The struct of FORMAT.md's vector 2: `{ user_id: u64, roles: Vec<String> }`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct User {
    user_id: u64,
    roles: Vec<String>,
}

/// The fixed time of every emitted value.
const T0: u64 = 1_800_000_000;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A request with these `Cookie` header fields (none for a first request), as a web adapter
/// begins it: its session, ready for the handler.
fn begin<T: Serialize + DeserializeOwned>(driver: &Driver, fields: &[&str]) -> Res<Session<T>> {
    let fields: Vec<Vec<u8>> = fields.iter().map(|f| f.as_bytes().to_vec()).collect();
    let session = driver.begin::<T, _>(fields);
    pollster::block_on(Driver::load(&session))?;
    Ok(session)
}

/// The end of a request whose handler answered 200: the response's `Set-Cookie` lines.
fn end<T: Serialize + DeserializeOwned>(driver: &Driver, session: &Session<T>) -> Vec<String> {
    let mut response = Lines::new(200);
    pollster::block_on(driver.end(session, &mut response));
    response.header(Field::SetCookie)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex of `bytes`, or `-` for none.
fn hex_or_dash(bytes: Option<&[u8]>) -> String {
    match bytes {
        Some(bytes) => hex(bytes),
        None => "-".to_owned(),
    }
}

fn unhex(text: &str) -> Res<Vec<u8>> {
    if text.len() % 2 != 0 {
        return Err("odd hex length".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(&text[i..i + 2], 16)?))
        .collect()
}

/// A JSON string literal (the emitted strings are ASCII, but escape properly anyway).
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Which sealer or signer a side uses.
#[derive(Clone, Copy)]
enum Mode {
    /// A sealer with the default suite, AES-256-GCM (`0x01`).
    Sealed,
    /// A sealer built with `extended_nonce`: XAES-256-GCM (`0x02`).
    Xaes,
    /// A signer: HMAC-SHA256 (`0x81`).
    Signed,
}

impl Mode {
    /// `sealed`, `xaes` or `signed`, and whether `+sid` follows (require a session id).
    fn parse(text: &str) -> Res<(Mode, bool)> {
        let (name, session_ids) = match text.strip_suffix("+sid") {
            Some(name) => (name, true),
            None => (text, false),
        };
        let mode = match name {
            "sealed" => Mode::Sealed,
            "xaes" => Mode::Xaes,
            "signed" => Mode::Signed,
            other => return Err(format!("unknown mode {other:?}").into()),
        };
        Ok((mode, session_ids))
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Sealed => "sealed",
            Mode::Xaes => "xaes",
            Mode::Signed => "signed",
        }
    }

    /// The suite this mode seals with.
    fn suite(self) -> Suite {
        match self {
            Mode::Sealed => Suite::Aes256Gcm,
            Mode::Xaes => Suite::Xaes256Gcm,
            Mode::Signed => Suite::HmacSha256,
        }
    }
}

/// The cookie name, purpose and lifetimes (seconds) a value is sealed and opened under.
#[derive(Clone, Copy)]
struct Policy<'a> {
    cookie_name: &'a str,
    purpose: &'a str,
    idle: u64,
    absolute: u64,
}

impl Policy<'_> {
    /// Applies the purpose, the lifetimes, the clock and the session-id setting to a builder of
    /// either mode.
    fn configure<M>(
        &self,
        builder: Builder<M>,
        clock: &ManualClock,
        session_ids: bool,
    ) -> Builder<M> {
        builder
            .purpose(self.purpose)
            .idle_timeout(Duration::from_secs(self.idle))
            .absolute_lifetime(Duration::from_secs(self.absolute))
            .clock(clock.clone())
            .session_ids(session_ids)
    }

    /// A sealer or signer of `mode` under this policy, over a ring holding only `key`.
    fn endpoint(
        &self,
        mode: Mode,
        key: &[u8],
        clock: &ManualClock,
        session_ids: bool,
    ) -> Res<Endpoint> {
        let ring = KeyRing::new(Key::from_bytes(key)?);
        let name = self.cookie_name;
        Ok(match mode {
            Mode::Sealed => Endpoint::Sealer(
                self.configure(Sealer::builder(ring, name), clock, session_ids)
                    .build()?,
            ),
            Mode::Xaes => Endpoint::Sealer(
                self.configure(Sealer::builder(ring, name), clock, session_ids)
                    .extended_nonce(true)
                    .build()?,
            ),
            Mode::Signed => Endpoint::Signer(
                self.configure(Signer::builder(ring, name), clock, session_ids)
                    .build()?,
            ),
        })
    }
}

/// A sealer or a signer: what writes and reads the values of one mode.
enum Endpoint {
    Sealer(Sealer),
    Signer(Signer),
}

impl Endpoint {
    /// A new session holding `state`, of `subject` if one is given.
    fn seal<T: Serialize>(
        &self,
        subject: Option<&Subject>,
        state: &T,
    ) -> Result<Sealed, SealError> {
        match (self, subject) {
            (Endpoint::Sealer(s), None) => s.seal(state),
            (Endpoint::Sealer(s), Some(subject)) => s.seal_for(subject, state),
            (Endpoint::Signer(s), None) => s.sign(state),
            (Endpoint::Signer(s), Some(subject)) => s.sign_for(subject, state),
        }
    }

    /// `state` again for the session `previous` belongs to.
    fn renew<T: Serialize>(&self, state: &T, previous: &Envelope) -> Result<Sealed, SealError> {
        match self {
            Endpoint::Sealer(s) => s.renew(state, previous),
            Endpoint::Signer(s) => s.renew(state, previous),
        }
    }

    fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        match self {
            Endpoint::Sealer(s) => s.open::<T>(value),
            Endpoint::Signer(s) => s.verify::<T>(value),
        }
    }

    /// The request driver (default settings: cookie sessions, no store) of this sealer's or
    /// signer's session cookie (default attributes), over up to `max_chunks` cookies.
    fn driver(self, max_chunks: usize) -> Res<Driver> {
        let options = CookieOptions::new().max_chunks(max_chunks);
        let cookie = match self {
            Endpoint::Sealer(s) => SessionCookie::sealed(s, options)?,
            Endpoint::Signer(s) => SessionCookie::signed(s, options)?,
        };
        Ok(Driver::new(cookie))
    }

    /// Opens `value` and prints what it opened to (or the refusal).
    fn print_open<T: DeserializeOwned + Serialize>(&self, value: &str) -> Res<ExitCode> {
        match self.open::<T>(value) {
            Ok(opened) => {
                let payload = postcard::to_allocvec(&opened.state)?;
                print_ok(&payload, &Carried::from(&opened.envelope()));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                println!("error: {}", refusal(&e));
                Ok(ExitCode::from(1))
            }
        }
    }

    /// Reads the session of a request with this `Cookie` header through the request driver and
    /// prints what it opened to (or the refusal).
    fn print_open_cookies<T: DeserializeOwned + Serialize>(
        self,
        max_chunks: usize,
        header: &str,
    ) -> Res<ExitCode> {
        let driver = self.driver(max_chunks)?;
        let session = begin::<T>(&driver, &[header])?;
        // The handler reads the session: the cookie is opened now, or refused.
        let payload = session.read(|state| state.map(postcard::to_allocvec).transpose())?;
        let Some(payload) = payload else {
            return match session.refused() {
                None => {
                    println!("error: NoCookie");
                    Ok(ExitCode::from(1))
                }
                Some(Refusal::Cookie(e)) => {
                    println!("error: {}", cookie_refusal(&e));
                    Ok(ExitCode::from(1))
                }
                Some(other) => Err(format!("a refusal only a store gives: {other}").into()),
            };
        };
        let carried = Carried::of(&session).ok_or("a session without stamps")?;
        print_ok(&payload, &carried);
        Ok(ExitCode::SUCCESS)
    }
}

/// What one emitted case is made with.
#[derive(Clone, Copy)]
struct Spec<'a> {
    kind: &'a str,
    mode: Mode,
    key: &'a [u8],
    policy: Policy<'a>,
    /// The writer gives new sessions a session id (`session_ids(true)`).
    session_ids: bool,
    /// The session's subject (`seal_for`, `sign_for`, the driver's `login`), if any.
    subject: Option<&'a Subject>,
}

impl<'a> Spec<'a> {
    /// An anonymous session without a session id.
    fn new(kind: &'a str, mode: Mode, key: &'a [u8], policy: Policy<'a>) -> Self {
        Spec {
            kind,
            mode,
            key,
            policy,
            session_ids: false,
            subject: None,
        }
    }

    /// The same, from a writer that gives sessions a session id.
    fn with_session_ids(self) -> Self {
        Spec {
            session_ids: true,
            ..self
        }
    }

    /// The same, sealed for `subject`.
    fn for_subject(self, subject: &'a Subject) -> Self {
        Spec {
            subject: Some(subject),
            ..self
        }
    }

    fn endpoint(&self, clock: &ManualClock) -> Res<Endpoint> {
        self.policy
            .endpoint(self.mode, self.key, clock, self.session_ids)
    }
}

/// The stamps, session id and subject a value carries.
#[derive(PartialEq)]
struct Carried {
    stamps: Stamps,
    session_id: Option<SessionId>,
    subject: Option<Subject>,
}

impl From<&Envelope> for Carried {
    fn from(envelope: &Envelope) -> Self {
        Carried {
            stamps: *envelope.stamps(),
            session_id: envelope.session_id(),
            subject: envelope.subject().copied(),
        }
    }
}

impl Carried {
    /// Those of the session, as the response carries them: `None` without a session.
    fn of<T: Serialize + DeserializeOwned>(session: &Session<T>) -> Option<Carried> {
        Some(Carried {
            stamps: session.stamps()?,
            session_id: session.session_id(),
            subject: session.subject(),
        })
    }
}

/// One emitted value, printed as a JSON line.
struct Case<'a> {
    spec: Spec<'a>,
    now: u64,
    /// The stamps, session id and subject the value carries.
    carried: Carried,
    /// The whole value (chunks joined), whose header [`peek`] reads.
    value: String,
    /// The state serialized with postcard: what the value must open to.
    payload: Vec<u8>,
    /// `"value": ...` or `"max_chunks": ..., "cookies": ...`.
    body: String,
}

impl Case<'_> {
    fn print(&self) -> Res<()> {
        let spec = &self.spec;
        let p = &spec.policy;
        let key_id = Key::from_bytes(spec.key)?.id();
        let carried = &self.carried;
        let stamps = carried.stamps;
        // The header as an operator reads it, checked against what was sealed.
        let header = peek(&self.value)?;
        if header.suite != spec.mode.suite()
            || header.key_id != key_id
            || header.has_session_id != carried.session_id.is_some()
            || header.has_subject != carried.subject.is_some()
        {
            return Err(
                format!("{}: peek disagrees with the sealer: {header:?}", spec.kind).into(),
            );
        }
        let mut identity = String::new();
        if let Some(id) = carried.session_id {
            let id_hex = hex(id.as_bytes());
            if id.to_string() != id_hex {
                return Err(format!("a session id displays as {id}, not as {id_hex}").into());
            }
            identity += &format!("\"session_id\": {}, ", json_str(&id_hex));
        }
        if let Some(subject) = &carried.subject {
            identity += &format!("\"subject\": {}, ", json_str(&hex(subject.as_bytes())));
        }
        if let Some(ms) = stamps.created_millis() {
            identity += &format!("\"created_millis\": {ms}, ");
        }
        println!(
            "{{\"kind\": {}, \"mode\": {}, \"key\": {}, \"key_id\": {}, \"cookie_name\": {}, \
             \"purpose\": {}, \"idle\": {}, \"absolute\": {}, \"leeway\": 60, \"now\": {}, \
             \"created\": {}, \"issued\": {}, \"expires\": {}, \"version\": {}, \"suite\": {}, \
             {identity}\"payload\": {}, {}}}",
            json_str(spec.kind),
            json_str(spec.mode.name()),
            json_str(&hex(spec.key)),
            json_str(&hex(&key_id.to_bytes())),
            json_str(p.cookie_name),
            json_str(p.purpose),
            p.idle,
            p.absolute,
            self.now,
            stamps.created(),
            stamps.issued(),
            stamps.expires(),
            header.version,
            json_str(header.suite.name()),
            json_str(&hex(&self.payload)),
            self.body,
        );
        Ok(())
    }
}

/// Prints one single (unchunked) value sealed from `state` at `now`.
fn print_sealed<T: Serialize>(spec: Spec<'_>, now: u64, sealed: &Sealed, state: &T) -> Res<()> {
    Case {
        spec,
        now,
        carried: sealed.envelope().into(),
        value: sealed.value().to_owned(),
        payload: postcard::to_allocvec(state)?,
        body: format!("\"value\": {}", json_str(sealed.value())),
    }
    .print()
}

/// Seals (or signs) `state` as a new session at the clock's time and prints it.
fn emit_value<T: Serialize>(spec: Spec<'_>, clock: &ManualClock, state: &T) -> Res<()> {
    let sealed = spec.endpoint(clock)?.seal(spec.subject, state)?;
    print_sealed(spec, clock.now_unix(), &sealed, state)
}

/// Seals `state` as a new session at the clock's time, then renews it 1000 seconds later (its
/// creation time, session id and subject kept, its issue time moved on): prints the first value
/// as `spec.kind` and the renewal as `renewed_kind`.
fn emit_renewal<T: Serialize>(
    spec: Spec<'_>,
    renewed_kind: &str,
    clock: &ManualClock,
    state: &T,
) -> Res<()> {
    let endpoint = spec.endpoint(clock)?;
    let start = clock.now_unix();
    let first = endpoint.seal(spec.subject, state)?;
    print_sealed(spec, start, &first, state)?;
    clock.set(start + 1000);
    let renewed = endpoint.renew(state, first.envelope());
    clock.set(start);
    let spec = Spec {
        kind: renewed_kind,
        ..spec
    };
    print_sealed(spec, start + 1000, &renewed?, state)
}

/// Writes `state` as a new session in (chunked) cookies, up to `max_chunks` of them, through the
/// request driver, and prints them.
fn emit_chunked<T: Serialize + DeserializeOwned + Clone>(
    spec: Spec<'_>,
    clock: &ManualClock,
    max_chunks: usize,
    state: &T,
) -> Res<()> {
    let driver = spec.endpoint(clock)?.driver(max_chunks)?;
    // A first request, without cookies, whose handler starts the session.
    let session = begin::<T>(&driver, &[])?;
    match spec.subject {
        Some(subject) => session.login(subject, state.clone())?,
        None => session.replace(state.clone())?,
    }
    let set = end(&driver, &session);
    let carried = Carried::of(&session).ok_or("the handler started no session")?;
    let pairs = set_cookie_pairs(&set);
    if pairs.len() != set.len() {
        return Err("a request without cookies removed some".into());
    }
    let payload = postcard::to_allocvec(state)?;
    // The next request carries them back: the same session.
    let back = begin::<T>(&driver, &[&cookie_header(&pairs)])?;
    let read = back.read(|s| s.map(postcard::to_allocvec).transpose())?;
    if read.as_ref() != Some(&payload)
        || Carried::of(&back).as_ref() != Some(&carried)
        || carried.subject.as_ref() != spec.subject
    {
        return Err("the written cookies do not open to the session".into());
    }
    Case {
        spec,
        now: clock.now_unix(),
        carried,
        value: joined_value(&pairs),
        payload,
        body: format!(
            "\"max_chunks\": {max_chunks}, \"cookies\": {}",
            json_pairs(&pairs)
        ),
    }
    .print()
}

/// The `name=value` pairs of the `Set-Cookie` strings that carry a value (removals dropped).
fn set_cookie_pairs(set_cookies: &[String]) -> Vec<(&str, &str)> {
    set_cookies
        .iter()
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

/// The pairs as a JSON array of `[name, value]` arrays.
fn json_pairs(pairs: &[(&str, &str)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("[{}, {}]", json_str(name), json_str(value)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The `Cookie` header a browser would send back for these pairs.
fn cookie_header(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value the pairs carry: their parts joined, without the first cookie's `k.` marker.
fn joined_value(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, &(_, part)) in pairs.iter().enumerate() {
        match part.split_once('.') {
            Some((_, rest)) if i == 0 => out.push_str(rest),
            _ => out.push_str(part),
        }
    }
    out
}

fn emit() -> Res<()> {
    let key: Vec<u8> = (0x10..0x30).collect();
    let key2: Vec<u8> = (0..32u8).map(|i| 0xa5 ^ i.wrapping_mul(7)).collect();
    let clock = ManualClock::new(T0);
    let alice = "alice".to_owned();
    let user = User {
        user_id: 42,
        roles: vec!["admin".into(), "dev".into()],
    };
    let blob = ByteBuf::from((0..300u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let big = ByteBuf::from(
        (0..7000u32)
            .map(|i| (i * 31 % 256) as u8)
            .collect::<Vec<_>>(),
    );
    let user42 = Subject::new("user-42")?;
    // A subject that is not UTF-8 and holds a zero byte: it travels as bytes.
    let raw_subject = Subject::new([0x00u8, 0xff, 0x80, 0x2a])?;
    let policy = |cookie_name, purpose, idle, absolute| Policy {
        cookie_name,
        purpose,
        idle,
        absolute,
    };

    // Sealed (0x01): a String, a struct, a byte string with an empty purpose, another key.
    let p = policy("session", "session", 1800, 28800);
    let spec = Spec::new("sealed-string", Mode::Sealed, &key, p);
    emit_value(spec, &clock, &alice)?;
    let p = policy("__Host-id", "login", 600, 3600);
    let spec = Spec::new("sealed-struct", Mode::Sealed, &key, p);
    emit_value(spec, &clock, &user)?;
    let p = policy("b", "", 86400, 86400);
    let spec = Spec::new("sealed-bytes", Mode::Sealed, &key, p);
    emit_value(spec, &clock, &blob)?;
    let p = policy("k2", "session", 1800, 28800);
    let spec = Spec::new("sealed-key2", Mode::Sealed, &key2, p);
    emit_value(spec, &clock, &alice)?;

    // A renewal: created stays at T0, issued moves on (a non-zero first delta).
    let p = policy("session", "renew", 1800, 28800);
    let spec = Spec::new("sealed-renewal-first", Mode::Sealed, &key, p);
    emit_renewal(spec, "sealed-renewed", &clock, &alice)?;

    // Signed (0x81): a String and a struct.
    let p = policy("prefs", "ui", 3600, 3600);
    let spec = Spec::new("signed-string", Mode::Signed, &key, p);
    emit_value(spec, &clock, &"light")?;
    let p = policy("__Secure-u", "session", 900, 7200);
    let spec = Spec::new("signed-struct", Mode::Signed, &key, p);
    emit_value(spec, &clock, &user)?;

    // XAES-256-GCM (0x02): a String, and a struct under the other key.
    let p = policy("session", "session", 1800, 28800);
    let spec = Spec::new("xaes-string", Mode::Xaes, &key, p);
    emit_value(spec, &clock, &alice)?;
    let p = policy("__Host-x", "xaes", 600, 3600);
    let spec = Spec::new("xaes-struct", Mode::Xaes, &key2, p);
    emit_value(spec, &clock, &user)?;

    // Identity fields: a session id (0x11), a subject (0x21), both (0x32 XAES, 0xb1 signed).
    let p = policy("__Host-id", "login", 1800, 28800);
    let spec = Spec::new("sealed-session-id", Mode::Sealed, &key, p).with_session_ids();
    emit_value(spec, &clock, &alice)?;
    let spec = Spec::new("sealed-subject", Mode::Sealed, &key, p).for_subject(&user42);
    emit_value(spec, &clock, &alice)?;
    let spec = Spec::new("xaes-identity", Mode::Xaes, &key, p)
        .with_session_ids()
        .for_subject(&raw_subject);
    emit_value(spec, &clock, &user)?;
    let p = policy("prefs", "ui", 3600, 3600);
    let spec = Spec::new("signed-identity", Mode::Signed, &key, p)
        .with_session_ids()
        .for_subject(&user42);
    emit_value(spec, &clock, &"light")?;

    // A renewal keeps the session id and the subject.
    let p = policy("__Host-id", "renew", 1800, 28800);
    let spec = Spec::new("sealed-identity", Mode::Sealed, &key, p)
        .with_session_ids()
        .for_subject(&user42);
    emit_renewal(spec, "sealed-identity-renewed", &clock, &42u64)?;

    // The creation millisecond (flag 0x40): sessions begun past the start of their second. A
    // subject's values carry it (two bytes from 128, one below), a renewal keeps it, and a value
    // without a subject does not carry it.
    let p = policy("__Host-ms", "millis", 1800, 28800);
    clock.set_millis(T0 * 1000 + 250);
    let spec = Spec::new("sealed-millis", Mode::Sealed, &key, p).for_subject(&user42);
    emit_renewal(spec, "sealed-millis-renewed", &clock, &42u64)?;
    clock.set_millis(T0 * 1000 + 999);
    let spec = Spec::new("signed-millis", Mode::Signed, &key, p)
        .with_session_ids()
        .for_subject(&raw_subject);
    emit_value(spec, &clock, &"light")?;
    clock.set_millis(T0 * 1000 + 7);
    let spec = Spec::new("xaes-millis", Mode::Xaes, &key2, p).for_subject(&user42);
    emit_value(spec, &clock, &user)?;
    let spec = Spec::new("sealed-millis-anonymous", Mode::Sealed, &key, p).with_session_ids();
    emit_value(spec, &clock, &alice)?;
    clock.set(T0);

    // Chunked: a 7000-byte byte string over up to 4 cookies, sealed and signed, and with XAES
    // and both identity fields.
    let p = policy("big", "session", 1800, 28800);
    let spec = Spec::new("chunked-sealed", Mode::Sealed, &key, p);
    emit_chunked(spec, &clock, 4, &big)?;
    let p = policy("bigs", "session", 1800, 28800);
    let spec = Spec::new("chunked-signed", Mode::Signed, &key, p);
    emit_chunked(spec, &clock, 4, &big)?;
    let p = policy("bigx", "session", 1800, 28800);
    let spec = Spec::new("chunked-xaes-identity", Mode::Xaes, &key, p)
        .with_session_ids()
        .for_subject(&user42);
    emit_chunked(spec, &clock, 4, &big)?;
    Ok(())
}

/// Prints `ok <payload-hex> <created> <issued> <expires> <session-id-hex|-> <subject-hex|->
/// <millis|->` for a session that opened to `payload` (the state serialized with postcard).
fn print_ok(payload: &[u8], carried: &Carried) {
    let (stamps, session_id) = (&carried.stamps, carried.session_id);
    println!(
        "ok {} {} {} {} {} {} {}",
        hex(payload),
        stamps.created(),
        stamps.issued(),
        stamps.expires(),
        hex_or_dash(session_id.as_ref().map(|id| id.as_bytes().as_slice())),
        hex_or_dash(carried.subject.as_ref().map(Subject::as_bytes)),
        stamps
            .created_millis()
            .map_or_else(|| "-".to_owned(), |ms| ms.to_string()),
    );
}

/// Builds the reader from `<mode> <key-hex> <cookie_name> <purpose> <idle> <absolute> <now>`.
fn reader(args: &[String]) -> Res<Endpoint> {
    let [mode, key, name, purpose, idle, absolute, now] = args else {
        return Err(
            "expected <mode> <key-hex> <cookie_name> <purpose> <idle> <absolute> <now>".into(),
        );
    };
    let (mode, session_ids) = Mode::parse(mode)?;
    // `hex:` names a purpose an argument cannot carry (a NUL: a server-side state at rest).
    let purpose = match purpose.strip_prefix("hex:") {
        Some(h) => String::from_utf8(unhex(h)?)?,
        None => purpose.clone(),
    };
    let policy = Policy {
        cookie_name: name,
        purpose: &purpose,
        idle: idle.parse()?,
        absolute: absolute.parse()?,
    };
    let clock = ManualClock::new(now.parse()?);
    policy.endpoint(mode, &unhex(key)?, &clock, session_ids)
}

fn run(args: &[String]) -> Res<ExitCode> {
    match args {
        [cmd] if cmd == "emit" => emit().map(|()| ExitCode::SUCCESS),
        [cmd, rest @ ..] if cmd == "open" && (8..=9).contains(&rest.len()) => {
            let r = reader(&rest[..7])?;
            let value = &rest[7];
            match rest.get(8).map_or("bytes", String::as_str) {
                "bytes" => r.print_open::<ByteBuf>(value),
                "string" => r.print_open::<String>(value),
                "user" => r.print_open::<User>(value),
                "u64" => r.print_open::<u64>(value),
                other => Err(format!("unknown type {other:?}").into()),
            }
        }
        [cmd, rest @ ..] if cmd == "open-cookies" && (9..=10).contains(&rest.len()) => {
            let r = reader(&rest[..7])?;
            let max_chunks: usize = rest[7].parse()?;
            let header = &rest[8];
            match rest.get(9).map_or("bytes", String::as_str) {
                "bytes" => r.print_open_cookies::<ByteBuf>(max_chunks, header),
                "string" => r.print_open_cookies::<String>(max_chunks, header),
                "user" => r.print_open_cookies::<User>(max_chunks, header),
                "u64" => r.print_open_cookies::<u64>(max_chunks, header),
                other => Err(format!("unknown type {other:?}").into()),
            }
        }
        _ => Err(
            "usage: interop emit | interop open ... | interop open-cookies ... \
                  (see the doc comment of interop/src/main.rs)"
                .into(),
        ),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("interop: {e}");
            ExitCode::from(2)
        }
    }
}

/// The refusal's variant with the fields the Python tests compare (`Malformed(TooShort)`,
/// `UnknownKey(..)`, `Expired { lifetime: Idle }`), then its `Display` text. Spelled out here
/// rather than read from `Debug`, which prints the `Display` text for users of `main`.
fn refusal(e: &OpenError) -> String {
    format!("{}: {e}", open_class(e))
}

/// The variant of an [`OpenError`], with the fields the Python tests compare.
fn open_class(e: &OpenError) -> String {
    match e {
        OpenError::Oversized { len, max } => format!("Oversized {{ len: {len}, max: {max} }}"),
        OpenError::Malformed(why) => format!("Malformed({why:?})"),
        OpenError::UnsupportedVersion(v) => format!("UnsupportedVersion({v})"),
        OpenError::UnknownKey(id) => format!("UnknownKey({id:?})"),
        OpenError::Authentication => "Authentication".to_owned(),
        OpenError::Expired { lifetime, .. } => format!("Expired {{ lifetime: {lifetime:?} }}"),
        OpenError::NotYetValid { .. } => "NotYetValid".to_owned(),
        OpenError::MissingSessionId => "MissingSessionId".to_owned(),
        OpenError::Deserialize(_) => "Deserialize".to_owned(),
        _ => "Other".to_owned(),
    }
}

/// As [`refusal`], for the cookie layer's refusals.
fn cookie_refusal(e: &CookieReadError) -> String {
    let class = match e {
        CookieReadError::Open(e) => return format!("Open({}): {e}", open_class(e)),
        CookieReadError::HeaderTooLong { .. } => "HeaderTooLong",
        CookieReadError::DuplicateCookie { .. } => "DuplicateCookie",
        CookieReadError::MissingChunk { .. } => "MissingChunk",
        CookieReadError::UnexpectedChunk { .. } => "UnexpectedChunk",
        CookieReadError::MalformedChunkCount => "MalformedChunkCount",
        CookieReadError::NonCanonicalChunks => "NonCanonicalChunks",
        _ => "Other",
    };
    format!("{class}: {e}")
}
