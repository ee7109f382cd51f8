//! `sealed-session inspect`: a cookie value taken apart with a key-ring file, no Rust type
//! needed.

use std::time::Duration;

use sealed_session::key_file::{KeyState, RingDocument};
use sealed_session::{Builder, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT, DEFAULT_LEEWAY};
use sealed_session::{Clock, Inspection, OpenError, Sealer, Signer, SystemClock, peek};

use crate::ring::Role;
use crate::schema::Shape;
use crate::{Failure, FileArg, duration};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The key-ring file.
    #[arg(long)]
    ring: FileArg,
    /// The cookie's name (it is bound into the value).
    #[arg(long)]
    name: String,
    /// The sealer's purpose, if it set one.
    #[arg(long)]
    purpose: Option<String>,
    /// The value is signed (HMAC-SHA256), not sealed.
    #[arg(long)]
    signed: bool,
    /// The sealer requires a session id.
    #[arg(long)]
    session_ids: bool,
    /// The sealer's idle timeout (default: the crate's, 30 minutes).
    #[arg(long, value_parser = duration)]
    idle_timeout: Option<Duration>,
    /// The sealer's absolute lifetime (default: the crate's, 8 hours).
    #[arg(long, value_parser = duration)]
    absolute_lifetime: Option<Duration>,
    /// The sealer's leeway for clock differences (default: the crate's, 60 seconds).
    #[arg(long, value_parser = duration)]
    leeway: Option<Duration>,
    /// Also show the payload as JSON, given the state's shape (postcard values do not describe
    /// themselves): e.g. '{"user": "string", "counter": "u64", "roles": ["string"]}'. See
    /// KEYS.md, "inspect --schema".
    #[arg(long, value_parser = Shape::parse)]
    schema: Option<Shape>,
    /// The cookie's value (or `NAME=VALUE`; chunks joined in order).
    value: String,
}

fn time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let doc = RingDocument::read(&args.ring)?;
    let now = SystemClock.now_unix();
    let ring = doc.to_ring(now, &args.ring)?;
    let value = args
        .value
        .strip_prefix(&format!("{}=", args.name))
        .unwrap_or(&args.value)
        .trim();
    let inspected = if args.signed {
        configure(Signer::builder(ring, &args.name), args)
            .build()
            .map(|s| s.inspect(value))
    } else {
        configure(Sealer::builder(ring, &args.name), args)
            .build()
            .map(|s| s.inspect(value))
    };
    let inspected = inspected.map_err(|e| Failure::Refused(format!("bad settings: {e}")))?;
    match inspected {
        Ok(seen) => show(&doc, &seen, args.schema.as_ref()),
        Err(error) => not_genuine(&doc, value, &error, args),
    }
}

/// The sealer's or signer's settings, as given (the crate's defaults otherwise).
fn configure<M>(builder: Builder<M>, args: &Args) -> Builder<M> {
    let builder = builder
        .session_ids(args.session_ids)
        .idle_timeout(args.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT))
        .absolute_lifetime(args.absolute_lifetime.unwrap_or(DEFAULT_ABSOLUTE_LIFETIME))
        .leeway(args.leeway.unwrap_or(DEFAULT_LEEWAY));
    match &args.purpose {
        Some(purpose) => builder.purpose(purpose),
        None => builder,
    }
}

/// The status of key `id` in the file, in words: its role now ([`Role`]), and since when it
/// has ended.
fn key_status(doc: &RingDocument, id: sealed_session::KeyId, now: u64) -> String {
    match doc.keys().iter().find(|k| k.id == id) {
        None => "not in the ring file".to_owned(),
        Some(k) => {
            let primary = doc.primary_at(now).map(|p| p.id);
            let mut s = Role::of(k, primary, now).to_string();
            if let (KeyState::Retired | KeyState::Revoked, Some(at)) = (k.state, k.retire_at) {
                s.push_str(&format!(" since {}", time(at)));
            }
            s
        }
    }
}

fn show(doc: &RingDocument, seen: &Inspection, schema: Option<&Shape>) -> Result<(), Failure> {
    let now = seen.inspected_at;
    println!("authentic:    yes");
    println!("version:      0x{:02x} ({:?})", seen.version, seen.suite);
    println!(
        "key:          {} ({})",
        seen.key_id,
        key_status(doc, seen.key_id, now)
    );
    println!("created:      {}", time(seen.stamps.created()));
    println!("issued:       {}", time(seen.stamps.issued()));
    println!("expires:      {}", time(seen.stamps.expires()));
    println!("valid until:  {}", time(seen.valid_until));
    if let Some(id) = &seen.session_id {
        println!("session id:   {id}");
    }
    if let Some(subject) = &seen.subject {
        match std::str::from_utf8(subject.as_bytes()) {
            Ok(text) => println!("subject:      {text:?}"),
            Err(_) => println!("subject:      0x{}", hex(subject.as_bytes())),
        }
    }
    println!("payload:      {} bytes (postcard)", seen.payload.len());
    for chunk in seen.payload.chunks(32) {
        println!("  {}", hex(chunk));
    }
    if let Some(shape) = schema {
        match shape.decode(&seen.payload) {
            Ok(json) => println!("as JSON:      {json}"),
            Err(e) => println!("as JSON:      {e}"),
        }
    }
    match &seen.verdict {
        Ok(()) => {
            let renewal = if seen.from_primary {
                ""
            } else {
                " (and renewed under the key that seals now)"
            };
            println!("accepted now: yes{renewal}");
            Ok(())
        }
        Err(e) => {
            println!("accepted now: no: {e}");
            Err(Failure::Refused(format!(
                "the value would not be accepted: {e}"
            )))
        }
    }
}

/// A value that did not authenticate: what its unauthenticated header claims, and why.
fn not_genuine(
    doc: &RingDocument,
    value: &str,
    error: &OpenError,
    args: &Args,
) -> Result<(), Failure> {
    println!("authentic:    no: {error}");
    let mut why = error.to_string();
    if let Ok(header) = peek(value) {
        println!(
            "claims:       version 0x{:02x} ({:?}), key {} ({}); not authenticated",
            header.version,
            header.suite,
            header.key_id,
            key_status(doc, header.key_id, SystemClock.now_unix())
        );
        if *error == OpenError::Authentication {
            // The ring holds a key of this id (an unknown id is `UnknownKey`), so the likeliest
            // cause is not a missing key but a binding: the cookie name and the purpose are
            // authenticated with the value, and a wrong one fails exactly like tampering.
            let hint = format!(
                "key {} is in the ring, so the key is present: check --name (given {:?}) and \
                 --purpose (given {}): both are bound into the value and must be the sealer's; \
                 otherwise the value was altered, or is a server-side session's cookie (sealed \
                 for a purpose of its own, which inspect does not open)",
                header.key_id,
                args.name,
                args.purpose
                    .as_deref()
                    .map_or_else(|| "none".to_owned(), |p| format!("{p:?}")),
            );
            println!("check:        {hint}");
            why = format!("{why}: {hint}");
        }
    }
    println!("accepted now: no");
    Err(Failure::Refused(format!(
        "the value would not be accepted: {why}"
    )))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
