//! Cipher suites: what protects a value's body. One pipeline (src/session/pipeline.rs) seals and
//! opens every value; a suite only states its version byte and sizes and protects or unprotects
//! the bytes, under its own subkey of the ring's key.
//!
//! | suite | version byte | nonce | tag | mode |
//! |---|---|---|---|---|
//! | [`aes256gcm`] | `0x01` | 12 | 16 | sealed |
//! | [`xaes256gcm`] | `0x02` | 24 | 16 | sealed |
//! | [`hmac_sha256`] | `0x81` | 0 | 32 | signed |

mod aes256gcm;
mod gcm;
mod hmac_sha256;
mod xaes256gcm;

use crate::format::{FLAGS_MASK, HEADER_LEN, MIN_STAMPS_LEN};
use crate::key::Expansions;
use std::fmt;

/// The suites' HKDF labels, for the tests that recompute FORMAT.md's vectors from them.
#[cfg(test)]
pub(crate) use {
    aes256gcm::INFO as INFO_AES_256_GCM, hmac_sha256::INFO as INFO_HMAC_SHA256,
    xaes256gcm::INFO as INFO_XAES_256_GCM,
};

/// A suite refused: a tag that does not verify on unprotect, or (never in practice) an input over
/// the suite's limits on protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// One way to protect a value's body. Implemented by the three suites; the pipeline holds a
/// `&'static dyn CipherSuite` chosen when the sealer is built (to seal) or by the value's version
/// byte among its mode's suites (to open), never by trial.
pub(crate) trait CipherSuite: Sync + 'static {
    /// Which suite this is, for reports and [`peek`](crate::peek).
    fn suite(&self) -> Suite;

    /// The version byte without identity flags (FORMAT.md, "Versions").
    fn version(&self) -> u8 {
        self.suite().version()
    }

    /// Bytes of nonce after the header (0 for a suite that needs none).
    fn nonce_len(&self) -> usize;

    /// Bytes of tag at the end of the value.
    fn tag_len(&self) -> usize;

    /// Bytes around the plaintext: header, nonce and tag.
    fn envelope_len(&self) -> usize {
        HEADER_LEN + self.nonce_len() + self.tag_len()
    }

    /// The shortest well-formed value of this suite, in bytes.
    fn min_len(&self) -> usize {
        self.envelope_len() + MIN_STAMPS_LEN
    }

    /// Whether the body leaves [`protect`](Self::protect) encrypted (sealed suites) or as it was
    /// (the signed suite, whose buffer the pipeline wipes after encoding).
    fn confidential(&self) -> bool;

    /// Protects `body` in place under this suite's part of `under.keys`, authenticating
    /// `under.aad` as well, and writes the tag into `tag` (exactly [`tag_len`](Self::tag_len)
    /// bytes). `under.nonce` is exactly [`nonce_len`](Self::nonce_len) fresh random bytes.
    fn protect(&self, under: Under<'_>, body: &mut [u8], tag: &mut [u8]) -> Result<(), Refused>;

    /// Checks `tag` over `under.aad` and `body` and, only if it verifies, leaves the plaintext
    /// in `body`. On `Err` nothing of `body` may be used (a sealed suite leaves it all zeros).
    fn unprotect(&self, under: Under<'_>, body: &mut [u8], tag: &[u8]) -> Result<(), Refused>;
}

/// What a suite protects a value's body under: the key, the value's nonce (empty for a suite
/// that needs none) and the associated data that binds the value to its cookie (FORMAT.md,
/// "Associated data").
#[derive(Clone, Copy)]
pub(crate) struct Under<'a> {
    pub(crate) keys: &'a Expansions,
    pub(crate) nonce: &'a [u8],
    pub(crate) aad: &'a [u8],
}

impl<'a> Under<'a> {
    pub(crate) fn new(keys: &'a Expansions, nonce: &'a [u8], aad: &'a [u8]) -> Self {
        Self { keys, nonce, aad }
    }
}

pub(crate) use aes256gcm::AES_256_GCM;
pub(crate) use hmac_sha256::HMAC_SHA256;
pub(crate) use xaes256gcm::XAES_256_GCM;

/// A cipher suite: what protects a value (FORMAT.md, "Versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// AES-256-GCM with a 96-bit random nonce, version byte `0x01`: sealed values (confidential
    /// and authentic). The default of a [`Sealer`](crate::Sealer).
    Aes256Gcm,
    /// XAES-256-GCM (C2SP) with a 192-bit random nonce, version byte `0x02`: sealed values, for
    /// keys that seal far more than 2^32 values (see SECURITY.md). Opt-in with
    /// [`SealerBuilder::extended_nonce`](crate::SealerBuilder::extended_nonce).
    Xaes256Gcm,
    /// HMAC-SHA256, version byte `0x81`: signed values (authentic, readable by the client), made
    /// by a [`Signer`](crate::Signer).
    HmacSha256,
}

impl Suite {
    /// The suite's name as reports and the command-line tool print it: `"aes-256-gcm"`,
    /// `"xaes-256-gcm"` or `"hmac-sha256"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes-256-gcm",
            Self::Xaes256Gcm => "xaes-256-gcm",
            Self::HmacSha256 => "hmac-sha256",
        }
    }

    /// The version byte of a value of this suite without identity fields.
    pub fn version(self) -> u8 {
        match self {
            Self::Aes256Gcm => 0x01,
            Self::Xaes256Gcm => 0x02,
            Self::HmacSha256 => 0x81,
        }
    }

    /// Whether the suite encrypts (sealed values) rather than only signs.
    pub fn is_sealed(self) -> bool {
        !matches!(self, Self::HmacSha256)
    }

    /// The suite a version byte names, flags ignored; `None` for a reserved byte.
    pub fn from_version(version: u8) -> Option<Self> {
        match version & !FLAGS_MASK {
            0x01 => Some(Self::Aes256Gcm),
            0x02 => Some(Self::Xaes256Gcm),
            0x81 => Some(Self::HmacSha256),
            _ => None,
        }
    }

    pub(crate) fn implementation(self) -> &'static dyn CipherSuite {
        match self {
            Self::Aes256Gcm => &AES_256_GCM,
            Self::Xaes256Gcm => &XAES_256_GCM,
            Self::HmacSha256 => &HMAC_SHA256,
        }
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Sealed or signed: which suites a reader opens. A reader never chooses the mode from the value
/// (FORMAT.md, "Configuration both sides share").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Sealed,
    Signed,
}

impl Mode {
    /// The suite a version byte names, if this mode opens it.
    pub(crate) fn suite_for(self, version: u8) -> Option<&'static dyn CipherSuite> {
        let suite = Suite::from_version(version)?;
        (suite.is_sealed() == (self == Mode::Sealed)).then(|| suite.implementation())
    }

    /// The shortest value of any suite of this mode, in bytes.
    pub(crate) fn min_len(self) -> usize {
        match self {
            Mode::Sealed => AES_256_GCM.min_len().min(XAES_256_GCM.min_len()),
            Mode::Signed => HMAC_SHA256.min_len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_suite_keeps_its_expansion_in_a_slot_of_its_own() {
        let slots = [aes256gcm::SLOT, xaes256gcm::SLOT, hmac_sha256::SLOT];
        for (i, slot) in slots.iter().enumerate() {
            assert!(
                *slot < crate::key::SLOTS,
                "slot {slot} is beyond the key's slots"
            );
            assert!(!slots[..i].contains(slot), "slot {slot} is taken twice");
        }
    }

    #[test]
    fn every_version_byte_names_at_most_one_suite_of_one_mode() {
        let mut named = 0;
        for v in 0..=255u8 {
            let sealed = Mode::Sealed.suite_for(v).is_some();
            let signed = Mode::Signed.suite_for(v).is_some();
            assert!(!(sealed && signed), "{v:#04x}");
            if let Some(suite) = Suite::from_version(v) {
                named += 1;
                assert_eq!(suite.version(), v & !FLAGS_MASK, "{v:#04x}");
                assert_eq!(suite.implementation().version(), suite.version());
                assert!(sealed || signed);
            } else {
                assert!(!sealed && !signed, "{v:#04x}");
            }
        }
        // Three suites, each with eight flag combinations (id, subject, creation millisecond).
        assert_eq!(named, 24);
    }
}
