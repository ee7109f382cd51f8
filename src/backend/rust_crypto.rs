//! The `rust-crypto` backend (the default): RustCrypto's `aes-gcm` and `xaes-256-gcm`, pure Rust,
//! with their round keys and GHASH keys zeroized on drop. Both implement the same `aead` traits,
//! so one generic key serves both suites.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use xaes_256_gcm::Xaes256Gcm;

use super::{AeadError, GcmKey, GcmTag, KEY_LEN, refuse};

/// The backend's name in reports.
pub(crate) const NAME: &str = "rust-crypto";

/// An AES-256-GCM key with its schedule expanded once.
pub(crate) type AesGcmKey = Key<Aes256Gcm>;

/// An XAES-256-GCM key: the AES-256 schedule and the CMAC subkey `K1`, computed once; each
/// message derives its own AES-256-GCM key from the first half of its nonce.
pub(crate) type XaesKey = Key<Xaes256Gcm>;

/// A RustCrypto AEAD with a 256-bit key and a 128-bit tag.
pub(crate) struct Key<C>(C);

impl<C: KeyInit> Key<C> {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        // Both ciphers take 32-byte keys, which the type guarantees.
        Self(C::new_from_slice(key).expect("a 256-bit key"))
    }
}

impl<C: AeadInOut + Send + Sync> GcmKey for Key<C> {
    #[inline]
    fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Result<GcmTag, AeadError> {
        let nonce = <&Nonce<C>>::try_from(nonce).map_err(|_| AeadError)?;
        let tag = self
            .0
            .encrypt_inout_detached(nonce, aad, buf.into())
            .map_err(|_| AeadError)?;
        tag.as_slice().try_into().map_err(|_| AeadError)
    }

    #[inline]
    fn open(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), AeadError> {
        let (Ok(nonce), Ok(tag)) = (<&Nonce<C>>::try_from(nonce), <&Tag<C>>::try_from(tag)) else {
            return refuse(buf);
        };
        match self
            .0
            .decrypt_inout_detached(nonce, aad, (&mut *buf).into(), tag)
        {
            Ok(()) => Ok(()),
            Err(_) => refuse(buf),
        }
    }
}
