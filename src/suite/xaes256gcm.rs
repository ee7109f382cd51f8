//! XAES-256-GCM, version byte `0x02`: the extended-nonce sealed suite (FORMAT.md,
//! "XAES-256-GCM"). A 192-bit random nonce derives a fresh AES-256-GCM key per message, so a key
//! is good for far more seals than AES-256-GCM's 2^32 (SECURITY.md, "Seal budget").

use zeroize::Zeroizing;

use super::Suite;
use super::gcm::GcmSuite;
use crate::backend::{XAES_NONCE_LEN, XaesKey};
use crate::key::{Expansions, KEY_LEN, Key};

/// The HKDF label of each key's `xaes_key` (FORMAT.md, "Keys").
pub(crate) const INFO: &[u8] = b"sealed-session v2 xaes-256-gcm";

/// XAES-256-GCM (C2SP) under each key's `xaes_key`.
pub(crate) static XAES_256_GCM: GcmSuite<XaesKey> = GcmSuite {
    suite: Suite::Xaes256Gcm,
    nonce_len: XAES_NONCE_LEN,
    key: xaes_key,
};

/// The XAES-256-GCM key of `key`: its `xaes_key`, with the suite's fixed subkey derived.
fn derive(key: &Key) -> XaesKey {
    let mut subkey = Zeroizing::new([0u8; KEY_LEN]);
    key.expand(INFO, subkey.as_mut_slice());
    XaesKey::new(&subkey)
}

/// This suite's slot in each key's [`Expansions`].
pub(super) const SLOT: usize = 1;

fn xaes_key(keys: &Expansions) -> &XaesKey {
    keys.get(SLOT, derive)
}

#[cfg(test)]
mod tests {
    //! The C2SP XAES-256-GCM test vectors (<https://c2sp.org/XAES-256-GCM>), on the backend this
    //! build uses: the two worked examples and the accumulated randomized test.

    use crate::backend::{AeadError, GCM_TAG_LEN, GcmKey, XAES_NONCE_LEN, XaesKey};
    use sha3::Shake128;
    use sha3::digest::{ExtendableOutput, Update, XofReader};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Encrypts, checks the round trip and that a changed tag is refused with the buffer wiped;
    /// returns `ciphertext || tag`.
    fn seal_and_check(
        key: &[u8; 32],
        nonce: &[u8; XAES_NONCE_LEN],
        pt: &[u8],
        aad: &[u8],
    ) -> Vec<u8> {
        let cipher = XaesKey::new(key);
        let mut buf = pt.to_vec();
        let tag = cipher.seal(nonce, aad, &mut buf).expect("seal");
        let sealed = [buf.as_slice(), &tag].concat();
        let mut opened = buf.clone();
        assert_eq!(cipher.open(nonce, aad, &mut opened, &tag), Ok(()));
        assert_eq!(opened, pt);
        let mut bad = tag;
        bad[0] ^= 1;
        let mut refused = buf.clone();
        assert_eq!(cipher.open(nonce, aad, &mut refused, &bad), Err(AeadError));
        assert!(refused.iter().all(|&b| b == 0), "buffer not wiped");
        sealed
    }

    #[test]
    fn c2sp_worked_examples() {
        let nonce = b"ABCDEFGHIJKLMNOPQRSTUVWX";
        let got = seal_and_check(&[0x01; 32], nonce, b"XAES-256-GCM", b"");
        assert_eq!(
            hex(&got),
            "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"
        );
        let got = seal_and_check(
            &[0x03; 32],
            nonce,
            b"XAES-256-GCM",
            b"c2sp.org/XAES-256-GCM",
        );
        assert_eq!(
            hex(&got),
            "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"
        );
    }

    /// C2SP's accumulated test: key, nonce, plaintext and associated data drawn from one SHAKE-128
    /// stream, every `ciphertext || tag` absorbed into another, whose output is fixed.
    #[test]
    fn c2sp_accumulated_10_000() {
        let mut source = Shake128::default().finalize_xof();
        let mut sink = Shake128::default();
        let mut len = [0u8; 1];
        for _ in 0..10_000 {
            let mut key = [0u8; 32];
            let mut nonce = [0u8; XAES_NONCE_LEN];
            source.read(&mut key);
            source.read(&mut nonce);
            source.read(&mut len);
            let mut pt = vec![0u8; usize::from(len[0])];
            source.read(&mut pt);
            source.read(&mut len);
            let mut aad = vec![0u8; usize::from(len[0])];
            source.read(&mut aad);
            let cipher = XaesKey::new(&key);
            let mut buf = pt.clone();
            let tag: [u8; GCM_TAG_LEN] = cipher.seal(&nonce, &aad, &mut buf).expect("seal");
            sink.update(&buf);
            sink.update(&tag);
            assert_eq!(cipher.open(&nonce, &aad, &mut buf, &tag), Ok(()));
            assert_eq!(buf, pt);
        }
        let mut out = [0u8; 32];
        sink.finalize_xof().read(&mut out);
        assert_eq!(
            hex(&out),
            "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939"
        );
    }
}
