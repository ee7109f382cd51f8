//! The `sealed-session` command-line tool, run as a subprocess the way an operator runs it: its
//! output, its exit codes (KEYS.md: 0 done, 1 refused, 2 usage, 3 file), and that it never
//! prints a secret it was not asked for. Run with `cargo test --features cli`.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::dir::Dir;

use sealed_session::key_file::{KeyRingFile, KeyState, RingDocument};
use sealed_session::{Clock, Key, ManualClock, Sealer, Subject, SystemClock};

fn tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sealed-session"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every secret the file holds, to check no output shows one.
fn secrets(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("secret = "))
        .map(|s| s.trim_matches('"').to_owned())
        .collect()
}

fn assert_no_secret(file: &Path, output: &Output) {
    for secret in secrets(file) {
        assert!(!stdout(output).contains(&secret) && !stderr(output).contains(&secret));
    }
}

#[test]
fn keygen_prints_keys_that_load_and_their_ids_apart() {
    let out = tool(&["keygen", "--count", "3"]);
    assert_eq!(out.status.code(), Some(0));
    let keys: Vec<Key> = stdout(&out)
        .lines()
        .map(|l| Key::from_base64(l).unwrap())
        .collect();
    assert_eq!(keys.len(), 3);
    for key in &keys {
        assert!(stderr(&out).contains(&key.id().to_string()));
    }
}

#[test]
fn a_ring_is_made_staged_listed_and_edited_without_printing_a_secret() {
    let dir = Dir::new("ring");
    let file = dir.file();
    let init = tool(&["ring", "init", path(&file), "--max-session-lifetime", "1h"]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let first = stdout(&init).trim().to_owned();
    assert_no_secret(&file, &init);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second init would overwrite the keys: refused.
    assert_eq!(tool(&["ring", "init", path(&file)]).status.code(), Some(1));

    let add = tool(&["ring", "add", path(&file), "--activate-in", "48h"]);
    assert_eq!(add.status.code(), Some(0), "{}", stderr(&add));
    let staged = stdout(&add).trim().to_owned();
    assert_no_secret(&file, &add);
    let doc = RingDocument::read(&file).unwrap();
    let now = SystemClock.now_unix();
    let key = &doc.keys()[1];
    assert_eq!(
        (key.id.to_string(), key.state),
        (staged.clone(), KeyState::Pending)
    );
    let at = key.activate_at.unwrap();
    assert!(at.abs_diff(now + 48 * 3600) <= 5, "{at} vs {now}");
    assert_eq!(doc.max_session_lifetime, Duration::from_secs(3600));

    let list = tool(&["ring", "list", path(&file)]);
    assert_eq!(list.status.code(), Some(0));
    let text = stdout(&list);
    let row = |id: &str| text.lines().find(|l| l.starts_with(id)).unwrap().to_owned();
    assert!(row(&first).contains(" primary "), "{text}");
    assert!(row(&staged).contains(" staged "), "{text}");
    assert_no_secret(&file, &list);

    // Promote the staged key now; the first key's cookies may live an hour more.
    assert_eq!(
        tool(&["ring", "promote", path(&file), &staged])
            .status
            .code(),
        Some(0)
    );
    let retire = tool(&["ring", "retire", path(&file), &first]);
    assert_eq!(retire.status.code(), Some(1));
    assert!(
        stderr(&retire).contains("live cookies"),
        "{}",
        stderr(&retire)
    );
    let forced = tool(&["ring", "retire", path(&file), &first, "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let doc = RingDocument::read(&file).unwrap();
    assert_eq!(doc.keys()[0].state, KeyState::Retired);
    assert_eq!(secrets(&file).len(), 1);
}

#[test]
fn the_key_that_seals_now_is_not_revoked() {
    let dir = Dir::new("revoke");
    let file = dir.file();
    let id = stdout(&tool(&["ring", "init", path(&file)]))
        .trim()
        .to_owned();
    let out = tool(&["ring", "revoke", path(&file), &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("promote another key"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn file_problems_exit_3_and_name_the_file_and_line() {
    let dir = Dir::new("files");
    let file = dir.file();
    let missing = tool(&["ring", "list", path(&file)]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(stderr(&missing).contains(path(&file)));
    std::fs::write(
        &file,
        "format = 1\nmax_session_lifetime = \"1h\"\n[[key]]\nid = 5\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let broken = tool(&["ring", "add", path(&file)]);
    assert_eq!(broken.status.code(), Some(3));
    assert!(
        stderr(&broken).contains(&format!("{}:4:", path(&file))),
        "{}",
        stderr(&broken)
    );
    // The broken file is left as it was.
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .ends_with("id = 5\n")
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(tool(&["ring", "bogus"]).status.code(), Some(2));
    assert_eq!(
        tool(&["ring", "add", "x.toml", "--activate-in", "soon"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn absurd_durations_are_usage_errors_and_leave_the_file_alone() {
    let dir = Dir::new("durations");
    let file = dir.file();
    for lifetime in ["10000000y", "0s"] {
        let init = tool(&[
            "ring",
            "init",
            path(&file),
            "--max-session-lifetime",
            lifetime,
        ]);
        assert_eq!(init.status.code(), Some(2), "{lifetime}: {}", stderr(&init));
        assert!(!file.exists());
    }
    assert_eq!(tool(&["ring", "init", path(&file)]).status.code(), Some(0));
    let before = std::fs::read(&file).unwrap();
    let add = tool(&["ring", "add", path(&file), "--activate-in", "10000000y"]);
    assert_eq!(add.status.code(), Some(2), "{}", stderr(&add));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_bad_key_id_is_refused_with_a_hint() {
    let dir = Dir::new("badid");
    let file = dir.file();
    tool(&["ring", "init", path(&file)]);
    let out = tool(&["ring", "promote", path(&file), "xyz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("8 hexadecimal digits"));
}

/// A ring file and a sealer over it whose clock the test sets.
fn sealed_value(dir: &Dir, at: u64) -> String {
    let file = dir.file();
    tool(&["ring", "init", path(&file)]);
    let keys = KeyRingFile::open(&file).unwrap();
    let sealer = Sealer::builder(keys.ring(), "__Host-session")
        .purpose("app")
        .session_ids(true)
        .clock(ManualClock::new(at))
        .build()
        .unwrap();
    sealer
        .seal_for(&Subject::new("alice").unwrap(), &(7u8, "hello".to_owned()))
        .unwrap()
        .into_value()
}

fn inspect(dir: &Dir, value: &str) -> Output {
    inspect_with(dir, value, &[])
}

fn inspect_with(dir: &Dir, value: &str, extra: &[&str]) -> Output {
    let file = dir.file();
    let mut args = vec![
        "inspect",
        "--ring",
        path(&file),
        "--name",
        "__Host-session",
        "--purpose",
        "app",
        "--session-ids",
    ];
    args.extend_from_slice(extra);
    args.push(value);
    tool(&args)
}

#[test]
fn inspect_shows_a_live_value_without_its_rust_type() {
    let dir = Dir::new("inspect");
    let now = SystemClock.now_unix();
    let value = sealed_value(&dir, now);
    let out = inspect(&dir, &format!("__Host-session={value}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    let id = RingDocument::read(&dir.file()).unwrap().keys()[0]
        .id
        .to_string();
    for expected in [
        "authentic:    yes",
        "Aes256Gcm",
        &format!("{id} (primary)"),
        "subject:      \"alice\"",
        "session id:   ",
        "payload:      7 bytes",
        // postcard: 7, then "hello" with its length.
        "  070568656c6c6f",
        "accepted now: yes",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    let created =
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(now))
            .to_string();
    assert!(text.contains(&format!("created:      {created}")), "{text}");
    assert_no_secret(&dir.file(), &out);
}

#[test]
fn inspect_says_why_an_expired_value_is_refused_and_exits_1() {
    let dir = Dir::new("expired");
    let value = sealed_value(&dir, SystemClock.now_unix() - 3 * 3600);
    let out = inspect(&dir, &value);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("authentic:    yes"), "{text}");
    assert!(
        text.contains("accepted now: no: ") && text.contains("expired"),
        "{text}"
    );
}

#[test]
fn inspect_names_the_key_a_value_claims_when_it_is_not_in_the_ring() {
    let dir = Dir::new("foreign");
    let other = Dir::new("foreign-other");
    let value = sealed_value(&other, SystemClock.now_unix());
    let claimed = RingDocument::read(&other.file()).unwrap().keys()[0]
        .id
        .to_string();
    tool(&["ring", "init", path(&dir.file())]);
    let out = inspect(&dir, &value);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("authentic:    no"), "{text}");
    assert!(
        text.contains(&format!("key {claimed} (not in the ring file)")),
        "{text}"
    );
}

#[test]
fn inspect_under_the_wrong_name_says_the_key_is_present_and_to_check_name_and_purpose() {
    let dir = Dir::new("wrong-name");
    let value = sealed_value(&dir, SystemClock.now_unix());
    let id = RingDocument::read(&dir.file()).unwrap().keys()[0]
        .id
        .to_string();
    let file = dir.file();
    let out = tool(&[
        "inspect",
        "--ring",
        path(&file),
        "--name",
        "session",
        "--purpose",
        "app",
        "--session-ids",
        &value,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("authentic:    no"), "{text}");
    // Both where the operator reads the details and in the one line a script logs.
    for shown in [text, stderr(&out)] {
        for expected in [
            &format!("key {id} is in the ring, so the key is present"),
            "check --name (given \"session\")",
            "--purpose (given \"app\")",
        ] {
            assert!(shown.contains(expected), "{expected:?} in\n{shown}");
        }
    }
}

#[test]
fn inspect_of_a_value_whose_key_is_not_in_the_ring_does_not_blame_the_name() {
    let dir = Dir::new("no-blame");
    let other = Dir::new("no-blame-other");
    let value = sealed_value(&other, SystemClock.now_unix());
    tool(&["ring", "init", path(&dir.file())]);
    let out = inspect(&dir, &value);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("--name"), "{}", stdout(&out));
}

#[test]
fn ring_list_after_promote_shows_the_promoted_key_primary_and_the_previous_one_open_only() {
    let dir = Dir::new("promoted");
    let file = dir.file();
    let first = stdout(&tool(&["ring", "init", path(&file)]))
        .trim()
        .to_owned();
    let second = stdout(&tool(&["ring", "add", path(&file)]))
        .trim()
        .to_owned();
    let pending = stdout(&tool(&["ring", "add", path(&file)]))
        .trim()
        .to_owned();
    let promote = tool(&["ring", "promote", path(&file), &second]);
    assert_eq!(promote.status.code(), Some(0), "{}", stderr(&promote));
    // The file says `active` for both keys that have sealed; the list says what each does.
    let doc = RingDocument::read(&file).unwrap();
    assert_eq!(
        (doc.keys()[0].state, doc.keys()[1].state),
        (KeyState::Active, KeyState::Active)
    );

    let list = tool(&["ring", "list", path(&file)]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let text = stdout(&list);
    let state = |id: &str| {
        let row = text.lines().find(|l| l.starts_with(id)).unwrap();
        row.split_whitespace().nth(1).unwrap().to_owned()
    };
    assert_eq!(
        [state(&first), state(&second), state(&pending)],
        ["open-only", "primary", "pending"],
        "{text}"
    );
    // A legend says what each state listed does, and what to do next.
    assert!(
        text.lines()
            .any(|l| l.starts_with("open-only") && l.contains("then `ring retire` it")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("primary") && l.contains("seals new cookies now")),
        "{text}"
    );
}

#[test]
fn budget_gives_the_cadence_of_security_md() {
    for (rate, cadence) in [
        ("1000", "monthly"),
        ("10000", "daily"),
        ("100000", "every 4 hours"),
    ] {
        let out = tool(&["budget", "--rate", rate]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stdout(&out).contains(&format!("rotate {cadence}")),
            "{rate}: {}",
            stdout(&out)
        );
    }
    assert_eq!(tool(&["budget", "--rate", "0"]).status.code(), Some(1));
}

#[test]
fn inspect_shows_the_payload_as_json_given_its_shape() {
    let dir = Dir::new("schema");
    let value = sealed_value(&dir, SystemClock.now_unix());
    let out = inspect_with(
        &dir,
        &value,
        &["--schema", r#"{"tuple": ["u8", "string"]}"#],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(r#"as JSON:      [7,"hello"]"#),
        "{}",
        stdout(&out)
    );
    // A shape that does not fit says so; it never guesses.
    let out = inspect_with(&dir, &value, &["--schema", r#"{"tuple": ["u8"]}"#]);
    assert!(
        stdout(&out).contains("does not have this shape"),
        "{}",
        stdout(&out)
    );
    // A shape that is not one is a usage error.
    let out = inspect_with(&dir, &value, &["--schema", r#""float""#]);
    assert_eq!(out.status.code(), Some(2));
}
