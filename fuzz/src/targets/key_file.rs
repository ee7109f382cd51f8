//! `key_file`: any text as a key-ring file (KEYS.md), through `RingDocument::parse`, the parser
//! `KeyRingFile::open` and `reload` run on the file's text once they have read it.
//!
//! Checked: no panic; only `Syntax` or `Invalid` refuses a text; a document that parses writes
//! (`to_toml`) a text that parses to the same document and writes the same text again; building
//! its ring at the harness time succeeds exactly when a key seals then (else exactly
//! `NoSealingKey`), and the ring holds exactly the keys that open, seals with the document's
//! primary at every activation time, and carries its `max_session_lifetime`; every secret of a
//! key that opens is, by an independent model, the canonical base64 of 32 bytes whose id is the
//! key's, and the same document with that secret wrapped in whitespace or with its unused
//! trailing bits set is refused (`Invalid`); no error's `Display` contains a secret of the text.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sealed_session::Key;
use sealed_session::key_file::{KeyFileError, RingDocument};

use crate::fixtures::NOW;

/// The path the harness names the file by in errors.
pub const PATH: &str = "keys.toml";

/// A secret's text is looked for in error messages by windows of this many base64 characters
/// (18 bytes of key material, longer than any base64-like word the messages are made of: the
/// longest, `max_session_lifetime`, has 20), stepped by half of it, so any leak of
/// `WINDOW + WINDOW / 2` characters or more is seen.
const WINDOW: usize = 24;

/// What the harness reads of the text with a plain TOML parser, independently of the crate.
#[derive(Default)]
pub struct Lenient {
    /// The text as a TOML table, if it is TOML at all.
    pub table: Option<toml::Table>,
    /// Every string value of a field named `secret`, anywhere in the text.
    pub secrets: Vec<String>,
    /// Every other string: keys and values. A secret's text that also appears here may come
    /// back in a message about that other field.
    pub others: Vec<String>,
}

impl Lenient {
    /// Reads `text` with the `toml` crate's own parser.
    pub fn read(text: &str) -> Self {
        let mut out = Self::default();
        if let Ok(table) = toml::from_str::<toml::Table>(text) {
            collect_table(&table, &mut out);
            out.table = Some(table);
        }
        out
    }
}

fn collect_table(table: &toml::Table, out: &mut Lenient) {
    for (k, v) in table {
        out.others.push(k.clone());
        match (k.as_str(), v) {
            ("secret", toml::Value::String(s)) => out.secrets.push(s.clone()),
            _ => collect_value(v, out),
        }
    }
}

fn collect_value(v: &toml::Value, out: &mut Lenient) {
    match v {
        toml::Value::String(s) => out.others.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|v| collect_value(v, out)),
        toml::Value::Table(t) => collect_table(t, out),
        _ => {}
    }
}

/// The target.
pub fn run(data: &[u8]) {
    // Lossy, as a file that is not UTF-8 never reaches the parser as text.
    let text = String::from_utf8_lossy(data);
    check_text(&text);
}

/// Parses `text` and checks everything the module documents. `Some` when it parses.
pub fn check_text(text: &str) -> Option<RingDocument> {
    let lenient = Lenient::read(text);
    match RingDocument::parse(text, Path::new(PATH)) {
        Ok(doc) => {
            check_document(&doc, &lenient);
            Some(doc)
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    KeyFileError::Syntax { .. } | KeyFileError::Invalid { .. }
                ),
                "parsing gave {e:?}"
            );
            check_no_secret(&e, &lenient);
            None
        }
    }
}

fn check_document(doc: &RingDocument, lenient: &Lenient) {
    // Round trip: the written text reads back to the same document, and writes the same text.
    let written = doc.to_toml();
    let again = RingDocument::parse(&written, Path::new(PATH))
        .unwrap_or_else(|e| panic!("the written document does not parse: {e}"));
    assert_eq!(format!("{doc:?}"), format!("{again:?}"), "round trip");
    assert_eq!(
        *written,
        *again.to_toml(),
        "written text is not a fixed point"
    );

    check_ring(doc);

    // The secrets of the keys that open, read by the plain parser (same order as the keys).
    let table = lenient
        .table
        .as_ref()
        .expect("a text the crate parses is TOML");
    let raw_keys: Vec<&toml::Table> = match table.get("key") {
        Some(toml::Value::Array(a)) => a.iter().filter_map(toml::Value::as_table).collect(),
        _ => Vec::new(),
    };
    assert_eq!(raw_keys.len(), doc.keys().len(), "one record per [[key]]");
    let mut mutated = false;
    for (i, (record, raw)) in doc.keys().iter().zip(&raw_keys).enumerate() {
        if !record.state.opens() {
            continue;
        }
        let secret = raw
            .get("secret")
            .and_then(toml::Value::as_str)
            .expect("a key that opens has a secret");
        let bytes = canonical_base64(secret)
            .unwrap_or_else(|| panic!("key {} accepted with a non-canonical secret", record.id));
        let key = Key::from_bytes(&bytes)
            .unwrap_or_else(|e| panic!("key {} accepted with a bad secret: {e}", record.id));
        assert_eq!(key.id(), record.id, "accepted a secret of another id");
        if !mutated {
            // One key per input: each variant is a parse of the whole text again.
            mutated = true;
            check_refused_variants(table, i, secret);
        }
    }
}

/// The ring of the document at [`NOW`] and at every activation time.
fn check_ring(doc: &RingDocument) {
    let path = Path::new(PATH);
    let primary = doc.primary_at(NOW).map(|k| k.id);
    match doc.to_ring(NOW, path) {
        Ok(ring) => {
            let primary = primary.expect("a ring was built although no key seals");
            assert_eq!(ring.primary_id_at(NOW), primary, "primary at NOW");
            for k in doc.keys() {
                assert_eq!(ring.contains(k.id), k.state.opens(), "key {} in ring", k.id);
                if let Some(at) = k.activate_at.filter(|&at| at > NOW) {
                    let expected = doc.primary_at(at).expect("a key seals").id;
                    assert_eq!(ring.primary_id_at(at), expected, "primary at {at}");
                }
            }
            assert_eq!(
                ring.max_session_lifetime(),
                Some(Duration::from_secs(doc.max_session_lifetime.as_secs())),
                "the ring's bound"
            );
        }
        Err(KeyFileError::NoSealingKey { .. }) => {
            assert!(primary.is_none(), "NoSealingKey although {primary:?} seals");
        }
        Err(e) => panic!("building the ring gave {e:?}"),
    }
}

/// The key `index` of the text's table with its secret replaced by near misses: each must be
/// refused as `Invalid`, without the message quoting it.
fn check_refused_variants(table: &toml::Table, index: usize, secret: &str) {
    let mut variants = vec![
        format!(" {secret}"),
        format!("{secret}\n"),
        format!("\t{secret} "),
        format!("{secret}\u{a0}"),
    ];
    if let Some(bumped) = set_trailing_bits(secret) {
        variants.push(bumped);
    }
    if let Some(mixed) = mix_alphabets(secret) {
        variants.push(mixed);
    }
    for variant in variants {
        let mut table = table.clone();
        let Some(toml::Value::Table(key)) = table
            .get_mut("key")
            .and_then(|k| k.as_array_mut())
            .and_then(|a| a.get_mut(index))
        else {
            unreachable!("key {index} was read from this table");
        };
        key.insert("secret".to_owned(), toml::Value::String(variant.clone()));
        let text = toml::to_string(&table).expect("a table serializes");
        match RingDocument::parse(&text, Path::new(PATH)) {
            Err(e @ KeyFileError::Invalid { .. }) => {
                let mut lenient = Lenient::read(&text);
                lenient.secrets.push(variant);
                check_no_secret(&e, &lenient);
            }
            Err(e) => panic!("secret {variant:?} refused as {e:?}, not Invalid"),
            Ok(_) => panic!("secret {variant:?} accepted"),
        }
    }
}

/// The same 32 bytes with the unused low bits of the last character set: 32 bytes leave 2.
fn set_trailing_bits(secret: &str) -> Option<String> {
    let body = secret.trim_end_matches('=');
    let last = body.chars().last()?;
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let pos = ALPHABET.find(last)?;
    let bumped = ALPHABET.as_bytes().get(pos + 1).copied()? as char;
    let mut out = body[..body.len() - 1].to_owned();
    out.push(bumped);
    out.push_str(&secret[body.len()..]);
    Some(out)
}

/// One character of the other alphabet in a text that uses one of them.
fn mix_alphabets(secret: &str) -> Option<String> {
    if secret.contains(['-', '_']) {
        Some(secret.replacen('A', "+", 1)).filter(|s| s != secret)
    } else if secret.contains(['+', '/']) {
        Some(secret.replacen('A', "-", 1)).filter(|s| s != secret)
    } else {
        None
    }
}

/// The model: exactly one alphabet, padded exactly or not at all, unused bits zero, 32 bytes.
pub fn canonical_base64(text: &str) -> Option<Vec<u8>> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .filter(|bytes| bytes.len() == 32)
}

/// No window of a secret's base64 text is in the message, unless it is also in another field of
/// the text (whose own message may quote it).
fn check_no_secret(e: &KeyFileError, lenient: &Lenient) {
    let message = e.to_string();
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=');
    for secret in &lenient.secrets {
        for run in secret.split(|c: char| !is_b64(c)) {
            if run.len() < WINDOW {
                continue;
            }
            // Bounded work per secret: the first 256 characters.
            let run = &run[..run.len().min(256)];
            let starts = (0..=run.len() - WINDOW)
                .step_by(WINDOW / 2)
                .chain([run.len() - WINDOW]);
            for start in starts {
                let window = &run[start..start + WINDOW];
                if message.contains(window) && !lenient.others.iter().any(|o| o.contains(window)) {
                    panic!("the error quotes a secret ({window}): {message}");
                }
            }
        }
    }
}
