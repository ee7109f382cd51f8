//! What a user sees of an error. `fn main() -> Result<(), Box<dyn Error>>` prints the error it
//! returns as `Error: ` and its `Debug`; so every public error type's `Debug` is its `Display`
//! text, which says what happened and what to do, and not Rust syntax. The file-mode rule
//! (octal) and the `{:#?}` form with an I/O source are in tests/key_file.rs; the missing
//! session layer's message in app/tests/web_log.rs.

use std::error::Error;
use std::time::Duration;

use sealed_session::store::StoreError;
use sealed_session::web::SessionRejection;
use sealed_session::{
    ConfigError, CookieOptions, CookieReadError, Key, KeyError, KeyId, KeyRing, KeyRingError,
    LogoutError, ManualClock, OpenError, Refusal, SealError, Sealer, Subject, WriteError,
};

/// What the standard library's `main` prints for an error it returns (`Termination` for
/// `Result`): `Error: ` and the error's `Debug`.
fn printed_by_main(result: Result<(), Box<dyn Error>>) -> String {
    format!("Error: {:?}", result.unwrap_err())
}

#[test]
fn an_error_returned_from_main_prints_its_display_text() {
    let main = || -> Result<(), Box<dyn Error>> {
        Sealer::builder(KeyRing::new(Key::generate()?), "__Host-session")
            .idle_timeout(Duration::from_secs(3600))
            .absolute_lifetime(Duration::from_secs(60))
            .build()?;
        Ok(())
    };
    assert_eq!(
        printed_by_main(main()),
        "Error: lifetimes must be non-zero and the idle timeout no longer than the absolute \
         lifetime"
    );
}

/// One error of every public type that a program can meet without optional features (the
/// key-ring file's and the web adapters' are in their own test files).
fn one_of_each() -> Vec<Box<dyn Error>> {
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "s")
        .clock(ManualClock::new(1_800_000_000))
        .build()
        .unwrap();
    let not_a_u8 = sealer.seal(&"text").unwrap();
    let codec = match sealer.open::<u8>(not_a_u8.value()) {
        Err(OpenError::Deserialize(codec)) => codec,
        other => panic!("{other:?}"),
    };
    let id = KeyId::from_bytes([0xde, 0xad, 0x01, 0xef]);
    vec![
        Box::new(SealError::TooLarge {
            size: 5000,
            limit: 4096,
        }),
        Box::new(OpenError::UnknownKey(id)),
        Box::new(codec),
        Box::new(KeyError::InvalidLength { len: 31 }),
        Box::new(KeyRingError::RetirePrimary(id)),
        Box::new(KeyRing::from_key_list("").unwrap_err()),
        Box::new(Subject::new("").unwrap_err()),
        Box::new(
            CookieOptions::new()
                .path("/app")
                .validate("__Host-s")
                .unwrap_err(),
        ),
        Box::new(ConfigError::InvalidChunkCount { max: 0 }),
        Box::new(WriteError::StateTooLarge { size: 9, max: 8 }),
        Box::new(CookieReadError::MissingChunk { chunk: 2 }),
        Box::new(Refusal::Forgotten),
        Box::new(Refusal::Cookie(CookieReadError::MissingChunk { chunk: 2 })),
        Box::new(StoreError::Unreachable("connection refused".to_owned())),
        Box::new(LogoutError::NotRevocable),
        Box::new(SessionRejection::Unavailable(StoreError::Refused(
            "read-only replica".to_owned(),
        ))),
    ]
}

#[test]
fn every_public_error_prints_its_display_text_as_debug() {
    for error in one_of_each() {
        assert_eq!(format!("{error:?}"), error.to_string());
    }
}

#[test]
fn the_alternate_debug_form_names_the_type_and_nests_the_source() {
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "s")
        .build()
        .unwrap();
    let error = CookieReadError::from(
        sealer
            .open::<u8>(sealer.seal(&"text").unwrap().value())
            .unwrap_err(),
    );
    let shown = format!("{error:#?}");
    assert!(shown.starts_with("CookieReadError {\n"), "{shown}");
    assert!(
        shown.contains(&format!("message: {:?}", error.to_string())),
        "{shown}"
    );
    assert!(shown.contains("source: OpenError {"), "{shown}");
    assert!(shown.contains("source: CodecError {"), "{shown}");
}
