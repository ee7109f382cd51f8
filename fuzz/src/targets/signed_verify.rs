//! `signed_verify`: the input as a signed value (`Signer::verify`, with the full `open_value`
//! oracle), and the same bytes read as a structured mutation of a real value.
//!
//! Mutations are fuzzer-chosen byte edits applied to a real signed (or sealed) value, either to
//! its decoded bytes (then re-encoded) or to its text. Checked: a mutated value verifies only if
//! its decoded bytes are the original's (and then its text is too: one accepted text per value);
//! an unchanged value under a key of the ring always verifies; every refusal is the one the
//! FORMAT.md model predicts.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::fixtures::{self, NOW};
use crate::oracle;
use crate::targets::open_value::{self, check_sealed, check_signed};

/// Which kind of value an original is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Signed,
    Sealed,
}

/// A real value to mutate.
#[derive(Debug, Clone)]
pub struct Original {
    pub mode: Mode,
    pub text: String,
    pub raw: Vec<u8>,
    /// Whether its key is in the harness ring (else it gives `UnknownKey` even unchanged).
    pub key_in_ring: bool,
}

/// The originals: signed and sealed values under the primary, the old, the next and a retired key.
pub fn originals() -> &'static [Original] {
    static O: OnceLock<Vec<Original>> = OnceLock::new();
    O.get_or_init(|| {
        let keys = [
            (fixtures::key_primary(), true),
            (fixtures::key_old(), true),
            (fixtures::key_next(), true),
            (fixtures::key_retired(), false),
        ];
        let mut out = Vec::new();
        for (i, (key, key_in_ring)) in keys.into_iter().enumerate() {
            let ring = fixtures::ring_of(key);
            let state = fixtures::sample_session(i as u8, 1);
            let signed = fixtures::signer(ring.clone())
                .sign(&state)
                .expect("fits")
                .into_value();
            let sealed = fixtures::sealer(ring)
                .seal(&state)
                .expect("fits")
                .into_value();
            for (mode, text) in [(Mode::Signed, signed), (Mode::Sealed, sealed)] {
                let raw = URL_SAFE_NO_PAD.decode(&text).expect("valid base64url");
                out.push(Original {
                    mode,
                    text,
                    raw,
                    key_in_ring,
                });
            }
        }
        // Signed first, so small `original` choices hit the signed mode.
        out.sort_by_key(|o| o.mode == Mode::Sealed);
        out
    })
}

/// A structured mutation of a real value.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct Mutation {
    /// Index into [`originals`] (modulo their number).
    pub original: u8,
    pub layer: Layer,
    pub edits: Vec<Edit>,
}

/// Where edits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Layer {
    /// The decoded bytes; the result is re-encoded canonically.
    Decoded,
    /// The base64url text itself.
    Text,
}

/// One edit at a position (modulo the length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub struct Edit {
    pub pos: u16,
    pub op: EditOp,
}

/// Edit operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum EditOp {
    Set(u8),
    Xor(u8),
    Insert(u8),
    Remove,
    Truncate,
    Duplicate,
    SwapNext,
}

fn apply(bytes: &mut Vec<u8>, edit: Edit) {
    let len = bytes.len();
    let at = |n: usize| usize::from(edit.pos) % n;
    match edit.op {
        EditOp::Insert(b) => bytes.insert(at(len + 1), b),
        _ if len == 0 => {}
        EditOp::Set(b) => bytes[at(len)] = b,
        EditOp::Xor(b) => bytes[at(len)] ^= b,
        EditOp::Remove => {
            bytes.remove(at(len));
        }
        EditOp::Truncate => bytes.truncate(at(len)),
        EditOp::Duplicate => {
            let i = at(len);
            bytes.insert(i, bytes[i]);
        }
        EditOp::SwapNext => {
            let i = at(len);
            bytes.swap(i, (i + 1) % len);
        }
    }
}

/// The mutated text of `m`, and its original.
pub fn mutated(m: &Mutation) -> (String, &'static Original) {
    let all = originals();
    let orig = &all[usize::from(m.original) % all.len()];
    let text = match m.layer {
        Layer::Decoded => {
            let mut raw = orig.raw.clone();
            for &e in m.edits.iter().take(64) {
                apply(&mut raw, e);
            }
            URL_SAFE_NO_PAD.encode(&raw)
        }
        Layer::Text => {
            let mut bytes = orig.text.clone().into_bytes();
            for &e in m.edits.iter().take(64) {
                apply(&mut bytes, e);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    (text, orig)
}

/// Checks one mutation.
pub fn check_mutation(m: &Mutation) {
    let h = open_value::harness();
    let (text, orig) = mutated(m);
    let opened = match orig.mode {
        Mode::Signed => check_signed(h, &text),
        Mode::Sealed => check_sealed(h, &text),
    };
    let decoded = oracle::strict_b64url_decode(&text);
    let unchanged = decoded.as_deref() == Some(orig.raw.as_slice());
    if opened {
        assert!(unchanged, "a changed value was accepted: {text:?}");
        assert_eq!(
            text, orig.text,
            "a second text of the same value was accepted"
        );
    }
    if unchanged && orig.key_in_ring {
        assert!(
            opened,
            "an unchanged value was refused: {text:?} (at {NOW})"
        );
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let h = open_value::harness();
    check_signed(h, &String::from_utf8_lossy(data));
    if let Ok(m) = Mutation::arbitrary_take_rest(Unstructured::new(data)) {
        check_mutation(&m);
    }
}
