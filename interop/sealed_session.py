"""An independent Python implementation of the sealed-session value format.

Written from ``FORMAT.md`` alone (not from the Rust sources), to show that the
specification is enough to open and produce values. It covers:

* keys: key id, ``aead_key``, ``hmac_key`` and ``xaes_key`` (HKDF-Expand),
  ``Key.derive`` (HKDF-Extract + Expand from a master secret);
* strict base64url without padding;
* canonical unsigned LEB128 varints and the stamps: the three times, and the
  creation millisecond (0 to 999) when the version byte has flag ``0x40``
  (``Stamps.created_millis``, ``None`` when absent);
* the version byte, ``suite | flags`` (``parse_version``): suites ``0x01``
  AES-256-GCM, ``0x02`` XAES-256-GCM, ``0x81`` HMAC-SHA256; flags ``0x10`` (a
  16-byte session id follows the stamps), ``0x20`` (a subject of 1 to 64
  bytes, after a varint of its length, follows) and ``0x40`` (the millisecond
  of the creation second ends the stamps), in any combination; every other
  byte refused;
* the identity fields (``encode_identity``/``decode_identity``);
* the associated data (cookie name and purpose binding);
* XAES-256-GCM as C2SP specifies it (``xaes_derive_key``,
  ``xaes_256_gcm_encrypt``/``xaes_256_gcm_decrypt``), built from the
  ``cryptography`` package's AES-ECB (the single-block encryptions) and AESGCM;
* the sealed mode (suites ``0x01`` and ``0x02``, writer's choice with
  ``suite=``) and the signed mode (``0x81``), with or without identity fields
  (``session_id=``, ``subject=``) and with or without a creation millisecond
  (``created_millis=``): produce (``seal``/``sign``) and open
  (``open_sealed``/``verify_signed``) in the specification's order, with its
  time checks. A sealed reader opens both sealed suites, a signed reader the
  signed one; either may be told to require a session id
  (``require_session_id=True``). ``Opened`` carries the value's version byte,
  its session id and its subject (``None`` when absent);
* chunked cookies: ``split_chunks`` (writer) and ``join_chunks`` (reader).

The payload is returned as raw postcard bytes: this module does not parse
postcard, so "refuse leftover bytes" (step 8) is the caller's job when it
deserializes.

Only the standard library and the ``cryptography`` package are used.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# --------------------------------------------------------------------------
# Constants (FORMAT.md "Versions", "Keys", "Version 1", "Signed version 1")
# --------------------------------------------------------------------------

#: The suites (the version byte without its flags).
SUITE_AES_256_GCM = 0x01
SUITE_XAES_256_GCM = 0x02
SUITE_HMAC_SHA256 = 0x81
SUITES = (SUITE_AES_256_GCM, SUITE_XAES_256_GCM, SUITE_HMAC_SHA256)
#: The suites each mode's reader opens (FORMAT.md, "Configuration both sides share").
SEALED_SUITES = (SUITE_AES_256_GCM, SUITE_XAES_256_GCM)
SIGNED_SUITES = (SUITE_HMAC_SHA256,)

#: The version bytes without identity fields (also the readers' mode designators, as before).
VERSION_SEALED = SUITE_AES_256_GCM
VERSION_XAES = SUITE_XAES_256_GCM
VERSION_SIGNED = SUITE_HMAC_SHA256

#: Flags of the version byte (bits 4 to 6): what is left (bits 0-3 and 7) names the suite.
FLAG_SESSION_ID = 0x10
FLAG_SUBJECT = 0x20
FLAG_CREATED_MILLIS = 0x40
#: The identity flags (fields after the stamps).
IDENTITY_FLAGS = FLAG_SESSION_ID | FLAG_SUBJECT
FLAGS = IDENTITY_FLAGS | FLAG_CREATED_MILLIS
SUITE_MASK = 0x8F

KEY_LEN = 32
KEY_ID_LEN = 4
NONCE_LEN = 12
XAES_NONCE_LEN = 24
GCM_TAG_LEN = 16
HMAC_TAG_LEN = 32
MIN_MASTER_LEN = 32
MAX_PURPOSE_LEN = 255
SESSION_ID_LEN = 16
MIN_SUBJECT_LEN = 1
MAX_SUBJECT_LEN = 64
#: The largest creation millisecond (FORMAT.md, "Plaintext": 0 to 999).
MAX_CREATED_MILLIS = 999

#: 1 + 4 + 12 + 3 + 16: the smallest well-formed AES-256-GCM value, in bytes.
MIN_SEALED_LEN = 1 + KEY_ID_LEN + NONCE_LEN + 3 + GCM_TAG_LEN
#: 1 + 4 + 24 + 3 + 16: the smallest well-formed XAES-256-GCM value, in bytes.
MIN_XAES_LEN = 1 + KEY_ID_LEN + XAES_NONCE_LEN + 3 + GCM_TAG_LEN
#: 1 + 4 + 3 + 32: the smallest well-formed signed value, in bytes.
MIN_SIGNED_LEN = 1 + KEY_ID_LEN + 3 + HMAC_TAG_LEN
#: The smallest value of each suite, in bytes (FORMAT.md "Opening", step 3, after the version
#: byte has been read and accepted).
MIN_LEN = {
    SUITE_AES_256_GCM: MIN_SEALED_LEN,
    SUITE_XAES_256_GCM: MIN_XAES_LEN,
    SUITE_HMAC_SHA256: MIN_SIGNED_LEN,
}


def encoded_len(n: int) -> int:
    """Characters of the unpadded base64url encoding of ``n`` bytes: ``ceil(4 n / 3)``."""
    return (4 * n + 2) // 3


#: The shortest value each mode's reader looks at, in octets (step 2, before decoding):
#: the encoding of the smallest value of the mode (48 sealed, 54 signed).
MIN_SEALED_CHARS = encoded_len(MIN_SEALED_LEN)
MIN_SIGNED_CHARS = encoded_len(MIN_SIGNED_LEN)

#: The largest cookie (name + "=" + value) a writer may emit and a reader
#: accepts. FORMAT.md says "at most 4096"; the default is an assumption.
DEFAULT_LIMIT = 4096
#: Default leeway for the time checks, seconds (FORMAT.md step 7).
DEFAULT_LEEWAY = 60
#: The largest number of chunks (FORMAT.md: "at most 8"); also our default.
MAX_CHUNKS = 8

U64_MAX = (1 << 64) - 1

INFO_KEY_ID = b"sealed-session key id"
INFO_AEAD = b"sealed-session v1 aes-256-gcm"
INFO_HMAC = b"sealed-session v1 hmac-sha256"
INFO_XAES = b"sealed-session v2 xaes-256-gcm"
DERIVE_SALT = b"sealed-session derive"


# --------------------------------------------------------------------------
# Errors: one class per failure kind
# --------------------------------------------------------------------------


class SealedSessionError(Exception):
    """Base class of every error raised by this module."""


class OpenError(SealedSessionError):
    """A value (or a set of chunk cookies) was refused by a reader."""


class TooLong(OpenError):
    """The cookie breaks the size rule (step 1, or a single chunk cookie)."""


class BadEncoding(OpenError):
    """The value is not strict base64url without padding (step 2)."""


class TooShort(OpenError):
    """The value is shorter than the encoding of the smallest value of the reader's mode
    (step 2, before decoding), or, once decoded and its version byte accepted, shorter than the
    smallest value of the suite that byte names (step 3)."""


class UnknownVersion(OpenError):
    """The version byte is reserved, or of the other mode than this reader's (step 3; checked
    before the suite's smallest length, so whatever the value's length)."""


class UnknownKey(OpenError):
    """No key in the reader's ring has the value's key id (step 4)."""


class AuthenticationFailed(OpenError):
    """The GCM tag or the HMAC tag does not verify (step 5)."""


class MalformedStamps(OpenError):
    """The stamps are not canonical varints, truncated, or overflow (step 6); or the creation
    millisecond flag 0x40 announces is not a canonical varint, is truncated, or is over 999."""


class MalformedIdentity(OpenError):
    """The identity fields the version byte announces are malformed (step 6): a session
    id cut short, a subject length of 0, over 64, not a canonical varint or truncated, or
    a subject cut short by the end of the plaintext."""


class MissingSessionId(OpenError):
    """This reader requires a session id and the (authentic) value has none (step 6)."""


class NotYetValid(OpenError):
    """``issued > now + leeway`` (step 7)."""


class AbsoluteExpired(OpenError):
    """``now > created + absolute + leeway`` (step 7)."""


class IdleExpired(OpenError):
    """``now > min(expires, issued + idle) + leeway`` (step 7)."""


class ChunkError(OpenError):
    """Base class of the refusals of the "Chunked cookies" reader."""


class NoCookie(ChunkError):
    """Neither ``cookie_name`` nor any of its chunks is present."""


class DuplicateCookie(ChunkError):
    """``cookie_name`` or one of its chunk names occurs twice."""


class MissingFirstChunk(ChunkError):
    """A chunk ``cookie_name.{i}`` without the first cookie ``cookie_name``."""


class BadChunkMarker(ChunkError):
    """The ``k.`` marker is not a canonical decimal in ``2..=max_chunks``."""


class MissingChunk(ChunkError):
    """A ``part_i`` with ``i < k`` is missing."""


class ExtraChunk(ChunkError):
    """A ``cookie_name.{i}`` with ``i >= k`` is present."""


class BadChunkName(ChunkError):
    """A ``cookie_name.{digits}`` whose index is not a canonical decimal."""


class NonCanonicalChunks(ChunkError):
    """The chunks are complete but are not the split the writer makes of their
    joined value (with the same ``limit``): a value that fits one cookie sent
    chunked, more chunks than needed, or a part other than the last not filled
    to exactly its room (an empty last part included)."""


class WriteError(SealedSessionError):
    """A writer refused to produce a value."""


class ValueTooLarge(WriteError):
    """The value does not fit (one cookie, or the allowed number of chunks)."""


class InvalidInput(WriteError, ValueError):
    """Bad arguments: key length, purpose length, stamps out of range, ..."""


# --------------------------------------------------------------------------
# HKDF (RFC 5869, SHA-256), keys
# --------------------------------------------------------------------------


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract(salt, IKM) = HMAC-SHA256(salt, IKM)."""
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand(PRK, info, L) for L <= 32: HMAC-SHA256(PRK, info || 0x01)[:L]."""
    if not 0 < length <= 32:
        raise InvalidInput("this HKDF-Expand serves 1..=32 bytes")
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


class Key:
    """A 32-byte key ``K``, used only as the HKDF PRK for its subkeys."""

    def __init__(self, secret: bytes) -> None:
        secret = bytes(secret)
        if len(secret) != KEY_LEN:
            raise InvalidInput(f"a key is {KEY_LEN} bytes, got {len(secret)}")
        self._secret = secret
        self.key_id = hkdf_expand(secret, INFO_KEY_ID, KEY_ID_LEN)
        self.aead_key = hkdf_expand(secret, INFO_AEAD, 32)
        self.hmac_key = hkdf_expand(secret, INFO_HMAC, 32)
        self.xaes_key = hkdf_expand(secret, INFO_XAES, 32)

    @classmethod
    def derive(cls, master: bytes, label: str | bytes) -> "Key":
        """K = HKDF-Expand(HKDF-Extract("sealed-session derive", M), label, 32)."""
        master = bytes(master)
        if len(master) < MIN_MASTER_LEN:
            raise InvalidInput(f"a master secret is at least {MIN_MASTER_LEN} bytes")
        info = label.encode("utf-8") if isinstance(label, str) else bytes(label)
        return cls(hkdf_expand(hkdf_extract(DERIVE_SALT, master), info, KEY_LEN))

    @classmethod
    def generate(cls) -> "Key":
        return cls(os.urandom(KEY_LEN))

    def __repr__(self) -> str:  # never print the secret
        return f"Key(id={self.key_id.hex()})"


def _find_key(keys: Key | Iterable[Key], key_id: bytes) -> Key:
    """Step 4: the key with this id, or UnknownKey. Never tries other keys."""
    if isinstance(keys, Key):
        keys = [keys]
    found = [k for k in keys if hmac.compare_digest(k.key_id, key_id)]
    if not found:
        raise UnknownKey(key_id.hex())
    if len(found) > 1:
        # FORMAT.md does not say what a ring holding two keys with the same id does.
        raise InvalidInput(f"two keys in the ring share the id {key_id.hex()}")
    return found[0]


# --------------------------------------------------------------------------
# Strict base64url, no padding
# --------------------------------------------------------------------------

_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_VALUE = {c: i for i, c in enumerate(_B64_ALPHABET)}


def b64encode(data: bytes) -> str:
    """RFC 4648 section 5 alphabet, no padding."""
    out = []
    for i in range(0, len(data), 3):
        chunk = data[i : i + 3]
        n = int.from_bytes(chunk.ljust(3, b"\x00"), "big")
        chars = [_B64_ALPHABET[(n >> s) & 63] for s in (18, 12, 6, 0)]
        out.append("".join(chars[: len(chunk) + 1]))
    return "".join(out)


def b64decode(text: str) -> bytes:
    """Strict decoding: refuses padding, other characters, 4k+1 lengths and
    non-zero unused bits in the last character."""
    if len(text) % 4 == 1:
        raise BadEncoding("a length of 4k + 1 characters")
    values = []
    for pos, c in enumerate(text):
        v = _B64_VALUE.get(c)
        if v is None:
            raise BadEncoding(f"character {c!r} at {pos} is not base64url (no padding)")
        values.append(v)
    out = bytearray()
    for i in range(0, len(values), 4):
        group = values[i : i + 4]
        n = 0
        for v in group:
            n = (n << 6) | v
        bits = 6 * len(group)
        nbytes = bits // 8
        unused = bits - 8 * nbytes
        if n & ((1 << unused) - 1):
            raise BadEncoding("non-zero unused bits in the last character")
        out += (n >> unused).to_bytes(nbytes, "big")
    return bytes(out)


# --------------------------------------------------------------------------
# Varints (canonical unsigned LEB128) and stamps
# --------------------------------------------------------------------------


def encode_varint(n: int) -> bytes:
    if not 0 <= n <= U64_MAX:
        raise InvalidInput("a varint holds an unsigned 64-bit integer")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def decode_varint(buf: bytes, pos: int = 0) -> tuple[int, int]:
    """Decode one canonical varint at ``pos``; returns (value, next position).

    Refuses: truncation, more than 10 bytes, a tenth byte above 0x01, and a
    final byte 0x00 after the first byte (non-minimal)."""
    n = 0
    for i in range(10):
        if pos + i >= len(buf):
            raise MalformedStamps("truncated varint")
        b = buf[pos + i]
        if i == 9 and b > 0x01:
            raise MalformedStamps("a tenth varint byte above 0x01")
        n |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            if i > 0 and b == 0x00:
                raise MalformedStamps("non-minimal varint")
            return n, pos + i + 1
    raise MalformedStamps("varint longer than 10 bytes")  # unreachable: tenth byte <= 1


@dataclass(frozen=True)
class Stamps:
    """The stamps of a value. ``created_millis`` is the millisecond (0 to 999) of the second
    ``created``, ``None`` when the value does not carry it (no flag 0x40)."""

    created: int
    issued: int
    expires: int
    created_millis: int | None = None

    @property
    def created_at_millis(self) -> int:
        """``created * 1000 + created_millis``, with ``created_millis = 0`` when absent: a
        value without the millisecond counts as created at the start of its second (FORMAT.md,
        "Plaintext")."""
        return self.created * 1000 + (self.created_millis or 0)


def encode_stamps(created: int, issued: int, expires: int, created_millis: int | None = None) -> bytes:
    """``varint(created) || varint(issued - created) || varint(expires - issued)``, then
    ``varint(created_millis)`` if one is given (the value's version byte then has 0x40)."""
    if not 0 <= created <= issued <= expires <= U64_MAX:
        raise InvalidInput("stamps need 0 <= created <= issued <= expires < 2^64")
    out = encode_varint(created) + encode_varint(issued - created) + encode_varint(expires - issued)
    if created_millis is not None:
        if isinstance(created_millis, bool) or not 0 <= created_millis <= MAX_CREATED_MILLIS:
            raise InvalidInput(f"a creation millisecond is 0 to {MAX_CREATED_MILLIS}, got {created_millis!r}")
        out += encode_varint(created_millis)
    return out


def decode_stamps(buf: bytes, flags: int = 0) -> tuple[Stamps, bytes]:
    """Parse the stamps at the start of ``buf``: the three times, then the creation millisecond
    if ``flags`` (the version byte, or its flags) has 0x40. Returns them and the rest."""
    created, pos = decode_varint(buf, 0)
    d1, pos = decode_varint(buf, pos)
    d2, pos = decode_varint(buf, pos)
    issued = created + d1
    expires = issued + d2
    if issued > U64_MAX or expires > U64_MAX:
        raise MalformedStamps("stamps overflow 64 bits")
    created_millis = None
    if flags & FLAG_CREATED_MILLIS:
        created_millis, pos = decode_varint(buf, pos)
        if created_millis > MAX_CREATED_MILLIS:
            raise MalformedStamps(f"a creation millisecond of {created_millis}")
    return Stamps(created, issued, expires, created_millis), buf[pos:]


def expires_for(created: int, issued: int, idle: int, absolute: int) -> int:
    """``min(issued + idle_timeout, created + absolute_lifetime)``."""
    return min(issued + idle, created + absolute)


# --------------------------------------------------------------------------
# The version byte and the identity fields
# --------------------------------------------------------------------------


def parse_version(byte: int) -> tuple[int, int]:
    """``(suite, flags)`` of a version byte in FORMAT.md's table: a suite 0x01, 0x02 or 0x81
    (bits 0-3 and 7) with any of the flags 0x10, 0x20, 0x40 (bits 4-6); UnknownVersion for any
    other suite."""
    if not 0 <= byte <= 0xFF or byte & SUITE_MASK not in SUITES:
        raise UnknownVersion(f"0x{byte:02x}")
    return byte & SUITE_MASK, byte & FLAGS


def version_byte(
    suite: int,
    session_id: bytes | None = None,
    subject: bytes | str | None = None,
    created_millis: int | None = None,
) -> int:
    """``suite | flags`` for the fields present: 0x10 a session id, 0x20 a subject, 0x40 a
    creation millisecond."""
    if suite not in SUITES:
        raise InvalidInput(f"no suite 0x{suite:02x}")
    return (
        suite
        | (FLAG_SESSION_ID if session_id is not None else 0)
        | (FLAG_SUBJECT if subject is not None else 0)
        | (FLAG_CREATED_MILLIS if created_millis is not None else 0)
    )


def new_session_id() -> bytes:
    """16 random bytes, drawn when a session begins (renewals keep them)."""
    return os.urandom(SESSION_ID_LEN)


def encode_identity(session_id: bytes | None = None, subject: bytes | str | None = None) -> tuple[int, bytes]:
    """``(flags, identity)``: ``[session_id] || [varint(len(subject)) || subject]``."""
    flags, out = 0, b""
    if session_id is not None:
        session_id = bytes(session_id)
        if len(session_id) != SESSION_ID_LEN:
            raise InvalidInput(f"a session id is {SESSION_ID_LEN} bytes, got {len(session_id)}")
        flags |= FLAG_SESSION_ID
        out += session_id
    if subject is not None:
        subject = _utf8(subject)
        if not MIN_SUBJECT_LEN <= len(subject) <= MAX_SUBJECT_LEN:
            raise InvalidInput(f"a subject is {MIN_SUBJECT_LEN} to {MAX_SUBJECT_LEN} bytes, got {len(subject)}")
        flags |= FLAG_SUBJECT
        out += encode_varint(len(subject)) + subject
    return flags, out


def decode_identity(flags: int, buf: bytes) -> tuple[bytes | None, bytes | None, bytes]:
    """Parse the identity fields ``flags`` announces at the start of ``buf`` (what follows
    the stamps); returns ``(session_id, subject, payload)``, ``None`` for an absent field."""
    session_id = subject = None
    pos = 0
    if flags & FLAG_SESSION_ID:
        if len(buf) < SESSION_ID_LEN:
            raise MalformedIdentity(f"a session id cut short: {len(buf)} of {SESSION_ID_LEN} bytes")
        session_id, pos = bytes(buf[:SESSION_ID_LEN]), SESSION_ID_LEN
    if flags & FLAG_SUBJECT:
        try:
            n, pos = decode_varint(buf, pos)
        except MalformedStamps as e:
            raise MalformedIdentity(f"subject length: {e}") from None
        if not MIN_SUBJECT_LEN <= n <= MAX_SUBJECT_LEN:
            raise MalformedIdentity(f"a subject length of {n}")
        if len(buf) - pos < n:
            raise MalformedIdentity(f"a subject cut short: {len(buf) - pos} of {n} bytes")
        subject, pos = bytes(buf[pos : pos + n]), pos + n
    return session_id, subject, bytes(buf[pos:])


# --------------------------------------------------------------------------
# XAES-256-GCM (C2SP, https://c2sp.org/XAES-256-GCM)
# --------------------------------------------------------------------------


def _aes_block(key: bytes, block: bytes) -> bytes:
    """AES-256 encryption of one 16-byte block (ECB of a single block)."""
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def xaes_derive_key(key: bytes, nonce: bytes) -> bytes:
    """The per-nonce AES-256-GCM key ``Kx`` of XAES-256-GCM (a 24-byte nonce)."""
    if len(key) != 32 or len(nonce) != XAES_NONCE_LEN:
        raise InvalidInput("XAES-256-GCM takes a 32-byte key and a 24-byte nonce")
    l = int.from_bytes(_aes_block(key, bytes(16)), "big")
    k1 = (l << 1) & ((1 << 128) - 1)
    if l >> 127:
        k1 ^= 0x87
    k1b = k1.to_bytes(16, "big")
    m1 = b"\x00\x01X\x00" + nonce[:12]
    m2 = b"\x00\x02X\x00" + nonce[:12]
    return _aes_block(key, bytes(a ^ b for a, b in zip(k1b, m1))) + _aes_block(
        key, bytes(a ^ b for a, b in zip(k1b, m2))
    )


def xaes_256_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``ciphertext || tag``."""
    return AESGCM(xaes_derive_key(key, nonce)).encrypt(nonce[12:], bytes(plaintext), bytes(aad))


def xaes_256_gcm_decrypt(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
    """The plaintext; raises ``cryptography.exceptions.InvalidTag`` on a forgery."""
    return AESGCM(xaes_derive_key(key, nonce)).decrypt(nonce[12:], bytes(ciphertext_and_tag), bytes(aad))


# --------------------------------------------------------------------------
# Associated data, size rule, time checks
# --------------------------------------------------------------------------


def _utf8(s: str | bytes) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def associated_data(version: int, key_id: bytes, cookie_name: str | bytes, purpose: str | bytes) -> bytes:
    """version || key_id || varint(len(name)) || name || varint(len(purpose)) || purpose."""
    name = _utf8(cookie_name)
    purp = _utf8(purpose)
    if len(purp) > MAX_PURPOSE_LEN:
        raise InvalidInput(f"a purpose is at most {MAX_PURPOSE_LEN} bytes")
    return (
        bytes([version])
        + bytes(key_id)
        + encode_varint(len(name))
        + name
        + encode_varint(len(purp))
        + purp
    )


def fits(cookie_name: str | bytes, value: str, limit: int = DEFAULT_LIMIT) -> bool:
    """The size rule: len(cookie_name) + 1 + len(value) <= limit."""
    return len(_utf8(cookie_name)) + 1 + len(value.encode("utf-8")) <= limit


def check_time(stamps: Stamps, now: int, idle: int, absolute: int, leeway: int = DEFAULT_LEEWAY) -> None:
    """Step 7, with exact (unbounded) integer arithmetic."""
    if stamps.issued > now + leeway:
        raise NotYetValid(f"issued {stamps.issued} > now {now} + leeway {leeway}")
    if now > stamps.created + absolute + leeway:
        raise AbsoluteExpired(f"now {now} > created {stamps.created} + {absolute} + {leeway}")
    if now > min(stamps.expires, stamps.issued + idle) + leeway:
        raise IdleExpired(f"now {now} > min(expires {stamps.expires}, issued + {idle}) + {leeway}")


@dataclass(frozen=True)
class Opened:
    """What a reader returns: the raw postcard payload, the stamps, the key id, the value's
    own version byte, and its identity fields (``None`` when the version byte lacks them)."""

    payload: bytes
    stamps: Stamps
    key_id: bytes
    version: int
    session_id: bytes | None = None
    subject: bytes | None = None

    @property
    def suite(self) -> int:
        return self.version & SUITE_MASK


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def _writer_stamps(
    created: int, issued: int, idle: int, absolute: int, created_millis: int | None = None
) -> tuple[bytes, int]:
    expires = expires_for(created, issued, idle, absolute)
    if expires < issued:
        raise InvalidInput("created + absolute_lifetime is before issued: the session is over")
    return encode_stamps(created, issued, expires, created_millis), expires


def _check_size(cookie_name: str | bytes, value: str, limit: int | None) -> str:
    if limit is not None and not fits(cookie_name, value, limit):
        raise ValueTooLarge(f"{len(_utf8(cookie_name))} + 1 + {len(value)} > {limit}")
    return value


def seal_plaintext(
    key: Key,
    plaintext: bytes,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    nonce: bytes | None = None,
    version: int = VERSION_SEALED,
) -> bytes:
    """Low level: sealed bytes for any plaintext (stamps || identity || payload) under any
    version byte, well-formed or not. Tests use it to play a buggy writer. The cipher is
    XAES-256-GCM (``xaes_key``, 24-byte nonce) when ``version & 0x8f == 0x02``, else
    AES-256-GCM (``aead_key``, 12-byte nonce)."""
    if not 0 <= version <= 0xFF:
        raise InvalidInput("a version is one byte")
    xaes = version & SUITE_MASK == SUITE_XAES_256_GCM
    nonce_len = XAES_NONCE_LEN if xaes else NONCE_LEN
    if nonce is None:
        nonce = os.urandom(nonce_len)
    nonce = bytes(nonce)
    if len(nonce) != nonce_len:
        raise InvalidInput(f"a nonce is {nonce_len} bytes")
    aad = associated_data(version, key.key_id, cookie_name, purpose)
    if xaes:
        ct_and_tag = xaes_256_gcm_encrypt(key.xaes_key, nonce, bytes(plaintext), aad)
    else:
        ct_and_tag = AESGCM(key.aead_key).encrypt(nonce, bytes(plaintext), aad)
    return bytes([version]) + key.key_id + nonce + ct_and_tag


def seal_bytes(
    key: Key,
    payload: bytes,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    created: int,
    issued: int,
    idle: int,
    absolute: int,
    nonce: bytes | None = None,
    suite: int = SUITE_AES_256_GCM,
    session_id: bytes | None = None,
    subject: bytes | str | None = None,
    created_millis: int | None = None,
) -> bytes:
    """The sealed bytes (before base64url): suite 0x01 (AES-256-GCM, the default) or 0x02
    (XAES-256-GCM), with the identity fields given (flags 0x10, 0x20) and the creation
    millisecond if given (flag 0x40)."""
    if suite not in SEALED_SUITES:
        raise InvalidInput(f"0x{suite:02x} is not a sealed suite")
    stamps, _ = _writer_stamps(created, issued, idle, absolute, created_millis)
    flags, identity = encode_identity(session_id, subject)
    if created_millis is not None:
        flags |= FLAG_CREATED_MILLIS
    return seal_plaintext(
        key, stamps + identity + bytes(payload), cookie_name=cookie_name, purpose=purpose,
        nonce=nonce, version=suite | flags,
    )  # fmt: skip


def seal(key: Key, payload: bytes, *, limit: int | None = DEFAULT_LIMIT, **kw) -> str:
    """Seal (``suite=`` 0x01 by default, or 0x02; ``session_id=``, ``subject=``,
    ``created_millis=`` optional)
    and encode; enforces the size rule unless ``limit`` is None (use ``limit=None`` and then
    ``split_chunks`` to write chunked cookies)."""
    value = b64encode(seal_bytes(key, payload, **kw))
    return _check_size(kw["cookie_name"], value, limit)


def signed_mac_input(
    key_id: bytes,
    cookie_name: str | bytes,
    purpose: str | bytes,
    body: bytes,
    version: int = VERSION_SIGNED,
) -> bytes:
    """version || key_id || varint(len(name)) || name || varint(len(purpose)) || purpose || body."""
    return associated_data(version, key_id, cookie_name, purpose) + body


def sign_body(
    key: Key,
    body: bytes,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    version: int = VERSION_SIGNED,
) -> bytes:
    """Low level: signed bytes for any body (stamps || identity || payload) under any version
    byte, well-formed or not."""
    if not 0 <= version <= 0xFF:
        raise InvalidInput("a version is one byte")
    mac_input = signed_mac_input(key.key_id, cookie_name, purpose, bytes(body), version)
    tag = hmac.new(key.hmac_key, mac_input, hashlib.sha256).digest()
    return bytes([version]) + key.key_id + bytes(body) + tag


def sign_bytes(
    key: Key,
    payload: bytes,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    created: int,
    issued: int,
    idle: int,
    absolute: int,
    session_id: bytes | None = None,
    subject: bytes | str | None = None,
    created_millis: int | None = None,
) -> bytes:
    """The signed bytes (before base64url), with the identity fields and the creation
    millisecond given."""
    stamps, _ = _writer_stamps(created, issued, idle, absolute, created_millis)
    flags, identity = encode_identity(session_id, subject)
    if created_millis is not None:
        flags |= FLAG_CREATED_MILLIS
    return sign_body(
        key, stamps + identity + bytes(payload), cookie_name=cookie_name, purpose=purpose,
        version=SUITE_HMAC_SHA256 | flags,
    )  # fmt: skip


def sign(key: Key, payload: bytes, *, limit: int | None = DEFAULT_LIMIT, **kw) -> str:
    """Sign (0x81 and its flagged forms) and encode; size rule as in ``seal``."""
    value = b64encode(sign_bytes(key, payload, **kw))
    return _check_size(kw["cookie_name"], value, limit)


# --------------------------------------------------------------------------
# Readers, in FORMAT.md's order ("Opening, in this order")
# --------------------------------------------------------------------------


def _mode_suites(mode: int | str) -> tuple[int, ...]:
    """The suites a reader of this mode opens. The mode is ``"sealed"`` or ``"signed"``, or
    (as before the suites existed) a version byte: any sealed one (0x01, 0x02) means the sealed
    mode, 0x81 the signed mode."""
    if mode in ("sealed", "signed"):
        return SEALED_SUITES if mode == "sealed" else SIGNED_SUITES
    suite, _ = parse_version(mode)
    return SEALED_SUITES if suite in SEALED_SUITES else SIGNED_SUITES


def _open(
    mode: int | str,
    keys: Key | Iterable[Key],
    value: str,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes,
    now: int,
    idle: int,
    absolute: int,
    leeway: int,
    limit: int | None,
    require_session_id: bool = False,
) -> Opened:
    suites = _mode_suites(mode)
    signed = suites == SIGNED_SUITES
    name = _utf8(cookie_name)
    # Configuration, not input: a purpose over 255 bytes is never valid.
    if len(_utf8(purpose)) > MAX_PURPOSE_LEN:
        raise InvalidInput(f"a purpose is at most {MAX_PURPOSE_LEN} bytes")
    # 1. Size, before decoding anything (skipped for a value joined from chunks,
    #    whose cookies were checked one by one).
    if limit is not None and len(value.encode("utf-8")) > limit - len(name) - 1:
        raise TooLong(f"{len(name)} + 1 + {len(value)} > {limit}")
    # 2. Shorter than the encoding of the mode's smallest value (48 octets sealed, 54 signed):
    #    refused before decoding. Octets, not characters: a non-ASCII character counts as its
    #    UTF-8 octets (and then fails decoding). Then strict base64url. At least 36 bytes
    #    remain, so there is a version byte to read.
    min_chars = MIN_SIGNED_CHARS if signed else MIN_SEALED_CHARS
    octets = len(value.encode("utf-8"))
    if octets < min_chars:
        raise TooShort(f"{octets} < {min_chars} octets")
    raw = b64decode(value)
    # 3. Version, before any key lookup: in the table, and of this reader's mode. Only then
    #    the smallest value of the suite it names (36 bytes for 0x01, 48 for 0x02, 40 for 0x81),
    #    so a reserved byte or one of the other mode is refused as such whatever the length.
    version = raw[0]
    suite, flags = parse_version(version)
    if suite not in suites:
        raise UnknownVersion(f"0x{version:02x} is not a {'signed' if signed else 'sealed'} value")
    if len(raw) < MIN_LEN[suite]:
        raise TooShort(f"{len(raw)} < {MIN_LEN[suite]} bytes, the smallest 0x{suite:02x} value")
    # 4. Key id -> key; never try other keys.
    key_id = raw[1 : 1 + KEY_ID_LEN]
    key = _find_key(keys, key_id)
    aad = associated_data(version, key_id, name, purpose)
    # 5. Authenticate (and decrypt).
    if suite == SUITE_AES_256_GCM:
        nonce = raw[5 : 5 + NONCE_LEN]
        try:
            body = AESGCM(key.aead_key).decrypt(nonce, raw[5 + NONCE_LEN :], aad)
        except InvalidTag:
            raise AuthenticationFailed("AES-256-GCM tag mismatch") from None
    elif suite == SUITE_XAES_256_GCM:
        nonce = raw[5 : 5 + XAES_NONCE_LEN]
        try:
            body = xaes_256_gcm_decrypt(key.xaes_key, nonce, raw[5 + XAES_NONCE_LEN :], aad)
        except InvalidTag:
            raise AuthenticationFailed("XAES-256-GCM tag mismatch") from None
    else:
        body, tag = raw[5:-HMAC_TAG_LEN], raw[-HMAC_TAG_LEN:]
        expected = hmac.new(key.hmac_key, aad + body, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, tag):
            raise AuthenticationFailed("HMAC-SHA256 tag mismatch")
    # 6. Stamps (with the creation millisecond if flag 0x40 announces it), then the identity
    #    fields the version byte announces; then, for a reader that requires one, the session id.
    stamps, rest = decode_stamps(body, flags)
    session_id, subject, payload = decode_identity(flags, rest)
    if require_session_id and session_id is None:
        raise MissingSessionId(f"0x{version:02x} carries no session id")
    # 7. Time, under the reader's own policy.
    check_time(stamps, now, idle, absolute, leeway)
    # 8. The payload is returned raw: the caller's postcard decoder must refuse
    #    leftover bytes.
    return Opened(
        payload=payload, stamps=stamps, key_id=key_id, version=version,
        session_id=session_id, subject=subject,
    )  # fmt: skip


def open_sealed(
    keys: Key | Iterable[Key],
    value: str,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    now: int,
    idle: int,
    absolute: int,
    leeway: int = DEFAULT_LEEWAY,
    limit: int | None = DEFAULT_LIMIT,
    require_session_id: bool = False,
) -> Opened:
    """Open a sealed value: suite 0x01 or 0x02, with any flags."""
    return _open(
        "sealed", keys, value, cookie_name=cookie_name, purpose=purpose,
        now=now, idle=idle, absolute=absolute, leeway=leeway, limit=limit,
        require_session_id=require_session_id,
    )  # fmt: skip


def verify_signed(
    keys: Key | Iterable[Key],
    value: str,
    *,
    cookie_name: str | bytes,
    purpose: str | bytes = "session",
    now: int,
    idle: int,
    absolute: int,
    leeway: int = DEFAULT_LEEWAY,
    limit: int | None = DEFAULT_LIMIT,
    require_session_id: bool = False,
) -> Opened:
    """Verify a signed value: suite 0x81, with any flags."""
    return _open(
        "signed", keys, value, cookie_name=cookie_name, purpose=purpose,
        now=now, idle=idle, absolute=absolute, leeway=leeway, limit=limit,
        require_session_id=require_session_id,
    )  # fmt: skip


# --------------------------------------------------------------------------
# Chunked cookies
# --------------------------------------------------------------------------


def _is_canonical_decimal(s: str) -> bool:
    return s.isascii() and s.isdigit() and (s == "0" or not s.startswith("0"))


def _rooms(cookie_name: str, k: int, limit: int) -> list[int]:
    """The most characters each of ``k`` cookies can carry under the size rule:
    ``limit - len(name_i) - 1``, less ``len(decimal(k)) + 1`` for the marker on the
    first of several. ``k = 1`` is the unchunked cookie."""
    if k == 1:
        return [limit - len(_utf8(cookie_name)) - 1]
    first = limit - len(_utf8(cookie_name)) - 1 - len(f"{k}.")
    return [first] + [limit - len(_utf8(f"{cookie_name}.{i}")) - 1 for i in range(1, k)]


def split_chunks(
    cookie_name: str, value: str, *, limit: int = DEFAULT_LIMIT, max_chunks: int = MAX_CHUNKS
) -> list[tuple[str, str]]:
    """Writer: the (name, cookie value) pairs carrying ``value``.

    One unchunked cookie if it fits; else the fewest chunks ``k`` in
    ``2..=max_chunks``, each filled as full as the size rule allows, in order."""
    if fits(cookie_name, value, limit):
        return [(cookie_name, value)]
    for k in range(2, max_chunks + 1):
        marker = f"{k}."
        caps = _rooms(cookie_name, k, limit)
        if any(c <= 0 for c in caps):
            break
        if sum(caps) < len(value):
            continue
        parts, pos = [], 0
        for cap in caps:
            parts.append(value[pos : pos + cap])
            pos += cap
        names = [cookie_name] + [f"{cookie_name}.{i}" for i in range(1, k)]
        return [(names[0], marker + parts[0])] + list(zip(names[1:], parts[1:]))
    raise ValueTooLarge(f"a value of {len(value)} characters needs more than {max_chunks} cookies")


MAX_COOKIE_HEADER = 65536


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """FORMAT.md, "The Cookie header": split on ``;``, each piece at its first ``=``
    (pieces without one are skipped), spaces and tabs trimmed, empty names skipped, one
    pair of double quotes around the whole value removed. Over 65,536 bytes: refused."""
    if len(header.encode()) > MAX_COOKIE_HEADER:
        raise TooLong("Cookie header")
    pairs = []
    for item in header.split(";"):
        if "=" not in item:
            continue
        name, _, val = item.partition("=")
        name, val = name.strip(" \t"), val.strip(" \t")
        if not name:
            continue
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        pairs.append((name, val))
    return pairs


def join_chunks(
    cookies: Sequence[tuple[str, str]],
    cookie_name: str,
    *,
    limit: int = DEFAULT_LIMIT,
    max_chunks: int = MAX_CHUNKS,
) -> str:
    """Reader: collect ``cookie_name`` and ``cookie_name.{i}`` from the request's
    cookies (name, value pairs in header order) and return the joined value,
    refusing (before any decoding) every case listed in FORMAT.md, the last being
    any split other than the one ``split_chunks`` makes with the same ``limit``."""
    if not 2 <= max_chunks <= MAX_CHUNKS:
        raise InvalidInput(f"max_chunks is in 2..={MAX_CHUNKS}")
    # The header scan: a duplicated name, a chunk index at or beyond max_chunks, or an
    # over-long cookie is refused as it is met (FORMAT.md, "Chunked cookies").
    first: str | None = None
    chunks: dict[int, str] = {}
    prefix = cookie_name + "."
    for name, val in cookies:
        if name == cookie_name:
            index = 0
        elif (
            name.startswith(prefix)
            and name[len(prefix) :] != "0"
            and _is_canonical_decimal(name[len(prefix) :])
            and len(name) - len(prefix) <= 3
        ):
            index = int(name[len(prefix) :])
            if index >= max_chunks:
                raise ExtraChunk(name)
        else:
            continue  # an unrelated cookie, "name.0" and "name.01" included
        if (index == 0 and first is not None) or index in chunks:
            raise DuplicateCookie(name)
        if not fits(name, val, limit):
            raise TooLong(name)
        if index == 0:
            first = val
        else:
            chunks[index] = val
    if first is None:
        if chunks:
            raise MissingFirstChunk(cookie_name)
        raise NoCookie(cookie_name)
    head = first
    if "." not in head:
        if chunks:  # an unchunked value is k = 1: every cookie_name.{i} has i >= k
            raise ExtraChunk(f"{cookie_name}.{min(chunks)} next to an unchunked value")
        return head
    marker, _, part0 = head.partition(".")
    if not (_is_canonical_decimal(marker) and 2 <= int(marker) <= max_chunks):
        raise BadChunkMarker(repr(marker))
    k = int(marker)
    for i in range(1, k):
        if i not in chunks:
            raise MissingChunk(f"{cookie_name}.{i}")
    extra = [i for i in chunks if i >= k]
    if extra:
        raise ExtraChunk(f"{cookie_name}.{min(extra)}")
    parts = [part0] + [chunks[i] for i in range(1, k)]
    # Splits are canonical: only the writer's split of the joined value (same limit) is
    # accepted. Lengths in octets, as in the size rule.
    lens = [len(p.encode("utf-8")) for p in parts]
    n = sum(lens)
    fewest = all(sum(_rooms(cookie_name, j, limit)) < n for j in range(1, k))
    rooms = _rooms(cookie_name, k, limit)
    full = all(lens[i] == rooms[i] for i in range(k - 1))
    if not (fewest and full and lens[-1] > 0):
        raise NonCanonicalChunks(f"parts of {lens} octets are not the writer's split of {n}")
    return "".join(parts)


def open_cookies(
    version: int | str,
    keys: Key | Iterable[Key],
    cookies: Sequence[tuple[str, str]],
    *,
    cookie_name: str,
    purpose: str | bytes = "session",
    now: int,
    idle: int,
    absolute: int,
    leeway: int = DEFAULT_LEEWAY,
    limit: int = DEFAULT_LIMIT,
    max_chunks: int = MAX_CHUNKS,
    require_session_id: bool = False,
) -> Opened:
    """Join (possibly chunked) cookies, then open the joined value as one value. ``version``
    names the reader's mode: ``"sealed"`` or a sealed version byte (0x01, 0x02: both sealed
    suites open), ``"signed"`` or 0x81."""
    value = join_chunks(cookies, cookie_name, limit=limit, max_chunks=max_chunks)
    return _open(
        version, keys, value, cookie_name=cookie_name, purpose=purpose,
        now=now, idle=idle, absolute=absolute, leeway=leeway, limit=None,
        require_session_id=require_session_id,
    )  # fmt: skip
