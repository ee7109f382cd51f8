//! The AES implementations behind the sealed suites, chosen once per build: every function of the
//! crate calls `backend::AesGcmKey` and `backend::XaesKey`, and only this file knows which module
//! provides them.
//!
//! Both modules offer the same items with the same contract:
//! - `AesGcmKey::new(&[u8; 32])` (12-byte nonces) and `XaesKey::new(&[u8; 32])` (24-byte
//!   nonces, C2SP XAES-256-GCM), both [`GcmKey`]s;
//! - `NAME`, the backend's name in reports.
//!
//! The key schedule is expanded once per key, on its first use, never per call; a failed `open`
//! leaves the buffer all zeros (the implementation may have written to it before the tag check
//! failed), so no byte of an unauthenticated decryption leaves the backend. The fixed-size
//! arguments make the sizes FORMAT.md allows the only ones expressible.

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!(
    "sealed-session needs an AES implementation: enable the `rust-crypto` feature (the default) \
     or the `aws-lc` feature"
);

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "aws-lc")]
pub(crate) use aws_lc::{AesGcmKey, NAME, XaesKey};

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
pub(crate) use rust_crypto::{AesGcmKey, NAME, XaesKey};

/// AES-256 key: 256 bits (each suite's subkey, FORMAT.md "Keys").
pub(crate) const KEY_LEN: usize = 32;
/// AES-GCM nonce: 96 bits.
pub(crate) const GCM_NONCE_LEN: usize = 12;
/// XAES-256-GCM nonce: 192 bits.
pub(crate) const XAES_NONCE_LEN: usize = 24;
/// GCM tag: 128 bits.
pub(crate) const GCM_TAG_LEN: usize = 16;
/// A GCM tag.
pub(crate) type GcmTag = [u8; GCM_TAG_LEN];

/// A GCM key of either sealed suite, its schedule expanded once: what a sealed suite asks of a
/// backend.
pub(crate) trait GcmKey: Send + Sync {
    /// Encrypts `buf` in place under `nonce` (exactly the suite's nonce length, or refused),
    /// authenticating `aad` as well; returns the tag.
    fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Result<GcmTag, AeadError>;

    /// Verifies `tag` over `aad` and the ciphertext in `buf` and, only if it verifies, leaves the
    /// plaintext in `buf`. On `Err`, `buf` is all zeros.
    fn open(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), AeadError>;
}

/// The backend refused: the tag did not verify on decryption, a nonce or tag had the wrong
/// length, or an input exceeded what AES-GCM allows (NIST SP 800-38D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadError;

/// Wipes `buf` after a failed decryption (see the module documentation).
fn refuse(buf: &mut [u8]) -> Result<(), AeadError> {
    buf.fill(0);
    Err(AeadError)
}
