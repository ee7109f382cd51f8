//! The raw AEAD of the backend this build uses, with a pre-expanded key: the floor of every ratio
//! and the AEAD part of the `# parts` lines. With the default features it is RustCrypto's
//! `aes-gcm` and `xaes-256-gcm`; with `--features aws-lc` it is AWS-LC's AES-GCM (and XAES-256-GCM
//! built on AWS-LC's AES as C2SP specifies it, as the crate's own backend does), so a ratio never
//! compares the crate on one AES implementation with a floor on another.

use sealed_session::Suite;

/// A raw AEAD of one sealed suite.
pub(crate) struct RawAead(Inner);

#[cfg(not(feature = "aws-lc"))]
enum Inner {
    Aes(aes_gcm::Aes256Gcm),
    Xaes(xaes_256_gcm::Xaes256Gcm),
}

#[cfg(feature = "aws-lc")]
// One of each per floor, built before timing: the size difference costs nothing measured.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Aes(aws_lc_rs::aead::LessSafeKey),
    Xaes {
        ecb: aws_lc_rs::cipher::EncryptingKey,
        k1: [u8; 16],
    },
}

#[cfg(not(feature = "aws-lc"))]
impl RawAead {
    pub(crate) fn new(suite: Suite, key: &[u8; 32]) -> Self {
        use aes_gcm::KeyInit;
        Self(match suite {
            Suite::Xaes256Gcm => Inner::Xaes(xaes_256_gcm::Xaes256Gcm::new(key.into())),
            _ => Inner::Aes(aes_gcm::Aes256Gcm::new(key.into())),
        })
    }

    pub(crate) fn nonce_len(&self) -> usize {
        match self.0 {
            Inner::Aes(_) => 12,
            Inner::Xaes(_) => 24,
        }
    }

    /// Encrypts `buf` in place; returns the tag.
    pub(crate) fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        use aes_gcm::aead::AeadInOut;
        match &self.0 {
            Inner::Aes(k) => k
                .encrypt_inout_detached(nonce.try_into().unwrap(), aad, buf.into())
                .unwrap()
                .into(),
            Inner::Xaes(k) => k
                .encrypt_inout_detached(nonce.try_into().unwrap(), aad, buf.into())
                .unwrap()
                .into(),
        }
    }

    /// Authenticates `ct` and decrypts it into `out`; whether the tag verified.
    pub(crate) fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8; 16],
        out: &mut [u8],
    ) -> bool {
        use aes_gcm::aead::AeadInOut;
        use aes_gcm::aead::inout::InOutBuf;
        let io = InOutBuf::new(ct, out).unwrap();
        match &self.0 {
            Inner::Aes(k) => k
                .decrypt_inout_detached(nonce.try_into().unwrap(), aad, io, tag.into())
                .is_ok(),
            Inner::Xaes(k) => k
                .decrypt_inout_detached(nonce.try_into().unwrap(), aad, io, tag.into())
                .is_ok(),
        }
    }
}

#[cfg(feature = "aws-lc")]
impl RawAead {
    pub(crate) fn new(suite: Suite, key: &[u8; 32]) -> Self {
        use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
        use aws_lc_rs::cipher::{AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
        Self(match suite {
            Suite::Xaes256Gcm => {
                let ecb =
                    EncryptingKey::ecb(UnboundCipherKey::new(&AES_256, key).unwrap()).unwrap();
                let mut l = [0u8; 16];
                ecb.less_safe_encrypt(&mut l, EncryptionContext::None)
                    .unwrap();
                let l = u128::from_be_bytes(l);
                let k1 = ((l << 1) ^ if l >> 127 == 1 { 0x87 } else { 0 }).to_be_bytes();
                Inner::Xaes { ecb, k1 }
            }
            _ => Inner::Aes(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, key).unwrap(),
            )),
        })
    }

    pub(crate) fn nonce_len(&self) -> usize {
        match self.0 {
            Inner::Aes(_) => 12,
            Inner::Xaes { .. } => 24,
        }
    }

    /// Runs `f` with the AES-GCM key and nonce of one message: the key itself, or XAES's
    /// derived key and the second half of the nonce.
    fn with_message_key<R>(
        &self,
        nonce: &[u8],
        f: impl FnOnce(&aws_lc_rs::aead::LessSafeKey, aws_lc_rs::aead::Nonce) -> R,
    ) -> R {
        use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, Nonce, UnboundKey};
        use aws_lc_rs::cipher::EncryptionContext;
        match &self.0 {
            Inner::Aes(key) => f(key, Nonce::try_assume_unique_for_key(nonce).unwrap()),
            Inner::Xaes { ecb, k1 } => {
                let mut kx = [0u8; 32];
                for (half, counter) in kx.chunks_exact_mut(16).zip([1u8, 2]) {
                    half[..4].copy_from_slice(&[0, counter, b'X', 0]);
                    half[4..].copy_from_slice(&nonce[..12]);
                    for (b, k) in half.iter_mut().zip(k1) {
                        *b ^= k;
                    }
                }
                ecb.less_safe_encrypt(&mut kx, EncryptionContext::None)
                    .unwrap();
                let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kx).unwrap());
                f(
                    &key,
                    Nonce::try_assume_unique_for_key(&nonce[12..]).unwrap(),
                )
            }
        }
    }

    /// Encrypts `buf` in place; returns the tag.
    pub(crate) fn seal(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        use aws_lc_rs::aead::Aad;
        self.with_message_key(nonce, |key, n| {
            let tag = key
                .seal_in_place_separate_tag(n, Aad::from(aad), buf)
                .unwrap();
            tag.as_ref().try_into().unwrap()
        })
    }

    /// Authenticates `ct` and decrypts it into `out`; whether the tag verified.
    pub(crate) fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8; 16],
        out: &mut [u8],
    ) -> bool {
        use aws_lc_rs::aead::Aad;
        self.with_message_key(nonce, |key, n| {
            key.open_separate_gather(n, Aad::from(aad), ct, tag, out)
                .is_ok()
        })
    }
}
