//! The two sealed suites, AES-256-GCM and XAES-256-GCM, are one construction: a GCM key of the
//! backend (src/backend/) under the suite's own subkey, a random nonce of the suite's length and
//! a 16-byte tag. They differ only in those lengths and in which subkey they use.

use super::{CipherSuite, Refused, Suite, Under};
use crate::backend::{GCM_TAG_LEN, GcmKey};
use crate::key::Expansions;

/// A sealed suite: its name, its nonce length and its subkey of each key. Generic over the key
/// type so that each suite's calls into the backend are direct.
pub(crate) struct GcmSuite<K: 'static> {
    pub(super) suite: Suite,
    pub(super) nonce_len: usize,
    pub(super) key: fn(&Expansions) -> &K,
}

impl<K: GcmKey + 'static> CipherSuite for GcmSuite<K> {
    fn suite(&self) -> Suite {
        self.suite
    }

    fn nonce_len(&self) -> usize {
        self.nonce_len
    }

    fn tag_len(&self) -> usize {
        GCM_TAG_LEN
    }

    fn confidential(&self) -> bool {
        true
    }

    fn protect(&self, under: Under<'_>, body: &mut [u8], tag: &mut [u8]) -> Result<(), Refused> {
        let out = (self.key)(under.keys)
            .seal(under.nonce, under.aad, body)
            .map_err(|_| Refused)?;
        tag.copy_from_slice(&out);
        Ok(())
    }

    fn unprotect(&self, under: Under<'_>, body: &mut [u8], tag: &[u8]) -> Result<(), Refused> {
        (self.key)(under.keys)
            .open(under.nonce, under.aad, body, tag)
            .map_err(|_| Refused)
    }
}
