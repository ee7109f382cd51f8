//! FORMAT.md's test vectors, checked byte for byte. This lives inside the crate because sealing
//! reproducibly needs a fixed nonce, which only `cfg(test)` builds can set.
//!
//! Each vector in FORMAT.md is a fenced block whose first line is `vector = N`, followed by
//! `field = value` lines. Inputs: key (or master + label), nonce, cookie_name, purpose, idle,
//! absolute, created, issued, payload. Every other field is an expected output recomputed here.

use std::collections::BTreeMap;

use serde::ser::{SerializeTuple, Serializer};

use crate::format::{self, NONCE_LEN};
use crate::key::{INFO_AES_256_GCM, INFO_HMAC_SHA256, Key};
use crate::{KeyRing, ManualClock, Sealer, Stamps};

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
    let nonce: [u8; NONCE_LEN] = unhex(&get("nonce")).try_into().expect("12-byte nonce");
    let name = get("cookie_name");
    let purpose = get("purpose");
    let payload = unhex(&get("payload"));
    let clock = ManualClock::new(num("issued"));
    let sealer = Sealer::builder(KeyRing::new(key.clone()), &name)
        .purpose(&purpose)
        .idle_timeout(std::time::Duration::from_secs(num("idle")))
        .absolute_lifetime(std::time::Duration::from_secs(num("absolute")))
        .clock(clock)
        .build()
        .unwrap()
        .with_fixed_nonce_for_vectors(nonce);
    let previous = Stamps::new(num("created"), num("created"), num("created")).unwrap();
    let sealed = sealer.renew(&Raw(&payload), &previous).unwrap();
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sealed.value(),
    )
    .unwrap();

    let mut aead_key = [0u8; 32];
    key.expand(INFO_AES_256_GCM, &mut aead_key);
    let mut mac_key = [0u8; 32];
    key.expand(INFO_HMAC_SHA256, &mut mac_key);
    let mut aad = vec![format::VERSION_1];
    aad.extend_from_slice(&key.id().to_bytes());
    aad.extend_from_slice(&format::aad_suffix(&name, &purpose));
    let mut plaintext = Vec::new();
    format::put_stamps(&mut plaintext, sealed.stamps());
    let stamps_len = plaintext.len();
    plaintext.extend_from_slice(&payload);

    let mut out = v.clone();
    let mut put = |k: &str, val: String| {
        out.insert(k.to_owned(), val);
    };
    let key_text = key.to_base64();
    let key_bytes = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key_text.as_str(),
    )
    .unwrap();
    put("key", hex(&key_bytes));
    put("key_id", key.id().to_string());
    put("aead_key", hex(&aead_key));
    put("hmac_key", hex(&mac_key));
    put("expires", sealed.stamps().expires().to_string());
    put("aad", hex(&aad));
    put("stamps", hex(&plaintext[..stamps_len]));
    put("plaintext", hex(&plaintext));
    put("sealed", hex(&raw));
    put("tag", hex(&raw[raw.len() - 16..]));
    put("value", sealed.value().to_owned());
    out
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

/// Opens a vector's value as the type FORMAT.md says its payload is, and returns the state
/// serialized again, which must equal the vector's payload bytes.
fn open_typed(n: &str, sealer: &Sealer, value: &str) -> (Vec<u8>, Stamps) {
    fn reserialize<T: serde::Serialize + serde::de::DeserializeOwned>(
        sealer: &Sealer,
        value: &str,
    ) -> (Vec<u8>, Stamps) {
        let opened = sealer.open::<T>(value).expect("vector opens");
        (postcard::to_allocvec(&opened.state).unwrap(), opened.stamps)
    }
    match n {
        "1" => reserialize::<String>(sealer, value),
        "2" => reserialize::<(u64, Vec<String>)>(sealer, value),
        "3" => reserialize::<()>(sealer, value),
        "4" => reserialize::<serde_bytes::ByteBuf>(sealer, value),
        other => panic!("vector {other} has no payload type in src/vectors.rs"),
    }
}

#[test]
fn every_format_md_vector_opens_to_its_payload_and_stamps() {
    for v in vectors() {
        let num = |k: &str| v[k].parse::<u64>().unwrap();
        let key = Key::from_bytes(&unhex(&v["key"])).unwrap();
        let sealer = Sealer::builder(KeyRing::new(key), &v["cookie_name"])
            .purpose(&v["purpose"])
            .idle_timeout(std::time::Duration::from_secs(num("idle")))
            .absolute_lifetime(std::time::Duration::from_secs(num("absolute")))
            .clock(ManualClock::new(num("issued")))
            .build()
            .unwrap();
        let (payload, stamps) = open_typed(&v["vector"], &sealer, &v["value"]);
        assert_eq!(hex(&payload), v["payload"], "vector {}", v["vector"]);
        assert_eq!(stamps.created(), num("created"));
        assert_eq!(stamps.issued(), num("issued"));
        assert_eq!(stamps.expires(), num("expires"));
    }
}
