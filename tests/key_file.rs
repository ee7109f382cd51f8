//! The key-ring file (KEYS.md, feature `key-file`): what it holds, what it refuses (naming the
//! file and line), staged activation across servers, retirement and revocation, and reloading
//! while sealers run. Run with `cargo test --features key-file`.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::dir::Dir;
use common::sealer::{key_id_of, session};
use sealed_session::key_file::{
    KeyFileError, KeyRingFile, KeyState, MAX_FILE_LEN, MAX_SESSION_LIFETIME_LIMIT, RingDocument,
    RingEditError,
};
use sealed_session::{
    Clock, ConfigError, Key, ManualClock, OpenError, Sealer, Signer, SystemClock,
};

/// The tool's default `max_session_lifetime`: the default absolute lifetime (8 h) plus the
/// longest leeway, so that sealers with the default settings are admitted on the rings.
const LIFETIME: Duration = Duration::from_secs(8 * 3600 + 5 * 60);

fn now() -> u64 {
    SystemClock.now_unix()
}

fn sealer(file: &KeyRingFile, clock: &ManualClock) -> Sealer {
    Sealer::builder(file.ring(), common::sealer::NAME)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// Writes `text` as a key file readable only by its owner.
fn write_text(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    set_mode(path, 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A valid file's text with one active key, for the error tests to damage.
fn valid_text() -> String {
    RingDocument::new(LIFETIME, now())
        .unwrap()
        .to_toml()
        .to_string()
}

/// The error and the line it names, for a file of `text`.
fn error_of(text: &str) -> (KeyFileError, usize) {
    let dir = Dir::new("error");
    write_text(&dir.file(), text);
    let error = KeyRingFile::open(dir.file()).unwrap_err();
    let line = match &error {
        KeyFileError::Syntax { line, path, .. } | KeyFileError::Invalid { line, path, .. } => {
            assert_eq!(path, &dir.file());
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{}:{line}: ", path.display()))
            );
            *line
        }
        other => panic!("{other}"),
    };
    (error, line)
}

/// The line (from 1) of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_written_ring_reads_back_the_same() {
    let dir = Dir::new("roundtrip");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 100).unwrap();
    let pending = doc
        .add(Key::generate().unwrap(), t, Some(t + 3600))
        .unwrap();
    let waiting = doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.write(&dir.file()).unwrap();
    let back = RingDocument::read(&dir.file()).unwrap();
    assert_eq!(back.max_session_lifetime, LIFETIME);
    assert_eq!(back.to_toml().as_str(), doc.to_toml().as_str());
    let states: Vec<_> = back
        .keys()
        .iter()
        .map(|k| (k.id, k.state, k.activate_at))
        .collect();
    assert_eq!(
        states,
        [
            (doc.keys()[0].id, KeyState::Active, Some(t - 100)),
            (pending, KeyState::Pending, Some(t + 3600)),
            (waiting, KeyState::Pending, None),
        ]
    );
}

#[test]
fn the_file_is_written_for_its_owner_only_and_replaced_whole() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = Dir::new("mode");
    let doc = RingDocument::new(LIFETIME, now()).unwrap();
    doc.write(&dir.file()).unwrap();
    doc.write(&dir.file()).unwrap();
    let mode = std::fs::metadata(dir.file()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Only the file itself: no temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.0.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keys.toml"]);
}

#[test]
fn a_file_other_users_can_read_is_refused() {
    let dir = Dir::new("perm");
    RingDocument::new(LIFETIME, now())
        .unwrap()
        .write(&dir.file())
        .unwrap();
    for mode in [0o640, 0o604, 0o644] {
        set_mode(&dir.file(), mode);
        match KeyRingFile::open(dir.file()) {
            Err(KeyFileError::Permissions { path, mode: got }) => {
                assert_eq!((path, got & 0o777), (dir.file(), mode));
            }
            other => panic!("{mode:o}: {other:?}"),
        }
    }
}

#[test]
fn a_refused_file_mode_is_printed_in_octal_by_main() {
    let dir = Dir::new("octal");
    RingDocument::new(LIFETIME, now())
        .unwrap()
        .write(&dir.file())
        .unwrap();
    set_mode(&dir.file(), 0o644);
    // `main` prints an error it returns as `Error: ` and its `Debug`.
    let main = || -> Result<(), Box<dyn std::error::Error>> {
        KeyRingFile::open(dir.file())?;
        Ok(())
    };
    let printed = format!("Error: {:?}", main().unwrap_err());
    assert_eq!(
        printed,
        format!(
            "Error: {}: readable by other users (mode 0644); it holds secret keys: chmod 600 it",
            dir.file().display()
        )
    );
    // Not the decimal `st_mode` (33188), and not Rust syntax.
    assert!(!printed.contains("33188") && !printed.contains("Permissions"));
}

#[test]
fn the_alternate_debug_form_shows_the_operating_system_error_under_the_message() {
    let dir = Dir::new("missing");
    let error = KeyRingFile::open(dir.file()).unwrap_err();
    let shown = format!("{error:#?}");
    assert!(shown.starts_with("KeyFileError {\n"), "{shown}");
    assert!(shown.contains(&dir.file().display().to_string()), "{shown}");
    // What `Display` leaves out: the I/O error's kind.
    assert!(shown.contains("kind: NotFound"), "{shown}");
}

/// Opens `path` as a key-ring file on a thread of its own: an open that blocks fails the test
/// instead of hanging it.
fn open_without_waiting(path: &Path) -> Result<KeyRingFile, KeyFileError> {
    let (done, result) = std::sync::mpsc::channel();
    let path = path.to_owned();
    std::thread::spawn(move || done.send(KeyRingFile::open(path)));
    result
        .recv_timeout(Duration::from_secs(10))
        .expect("opening the key-ring file blocked")
}

fn assert_refused_as(path: &Path, expected_kind: &str) {
    let error = open_without_waiting(path).unwrap_err();
    match &error {
        KeyFileError::NotAFile { path: named, kind } => {
            assert_eq!((named.as_path(), *kind), (path, expected_kind));
        }
        other => panic!("{}: {other:?}", path.display()),
    }
    assert!(error.to_string().contains("not a regular file"), "{error}");
}

#[test]
fn a_fifo_is_refused_at_once_without_waiting_for_a_writer() {
    let dir = Dir::new("fifo");
    let made = std::process::Command::new("mkfifo")
        .args(["-m", "600"])
        .arg(dir.file())
        .status()
        .unwrap();
    assert!(made.success());
    assert_refused_as(&dir.file(), "a FIFO");
}

#[test]
fn a_device_is_refused_at_once() {
    assert_refused_as(Path::new("/dev/zero"), "a character device");
}

#[test]
fn a_directory_is_refused() {
    let dir = Dir::new("directory");
    assert_refused_as(dir.0.path(), "a directory");
}

#[test]
fn a_socket_is_refused() {
    let dir = Dir::new("socket");
    let _listener = std::os::unix::net::UnixListener::bind(dir.file()).unwrap();
    assert_refused_as(&dir.file(), "a socket");
}

#[test]
fn a_symbolic_link_to_the_file_is_followed() {
    let dir = Dir::new("symlink");
    let doc = RingDocument::new(LIFETIME, now()).unwrap();
    doc.write(&dir.file()).unwrap();
    let link = dir.0.path().join("link.toml");
    std::os::unix::fs::symlink(dir.file(), &link).unwrap();
    let file = KeyRingFile::open(&link).unwrap();
    assert!(file.ring().contains(doc.keys()[0].id));
}

#[test]
fn a_file_larger_than_max_file_len_is_refused() {
    let dir = Dir::new("large");
    // Sparse: no disk is spent on it, and the reader must refuse it by its size, unread.
    let file = std::fs::File::create(dir.file()).unwrap();
    file.set_len(MAX_FILE_LEN + 1).unwrap();
    set_mode(&dir.file(), 0o600);
    match open_without_waiting(&dir.file()) {
        Err(KeyFileError::TooLarge { path, max }) => {
            assert_eq!((path, max), (dir.file(), MAX_FILE_LEN));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_that_is_not_utf8_is_refused_on_its_line() {
    let dir = Dir::new("utf8");
    let mut bytes = valid_text().into_bytes();
    let second_line = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    bytes.insert(second_line, 0xff);
    std::fs::write(dir.file(), &bytes).unwrap();
    set_mode(&dir.file(), 0o600);
    match KeyRingFile::open(dir.file()) {
        Err(error @ KeyFileError::Syntax { line: 2, .. }) => {
            assert!(error.to_string().contains("not UTF-8"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_secret_that_is_not_a_key_is_refused_on_its_line() {
    let text = valid_text();
    let secret_line = line_of(&text, "secret = ");
    let broken: String = text
        .lines()
        .map(|l| {
            if l.starts_with("secret = ") {
                "secret = \"c2hvcnQ\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (error, line) = error_of(&broken);
    assert_eq!(line, secret_line);
    assert!(error.to_string().contains("32 bytes"), "{error}");
}

/// `text` with its line that starts with `start` replaced by `by`.
fn replace_line(text: &str, start: &str, by: &str) -> String {
    assert!(text.lines().any(|l| l.starts_with(start)), "{start}");
    text.lines()
        .map(|l| if l.starts_with(start) { by } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The secret of the only key in `text`.
fn secret_of(text: &str) -> String {
    let line = text.lines().find(|l| l.starts_with("secret = ")).unwrap();
    line["secret = ".len()..].trim_matches('"').to_owned()
}

/// Refuses `text` on the line of its secret, with a message that says `says` and shows no part
/// of the secret.
fn assert_secret_refused(text: &str, secret: &str, says: &str) {
    let (error, line) = error_of(text);
    assert_eq!(line, line_of(text, "secret = "), "{error}");
    assert!(error.to_string().contains(says), "{error}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(&secret[..16]), "{shown}");
    }
}

#[test]
fn a_secret_with_whitespace_around_it_is_refused_on_its_line() {
    let text = valid_text();
    let secret = secret_of(&text);
    for wrapped in [
        format!(" {secret}"),
        format!("{secret} "),
        format!("\\t{secret}"),
        format!("{secret}\\n"),
        format!("{secret}\\u00a0"),
    ] {
        let broken = replace_line(&text, "secret = ", &format!("secret = \"{wrapped}\""));
        assert_secret_refused(&broken, &secret, "whitespace around it");
    }
}

#[test]
fn a_secret_in_every_canonical_form_of_keys_md_loads_as_the_same_key() {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = valid_text();
    let bytes = URL_SAFE_NO_PAD.decode(secret_of(&text)).unwrap();
    let id = RingDocument::parse(&text, Path::new("k")).unwrap().keys()[0].id;
    for engine in [URL_SAFE_NO_PAD, URL_SAFE, STANDARD_NO_PAD, STANDARD] {
        let form = engine.encode(&bytes);
        let written = replace_line(&text, "secret = ", &format!("secret = \"{form}\""));
        let doc = RingDocument::parse(&written, Path::new("k")).unwrap();
        assert_eq!(doc.keys()[0].id, id, "{form}");
    }
}

#[test]
fn a_secret_in_non_canonical_base64_is_refused_on_its_line() {
    use base64::Engine as _;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
    // A key whose text has both URL-safe characters (`----____` first), so that swapping one
    // of them for its standard counterpart mixes the alphabets.
    let mut bytes = [7u8; 32];
    bytes[..6].copy_from_slice(&[0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff]);
    let key = Key::from_bytes(&bytes).unwrap();
    let secret = key.to_base64().to_string();
    assert!(secret.starts_with("----____"));
    let text = replace_line(&valid_text(), "id = ", &format!("id = \"{}\"", key.id()));
    let text = replace_line(&text, "secret = ", &format!("secret = \"{secret}\""));
    RingDocument::parse(&text, Path::new("k")).unwrap();

    // The last of the 43 characters carries 2 bits that no byte uses: set one. A lenient
    // decoder reads the same key from it, which would give the key a second text.
    const URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = URL
        .iter()
        .position(|&c| c == secret.as_bytes()[42])
        .unwrap();
    let trailing_bits = format!("{}{}", &secret[..42], URL[last | 1] as char);
    let lenient = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    assert_eq!(lenient.decode(&trailing_bits).unwrap(), bytes);
    assert_eq!(URL_SAFE_NO_PAD.decode(&secret).unwrap(), bytes);

    for bad in [
        trailing_bits,
        // Padding where the form has none, more than the padded form has, or inside the text.
        format!("{secret}=="),
        format!("{secret}==="),
        format!("{}={}", &secret[..20], &secret[20..]),
        // The two alphabets in one text.
        secret.replacen('-', "+", 1),
    ] {
        let broken = replace_line(&text, "secret = ", &format!("secret = \"{bad}\""));
        assert_secret_refused(&broken, &secret, "not canonical base64");
    }
}

#[test]
fn an_id_that_is_not_8_lowercase_hexadecimal_digits_is_refused_on_its_line() {
    let text = valid_text();
    let id = RingDocument::parse(&text, Path::new("k")).unwrap().keys()[0]
        .id
        .to_string();
    let upper = id.to_uppercase();
    for bad in [
        upper.as_str(),
        "+a+b+c+d",
        "1234567",
        "123456789",
        "0x123456",
    ] {
        let broken = replace_line(&text, "id = ", &format!("id = \"{bad}\""));
        let (error, line) = error_of(&broken);
        assert_eq!(line, line_of(&text, "id = "), "{bad}: {error}");
        assert!(
            error.to_string().contains("8 lowercase hexadecimal digits"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn an_id_that_does_not_match_its_secret_is_refused_on_its_line() {
    let text = valid_text();
    let broken: String = text
        .lines()
        .map(|l| {
            if l.starts_with("id = ") {
                "id = \"00000000\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (error, line) = error_of(&broken);
    assert_eq!(line, line_of(&text, "id = "));
    assert!(
        error.to_string().contains("does not match its secret"),
        "{error}"
    );
}

#[test]
fn a_duplicated_key_is_refused_on_the_second_one() {
    let text = valid_text();
    let keys_at = text.find("[[key]]").unwrap();
    let doubled = format!("{text}\n{}", &text[keys_at..]);
    let (error, line) = error_of(&doubled);
    assert_eq!(
        line,
        line_of(&text, "id = ") + text[keys_at..].lines().count() + 1
    );
    assert!(error.to_string().contains("appears twice"), "{error}");
}

#[test]
fn a_bad_time_a_bad_state_and_an_unknown_field_are_refused_on_their_lines() {
    let text = valid_text();
    for (field, bad, says) in [
        ("created = ", "created = \"yesterday\"", "RFC 3339"),
        ("state = ", "state = \"enabled\"", "not one of"),
        (
            "state = ",
            "state = \"active\"\ncolour = \"blue\"",
            "colour",
        ),
        ("format = ", "format = 2", "format 2"),
        (
            "max_session_lifetime = ",
            "max_session_lifetime = \"forever\"",
            "max_session_lifetime",
        ),
    ] {
        let broken: String = text
            .lines()
            .map(|l| if l.starts_with(field) { bad } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        let (error, line) = error_of(&broken);
        let expected = line_of(&broken, bad.lines().last().unwrap());
        assert_eq!(line, expected, "{bad}: {error}");
        assert!(error.to_string().contains(says), "{bad}: {error}");
    }
}

#[test]
fn an_absurd_max_session_lifetime_is_refused_on_its_line() {
    let text = valid_text();
    for (lifetime, says) in [
        ("10000000y", "out of range"),
        ("3651days", "out of range"),
        ("0s", "out of range"),
        // Beyond what a duration holds at all.
        ("99999999999999999999y", "too large"),
    ] {
        let broken = replace_line(
            &text,
            "max_session_lifetime = ",
            &format!("max_session_lifetime = \"{lifetime}\""),
        );
        let (error, line) = error_of(&broken);
        assert_eq!(line, line_of(&text, "max_session_lifetime = "), "{error}");
        assert!(error.to_string().contains(says), "{lifetime}: {error}");
    }
}

#[test]
fn a_max_session_lifetime_up_to_the_limit_is_read() {
    let text = replace_line(
        &valid_text(),
        "max_session_lifetime = ",
        "max_session_lifetime = \"3650days\"",
    );
    let doc = RingDocument::parse(&text, Path::new("k")).unwrap();
    assert_eq!(doc.max_session_lifetime, MAX_SESSION_LIFETIME_LIMIT);
}

#[test]
fn a_ring_with_no_key_that_seals_now_is_refused() {
    let dir = Dir::new("nokey");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t).unwrap();
    let first = doc.keys()[0].id;
    let later = doc
        .add(Key::generate().unwrap(), t, Some(t + 3600))
        .unwrap();
    doc.promote(later, t).unwrap();
    doc.revoke(first, t).unwrap();
    // Now undo the promotion by hand: only a key whose time has not come is left.
    let text = doc.to_toml().replace(
        &format!("activate_at = \"{}\"", format_time(t)),
        &format!("activate_at = \"{}\"", format_time(t + 3600)),
    );
    write_text(&dir.file(), &text);
    assert!(matches!(
        KeyRingFile::open(dir.file()),
        Err(KeyFileError::NoSealingKey { .. })
    ));
}

fn format_time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

#[test]
fn a_pending_key_opens_at_once_and_seals_only_from_its_time_on_every_server() {
    let dir = Dir::new("staged");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 60).unwrap();
    let old = doc.keys()[0].id;
    let new = doc
        .add(Key::generate().unwrap(), t, Some(t + 48 * 3600))
        .unwrap();
    doc.write(&dir.file()).unwrap();
    // Two servers load the same file; their clocks reach the activation time together.
    let clock = ManualClock::new(t);
    let servers: Vec<Sealer> = (0..2)
        .map(|_| sealer(&KeyRingFile::open(dir.file()).unwrap(), &clock))
        .collect();
    for server in &servers {
        assert_eq!(
            key_id_of(&server.seal(&session()).unwrap().into_value()),
            old
        );
    }
    clock.set(t + 48 * 3600 - 1);
    assert_eq!(
        key_id_of(&servers[0].seal(&session()).unwrap().into_value()),
        old
    );
    clock.set(t + 48 * 3600);
    let sealed_new: Vec<String> = servers
        .iter()
        .map(|s| s.seal(&session()).unwrap().into_value())
        .collect();
    for value in &sealed_new {
        assert_eq!(key_id_of(value), new);
    }
    // Each opens what the other sealed, before and after.
    servers[1]
        .open::<common::sealer::Session>(&sealed_new[0])
        .unwrap();
    servers[0]
        .open::<common::sealer::Session>(&sealed_new[1])
        .unwrap();
}

#[test]
fn retiring_a_key_whose_cookies_may_be_live_needs_force() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 3600).unwrap();
    let old = doc.keys()[0].id;
    let new = doc.add(Key::generate().unwrap(), t - 3600, None).unwrap();
    doc.promote(new, t - 600).unwrap();
    // The old key stopped sealing 10 minutes ago: its cookies live until then + 8 h.
    assert_eq!(
        doc.retire(old, t, false),
        Err(RingEditError::MayHaveLiveCookies {
            id: old,
            live_until: t - 600 + LIFETIME.as_secs()
        })
    );
    assert_eq!(doc.keys()[0].state, KeyState::Active);
    // Once the lifetime has passed, no force is needed.
    let mut later = doc.clone();
    later
        .retire(old, t - 600 + LIFETIME.as_secs(), false)
        .unwrap();
    assert_eq!(later.keys()[0].state, KeyState::Retired);
    doc.retire(old, t, true).unwrap();
    assert_eq!(doc.keys()[0].state, KeyState::Retired);
}

#[test]
fn a_key_that_won_a_same_second_tie_may_have_live_cookies_until_the_next_key_took_over() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 10_000).unwrap();
    let tied: Vec<_> = (0..2)
        .map(|_| doc.add(Key::generate().unwrap(), t - 10_000, None).unwrap())
        .collect();
    // Both promoted in the same second: the later in the file seals, until the next key.
    doc.promote(tied[0], t - 5_000).unwrap();
    doc.promote(tied[1], t - 5_000).unwrap();
    assert_eq!(doc.primary_at(t - 4_000).unwrap().id, tied[1]);
    let next = doc.add(Key::generate().unwrap(), t - 10_000, None).unwrap();
    doc.promote(next, t - 100).unwrap();

    assert_eq!(
        doc.live_until(tied[0], t),
        Some(t - 5_000 + LIFETIME.as_secs())
    );
    let live_until = t - 100 + LIFETIME.as_secs();
    assert_eq!(doc.live_until(tied[1], t), Some(live_until));
    assert_eq!(
        doc.retire(tied[1], live_until - 1, false),
        Err(RingEditError::MayHaveLiveCookies {
            id: tied[1],
            live_until
        })
    );
}

#[test]
fn a_key_that_never_sealed_retires_at_once() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t).unwrap();
    let unused = doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.retire(unused, t, false).unwrap();
}

#[test]
fn the_key_that_seals_now_cannot_be_retired_or_revoked() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t).unwrap();
    let id = doc.keys()[0].id;
    assert_eq!(doc.retire(id, t, true), Err(RingEditError::SealsNow(id)));
    assert_eq!(doc.revoke(id, t), Err(RingEditError::SealsNow(id)));
}

#[test]
fn an_ended_key_leaves_no_secret_in_the_file_and_cannot_come_back() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t).unwrap();
    let old = doc.keys()[0].id;
    let new = doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.promote(new, t).unwrap();
    doc.revoke(old, t).unwrap();
    let text = doc.to_toml();
    assert_eq!(text.matches("secret = ").count(), 1);
    assert!(text.contains("state = \"revoked\""));
    assert_eq!(doc.promote(old, t), Err(RingEditError::Ended(old)));
}

#[test]
fn debug_output_never_shows_a_secret() {
    let doc = RingDocument::new(LIFETIME, now()).unwrap();
    let secret_line = doc
        .to_toml()
        .lines()
        .find(|l| l.starts_with("secret = "))
        .unwrap()
        .to_owned();
    let secret = secret_line
        .trim_start_matches("secret = ")
        .trim_matches('"');
    assert!(!format!("{doc:?}").contains(secret));
}

#[test]
fn reloading_picks_up_a_revocation_and_keeps_the_ring_when_the_file_breaks() {
    let dir = Dir::new("reload");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 60).unwrap();
    let old = doc.keys()[0].id;
    doc.write(&dir.file()).unwrap();
    let file = KeyRingFile::open(dir.file()).unwrap();
    let clock = ManualClock::new(t);
    let sealer = sealer(&file, &clock);
    let old_value = sealer.seal(&session()).unwrap().into_value();

    // A new key, promoted; the old one revoked (it leaked).
    let new = doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.promote(new, t - 30).unwrap();
    doc.revoke(old, t).unwrap();
    doc.write(&dir.file()).unwrap();
    file.reload().unwrap();
    assert_eq!(
        sealer
            .open::<common::sealer::Session>(&old_value)
            .unwrap_err(),
        OpenError::UnknownKey(old)
    );
    let new_value = sealer.seal(&session()).unwrap().into_value();
    assert_eq!(key_id_of(&new_value), new);

    // A broken file: the reload fails, the ring keeps working as it was.
    write_text(&dir.file(), "format = 1\n[[key]\n");
    assert!(matches!(
        file.reload(),
        Err(KeyFileError::Syntax { line: 2, .. })
    ));
    sealer.open::<common::sealer::Session>(&new_value).unwrap();
    assert_eq!(
        key_id_of(&sealer.seal(&session()).unwrap().into_value()),
        new
    );
}

#[test]
fn a_watch_reloads_the_file_on_its_own_and_reports_failures() {
    let dir = Dir::new("watch");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 60).unwrap();
    doc.write(&dir.file()).unwrap();
    let file = KeyRingFile::open(dir.file()).unwrap();
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&errors);
    let watch = file.watch(Duration::from_millis(20), move |e| {
        seen.lock().unwrap().push(e.to_string())
    });
    let new = doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.write(&dir.file()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !file.ring().contains(new) {
        assert!(std::time::Instant::now() < deadline, "never reloaded");
        std::thread::sleep(Duration::from_millis(10));
    }
    write_text(&dir.file(), "not toml");
    while errors.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no failure reported");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(watch);
    assert!(file.ring().contains(new));
}

#[test]
fn no_valid_cookie_is_refused_while_the_file_is_reloaded_over_and_over() {
    let dir = Dir::new("concurrent");
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 60).unwrap();
    doc.write(&dir.file()).unwrap();
    let file = KeyRingFile::open(dir.file()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Sealers that open what they sealed, and every earlier value, all along.
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let sealer = Sealer::builder(file.ring(), common::sealer::NAME)
                .build()
                .unwrap();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut values = Vec::new();
                let mut opened = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    values.push(sealer.seal(&session()).unwrap().into_value());
                    for v in values.iter().rev().take(20) {
                        sealer.open::<common::sealer::Session>(v).unwrap();
                        opened += 1;
                    }
                }
                opened
            })
        })
        .collect();
    // Meanwhile: new keys promoted (none retired: every value stays valid), broken files
    // written and reloaded in between.
    for i in 0..40 {
        if i % 4 == 3 {
            write_text(&dir.file(), "format = 1\nbroken");
            assert!(file.reload().is_err());
        } else {
            let id = doc.add(Key::generate().unwrap(), t, None).unwrap();
            doc.promote(id, t - 50 + i).unwrap();
            doc.write(&dir.file()).unwrap();
            file.reload().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        assert!(w.join().unwrap() > 0);
    }
}

/// A file of one active key whose `max_session_lifetime` is `lifetime`, opened.
fn ring_file(dir: &Dir, lifetime: Duration) -> (KeyRingFile, RingDocument) {
    let doc = RingDocument::new(lifetime, now() - 60).unwrap();
    doc.write(&dir.file()).unwrap();
    (KeyRingFile::open(dir.file()).unwrap(), doc)
}

#[test]
fn a_ring_carries_its_files_max_session_lifetime_through_reloads_and_edits() {
    let dir = Dir::new("ring-lifetime");
    let (file, mut doc) = ring_file(&dir, Duration::from_secs(3600));
    let ring = file.ring();
    assert_eq!(ring.max_session_lifetime(), Some(Duration::from_secs(3600)));
    doc.max_session_lifetime = Duration::from_secs(7200);
    doc.write(&dir.file()).unwrap();
    file.reload().unwrap();
    assert_eq!(ring.max_session_lifetime(), Some(Duration::from_secs(7200)));
    ring.add(Key::generate().unwrap()).unwrap();
    assert_eq!(ring.max_session_lifetime(), Some(Duration::from_secs(7200)));
}

#[test]
fn a_sealer_whose_sessions_outlive_the_files_max_session_lifetime_is_refused_at_build() {
    let dir = Dir::new("sealer-too-long");
    let (file, _) = ring_file(&dir, Duration::from_secs(3600));
    let expected = ConfigError::LifetimeExceedsKeyRing {
        lifetime: Duration::from_secs(3600 + 60),
        max: Duration::from_secs(3600),
    };
    let sealer = Sealer::builder(file.ring(), common::sealer::NAME)
        .idle_timeout(Duration::from_secs(600))
        .absolute_lifetime(Duration::from_secs(3600))
        .leeway(Duration::from_secs(60))
        .build();
    assert_eq!(sealer.unwrap_err(), expected);
    let signer = Signer::builder(file.ring(), common::sealer::NAME)
        .idle_timeout(Duration::from_secs(600))
        .absolute_lifetime(Duration::from_secs(3600))
        .leeway(Duration::from_secs(60))
        .build();
    assert_eq!(signer.unwrap_err(), expected);
    assert!(
        expected.to_string().contains("raise max_session_lifetime"),
        "{expected}"
    );
}

#[test]
fn a_sealer_whose_sessions_end_within_the_files_max_session_lifetime_is_built() {
    let dir = Dir::new("sealer-fits");
    let (file, _) = ring_file(&dir, Duration::from_secs(3600));
    Sealer::builder(file.ring(), common::sealer::NAME)
        .idle_timeout(Duration::from_secs(600))
        .absolute_lifetime(Duration::from_secs(3600 - 60))
        .leeway(Duration::from_secs(60))
        .build()
        .unwrap();
}

#[test]
fn a_reload_that_would_shorten_max_session_lifetime_below_a_sealers_sessions_is_refused() {
    let dir = Dir::new("reload-too-short");
    let (file, mut doc) = ring_file(&dir, LIFETIME);
    let ring = file.ring();
    // Default settings: 8 h absolute lifetime plus 60 s leeway.
    let _sealer = Sealer::builder(ring.clone(), common::sealer::NAME)
        .build()
        .unwrap();
    let needed = Duration::from_secs(8 * 3600 + 60);

    let added = doc.add(Key::generate().unwrap(), now(), None).unwrap();
    doc.max_session_lifetime = Duration::from_secs(3600);
    doc.write(&dir.file()).unwrap();
    let error = file.reload().unwrap_err();
    match &error {
        KeyFileError::MaxSessionLifetimeTooShort {
            max_session_lifetime,
            needed: got,
            ..
        } => assert_eq!(
            (*max_session_lifetime, *got),
            (doc.max_session_lifetime, needed)
        ),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("raise it"), "{error}");
    // The ring is as it was: its keys and its bound.
    assert!(!ring.contains(added));
    assert_eq!(ring.max_session_lifetime(), Some(LIFETIME));

    // Exactly what the sealer needs is enough.
    doc.max_session_lifetime = needed;
    doc.write(&dir.file()).unwrap();
    file.reload().unwrap();
    assert!(ring.contains(added));
}

/// A ring file of `n` keys written as text (editing a document key by key would check every
/// earlier key each time): the first active, every second one staged at a past second, the
/// others pending without a time. Returns the text and the ids in file order.
fn ring_of(n: u64, t: u64) -> (String, Vec<sealed_session::KeyId>) {
    use std::fmt::Write as _;
    let mut text = String::from("format = 1\nmax_session_lifetime = \"8h 5m\"\n");
    let mut ids = Vec::new();
    // Key ids are 32 bits: thousands of random keys may share one (a duplicate id is refused),
    // so draw until the ids are distinct.
    let mut seen = std::collections::HashSet::new();
    let mut keys =
        std::iter::repeat_with(|| Key::generate().unwrap()).filter(|k| seen.insert(k.id()));
    for i in 0..n {
        let key = keys.next().unwrap();
        ids.push(key.id());
        let state = if i == 0 { "active" } else { "pending" };
        write!(
            text,
            "\n[[key]]\nid = \"{}\"\nsecret = \"{}\"\nstate = \"{state}\"\ncreated = \"{}\"\n",
            key.id(),
            key.to_base64().as_str(),
            format_time(t - n - 100),
        )
        .unwrap();
        if i % 2 == 0 {
            writeln!(text, "activate_at = \"{}\"", format_time(t - n + i)).unwrap();
        }
    }
    (text, ids)
}

#[test]
fn a_ring_of_20000_keys_loads_and_reloads_whole() {
    let dir = Dir::new("large-ring");
    let t = now();
    let (text, ids) = ring_of(20_000, t);
    write_text(&dir.file(), &text);
    // The last key staged at a past second is the one that seals.
    let sealing = ids[19_998];

    let file = KeyRingFile::open(dir.file()).unwrap();
    let ring = file.ring();
    assert_eq!(ring.key_ids().len(), 20_000);
    assert!(ids.iter().all(|&id| ring.contains(id)));
    assert_eq!(ring.primary_id(), sealing);
    let sealer = Sealer::builder(ring.clone(), common::sealer::NAME)
        .build()
        .unwrap();
    let value = sealer.seal(&session()).unwrap().into_value();
    assert_eq!(key_id_of(&value), sealing);

    // A reload matches the 20,000 keys against those already in the ring.
    file.reload().unwrap();
    assert_eq!(ring.key_ids().len(), 20_000);
    sealer.open::<common::sealer::Session>(&value).unwrap();
}

#[test]
fn live_until_each_is_live_until_of_every_key() {
    let t = now();
    let mut doc = RingDocument::new(LIFETIME, t - 10_000).unwrap();
    let first = doc.keys()[0].id;
    // Promoted in turn, two in the same second, one staged ahead, one never activated, one
    // revoked.
    let mut ids = vec![first];
    for at in [t - 9_000, t - 5_000, t - 5_000, t - 100] {
        let id = doc.add(Key::generate().unwrap(), at, None).unwrap();
        doc.promote(id, at).unwrap();
        ids.push(id);
    }
    doc.add(Key::generate().unwrap(), t, Some(t + 3600))
        .unwrap();
    doc.add(Key::generate().unwrap(), t, None).unwrap();
    doc.revoke(ids[2], t).unwrap();
    let each: Vec<Option<u64>> = doc.keys().iter().map(|k| doc.live_until(k.id, t)).collect();
    assert_eq!(doc.live_until_each(t), each);
    assert_eq!(
        each,
        [
            Some(t - 9_000 + LIFETIME.as_secs()),
            Some(t - 5_000 + LIFETIME.as_secs()),
            Some(t - 5_000 + LIFETIME.as_secs()),
            Some(t - 100 + LIFETIME.as_secs()),
            None,
            None,
            None,
        ]
    );
}

#[test]
fn the_example_in_keys_md_is_a_valid_ring() {
    let text = include_str!("../KEYS.md");
    let start = text.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &text[start..start + text[start..].find("```").unwrap()];
    let doc = RingDocument::parse(example, Path::new("KEYS.md")).unwrap();
    assert_eq!(
        doc.max_session_lifetime,
        Duration::from_secs(8 * 3600 + 5 * 60)
    );
    let states: Vec<_> = doc
        .keys()
        .iter()
        .map(|k| (k.id.to_string(), k.state))
        .collect();
    assert_eq!(
        states,
        [
            ("fe007428".to_owned(), KeyState::Retired),
            ("ecad6de7".to_owned(), KeyState::Active),
            ("a3c216c0".to_owned(), KeyState::Pending),
        ]
    );
    // On the pending key's activation second, it takes over.
    let at = doc.keys()[2].activate_at.unwrap();
    assert_eq!(doc.primary_at(at - 1).unwrap().id.to_string(), "ecad6de7");
    assert_eq!(doc.primary_at(at).unwrap().id.to_string(), "a3c216c0");
}
