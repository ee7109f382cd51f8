//! `sealed-session ring`: make and edit a key-ring file. Every change is written atomically.

use std::path::Path;
use std::time::Duration;

use clap::Subcommand;
use sealed_session::key_file::{
    KeyFileError, KeyRecord, KeyState, MAX_SESSION_LIFETIME_LIMIT, RingDocument, RingEditError,
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
    /// List the keys: id, what each does now (primary, open-only, staged, pending, retired,
    /// revoked), times. Never prints a secret.
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

/// What a key does now, as `ring list` and `inspect` show it. The file's `state` alone does not
/// say it: after `ring promote` the new key and the one it took over from are both `active`,
/// and only their `activate_at` tells which seals.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Seals new values now, and opens.
    Primary,
    /// Sealed once, until a later key took over: opens only.
    OpenOnly,
    /// Opens; seals from its `activate_at`, still to come.
    Staged,
    /// Opens; seals once promoted.
    Pending,
    /// Opens nothing (retired or revoked): the file's state says which.
    Ended(KeyState),
}

impl Role {
    /// The role of `key` at `now`, where `primary` is the key that seals at `now`
    /// ([`RingDocument::primary_at`], found once for the whole ring).
    pub(crate) fn of(key: &KeyRecord, primary: Option<KeyId>, now: u64) -> Self {
        if !key.state.opens() {
            Self::Ended(key.state)
        } else if primary == Some(key.id) {
            Self::Primary
        } else {
            match key.activate_at {
                None => Self::Pending,
                Some(at) if at > now => Self::Staged,
                Some(_) => Self::OpenOnly,
            }
        }
    }

    /// What the role means and what to do about it, for the legend under `ring list`.
    fn meaning(self) -> Option<&'static str> {
        Some(match self {
            Self::Primary => "seals new cookies now, and opens",
            Self::OpenOnly => {
                "no longer seals; opens the cookies it sealed until COOKIES LIVE UNTIL, then \
                 `ring retire` it"
            }
            Self::Staged => "opens now; seals from ACTIVATE AT on, on every server at once",
            Self::Pending => "opens now; seals once `ring promote`d",
            Self::Ended(KeyState::Retired) => "opens nothing; its secret is gone from the file",
            Self::Ended(KeyState::Revoked) => "opens nothing; every cookie it sealed is refused",
            Self::Ended(_) => return None,
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Primary => f.write_str("primary"),
            Self::OpenOnly => f.write_str("open-only"),
            Self::Staged => f.write_str("staged"),
            Self::Pending => f.write_str("pending"),
            Self::Ended(state) => state.fmt(f),
        }
    }
}

fn list(file: &Path) -> Result<(), Failure> {
    let doc = RingDocument::read(file)?;
    let now = now();
    let primary = doc.primary_at(now).map(|k| k.id);
    println!(
        "{:<8}  {:<9}  {:<20}  {:<20}  {:<20}  COOKIES LIVE UNTIL",
        "ID", "STATE", "CREATED", "ACTIVATE AT", "RETIRED AT"
    );
    let mut shown = Vec::new();
    for (key, live_until) in doc.keys().iter().zip(doc.live_until_each(now)) {
        let role = Role::of(key, primary, now);
        if !shown.contains(&role) {
            shown.push(role);
        }
        let live = if key.state.opens() {
            time(live_until)
        } else {
            "-".to_owned()
        };
        println!(
            "{:<8}  {:<9}  {:<20}  {:<20}  {:<20}  {live}",
            key.id.to_string(),
            role.to_string(),
            time(Some(key.created)),
            time(key.activate_at),
            time(key.retire_at),
        );
    }
    // A legend of the states listed, so that an operator reads what each does and what to do
    // next without KEYS.md at hand.
    println!();
    for role in shown {
        if let Some(meaning) = role.meaning() {
            println!("{:<9}  {meaning}", role.to_string());
        }
    }
    if primary.is_none() {
        return Err(Failure::File(KeyFileError::NoSealingKey {
            path: file.to_owned(),
        }));
    }
    Ok(())
}
