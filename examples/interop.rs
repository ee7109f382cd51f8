//! Interoperability helper for the independent Python implementation in `interop/`
//! (run by `.ci/interop.sh`; see `interop/test_interop.py`).
//!
//! ```text
//! cargo run --quiet --example interop -- emit
//! cargo run --quiet --example interop -- open <sealed|signed> <key-hex> <cookie_name> <purpose> \
//!     <idle> <absolute> <now> <value> [bytes|string|user]
//! cargo run --quiet --example interop -- open-cookies <sealed|signed> <key-hex> <cookie_name> \
//!     <purpose> <idle> <absolute> <now> <max_chunks> <cookie-header> [bytes|string|user]
//! ```
//!
//! `emit` prints one JSON object per line: a value made by this crate (at a fixed
//! [`ManualClock`] time) together with everything needed to open it elsewhere (key as hex,
//! cookie name, purpose, lifetimes in seconds, `now`, stamps) and the expected postcard payload
//! as hex. Chunked cases carry `cookies` (`[name, value]` pairs) instead of `value`.
//!
//! `open` and `open-cookies` open a value (or a `Cookie` header) produced elsewhere, as the
//! given type (default `bytes`: a `serde_bytes::ByteBuf`), and print the state re-serialized
//! with postcard as hex, with the stamps: `ok <payload-hex> <created> <issued> <expires>`. A
//! refusal prints `error: <Debug of the error>` and exits with code 1; bad arguments exit with 2.

use std::process::ExitCode;
use std::time::Duration;

use sealed_session::{
    Clock, CookieOptions, Key, KeyRing, ManualClock, Opened, Sealer, SealerBuilder, SessionCookie,
    Signer, Stamps,
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// The cookie name, purpose and lifetimes (seconds) a value is sealed and opened under.
#[derive(Clone, Copy)]
struct Policy<'a> {
    cookie_name: &'a str,
    purpose: &'a str,
    idle: u64,
    absolute: u64,
}

impl Policy<'_> {
    fn builder(&self, key: &[u8], clock: &ManualClock) -> Res<SealerBuilder> {
        Ok(
            Sealer::builder(KeyRing::new(Key::from_bytes(key)?), self.cookie_name)
                .purpose(self.purpose)
                .idle_timeout(Duration::from_secs(self.idle))
                .absolute_lifetime(Duration::from_secs(self.absolute))
                .clock(clock.clone()),
        )
    }
}

/// One emitted value, printed as a JSON line.
struct Case<'a> {
    kind: &'a str,
    signed: bool,
    key: &'a [u8],
    policy: Policy<'a>,
    now: u64,
    stamps: &'a Stamps,
    /// The state serialized with postcard: what the value must open to.
    payload: Vec<u8>,
    /// `"value": ...` or `"max_chunks": ..., "cookies": ...`.
    body: String,
}

impl Case<'_> {
    fn print(&self) -> Res<()> {
        let p = &self.policy;
        println!(
            "{{\"kind\": {}, \"mode\": {}, \"key\": {}, \"key_id\": {}, \"cookie_name\": {}, \
             \"purpose\": {}, \"idle\": {}, \"absolute\": {}, \"leeway\": 60, \"now\": {}, \
             \"created\": {}, \"issued\": {}, \"expires\": {}, \"payload\": {}, {}}}",
            json_str(self.kind),
            json_str(if self.signed { "signed" } else { "sealed" }),
            json_str(&hex(self.key)),
            json_str(&hex(&Key::from_bytes(self.key)?.id().to_bytes())),
            json_str(p.cookie_name),
            json_str(p.purpose),
            p.idle,
            p.absolute,
            self.now,
            self.stamps.created(),
            self.stamps.issued(),
            self.stamps.expires(),
            json_str(&hex(&self.payload)),
            self.body,
        );
        Ok(())
    }
}

/// Seals (or signs) `state` at the clock's time and prints it.
fn emit_value<T: Serialize>(
    kind: &str,
    signed: bool,
    key: &[u8],
    p: Policy<'_>,
    clock: &ManualClock,
    state: &T,
) -> Res<()> {
    let b = p.builder(key, clock)?;
    let sealed = if signed {
        b.build_signer()?.sign(state)?
    } else {
        b.build()?.seal(state)?
    };
    Case {
        kind,
        signed,
        key,
        policy: p,
        now: clock.now_unix(),
        stamps: sealed.stamps(),
        payload: postcard::to_allocvec(state)?,
        body: format!("\"value\": {}", json_str(sealed.value())),
    }
    .print()
}

/// Writes `state` as (chunked) cookies with up to `max_chunks` cookies and prints them.
fn emit_chunked<T: Serialize + DeserializeOwned>(
    kind: &str,
    signed: bool,
    key: &[u8],
    p: Policy<'_>,
    clock: &ManualClock,
    max_chunks: usize,
    state: &T,
) -> Res<()> {
    let b = p.builder(key, clock)?;
    let cookie = if signed {
        SessionCookie::signed(b.build_signer()?, CookieOptions::new())?
    } else {
        SessionCookie::sealed(b.build()?, CookieOptions::new())?
    }
    .max_chunks(max_chunks)?;
    let set = cookie.set_cookies(state)?;
    // Open them again to learn the stamps (and to check the round trip here too).
    let opened: Opened<T> = cookie
        .open(&set_cookie_header(&set))?
        .ok_or("the written cookies do not open")?;
    Case {
        kind,
        signed,
        key,
        policy: p,
        now: clock.now_unix(),
        stamps: &opened.stamps,
        payload: postcard::to_allocvec(state)?,
        body: format!("\"max_chunks\": {max_chunks}, {}", set_cookie_pairs(&set)),
    }
    .print()
}

/// `name=value` pairs of the `Set-Cookie` strings that carry a value (removals dropped), as a
/// JSON field.
fn set_cookie_pairs(set_cookies: &[String]) -> String {
    let pairs: Vec<String> = set_cookies
        .iter()
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("[{}, {}]", json_str(name), json_str(value)))
        .collect();
    format!("\"cookies\": [{}]", pairs.join(", "))
}

/// The `Cookie` header a browser would send back for these `Set-Cookie` strings.
fn set_cookie_header(set_cookies: &[String]) -> String {
    set_cookies
        .iter()
        .filter_map(|c| c.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
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
    let policy = |cookie_name, purpose, idle, absolute| Policy {
        cookie_name,
        purpose,
        idle,
        absolute,
    };

    // Sealed (0x01): a String, a struct, a byte string with an empty purpose, another key.
    let p = policy("session", "session", 1800, 28800);
    emit_value("sealed-string", false, &key, p, &clock, &alice)?;
    let p = policy("__Host-id", "login", 600, 3600);
    emit_value("sealed-struct", false, &key, p, &clock, &user)?;
    let p = policy("b", "", 86400, 86400);
    emit_value("sealed-bytes", false, &key, p, &clock, &blob)?;
    let p = policy("k2", "session", 1800, 28800);
    emit_value("sealed-key2", false, &key2, p, &clock, &alice)?;

    // A renewal: created stays at T0, issued moves on (a non-zero first delta).
    let p = policy("session", "renew", 1800, 28800);
    let sealer = p.builder(&key, &clock)?.build()?;
    let first = sealer.seal(&alice)?;
    clock.advance(Duration::from_secs(1000));
    let renewed = sealer.renew(&alice, first.stamps())?;
    Case {
        kind: "sealed-renewed",
        signed: false,
        key: &key,
        policy: p,
        now: clock.now_unix(),
        stamps: renewed.stamps(),
        payload: postcard::to_allocvec(&alice)?,
        body: format!("\"value\": {}", json_str(renewed.value())),
    }
    .print()?;
    clock.set(T0);

    // Signed (0x81): a String and a struct.
    let p = policy("prefs", "ui", 3600, 3600);
    emit_value("signed-string", true, &key, p, &clock, &"light")?;
    let p = policy("__Secure-u", "session", 900, 7200);
    emit_value("signed-struct", true, &key, p, &clock, &user)?;

    // Chunked: a 7000-byte byte string over up to 4 cookies, sealed and signed.
    let p = policy("big", "session", 1800, 28800);
    emit_chunked("chunked-sealed", false, &key, p, &clock, 4, &big)?;
    let p = policy("bigs", "session", 1800, 28800);
    emit_chunked("chunked-signed", true, &key, p, &clock, 4, &big)?;
    Ok(())
}

/// Prints `ok <payload-hex> <created> <issued> <expires>` for an opened value.
fn print_opened<T: Serialize>(opened: &Opened<T>) -> Res<()> {
    println!(
        "ok {} {} {} {}",
        hex(&postcard::to_allocvec(&opened.state)?),
        opened.stamps.created(),
        opened.stamps.issued(),
        opened.stamps.expires()
    );
    Ok(())
}

/// What `open` / `open-cookies` read with.
enum Reader {
    Sealer(Sealer),
    Signer(Signer),
}

impl Reader {
    fn open<T: DeserializeOwned + Serialize>(&self, value: &str) -> Res<ExitCode> {
        let result = match self {
            Reader::Sealer(s) => s.open::<T>(value),
            Reader::Signer(s) => s.verify::<T>(value),
        };
        match result {
            Ok(opened) => print_opened(&opened).map(|()| ExitCode::SUCCESS),
            Err(e) => {
                println!("error: {e:?}");
                Ok(ExitCode::from(1))
            }
        }
    }

    fn open_cookies<T: DeserializeOwned + Serialize>(
        self,
        max_chunks: usize,
        header: &str,
    ) -> Res<ExitCode> {
        let cookie = match self {
            Reader::Sealer(s) => SessionCookie::sealed(s, CookieOptions::new())?,
            Reader::Signer(s) => SessionCookie::signed(s, CookieOptions::new())?,
        }
        .max_chunks(max_chunks)?;
        match cookie.open::<T>(header) {
            Ok(Some(opened)) => print_opened(&opened).map(|()| ExitCode::SUCCESS),
            Ok(None) => {
                println!("error: NoCookie");
                Ok(ExitCode::from(1))
            }
            Err(e) => {
                println!("error: {e:?}");
                Ok(ExitCode::from(1))
            }
        }
    }
}

/// Builds the reader from `<mode> <key-hex> <cookie_name> <purpose> <idle> <absolute> <now>`.
fn reader(args: &[String]) -> Res<Reader> {
    let [mode, key, name, purpose, idle, absolute, now] = args else {
        return Err(
            "expected <mode> <key-hex> <cookie_name> <purpose> <idle> <absolute> <now>".into(),
        );
    };
    let policy = Policy {
        cookie_name: name,
        purpose,
        idle: idle.parse()?,
        absolute: absolute.parse()?,
    };
    let b = policy.builder(&unhex(key)?, &ManualClock::new(now.parse()?))?;
    Ok(match mode.as_str() {
        "sealed" => Reader::Sealer(b.build()?),
        "signed" => Reader::Signer(b.build_signer()?),
        other => return Err(format!("unknown mode {other:?}").into()),
    })
}

fn run(args: &[String]) -> Res<ExitCode> {
    match args {
        [cmd] if cmd == "emit" => emit().map(|()| ExitCode::SUCCESS),
        [cmd, rest @ ..] if cmd == "open" && (8..=9).contains(&rest.len()) => {
            let r = reader(&rest[..7])?;
            let value = &rest[7];
            match rest.get(8).map_or("bytes", String::as_str) {
                "bytes" => r.open::<ByteBuf>(value),
                "string" => r.open::<String>(value),
                "user" => r.open::<User>(value),
                other => Err(format!("unknown type {other:?}").into()),
            }
        }
        [cmd, rest @ ..] if cmd == "open-cookies" && (9..=10).contains(&rest.len()) => {
            let r = reader(&rest[..7])?;
            let max_chunks: usize = rest[7].parse()?;
            let header = &rest[8];
            match rest.get(9).map_or("bytes", String::as_str) {
                "bytes" => r.open_cookies::<ByteBuf>(max_chunks, header),
                "string" => r.open_cookies::<String>(max_chunks, header),
                "user" => r.open_cookies::<User>(max_chunks, header),
                other => Err(format!("unknown type {other:?}").into()),
            }
        }
        _ => Err(
            "usage: interop emit | interop open ... | interop open-cookies ... \
                  (see the doc comment of examples/interop.rs)"
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
