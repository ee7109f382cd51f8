//! FORMAT.md's test vectors, checked byte for byte. This lives inside the crate because sealing
//! reproducibly needs a fixed nonce, which only `cfg(test)` builds can set.
//!
//! Each vector in FORMAT.md is a fenced block whose first line is `vector = N`, followed by
//! `field = value` lines. Inputs: suite, key (or master + label), nonce, cookie_name, purpose
//! (or purpose_hex), idle, absolute, created, issued, payload. Every other field is an expected
//! output recomputed here.

use std::collections::BTreeMap;

use serde::ser::{SerializeTuple, Serializer};

use crate::key::Key;
use crate::session::{Builder, Envelope, SessionId, Subject};
use crate::suite::{INFO_AES_256_GCM, INFO_HMAC_SHA256, INFO_XAES_256_GCM};
use crate::{KeyRing, ManualClock, Sealer, Signer, Stamps, Suite, format};

const FORMAT_MD: &str = include_str!("../FORMAT.md");

/// Serializes as the given bytes exactly: postcard writes a tuple of `u8` as raw bytes.
struct Raw<'a>(&'a [u8]);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        for b in self.0 {
            t.serialize_element(b)?;
        }
        t.end()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn vectors() -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for block in FORMAT_MD.split("```").skip(1).step_by(2) {
        let body = block.strip_prefix("text").unwrap_or(block).trim();
        if !body.starts_with("vector") {
            continue;
        }
        let mut fields = BTreeMap::new();
        for line in body.lines() {
            let (k, v) = line.split_once('=').expect("field = value");
            let v = v.trim();
            // Long hex values may be wrapped over several `field = part` lines with the same field.
            fields
                .entry(k.trim().to_owned())
                .and_modify(|acc: &mut String| acc.push_str(v))
                .or_insert_with(|| v.to_owned());
        }
        out.push(fields);
    }
    out
}

/// The vector's purpose: `purpose`, or `purpose_hex` for one that is not printable (a state
/// at rest: the cookie's purpose, a NUL and a suffix).
fn purpose(v: &BTreeMap<String, String>) -> String {
    match v.get("purpose_hex") {
        Some(h) => String::from_utf8(unhex(h)).expect("a UTF-8 purpose"),
        None => v["purpose"].clone(),
    }
}

/// A sealer or signer builder configured as the vector says, with the clock at `issued`.
fn configure<M>(v: &BTreeMap<String, String>, b: Builder<M>) -> Builder<M> {
    let num = |k: &str| v[k].parse::<u64>().expect("number");
    b.purpose(&purpose(v))
        .idle_timeout(std::time::Duration::from_secs(num("idle")))
        .absolute_lifetime(std::time::Duration::from_secs(num("absolute")))
        .clock(ManualClock::new(num("issued")))
        .session_ids(v.contains_key("session_id"))
}

fn sealer(v: &BTreeMap<String, String>, key: Key) -> Sealer {
    configure(v, Sealer::builder(KeyRing::new(key), &v["cookie_name"]))
        .extended_nonce(suite(v) == Suite::Xaes256Gcm)
        .build()
        .unwrap()
}

fn signer(v: &BTreeMap<String, String>, key: Key) -> Signer {
    configure(v, Signer::builder(KeyRing::new(key), &v["cookie_name"]))
        .build()
        .unwrap()
}

/// The suite that seals the vector, by its name (`aes-256-gcm`, `xaes-256-gcm`, `hmac-sha256`).
fn suite(v: &BTreeMap<String, String>) -> Suite {
    let name = v
        .get("suite")
        .unwrap_or_else(|| panic!("vector {} lacks `suite`", v["vector"]));
    [Suite::Aes256Gcm, Suite::Xaes256Gcm, Suite::HmacSha256]
        .into_iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("vector {}: unknown suite `{name}`", v["vector"]))
}

fn is_signed(v: &BTreeMap<String, String>) -> bool {
    suite(v) == Suite::HmacSha256
}

/// The identity fields the vector gives, as a renewal would carry them forward.
fn identity(v: &BTreeMap<String, String>) -> (Option<SessionId>, Option<Subject>) {
    let id = v
        .get("session_id")
        .map(|h| SessionId::from_bytes(unhex(h).try_into().expect("16-byte session id")));
    let subject = v
        .get("subject")
        .map(|h| Subject::new(unhex(h)).expect("a valid subject"));
    (id, subject)
}

/// XAES-256-GCM's per-message key (FORMAT.md, "XAES-256-GCM"), computed here from its
/// spelled-out definition with RustCrypto's AES, apart from either backend.
fn xaes_derived_key(xaes_key: &[u8; 32], nonce: &[u8]) -> [u8; 32] {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let aes = aes::Aes256::new(xaes_key.into());
    let mut l = [0u8; 16];
    aes.encrypt_block((&mut l).into());
    let l = u128::from_be_bytes(l);
    let k1 = (l << 1) ^ if l >> 127 == 1 { 0x87 } else { 0 };
    let mut out = [0u8; 32];
    for (i, half) in out.chunks_exact_mut(16).enumerate() {
        let mut m = [0u8; 16];
        m[..4].copy_from_slice(&[0, i as u8 + 1, b'X', 0]);
        m[4..].copy_from_slice(&nonce[..12]);
        let mut block = (u128::from_be_bytes(m) ^ k1).to_be_bytes();
        aes.encrypt_block((&mut block).into());
        half.copy_from_slice(&block);
    }
    out
}

/// Everything a vector's inputs determine, as the lines FORMAT.md shows.
fn compute(v: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let get = |k: &str| {
        v.get(k)
            .unwrap_or_else(|| panic!("vector lacks `{k}`"))
            .clone()
    };
    let num = |k: &str| get(k).parse::<u64>().expect("number");
    let key = match v.get("master") {
        Some(master) => Key::derive(&unhex(master), &get("label")).unwrap(),
        None => Key::from_bytes(&unhex(&get("key"))).unwrap(),
    };
    let payload = unhex(&get("payload"));
    // The previous value of the session, issued just now: renewing keeps its `created` and
    // its identity.
    let (session_id, subject) = identity(v);
    let stamps = Stamps::new(num("created"), num("issued"), num("issued")).unwrap();
    let stamps = match v.get("created_millis") {
        Some(ms) => stamps
            .with_created_millis(ms.parse().expect("a millisecond"))
            .expect("0 to 999"),
        None => stamps,
    };
    let previous = Envelope {
        stamps,
        session_id,
        subject,
    };
    let sealed = if is_signed(v) {
        signer(v, key.clone())
            .renew(&Raw(&payload), &previous)
            .unwrap()
    } else {
        sealer(v, key.clone())
            .with_fixed_nonce_for_vectors(&unhex(&get("nonce")))
            .renew(&Raw(&payload), &previous)
            .unwrap()
    };
    let header = crate::peek(sealed.value()).unwrap();
    assert_eq!(header.suite, suite(v), "vector {}", v["vector"]);
    let version = header.version;
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sealed.value(),
    )
    .unwrap();

    let mut aead_key = [0u8; 32];
    key.expand(INFO_AES_256_GCM, &mut aead_key);
    let mut mac_key = [0u8; 32];
    key.expand(INFO_HMAC_SHA256, &mut mac_key);
    let mut aad = vec![version];
    aad.extend_from_slice(&key.id().to_bytes());
    aad.extend_from_slice(&format::aad_suffix(&get("cookie_name"), &purpose(v)));
    let mut plaintext = Vec::new();
    let s = sealed.stamps();
    format::put_stamps(&mut plaintext, s.created(), s.issued(), s.expires());
    format::put_created_millis(&mut plaintext, s.created_millis());
    let stamps_len = plaintext.len();
    format::put_identity(
        &mut plaintext,
        session_id.as_ref().map(SessionId::as_bytes),
        subject.as_ref().map(Subject::as_bytes),
    );
    let identity_bytes = plaintext[stamps_len..].to_vec();
    plaintext.extend_from_slice(&payload);
    let key_text = key.to_base64();
    let key_bytes = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key_text.as_str(),
    )
    .unwrap();

    let mut out = v.clone();
    let mut put = |k: &str, val: String| {
        out.insert(k.to_owned(), val);
    };
    put("key", hex(&key_bytes));
    put("key_id", key.id().to_string());
    put("expires", sealed.stamps().expires().to_string());
    put("stamps", hex(&plaintext[..stamps_len]));
    put("aad", hex(&aad));
    put("value", sealed.value().to_owned());
    if let Some(limit) = v.get("chunk_limit") {
        // Chunked cookies (FORMAT.md): the value split for a per-cookie limit of `chunk_limit`.
        let limit: usize = limit.parse().expect("number");
        let name = get("cookie_name");
        let parts = crate::cookie::chunk::split(&name, limit, 8, sealed.value()).unwrap();
        for (i, part) in parts.iter().enumerate() {
            let cookie = format!("{}={part}", crate::cookie::chunk::chunk_name(&name, i));
            assert!(cookie.len() <= limit);
            put(&format!("chunk_{i}"), cookie);
        }
    }
    if session_id.is_some() || subject.is_some() || s.created_millis().is_some() {
        put("version", hex(&[version]));
        put("identity", hex(&identity_bytes));
    }
    if is_signed(v) {
        put("hmac_key", hex(&mac_key));
        let mut mac_input = aad.clone();
        mac_input.extend_from_slice(&plaintext);
        put("mac_input", hex(&mac_input));
        put("tag", hex(&raw[raw.len() - 32..]));
        put("signed", hex(&raw));
    } else if suite(v) == Suite::Xaes256Gcm {
        let mut xaes_key = [0u8; 32];
        key.expand(INFO_XAES_256_GCM, &mut xaes_key);
        put("xaes_key", hex(&xaes_key));
        put(
            "derived_key",
            hex(&xaes_derived_key(&xaes_key, &unhex(&get("nonce")))),
        );
        put("plaintext", hex(&plaintext));
        put("tag", hex(&raw[raw.len() - 16..]));
        put("sealed", hex(&raw));
    } else {
        put("aead_key", hex(&aead_key));
        put("hmac_key", hex(&mac_key));
        put("plaintext", hex(&plaintext));
        put("tag", hex(&raw[raw.len() - 16..]));
        put("sealed", hex(&raw));
    }
    out
}

/// FORMAT.md, "Overhead": every vector's value is `fixed + stamps + identity + payload` bytes,
/// with `fixed` 33, 45 and 37 for the three suites.
#[test]
fn every_vector_has_the_length_format_md_overhead_gives() {
    for v in vectors() {
        let fixed = match suite(&v) {
            Suite::Aes256Gcm => 33,
            Suite::Xaes256Gcm => 45,
            Suite::HmacSha256 => 37,
        };
        assert_eq!(fixed, suite(&v).implementation().envelope_len());
        let identity = v.get("identity").map_or(0, |h| h.len() / 2);
        let bytes = fixed + v["stamps"].len() / 2 + identity + v["payload"].len() / 2;
        assert_eq!(
            v["value"].len(),
            format::base64_len(bytes),
            "vector {}",
            v["vector"]
        );
    }
}

#[test]
fn format_md_has_at_least_three_vectors() {
    assert!(
        vectors().len() >= 3,
        "FORMAT.md must carry at least three vectors"
    );
}

#[test]
fn every_format_md_vector_is_reproduced_byte_for_byte() {
    for v in vectors() {
        let expected = compute(&v);
        if std::env::var_os("SEALED_SESSION_PRINT_VECTORS").is_some() {
            for (k, val) in &expected {
                println!("{k} = {val}");
            }
            println!();
            continue;
        }
        for (k, want) in &expected {
            let have = v
                .get(k)
                .unwrap_or_else(|| panic!("vector {} lacks `{k}`", v["vector"]));
            assert_eq!(have, want, "vector {} field `{k}`", v["vector"]);
        }
    }
}

/// Either mode's open, returning the plaintext re-serialized (see `open_typed`).
trait Opener {
    fn open_as<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        value: &str,
    ) -> (Vec<u8>, Stamps);
}

impl Opener for Sealer {
    fn open_as<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        value: &str,
    ) -> (Vec<u8>, Stamps) {
        let opened = self.open::<T>(value).expect("vector opens");
        (postcard::to_allocvec(&opened.state).unwrap(), opened.stamps)
    }
}

impl Opener for Signer {
    fn open_as<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        value: &str,
    ) -> (Vec<u8>, Stamps) {
        let opened = self.verify::<T>(value).expect("vector verifies");
        (postcard::to_allocvec(&opened.state).unwrap(), opened.stamps)
    }
}

/// Opens a vector's value as the type FORMAT.md says its payload is, and returns the state
/// serialized again, which must equal the vector's payload bytes.
fn open_typed<O: Opener>(n: &str, opener: &O, value: &str) -> (Vec<u8>, Stamps) {
    match n {
        "1" | "5" | "6" | "8" => opener.open_as::<String>(value),
        "7" | "11" | "12" => opener.open_as::<u64>(value),
        "2" => opener.open_as::<(u64, Vec<String>)>(value),
        "3" => opener.open_as::<()>(value),
        "4" => opener.open_as::<serde_bytes::ByteBuf>(value),
        // A server-side cookie's payload: where the state is (FORMAT.md, "Server-side sessions").
        "9" => opener.open_as::<crate::handle::Held<String>>(value),
        "10" => opener.open_as::<String>(value),
        other => panic!("vector {other} has no payload type in src/vectors.rs"),
    }
}

#[test]
fn every_format_md_vector_opens_to_its_payload_and_stamps() {
    for v in vectors() {
        let num = |k: &str| v[k].parse::<u64>().unwrap();
        let key = Key::from_bytes(&unhex(&v["key"])).unwrap();
        let (payload, stamps) = if is_signed(&v) {
            open_typed(&v["vector"], &signer(&v, key), &v["value"])
        } else {
            open_typed(&v["vector"], &sealer(&v, key), &v["value"])
        };
        assert_eq!(hex(&payload), v["payload"], "vector {}", v["vector"]);
        assert_eq!(stamps.created(), num("created"));
        assert_eq!(stamps.issued(), num("issued"));
        assert_eq!(stamps.expires(), num("expires"));
        let millis = v.get("created_millis").map(|ms| ms.parse::<u16>().unwrap());
        assert_eq!(stamps.created_millis(), millis, "vector {}", v["vector"]);
    }
}

/// Vectors 9 and 10 are what the crate's server-side sessions make of a cookie with purpose
/// `session`: the binding made from that cookie opens vector 9 as its cookie and vector 10 as
/// the state at rest (their purposes, suite and session-id check are the ones FORMAT.md
/// states); the cookie itself opens neither, and a state at rest does not open for another
/// session id.
#[test]
fn vectors_9_and_10_are_a_server_side_cookie_and_its_state_at_rest() {
    use crate::handle::{Held, ServerSide};
    use crate::store::MemoryStore;
    let all = vectors();
    let (cookie_v, rest_v) = (&all[8], &all[9]);
    assert_eq!(
        (cookie_v["vector"].as_str(), rest_v["vector"].as_str()),
        ("9", "10")
    );
    // The application's cookie: vector 9's settings under its own purpose, `session`.
    let mut app = cookie_v.clone();
    app.remove("purpose_hex");
    app.insert("purpose".into(), "session".into());
    let key = Key::from_bytes(&unhex(&cookie_v["key"])).unwrap();
    let cookie =
        crate::SessionCookie::sealed(sealer(&app, key), crate::CookieOptions::new()).unwrap();
    let binding = ServerSide::new(MemoryStore::new()).bind(&cookie).unwrap();

    let header = format!("__Host-session={}", cookie_v["value"]);
    let opened = binding
        .cookie
        .open::<Held<String>>(&header)
        .unwrap()
        .unwrap();
    assert!(matches!(opened.state, Held::InStore));
    assert!(
        cookie.open::<u64>(&header).is_err(),
        "a cookie-mode reader refuses it"
    );

    let id = SessionId::from_bytes(unhex(&rest_v["session_id"]).try_into().unwrap());
    assert_eq!(opened.envelope().session_id(), Some(id));
    let state: String = binding.open(&rest_v["value"], &id).unwrap();
    assert_eq!(state, "alice");
    let other = SessionId::from_bytes([0x42; 16]);
    assert_eq!(
        binding.open::<String>(&rest_v["value"], &other),
        Err(crate::Refusal::Stored(crate::OpenError::Authentication))
    );
    let stored_as_cookie = format!("__Host-session={}", rest_v["value"]);
    assert!(cookie.open::<String>(&stored_as_cookie).is_err());
    assert!(
        binding
            .cookie
            .open::<Held<String>>(&stored_as_cookie)
            .is_err()
    );
}
