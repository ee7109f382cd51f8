//! The `rust-crypto` backend (the default): RustCrypto's `aes-gcm` and `xaes-256-gcm`, pure Rust,
//! with their round keys and GHASH keys zeroized on drop.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use xaes_256_gcm::Xaes256Gcm;

use super::{AeadError, GCM_NONCE_LEN, GCM_TAG_LEN, KEY_LEN, XAES_NONCE_LEN, refuse};

/// The backend's name in reports.
pub(crate) const NAME: &str = "rust-crypto";

/// An AES-256-GCM key with its schedule expanded once.
pub(crate) struct AesGcmKey(Aes256Gcm);

impl AesGcmKey {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// Encrypts `buf` in place, authenticating `aad` too; returns the tag.
    #[inline]
    pub(crate) fn seal(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], AeadError> {
        self.0
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            .map(Into::into)
            .map_err(|_| AeadError)
    }

    /// Verifies `tag` and, only if it verifies, leaves the plaintext in `buf` (zeros otherwise).
    #[inline]
    pub(crate) fn open(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), AeadError> {
        match self
            .0
            .decrypt_inout_detached(nonce.into(), aad, (&mut *buf).into(), tag.into())
        {
            Ok(()) => Ok(()),
            Err(_) => refuse(buf),
        }
    }
}

/// An XAES-256-GCM key: the AES-256 schedule and the CMAC subkey `K1`, computed once; each
/// message derives its own AES-256-GCM key from the first half of its nonce.
pub(crate) struct XaesKey(Xaes256Gcm);

impl XaesKey {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Xaes256Gcm::new(key.into()))
    }

    /// Encrypts `buf` in place, authenticating `aad` too; returns the tag.
    #[inline]
    pub(crate) fn seal(
        &self,
        nonce: &[u8; XAES_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], AeadError> {
        self.0
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            .map(Into::into)
            .map_err(|_| AeadError)
    }

    /// Verifies `tag` and, only if it verifies, leaves the plaintext in `buf` (zeros otherwise).
    #[inline]
    pub(crate) fn open(
        &self,
        nonce: &[u8; XAES_NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), AeadError> {
        match self
            .0
            .decrypt_inout_detached(nonce.into(), aad, (&mut *buf).into(), tag.into())
        {
            Ok(()) => Ok(()),
            Err(_) => refuse(buf),
        }
    }
}
