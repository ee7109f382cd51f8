//! `sealed-session`: keys and key-ring files for sealed-session cookies, from the command line
//! (feature `cli`). `sealed-session --help` lists the commands; KEYS.md describes the file and
//! the exit codes: 0 done, 1 refused (or, for `inspect`, a value that would not be accepted
//! now), 2 a usage error, 3 the file could not be read, parsed or written.

mod budget;
mod inspect;
mod ring;
mod schema;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sealed_session::Key;
use sealed_session::key_file::KeyFileError;

#[derive(Parser)]
#[command(
    name = "sealed-session",
    version,
    about = "Keys and key-ring files for sealed-session cookies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print new random keys in base64, one per line (their ids go to standard error).
    Keygen {
        /// How many keys.
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
    /// Make and edit a key-ring file (KEYS.md). Never prints a secret.
    #[command(subcommand)]
    Ring(ring::RingCommand),
    /// Open a cookie value with a key-ring file and show what it holds and whether it would be
    /// accepted now. Needs no Rust type for the state.
    Inspect(inspect::Args),
    /// For a seal rate across the fleet, when each suite's per-key bound is reached and how
    /// often to rotate keys to stay far below it.
    Budget {
        /// Seals per second, across every server sharing the keys.
        #[arg(long)]
        rate: f64,
    },
}

/// How a command ended, as the process's exit code.
pub(crate) enum Failure {
    /// The ring or the value does not allow it (exit 1).
    Refused(String),
    /// The file could not be read, parsed or written (exit 3).
    File(KeyFileError),
}

impl From<KeyFileError> for Failure {
    fn from(e: KeyFileError) -> Self {
        Self::File(e)
    }
}

/// Parses a duration such as `48h`, `30m` or `1day 2h`.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{text:?}: {e}"))
}

/// A file argument.
pub(crate) type FileArg = PathBuf;

fn keygen(count: usize) -> Result<(), Failure> {
    for _ in 0..count {
        let key = Key::generate().map_err(|e| Failure::Refused(e.to_string()))?;
        eprintln!("key id {}", key.id());
        println!("{}", key.to_base64().as_str());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { count } => keygen(count),
        Command::Ring(command) => ring::run(command),
        Command::Inspect(args) => inspect::run(&args),
        Command::Budget { rate } => budget::run(rate),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(message)) => {
            eprintln!("sealed-session: {message}");
            ExitCode::from(1)
        }
        Err(Failure::File(error)) => {
            eprintln!("sealed-session: {error}");
            ExitCode::from(3)
        }
    }
}
