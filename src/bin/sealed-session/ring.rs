//! `sealed-session ring`: make and edit a key-ring file. Every change is written atomically.

use std::path::Path;
use std::time::Duration;

use clap::Subcommand;
use sealed_session::key::file::{
    KeyFileError, MAX_SESSION_LIFETIME_LIMIT, RingDocument, RingEditError,
};
use sealed_session::{Clock, Key, KeyId, SystemClock};

use crate::{Failure, FileArg, duration};

#[derive(Subcommand)]
pub(crate) enum RingCommand {
    /// Make a new ring file with one active key. Refuses a file that exists.
    Init {
        file: FileArg,
        /// The longest a session lives plus the leeway (retiring a key waits this long after
        /// it stops sealing).
        #[arg(long, default_value = "8h 5m", value_parser = session_lifetime)]
        max_session_lifetime: Duration,
    },
    /// Add a new pending key: it opens at once; it seals from `--activate-in` on, or once
    /// promoted. Prints its id.
    Add {
        file: FileArg,
        /// Start sealing with it this long from now, on every server at once (e.g. 48h: longer
        /// than it takes the file to reach every server).
        #[arg(long, value_parser = activation_delay)]
        activate_in: Option<Duration>,
    },
    /// Make a key seal from now on.
    Promote { file: FileArg, id: String },
    /// Retire a key: it opens nothing from the next reload on. Refused while cookies it sealed
    /// may still be live, unless --force.
    Retire {
        file: FileArg,
        id: String,
        /// Retire it even though some of its cookies may be live (their users are logged out).
        #[arg(long)]
        force: bool,
    },
    /// Revoke a key that may be compromised: every cookie it sealed is refused from the next
    /// reload on.
    Revoke { file: FileArg, id: String },
    /// List the keys: id, state, which seals now, times. Never prints a secret.
    List { file: FileArg },
}

/// A `--max-session-lifetime` the file accepts (KEYS.md), so `ring init` never writes a file it
/// cannot read back.
fn session_lifetime(text: &str) -> Result<Duration, String> {
    let lifetime = duration(text)?;
    if lifetime.is_zero() || lifetime > MAX_SESSION_LIFETIME_LIMIT {
        return Err(format!(
            "{text:?}: a max session lifetime is more than 0 and at most {} days",
            MAX_SESSION_LIFETIME_LIMIT.as_secs() / 86_400
        ));
    }
    Ok(lifetime)
}

/// An `--activate-in` within the same bound: further ahead is a slip, and would soon pass the
/// last time RFC 3339 can write (the end of year 9999).
fn activation_delay(text: &str) -> Result<Duration, String> {
    let delay = duration(text)?;
    if delay > MAX_SESSION_LIFETIME_LIMIT {
        return Err(format!(
            "{text:?}: a key is staged at most {} days ahead",
            MAX_SESSION_LIFETIME_LIMIT.as_secs() / 86_400
        ));
    }
    Ok(delay)
}

fn now() -> u64 {
    SystemClock.now_unix()
}

fn key_id(text: &str) -> Result<KeyId, Failure> {
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    match bytes.as_deref() {
        Some(&[a, b, c, d]) if text.len() == 8 => Ok(KeyId::from_bytes([a, b, c, d])),
        _ => Err(Failure::Refused(format!(
            "{text:?} is not a key id (8 hexadecimal digits, as `ring list` shows)"
        ))),
    }
}

fn refused(e: RingEditError) -> Failure {
    Failure::Refused(e.to_string())
}

/// Reads the file, applies `edit`, writes it back atomically.
fn edit(
    file: &Path,
    edit: impl FnOnce(&mut RingDocument) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut doc = RingDocument::read(file)?;
    edit(&mut doc)?;
    doc.write(file)?;
    Ok(())
}

pub(crate) fn run(command: RingCommand) -> Result<(), Failure> {
    match command {
        RingCommand::Init {
            file,
            max_session_lifetime,
        } => {
            if file.exists() {
                return Err(Failure::Refused(format!(
                    "{}: exists; `ring add` adds a key to it",
                    file.display()
                )));
            }
            let doc = RingDocument::new(max_session_lifetime, now())
                .map_err(|e| Failure::Refused(e.to_string()))?;
            doc.write(&file)?;
            println!("{}", doc.keys()[0].id);
            Ok(())
        }
        RingCommand::Add { file, activate_in } => {
            let now = now();
            let key = Key::generate().map_err(|e| Failure::Refused(e.to_string()))?;
            let at = activate_in.map(|d| now.saturating_add(d.as_secs()));
            edit(&file, |doc| {
                let id = doc.add(key, now, at).map_err(refused)?;
                println!("{id}");
                Ok(())
            })
        }
        RingCommand::Promote { file, id } => {
            let id = key_id(&id)?;
            edit(&file, |doc| doc.promote(id, now()).map_err(refused))
        }
        RingCommand::Retire { file, id, force } => {
            let id = key_id(&id)?;
            edit(&file, |doc| doc.retire(id, now(), force).map_err(refused))
        }
        RingCommand::Revoke { file, id } => {
            let id = key_id(&id)?;
            edit(&file, |doc| doc.revoke(id, now()).map_err(refused))
        }
        RingCommand::List { file } => list(&file),
    }
}

fn time(unix: Option<u64>) -> String {
    unix.map_or_else(
        || "-".to_owned(),
        |t| {
            humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(t))
                .to_string()
        },
    )
}

fn list(file: &Path) -> Result<(), Failure> {
    let doc = RingDocument::read(file)?;
    let now = now();
    let primary = doc.primary_at(now).map(|k| k.id);
    println!(
        "{:<8}  {:<8}  {:<5}  {:<20}  {:<20}  {:<20}  COOKIES LIVE UNTIL",
        "ID", "STATE", "SEALS", "CREATED", "ACTIVATE AT", "RETIRED AT"
    );
    for (key, live_until) in doc.keys().iter().zip(doc.live_until_each(now)) {
        let seals = if primary == Some(key.id) { "now" } else { "" };
        let live = if key.state.opens() {
            time(live_until)
        } else {
            "-".to_owned()
        };
        println!(
            "{:<8}  {:<8}  {:<5}  {:<20}  {:<20}  {:<20}  {live}",
            key.id.to_string(),
            key.state.to_string(),
            seals,
            time(Some(key.created)),
            time(key.activate_at),
            time(key.retire_at),
        );
    }
    if primary.is_none() {
        return Err(Failure::File(KeyFileError::NoSealingKey {
            path: file.to_owned(),
        }));
    }
    Ok(())
}
