//! The `aws-lc` backend (opt-in): AES from AWS-LC through `aws-lc-rs`, the library behind rustls's
//! default provider. Its key schedules live in memory AWS-LC allocates and wipes
//! (`OPENSSL_cleanse`) when the key is dropped. It needs a C compiler to build.
//!
//! `aws-lc-rs` has no XAES-256-GCM, so [`XaesKey`] builds it from AWS-LC's own parts, as C2SP
//! specifies it: the key derivation with AES-256 in ECB mode over two blocks, then AES-256-GCM
//! under the derived key. The C2SP vectors check it (src/suite/xaes256gcm.rs).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
use zeroize::Zeroizing;

use super::{AeadError, GCM_NONCE_LEN, GcmKey, GcmTag, KEY_LEN, XAES_NONCE_LEN, refuse};

/// The backend's name in reports.
pub(crate) const NAME: &str = "aws-lc";

/// An AES-256-GCM key with its schedule expanded once.
///
/// `LessSafeKey` is `aws-lc-rs`'s name for a key that takes an explicit nonce per call; the
/// crate's nonce discipline (a fresh random nonce per seal, src/nonce.rs) is what makes that safe.
pub(crate) struct AesGcmKey(LessSafeKey);

impl AesGcmKey {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        // AWS-LC refuses only a key of the wrong length, which the type rules out, or fails to
        // allocate the key's context, which (as any allocation failure in Rust) ends the thread.
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256-GCM takes 32-byte keys");
        Self(LessSafeKey::new(unbound))
    }
}

impl GcmKey for AesGcmKey {
    #[inline]
    fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Result<GcmTag, AeadError> {
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AeadError)?;
        let tag = self
            .0
            .seal_in_place_separate_tag(nonce, Aad::from(aad), buf)
            .map_err(|_| AeadError)?;
        tag.as_ref().try_into().map_err(|_| AeadError)
    }

    #[inline]
    fn open(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), AeadError> {
        let Ok(nonce) = Nonce::try_assume_unique_for_key(nonce) else {
            return refuse(buf);
        };
        match self
            .0
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, buf)
        {
            Ok(_) => Ok(()),
            Err(_) => refuse(buf),
        }
    }
}

/// An XAES-256-GCM key: the AES-256 schedule (ECB, for the key derivation) and the CMAC subkey
/// `K1`, computed once; each message derives its own AES-256-GCM key from the first half of its
/// nonce.
pub(crate) struct XaesKey {
    aes: EncryptingKey,
    k1: Zeroizing<[u8; 16]>,
}

impl XaesKey {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        let unbound = UnboundCipherKey::new(&AES_256, key).expect("AES-256 takes 32-byte keys");
        let aes = EncryptingKey::ecb(unbound).expect("AES-256 supports ECB");
        // L = AES(key, 0^128); K1 = L << 1, reduced by the GF(2^128) polynomial (0x87).
        let mut l = Zeroizing::new([0u8; 16]);
        encrypt_blocks(&aes, l.as_mut_slice()).expect("ECB over one whole block");
        let mut k1 = Zeroizing::new([0u8; 16]);
        let carry = l[0] >> 7;
        for i in 0..16 {
            let next = if i + 1 < 16 { l[i + 1] >> 7 } else { 0 };
            k1[i] = (l[i] << 1) | next;
        }
        k1[15] ^= carry * 0x87;
        Self { aes, k1 }
    }

    /// The AES-256-GCM key of one message: AES(key, K1 ^ (0x00 i 'X' 0x00 || nonce[..12])) for
    /// i = 1, 2 (C2SP XAES-256-GCM, a NIST SP 800-108r1 counter-mode KDF over CMAC).
    fn message_key(&self, nonce: &[u8; XAES_NONCE_LEN]) -> Result<AesGcmKey, AeadError> {
        let mut kx = Zeroizing::new([0u8; KEY_LEN]);
        for (half, counter) in kx.chunks_exact_mut(16).zip([1u8, 2]) {
            half[..4].copy_from_slice(&[0, counter, b'X', 0]);
            half[4..].copy_from_slice(&nonce[..12]);
            for (b, k) in half.iter_mut().zip(self.k1.iter()) {
                *b ^= k;
            }
        }
        encrypt_blocks(&self.aes, kx.as_mut_slice())?;
        Ok(AesGcmKey::new(&kx))
    }
}

impl GcmKey for XaesKey {
    #[inline]
    fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Result<GcmTag, AeadError> {
        let nonce: &[u8; XAES_NONCE_LEN] = nonce.try_into().map_err(|_| AeadError)?;
        self.message_key(nonce)?.seal(&gcm_nonce(nonce), aad, buf)
    }

    #[inline]
    fn open(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), AeadError> {
        let Ok(nonce) = <&[u8; XAES_NONCE_LEN]>::try_from(nonce) else {
            return refuse(buf);
        };
        match self.message_key(nonce) {
            Ok(key) => key.open(&gcm_nonce(nonce), aad, buf, tag),
            Err(_) => refuse(buf),
        }
    }
}

/// The second half of an XAES nonce: the AES-GCM nonce under the derived key.
fn gcm_nonce(nonce: &[u8; XAES_NONCE_LEN]) -> [u8; GCM_NONCE_LEN] {
    let mut n = [0u8; GCM_NONCE_LEN];
    n.copy_from_slice(&nonce[12..]);
    n
}

/// Encrypts whole 16-byte blocks in place with AES-256 (ECB: each block on its own). ECB takes
/// no context, and AWS-LC refuses only a length that is not whole blocks, which every caller here
/// rules out (16 or 32 bytes); the error is passed on all the same.
fn encrypt_blocks(aes: &EncryptingKey, blocks: &mut [u8]) -> Result<(), AeadError> {
    aes.less_safe_encrypt(blocks, EncryptionContext::None)
        .map(drop)
        .map_err(|_| AeadError)
}
