//! The value encoding: base64url without padding (RFC 4648 section 5), strict.
//!
//! `base64-simd` is used because encoding and decoding are a large part of a seal or open, and on
//! cookie-sized values it is several times faster than the `base64` crate (`cargo bench -p sealed-session-benches --bench
//! levers`, levers `base64_encode` and `base64_decode`; numbers in benches/README.md). Its
//! decoder is strict: it refuses padding, characters outside the alphabet, impossible lengths and
//! non-zero trailing bits, so each byte string has exactly one accepted text (the tests check this
//! against the `base64` crate).

use base64_simd::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Unpadded base64url text of `bytes`, in a string of exactly the right capacity.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// Decodes canonical unpadded base64url text to the end of `out` (which must be empty);
/// `false`, with `out` left empty, if the text is not canonical.
pub(crate) fn decode_into(text: &str, out: &mut Vec<u8>) -> bool {
    match URL_SAFE_NO_PAD.decode_append(text.as_bytes(), out) {
        Ok(()) => true,
        Err(_) => {
            crate::scratch::wipe(out);
            false
        }
    }
}

/// Decodes base64 in any of the four RFC 4648 forms (URL-safe or standard alphabet, padded or
/// not), for keys read from configuration. Lenient only in which form: each is decoded as
/// strictly as [`decode_into`] decodes values (one alphabet per text, the form's own padding
/// exactly, trailing bits zero), so a key still has one accepted text per form.
pub(crate) fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD_NO_PAD, STANDARD]
        .iter()
        .find_map(|engine| engine.decode_to_vec(text.as_bytes()).ok())
}
