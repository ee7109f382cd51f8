"""XAES-256-GCM (version 0x02), the identity fields (flags 0x10, 0x20) and the creation
millisecond (flag 0x40), in Python only.

(a) XAES-256-GCM against C2SP (https://c2sp.org/XAES-256-GCM): its two test vectors and its
    accumulated randomized test (10,000 iterations);
(b) the version byte: exactly FORMAT.md's table opens (every suite with any of the flags 0x10,
    0x20, 0x40), each mode's reader only its own suites;
(c) identity fields and the creation millisecond: round trips for every suite and flag
    combination, malformed ones refused, ``require_session_id``;
(d) the XAES minimum lengths and layout, and the order of FORMAT.md's opening step 3 (the
    version byte before the suite's smallest length);
(e) FORMAT.md's vectors 6 to 8, 11 and 12 recomputed from their inputs, every field
    (``python interop/test_xaes.py`` prints their blocks in FORMAT.md's layout).

Bit flips, truncations and binding swaps of these vectors are in test_interop.py, which runs
its vector tests over all of FORMAT.md's vectors. No test here calls the Rust crate.
"""

from __future__ import annotations

import hashlib
import itertools
import os

import pytest
from cryptography.exceptions import InvalidTag

import sealed_session as ss
from test_interop import (
    VECTORS, identity_of, millis_of, parse_vectors, pc_bytes, pc_varint, policy_of, purpose_of, vector_mode,
)  # fmt: skip

T0 = 1_800_000_000
KEY = ss.Key.derive(b"xaes interop master secret, 32+ bytes", "python xaes")
POLICY = dict(cookie_name="__Host-x", purpose="xaes", idle=1800, absolute=28800)
SEALED_SUITES = [ss.SUITE_AES_256_GCM, ss.SUITE_XAES_256_GCM]
ALL_SUITES = SEALED_SUITES + [ss.SUITE_HMAC_SHA256]


def write(suite: int, payload: bytes, *, key: ss.Key = KEY, **kw) -> str:
    """A value of this suite (0x01, 0x02 sealed, 0x81 signed), stamped at T0 unless told."""
    args = dict(POLICY, created=T0, issued=T0)
    args.update(kw)
    if suite == ss.SUITE_HMAC_SHA256:
        return ss.sign(key, payload, **args)
    return ss.seal(key, payload, suite=suite, **args)


def reader(suite: int):
    return ss.verify_signed if suite == ss.SUITE_HMAC_SHA256 else ss.open_sealed


def raw_value(version: int, plaintext: bytes, *, key: ss.Key = KEY, purpose: str = POLICY["purpose"]) -> str:
    """An authentic value of any version byte around any plaintext / signed body (a buggy or
    hostile writer holding the key): signed for a 0x80 byte, else sealed (XAES for suite 0x02)."""
    if version & 0x80:
        raw = ss.sign_body(key, plaintext, cookie_name=POLICY["cookie_name"], purpose=purpose, version=version)
    else:
        raw = ss.seal_plaintext(key, plaintext, cookie_name=POLICY["cookie_name"], purpose=purpose, version=version)
    return ss.b64encode(raw)


STAMPS = ss.encode_stamps(T0, T0, T0 + 1800)


# --------------------------------------------------------------------------
# (a) XAES-256-GCM, C2SP
# --------------------------------------------------------------------------

C2SP_VECTORS = [
    # key, nonce, plaintext, aad, ciphertext, tag
    (b"\x01" * 32, b"ABCDEFGHIJKLMNOPQRSTUVWX", b"XAES-256-GCM", b"",
     "ce546ef63c9cc60765923609", "b33a9a1974e96e52daf2fcf7075e2271"),
    (b"\x03" * 32, b"ABCDEFGHIJKLMNOPQRSTUVWX", b"XAES-256-GCM", b"c2sp.org/XAES-256-GCM",
     "986ec1832593df5443a17943", "7fd083bf3fdb41abd740a21f71eb769d"),
]  # fmt: skip


@pytest.mark.parametrize("key,nonce,plaintext,aad,ciphertext,tag", C2SP_VECTORS, ids=["c2sp1", "c2sp2"])
def test_c2sp_xaes_vectors(key, nonce, plaintext, aad, ciphertext, tag):
    sealed = ss.xaes_256_gcm_encrypt(key, nonce, plaintext, aad)
    assert sealed.hex() == ciphertext + tag
    assert ss.xaes_256_gcm_decrypt(key, nonce, sealed, aad) == plaintext
    for i in range(len(sealed)):
        with pytest.raises(InvalidTag):
            ss.xaes_256_gcm_decrypt(key, nonce, sealed[:i] + bytes([sealed[i] ^ 1]) + sealed[i + 1 :], aad)
    for n in range(24):  # every nonce byte counts: the first 12 through Kx, the last 12 as GCM's
        bad = nonce[:n] + bytes([nonce[n] ^ 0x80]) + nonce[n + 1 :]
        with pytest.raises(InvalidTag):
            ss.xaes_256_gcm_decrypt(key, bad, sealed, aad)
    with pytest.raises(InvalidTag):
        ss.xaes_256_gcm_decrypt(key, nonce, sealed, aad + b"x")


def test_c2sp_xaes_accumulated_10000():
    """C2SP's accumulated test: one SHAKE-128 stream (of the empty input) supplies, per
    iteration, key (32), nonce (24), a length byte and that many plaintext bytes, a length byte
    and that many aad bytes; each ciphertext || tag is absorbed by a second SHAKE-128, and each
    decrypts back. The first 32 bytes of the second SHAKE's output are C2SP's expected value."""
    iterations = 10_000
    stream = hashlib.shake_128(b"").digest(iterations * (32 + 24 + 1 + 255 + 1 + 255))
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        pos += n
        return stream[pos - n : pos]

    out = hashlib.shake_128()
    for _ in range(iterations):
        key, nonce = read(32), read(24)
        plaintext = read(read(1)[0])
        aad = read(read(1)[0])
        sealed = ss.xaes_256_gcm_encrypt(key, nonce, plaintext, aad)
        out.update(sealed)
        assert ss.xaes_256_gcm_decrypt(key, nonce, sealed, aad) == plaintext
    assert out.hexdigest(32) == "e6b9edf2df6cec60c8cbd864e2211b597fb69a529160cd040d56c0c210081939"


def test_xaes_key_derivation_spelled_out():
    """FORMAT.md's spelled-out Kx: both values of L's top bit occur among these keys."""
    seen = set()
    for i in range(64):
        k = hashlib.sha256(bytes([i])).digest()
        nonce = hashlib.sha256(bytes([i, 1])).digest()[:24]
        l = int.from_bytes(ss._aes_block(k, bytes(16)), "big")
        seen.add(l >> 127)
        k1 = ((l << 1) ^ (0x87 if l >> 127 else 0)) & ((1 << 128) - 1)
        blocks = [(int.from_bytes(bytes([0, j, 0x58, 0]) + nonce[:12], "big") ^ k1).to_bytes(16, "big") for j in (1, 2)]
        kx = b"".join(ss._aes_block(k, b) for b in blocks)
        assert ss.xaes_derive_key(k, nonce) == kx
        assert ss.xaes_256_gcm_encrypt(k, nonce, b"p", b"a") == ss.AESGCM(kx).encrypt(nonce[12:], b"p", b"a")
    assert seen == {0, 1}


def test_key_has_a_separate_xaes_key():
    key = ss.Key(bytes(range(32)))
    assert key.xaes_key == ss.hkdf_expand(bytes(range(32)), b"sealed-session v2 xaes-256-gcm", 32)
    assert len({key.key_id, key.aead_key, key.hmac_key, key.xaes_key}) == 4


# --------------------------------------------------------------------------
# (b) The version byte
# --------------------------------------------------------------------------

ALL_FLAGS = [0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70]
TABLE = {s | f for s in ALL_SUITES for f in ALL_FLAGS}


def test_version_table():
    # FORMAT.md, "Versions": the twelve bytes of the identity flags, and each of them with 0x40
    # ("0x41 to 0x72, 0xc1 to 0xf1": those twelve, not every byte in the ranges).
    with_millis = [0x41, 0x42, 0x51, 0x52, 0x61, 0x62, 0x71, 0x72, 0xC1, 0xD1, 0xE1, 0xF1]
    assert sorted(TABLE) == sorted([0x01, 0x02, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32, 0x81, 0x91, 0xA1, 0xB1] + with_millis)
    assert len(TABLE) == 24
    for b in range(256):
        if b in TABLE:
            assert ss.parse_version(b) == (b & 0x8F, b & 0x70)
        else:
            with pytest.raises(ss.UnknownVersion):
                ss.parse_version(b)


#: Reserved bytes: a suite nibble that names no suite, whatever the flags (0x40 included).
RESERVED = [0x03, 0x00, 0x80, 0x82, 0x83, 0x0F, 0xFF, 0x40, 0x43, 0x4F, 0x53, 0x73, 0x7F, 0xC0, 0xC2, 0xF3, 0xFF]


@pytest.mark.parametrize("byte", sorted(set(RESERVED)))
@pytest.mark.parametrize("mode", ["sealed", "signed"])
def test_reserved_version_bytes_are_refused(byte, mode):
    """Values authentic in every other respect, under a reserved version byte: refused at
    step 3, before any key lookup (an empty ring never gets asked)."""
    body = STAMPS + bytes(16) + pc_bytes(b"abc")
    value = raw_value(byte, body)
    read = ss.open_sealed if mode == "sealed" else ss.verify_signed
    for keys in ([], KEY):
        with pytest.raises(ss.UnknownVersion):
            read(keys, value, now=T0, **POLICY)


#: The bytes that were reserved before flag 0x40 named the creation millisecond (the former
#: reserved-byte test used 0x41, 0x42, 0xC1, 0x51, 0x72, 0xF1): each suite with 0x40.
FORMERLY_RESERVED = sorted(b for b in TABLE if b & 0x40)


@pytest.mark.parametrize("byte", FORMERLY_RESERVED, ids=lambda b: f"0x{b:02x}")
def test_millis_version_bytes_open_in_their_mode(byte):
    """Every version byte with flag 0x40, whatever its suite and identity flags, opens an
    authentic value in its own mode (the millisecond after the stamps, the identity fields the
    byte announces after it), and is refused by the other mode's reader as of the other mode."""
    suite, flags = ss.parse_version(byte)
    assert flags & 0x40
    sid = bytes(range(16)) if flags & 0x10 else None
    subject = b"u-1" if flags & 0x20 else None
    identity = ss.encode_identity(sid, subject)[1]
    value = raw_value(byte, STAMPS + ss.encode_varint(321) + identity + pc_bytes(b"abc"))
    opened = reader(suite)(KEY, value, now=T0, **POLICY)
    assert opened.stamps == ss.Stamps(T0, T0, T0 + 1800, 321)
    assert (opened.version, opened.suite, opened.session_id, opened.subject) == (byte, suite, sid, subject)
    assert opened.payload == pc_bytes(b"abc")
    other = ss.open_sealed if suite == ss.SUITE_HMAC_SHA256 else ss.verify_signed
    for keys in ([], KEY):
        with pytest.raises(ss.UnknownVersion):
            other(keys, value, now=T0, **POLICY)
    # The same plaintext under the byte without 0x40 is a value of another version: its tag
    # does not verify.
    raw = ss.b64decode(value)
    with pytest.raises(ss.AuthenticationFailed):
        reader(suite)(KEY, ss.b64encode(bytes([byte & ~0x40]) + raw[1:]), now=T0, **POLICY)


@pytest.mark.parametrize("flags", ALL_FLAGS)
def test_each_reader_refuses_the_other_modes_versions(flags):
    sid, subject = os.urandom(16) if flags & 0x10 else None, b"u" if flags & 0x20 else None
    millis = 500 if flags & 0x40 else None
    signed = write(ss.SUITE_HMAC_SHA256, pc_bytes(b"x"), session_id=sid, subject=subject, created_millis=millis)
    assert ss.b64decode(signed)[0] == 0x81 | flags
    for keys in ([], KEY):
        with pytest.raises(ss.UnknownVersion):
            ss.open_sealed(keys, signed, now=T0, **POLICY)
    for suite in SEALED_SUITES:
        sealed = write(suite, pc_bytes(b"x"), session_id=sid, subject=subject, created_millis=millis)
        assert ss.b64decode(sealed)[0] == suite | flags
        for keys in ([], KEY):
            with pytest.raises(ss.UnknownVersion):
                ss.verify_signed(keys, sealed, now=T0, **POLICY)
    # The same holds through the chunk reader, whatever version byte names its mode.
    for mode in (ss.VERSION_SEALED, ss.VERSION_XAES, "sealed"):
        with pytest.raises(ss.UnknownVersion):
            ss.open_cookies(mode, KEY, [(POLICY["cookie_name"], signed)], now=T0, **POLICY)
    with pytest.raises(ss.UnknownVersion):
        ss.open_cookies("signed", KEY, [(POLICY["cookie_name"], sealed)], now=T0, **POLICY)


def test_a_sealed_reader_opens_both_sealed_suites():
    """One sealed reader, one key ring, values of both suites (a change of suite logs no one out)."""
    other = ss.Key(os.urandom(32))
    for suite in SEALED_SUITES:
        value = write(suite, pc_bytes(b"alice"))
        opened = ss.open_sealed([other, KEY], value, now=T0, **POLICY)
        assert (opened.payload, opened.version, opened.suite) == (pc_bytes(b"alice"), suite, suite)
        cookies = ss.split_chunks(POLICY["cookie_name"], value)
        for mode in (ss.VERSION_SEALED, ss.VERSION_XAES, "sealed"):
            assert ss.open_cookies(mode, KEY, cookies, now=T0, **POLICY).payload == pc_bytes(b"alice")


def test_version_flags_are_authenticated():
    """Changing only the flags of an authentic value (same bytes otherwise) fails step 5, the
    creation millisecond's flag 0x40 as much as the identity flags."""
    for suite in ALL_SUITES:
        for flags, new in itertools.permutations(ALL_FLAGS, 2):
            sid, subject = bytes(16) if flags & 0x10 else None, b"s" * 5 if flags & 0x20 else None
            millis = 7 if flags & 0x40 else None
            raw = bytearray(ss.b64decode(write(suite, pc_bytes(b"x" * 20), session_id=sid, subject=subject,
                                               created_millis=millis)))  # fmt: skip
            raw[0] = suite | new
            with pytest.raises(ss.AuthenticationFailed):
                reader(suite)(KEY, ss.b64encode(bytes(raw)), now=T0, **POLICY)


# --------------------------------------------------------------------------
# (c) Identity fields
# --------------------------------------------------------------------------

SESSION_IDS = [None, bytes(16), bytes(range(16)), b"\xff" * 16]
SUBJECTS = [None, b"u", "user-42", b"\x00" * 64, "é" * 32, b"\x80\x00"]


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: f"0x{s:02x}")
def test_identity_round_trip_every_suite_and_flag(suite):
    fixed = {0x01: 1 + 4 + 12 + 16, 0x02: 1 + 4 + 24 + 16, 0x81: 1 + 4 + 32}[suite]
    for session_id, subject, payload in itertools.product(SESSION_IDS, SUBJECTS, [b"", pc_bytes(b"alice")]):
        value = write(suite, payload, session_id=session_id, subject=subject)
        raw = ss.b64decode(value)
        subject_bytes = subject.encode() if isinstance(subject, str) else subject
        flags = (0x10 if session_id is not None else 0) | (0x20 if subject is not None else 0)
        assert raw[0] == suite | flags
        identity = (session_id or b"") + (bytes([len(subject_bytes)]) + subject_bytes if subject is not None else b"")
        assert len(raw) == fixed + len(STAMPS) + len(identity) + len(payload)
        if suite == ss.SUITE_HMAC_SHA256:  # readable by the client: the body is in the clear
            assert raw[5:-32] == STAMPS + identity + payload
        else:
            assert identity == b"" or identity not in raw
        for require in (False, True):
            if require and session_id is None:
                with pytest.raises(ss.MissingSessionId):
                    reader(suite)(KEY, value, now=T0, require_session_id=True, **POLICY)
                continue
            opened = reader(suite)(KEY, value, now=T0 + 100, require_session_id=require, **POLICY)
            assert (opened.session_id, opened.subject, opened.payload) == (session_id, subject_bytes, payload)
            assert (opened.version, opened.suite, opened.key_id) == (suite | flags, suite, KEY.key_id)
            assert opened.stamps == ss.Stamps(T0, T0, T0 + 1800)


def test_identity_encoding():
    assert ss.encode_identity() == (0, b"")
    assert ss.encode_identity(session_id=bytes(16)) == (0x10, bytes(16))
    assert ss.encode_identity(subject=b"ab") == (0x20, b"\x02ab")
    assert ss.encode_identity(bytes(range(16)), "user-42") == (0x30, bytes(range(16)) + b"\x07user-42")
    assert ss.decode_identity(0x30, bytes(range(16)) + b"\x07user-42" + b"\x2a") == (bytes(range(16)), b"user-42", b"\x2a")
    assert ss.decode_identity(0, b"\x07user-42") == (None, None, b"\x07user-42")
    assert ss.decode_identity(0x10, bytes(16)) == (bytes(16), None, b"")
    assert ss.decode_identity(0x20, b"\x40" + b"s" * 64) == (None, b"s" * 64, b"")


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: f"0x{s:02x}")
def test_created_millis_round_trip_every_suite_and_flag(suite):
    """A creation millisecond with every combination of identity fields, in every suite: the
    version byte gains 0x40, the value one byte (under 128) or two, and the reader returns it in
    its stamps, with the identity and payload as without it."""
    fixed = {0x01: 1 + 4 + 12 + 16, 0x02: 1 + 4 + 24 + 16, 0x81: 1 + 4 + 32}[suite]
    for session_id, subject, millis in itertools.product(SESSION_IDS[:2], SUBJECTS[:3], [None, 0, 127, 128, 999]):
        payload = pc_bytes(b"alice")
        value = write(suite, payload, session_id=session_id, subject=subject, created_millis=millis)
        raw = ss.b64decode(value)
        subject_bytes = subject.encode() if isinstance(subject, str) else subject
        flags = (0x10 if session_id is not None else 0) | (0x20 if subject is not None else 0)
        flags |= 0x40 if millis is not None else 0
        assert raw[0] == suite | flags
        identity = ss.encode_identity(session_id, subject)[1]
        extra = 0 if millis is None else 1 if millis < 128 else 2
        assert len(raw) == fixed + len(STAMPS) + extra + len(identity) + len(payload)
        if suite == ss.SUITE_HMAC_SHA256:
            assert raw[5:-32] == STAMPS + (b"" if millis is None else ss.encode_varint(millis)) + identity + payload
        opened = reader(suite)(KEY, value, now=T0 + 100, **POLICY)
        assert opened.stamps == ss.Stamps(T0, T0, T0 + 1800, millis)
        assert (opened.session_id, opened.subject, opened.payload, opened.version) == (
            session_id, subject_bytes, payload, suite | flags,
        )  # fmt: skip
        # Through the chunk reader too.
        mode = "signed" if suite == ss.SUITE_HMAC_SHA256 else "sealed"
        cookies = ss.split_chunks(POLICY["cookie_name"], value)
        assert ss.open_cookies(mode, KEY, cookies, now=T0, **POLICY).stamps.created_millis == millis


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: f"0x{s:02x}")
def test_reader_refuses_malformed_created_millis(suite):
    """Authentic values whose creation millisecond is malformed: refused at step 6 as malformed
    stamps, before the identity fields, the required session id and the time checks."""
    for rest in (b"\xe8\x07", b"\xff\x7f", b"\x80\x00", b"\xe7\x87\x00", b"\xe7", b"", b"\xff" * 9 + b"\x01"):
        for version, identity in ((suite | 0x40, b""), (suite | 0x70, bytes(16) + b"\x01u")):
            if not rest and identity:
                continue  # the session id's first byte would be read as the millisecond
            value = raw_value(version, STAMPS + rest + identity)
            for now, require in ((T0, False), (T0 + 10**6, False), (T0, True)):
                with pytest.raises(ss.MalformedStamps):
                    reader(suite)(KEY, value, now=now, require_session_id=require, **POLICY)
    # 999 and 0 are well formed; without the flag the byte after the stamps is the payload's.
    assert reader(suite)(KEY, raw_value(suite | 0x40, STAMPS + b"\xe7\x07"), now=T0, **POLICY).stamps.created_millis == 999
    assert reader(suite)(KEY, raw_value(suite | 0x40, STAMPS + b"\x00"), now=T0, **POLICY).payload == b""
    assert reader(suite)(KEY, raw_value(suite, STAMPS + b"\xe7\x07"), now=T0, **POLICY).payload == b"\xe7\x07"


def test_writer_refuses_a_bad_created_millis():
    for bad in (-1, 1000, 65535, 2**64):
        for suite in ALL_SUITES:
            with pytest.raises(ss.InvalidInput):
                write(suite, b"", created_millis=bad)


@pytest.mark.parametrize("bad", [dict(session_id=bytes(15)), dict(session_id=bytes(17)), dict(session_id=b""),
                                 dict(subject=b""), dict(subject=""), dict(subject=b"s" * 65), dict(subject="é" * 33)])  # fmt: skip
def test_writer_refuses_malformed_identity(bad):
    with pytest.raises(ss.InvalidInput):
        ss.encode_identity(**bad)
    for suite in ALL_SUITES:
        with pytest.raises(ss.InvalidInput):
            write(suite, b"", **bad)


def test_writer_refuses_other_suites():
    for suite in (0x81, 0x03, 0x11, 0x00):
        with pytest.raises(ss.InvalidInput):
            ss.seal(KEY, b"", suite=suite, created=T0, issued=T0, **POLICY)


MALFORMED_IDENTITY = [
    # (flags, what follows the stamps)
    (0x20, b"\x00" + pc_bytes(b"abc")),  # subject length 0
    (0x20, b"\x00"),
    (0x20, b"\x41" + b"s" * 65),  # subject length 65
    (0x20, b"\x41" + b"s" * 70),
    (0x20, b"\x7f" + b"s" * 127),
    (0x20, b"\x80\x01" + b"s" * 128),  # 128, two bytes
    (0x20, b"\x81\x00" + b"s"),  # 1, not minimal
    (0x20, b"\x80\x00"),  # 0, not minimal
    (0x20, b"\x80"),  # truncated varint
    (0x20, b""),  # no length at all
    (0x20, b"\x0a" + b"s" * 9),  # subject cut short by the end of the plaintext
    (0x20, b"\x40" + b"s" * 63),
    (0x20, b"\xff" * 9 + b"\x01"),  # 2^64 - 1
    (0x10, bytes(15)),  # session id cut short
    (0x10, b""),
    (0x30, bytes(15)),
    (0x30, bytes(16)),  # session id, then no subject length
    (0x30, bytes(16) + b"\x00"),
    (0x30, bytes(16) + b"\x41" + b"s" * 65),
    (0x30, bytes(16) + b"\x05abcd"),
]


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: f"0x{s:02x}")
def test_reader_refuses_malformed_identity(suite):
    """Authentic values whose identity fields are malformed: refused at step 6, after the
    stamps and before the time checks (the late reader still sees MalformedIdentity)."""
    for flags, rest in MALFORMED_IDENTITY:
        value = raw_value(suite | flags, STAMPS + rest)
        for now in (T0, T0 + 10**6):
            with pytest.raises(ss.MalformedIdentity):
                reader(suite)(KEY, value, now=now, **POLICY)
        with pytest.raises(ss.MalformedIdentity):  # malformed first, then the required session id
            reader(suite)(KEY, value, now=T0, require_session_id=True, **POLICY)
    # Malformed stamps are still reported as such, before the identity.
    with pytest.raises(ss.MalformedStamps):
        reader(suite)(KEY, raw_value(suite | 0x30, b"\x80\x00\x00\x00" + bytes(16) + b"\x01u"), now=T0, **POLICY)
    # The edges that are well formed: lengths 1 and 64, a subject taking the rest of the plaintext.
    for flags, rest, sid, subject, payload in [
        (0x20, b"\x01u", None, b"u", b""),
        (0x20, b"\x40" + b"s" * 64 + b"\x00", None, b"s" * 64, b"\x00"),
        (0x10, bytes(16), bytes(16), None, b""),
        (0x30, bytes(16) + b"\x02ab" + b"\x2a", bytes(16), b"ab", b"\x2a"),
    ]:
        opened = reader(suite)(KEY, raw_value(suite | flags, STAMPS + rest), now=T0, **POLICY)
        assert (opened.session_id, opened.subject, opened.payload) == (sid, subject, payload)


@pytest.mark.parametrize("suite", ALL_SUITES, ids=lambda s: f"0x{s:02x}")
def test_require_session_id(suite):
    for subject in (None, b"user-42"):
        value = write(suite, pc_bytes(b"x"), subject=subject)
        assert reader(suite)(KEY, value, now=T0, **POLICY).session_id is None
        with pytest.raises(ss.MissingSessionId):
            reader(suite)(KEY, value, now=T0, require_session_id=True, **POLICY)
        # Step 6 comes before the time checks.
        with pytest.raises(ss.MissingSessionId):
            reader(suite)(KEY, value, now=T0 + 10**6, require_session_id=True, **POLICY)
        # Authentication comes first: a forged value is a forgery, not a missing session id.
        with pytest.raises(ss.AuthenticationFailed):
            reader(suite)(KEY, value, now=T0, require_session_id=True, **dict(POLICY, purpose="other"))
        sid = ss.new_session_id()
        value = write(suite, pc_bytes(b"x"), session_id=sid, subject=subject)
        opened = reader(suite)(KEY, value, now=T0, require_session_id=True, **POLICY)
        assert (opened.session_id, opened.subject) == (sid, subject)
        # And through the chunk reader.
        mode = "signed" if suite == ss.SUITE_HMAC_SHA256 else "sealed"
        cookies = [(POLICY["cookie_name"], value)]
        assert ss.open_cookies(mode, KEY, cookies, now=T0, require_session_id=True, **POLICY).session_id == sid
        cookies = [(POLICY["cookie_name"], write(suite, pc_bytes(b"x"), subject=subject))]
        with pytest.raises(ss.MissingSessionId):
            ss.open_cookies(mode, KEY, cookies, now=T0, require_session_id=True, **POLICY)


def test_renewal_keeps_the_identity():
    """A renewal is a new value with the old `created` (and its millisecond) and the same
    identity (the writer's job; the format only carries it)."""
    sid = ss.new_session_id()
    first = write(ss.SUITE_XAES_256_GCM, b"\x00", session_id=sid, subject="u", created_millis=640)
    opened = ss.open_sealed(KEY, first, now=T0 + 1000, **POLICY)
    second = write(ss.SUITE_XAES_256_GCM, b"\x01", created=opened.stamps.created, issued=T0 + 1000,
                   session_id=opened.session_id, subject=opened.subject,
                   created_millis=opened.stamps.created_millis)  # fmt: skip
    again = ss.open_sealed(KEY, second, now=T0 + 1000, require_session_id=True, **POLICY)
    assert (again.session_id, again.subject, again.stamps.created, again.stamps.expires) == (sid, b"u", T0, T0 + 2800)
    assert again.stamps.created_millis == 640 and again.version == 0x72


# --------------------------------------------------------------------------
# (d) XAES layout and minimum lengths
# --------------------------------------------------------------------------


def test_xaes_layout_and_fresh_nonces():
    payload = pc_bytes(b"alice")
    a = ss.b64decode(write(ss.SUITE_XAES_256_GCM, payload))
    b = ss.b64decode(write(ss.SUITE_XAES_256_GCM, payload))
    assert a[:5] == b[:5] == b"\x02" + KEY.key_id
    assert a[5:29] != b[5:29]
    assert len(a) == 1 + 4 + 24 + len(STAMPS) + len(payload) + 16
    nonce = bytes(range(24))
    raw = ss.seal_bytes(KEY, payload, nonce=nonce, suite=ss.SUITE_XAES_256_GCM, created=T0, issued=T0, **POLICY)
    aad = ss.associated_data(0x02, KEY.key_id, POLICY["cookie_name"], POLICY["purpose"])
    assert raw == b"\x02" + KEY.key_id + nonce + ss.xaes_256_gcm_encrypt(KEY.xaes_key, nonce, STAMPS + payload, aad)
    with pytest.raises(ss.InvalidInput):  # a 12-byte nonce is not an XAES nonce
        ss.seal_bytes(KEY, payload, nonce=bytes(12), suite=ss.SUITE_XAES_256_GCM, created=T0, issued=T0, **POLICY)
    with pytest.raises(ss.InvalidInput):
        ss.seal_bytes(KEY, payload, nonce=bytes(24), created=T0, issued=T0, **POLICY)
    # Not AES-256-GCM under aead_key or xaes_key with any 12 bytes of the nonce.
    for k in (KEY.aead_key, KEY.xaes_key):
        for n in (nonce[:12], nonce[12:]):
            with pytest.raises(InvalidTag):
                ss.AESGCM(k).decrypt(n, raw[29:], aad)


def test_minimum_lengths():
    assert (ss.MIN_SEALED_LEN, ss.MIN_XAES_LEN, ss.MIN_SIGNED_LEN) == (36, 48, 40)
    assert (ss.MIN_SEALED_CHARS, ss.MIN_SIGNED_CHARS, ss.encoded_len(48)) == (48, 54, 64)
    # The smallest XAES value (three one-byte stamps, no payload) is 48 bytes and opens.
    smallest = raw_value(0x02, b"\x00\x00\x00")
    assert len(ss.b64decode(smallest)) == 48 and len(smallest) == 64
    assert ss.open_sealed(KEY, smallest, now=0, idle=1, absolute=1, cookie_name=POLICY["cookie_name"],
                          purpose=POLICY["purpose"]).stamps == ss.Stamps(0, 0, 0)  # fmt: skip
    raw = ss.b64decode(smallest)
    # 0x02 values of 36 to 47 bytes: long enough for the mode (48+ characters), too short for
    # the suite; refused at step 3, once the version byte is accepted, before the key is looked up.
    for n in range(36, 48):
        value = ss.b64encode(raw[:n])
        assert len(value) >= 48
        for keys in ([], KEY):
            with pytest.raises(ss.TooShort):
                ss.open_sealed(keys, value, now=0, idle=1, absolute=1, cookie_name=POLICY["cookie_name"])
    # The same bytes under 0x01 (or 0x11, 0x31, 0x41, 0x71) reach the key and then fail
    # authentication; under 0x12, 0x32, 0x42 and 0x72 they are still too short: the smallest
    # length is the suite's, whatever the flags (a 0x40 value can be no shorter than 37 bytes,
    # but 36 is the floor step 3 applies).
    for version in (0x12, 0x32, 0x42, 0x72):
        with pytest.raises(ss.TooShort):
            ss.open_sealed(KEY, ss.b64encode(bytes([version]) + raw[1:40]), now=T0, **POLICY)
    for version in (0x01, 0x11, 0x31, 0x41, 0x71):
        with pytest.raises(ss.AuthenticationFailed):
            ss.open_sealed(KEY, ss.b64encode(bytes([version]) + raw[1:40]), now=T0, **POLICY)
    # Shorter than the mode's smallest encoding: refused before decoding (so even bad base64).
    for mode_reader, chars in ((ss.open_sealed, 48), (ss.verify_signed, 54)):
        for text in ("!" * (chars - 1), "A" * (chars - 3), ""):
            with pytest.raises(ss.TooShort):
                mode_reader(KEY, text, now=T0, **POLICY)
        with pytest.raises(ss.BadEncoding):
            mode_reader(KEY, "!" * chars, now=T0, **POLICY)


def opening_step3(read, raw: bytes) -> type:
    """The error a reader with an empty ring raises for ``raw`` (no key can be found, so a value
    that passes steps 1 to 3 is refused at step 4 with UnknownKey)."""
    with pytest.raises(ss.OpenError) as e:
        read([], ss.b64encode(raw), now=T0, **POLICY)
    return type(e.value)


@pytest.mark.parametrize("mode", ["sealed", "signed"])
def test_version_is_read_before_the_suites_smallest_length(mode):
    """FORMAT.md "Opening", step 3: the version byte is read first (a reserved byte and one of
    the other mode are refused as such, whatever the length), and only then a value shorter than
    the smallest value of the suite it names is refused. Every version byte, at every length from
    the mode's smallest encoding (step 2) to the largest suite minimum."""
    read = ss.open_sealed if mode == "sealed" else ss.verify_signed
    suites = ss.SEALED_SUITES if mode == "sealed" else ss.SIGNED_SUITES
    first = ss.MIN_SEALED_LEN if mode == "sealed" else ss.MIN_SIGNED_LEN
    for n in range(first, max(ss.MIN_LEN.values()) + 1):
        for byte in range(256):
            raw = bytes([byte]) + os.urandom(n - 1)
            try:
                suite, _ = ss.parse_version(byte)
            except ss.UnknownVersion:
                suite = None
            if suite not in suites:
                expected = ss.UnknownVersion
            elif n < ss.MIN_LEN[suite]:
                expected = ss.TooShort
            else:
                expected = ss.UnknownKey
            assert opening_step3(read, raw) is expected, (hex(byte), n)


def test_the_other_modes_short_values_are_refused_by_version():
    """The cases the order decides: a sealed reader given a 0x81-family value of 36 to 39 bytes
    (too short for a signed value) and a signed reader given a 0x02-family value of 40 to 47 bytes
    (too short for an XAES value) both refuse the version byte, even with the key at hand."""
    signed = ss.b64decode(write(ss.SUITE_HMAC_SHA256, b"", session_id=bytes(16)))
    xaes = ss.b64decode(write(ss.SUITE_XAES_256_GCM, pc_bytes(b"x" * 40)))
    for n in range(ss.MIN_SEALED_LEN, ss.MIN_SIGNED_LEN):
        assert len(ss.b64encode(signed[:n])) >= ss.MIN_SEALED_CHARS
        for keys in ([], KEY):
            with pytest.raises(ss.UnknownVersion):
                ss.open_sealed(keys, ss.b64encode(signed[:n]), now=T0, **POLICY)
    for n in range(ss.MIN_SIGNED_LEN, ss.MIN_XAES_LEN):
        assert len(ss.b64encode(xaes[:n])) >= ss.MIN_SIGNED_CHARS
        for keys in ([], KEY):
            with pytest.raises(ss.UnknownVersion):
                ss.verify_signed(keys, ss.b64encode(xaes[:n]), now=T0, **POLICY)
            with pytest.raises(ss.TooShort):  # its own reader: too short for the suite
                ss.open_sealed(keys, ss.b64encode(xaes[:n]), now=T0, **POLICY)
    # Reserved bytes: refused as such at the mode's shortest length too (0x43 and 0xC3: flag
    # 0x40 on no suite).
    for byte in (0x00, 0x03, 0x43, 0x82, 0xC3, 0x40, 0xC0):
        with pytest.raises(ss.UnknownVersion):
            ss.open_sealed(KEY, ss.b64encode(bytes([byte]) + xaes[1:36]), now=T0, **POLICY)
        with pytest.raises(ss.UnknownVersion):
            ss.verify_signed(KEY, ss.b64encode(bytes([byte]) + xaes[1:40]), now=T0, **POLICY)


# --------------------------------------------------------------------------
# (e) Vectors 6 to 8
# --------------------------------------------------------------------------

#: The inputs of FORMAT.md's vectors 6 to 8, 11 and 12 (its block layout; hex for bytes), from
#: the prose that describes them.
VECTOR_INPUTS = [
    dict(vector="6", suite="xaes-256-gcm", key=bytes(range(32)).hex(), nonce=bytes(range(24)).hex(),
         cookie_name="session", purpose="session", idle="1800", absolute="28800",
         created="1800000000", issued="1800000000", payload=pc_bytes(b"alice").hex()),
    dict(vector="7", suite="aes-256-gcm", key=bytes(range(31, -1, -1)).hex(), nonce="0c0d0e0f1011121314151617",
         cookie_name="__Host-id", purpose="login", idle="1800", absolute="28800",
         created="1800000000", issued="1800000000", session_id="00112233445566778899aabbccddeeff",
         subject=b"user-42".hex(), payload=pc_varint(42).hex()),
    dict(vector="8", suite="hmac-sha256", key=bytes(range(32)).hex(), cookie_name="prefs", purpose="ui",
         idle="3600", absolute="3600", created="1800000000", issued="1800000000",
         session_id="f0e1d2c3b4a5968778695a4b3c2d1e0f", payload=pc_bytes(b"light").hex()),
    # Vector 7's session with its creation millisecond (a fresh nonce).
    dict(vector="11", suite="aes-256-gcm", key=bytes(range(31, -1, -1)).hex(), nonce="18191a1b1c1d1e1f20212223",
         cookie_name="__Host-id", purpose="login", idle="1800", absolute="28800",
         created="1800000000", created_millis="250", issued="1800000000",
         session_id="00112233445566778899aabbccddeeff", subject=b"user-42".hex(), payload=pc_varint(42).hex()),
    # Signed, a subject and a creation millisecond, a renewal 600 seconds after creation.
    dict(vector="12", suite="hmac-sha256", key=bytes(range(32)).hex(), cookie_name="prefs", purpose="ui",
         idle="3600", absolute="3600", created="1800000000", created_millis="999", issued="1800000600",
         subject=b"bob".hex(), payload=pc_varint(7).hex()),
]  # fmt: skip


def vector_fields(inp: dict[str, str]) -> list[tuple[str, str]]:
    """Every field of a vector from its inputs, in the order of FORMAT.md's blocks: the
    sealed ones of vectors 1 to 4 (plus ``session_id``, ``subject``, ``created_millis``,
    ``version``, ``identity`` when identity fields or a creation millisecond are given), the
    signed one of vector 5 (likewise), and for ``suite = xaes-256-gcm`` ``xaes_key`` and the
    per-nonce ``derived_key`` (Kx)."""
    mode = vector_mode(inp)
    suite = {"sealed": 0x01, "xaes": 0x02, "signed": 0x81}[mode]
    key = ss.Key(bytes.fromhex(inp["key"]))
    created, issued = int(inp["created"]), int(inp["issued"])
    idle, absolute = int(inp["idle"]), int(inp["absolute"])
    expires = ss.expires_for(created, issued, idle, absolute)
    ident = identity_of(inp)
    millis = millis_of(inp)
    flags, identity = ss.encode_identity(**ident)
    if millis is not None:
        flags |= ss.FLAG_CREATED_MILLIS
    version = suite | flags
    payload = bytes.fromhex(inp["payload"])
    stamps = ss.encode_stamps(created, issued, expires, millis)
    aad = ss.associated_data(version, key.key_id, inp["cookie_name"], purpose_of(inp))
    common = dict(cookie_name=inp["cookie_name"], purpose=purpose_of(inp), created=created, issued=issued,
                  idle=idle, absolute=absolute, created_millis=millis, **ident)  # fmt: skip

    out = [("vector", inp["vector"]), ("suite", inp["suite"])]
    out += [("key", key._secret.hex()), ("key_id", key.key_id.hex())]
    out += {
        "sealed": [("aead_key", key.aead_key.hex()), ("hmac_key", key.hmac_key.hex())],
        "xaes": [("xaes_key", key.xaes_key.hex())],
        "signed": [("hmac_key", key.hmac_key.hex())],
    }[mode]
    if mode != "signed":
        out.append(("nonce", inp["nonce"]))
    purpose = "purpose_hex" if "purpose_hex" in inp else "purpose"
    out += [(k, inp[k]) for k in ("cookie_name", purpose, "idle", "absolute", "created")]
    out += [(k, inp[k]) for k in ("created_millis",) if k in inp]
    out.append(("issued", inp["issued"]))
    out.append(("expires", str(expires)))
    out += [(k, inp[k]) for k in ("session_id", "subject") if k in inp]
    out.append(("payload", inp["payload"]))
    if flags:  # identity fields or a creation millisecond
        out.append(("version", f"{version:02x}"))
    out.append(("stamps", stamps.hex()))
    if flags:
        out.append(("identity", identity.hex()))
    if mode == "signed":
        raw = ss.sign_bytes(key, payload, **common)
        out += [
            ("aad", aad.hex()),
            ("mac_input", ss.signed_mac_input(key.key_id, inp["cookie_name"], purpose_of(inp), stamps + identity + payload, version).hex()),
            ("tag", raw[-32:].hex()),
            ("signed", raw.hex()),
        ]  # fmt: skip
    else:
        nonce = bytes.fromhex(inp["nonce"])
        raw = ss.seal_bytes(key, payload, nonce=nonce, suite=suite, **common)
        out += [("plaintext", (stamps + identity + payload).hex()), ("aad", aad.hex())]
        if mode == "xaes":
            out.append(("derived_key", ss.xaes_derive_key(key.xaes_key, nonce).hex()))
        out += [("tag", raw[-16:].hex()), ("sealed", raw.hex())]
    out.append(("value", ss.b64encode(raw)))
    return out


def format_block(fields: list[tuple[str, str]], width: int = 96) -> str:
    """A ```text block as in FORMAT.md: long values wrapped at ``width`` characters, each
    part on a line of its own that repeats the field name."""
    lines = []
    for name, value in fields:
        if not value:
            lines.append(f"{name} =")
        for i in range(0, len(value), width):
            lines.append(f"{name} = {value[i : i + width]}")
    return "```text\n" + "\n".join(lines) + "\n```\n"


def test_vector_blocks_round_trip_through_the_parser():
    for inp in VECTOR_INPUTS:
        fields = vector_fields(inp)
        assert parse_vectors(format_block(fields)) == [dict(fields)]
        assert max(len(line) for line in format_block(fields).splitlines()) <= 12 + 96


@pytest.mark.parametrize("inp", VECTOR_INPUTS, ids=lambda i: f"vector{i['vector']}")
def test_vectors_every_field(inp):
    """FORMAT.md's vectors 6 to 8, 11 and 12 hold exactly the fields their inputs give, each
    equal."""
    v = next(v for v in VECTORS if v["vector"] == inp["vector"])
    assert v == dict(vector_fields(inp))


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"vector{v['vector']}")
def test_every_vector_field_the_generator_computes(v):
    """The generator agrees with every vector on every field it computes (not the chunks of
    vector 1 nor vector 3's master and label: test_interop.py checks those)."""
    for name, value in vector_fields(v):
        assert v[name] == value, name


def test_vector_identity_fields():
    by = {v["vector"]: v for v in VECTORS}
    assert by["7"]["version"] == "31" and by["8"]["version"] == "91" and "version" not in by["6"]
    assert by["7"]["identity"] == "00112233445566778899aabbccddeeff" + "07" + b"user-42".hex()
    assert by["8"]["identity"] == by["8"]["session_id"]
    assert vector_mode(by["6"]) == "xaes" and ss.b64decode(by["6"]["value"])[0] == 0x02
    opened = ss.open_sealed(ss.Key(bytes.fromhex(by["7"]["key"])), by["7"]["value"], now=T0, **policy_of(by["7"]))
    assert (opened.session_id.hex(), opened.subject, opened.payload) == (by["7"]["session_id"], b"user-42", b"\x2a")
    # Vectors 11 and 12: the creation millisecond ends the stamps, before the identity fields.
    assert by["11"]["version"] == "71" and by["12"]["version"] == "e1"
    assert by["11"]["stamps"] == by["7"]["stamps"] + "fa01" and by["11"]["identity"] == by["7"]["identity"]
    assert by["11"]["plaintext"] == by["11"]["stamps"] + by["11"]["identity"] + by["11"]["payload"]
    assert by["12"]["stamps"].endswith("e707") and by["12"]["identity"] == "03" + b"bob".hex()
    for v, millis in ((by["11"], 250), (by["12"], 999)):
        read = ss.verify_signed if vector_mode(v) == "signed" else ss.open_sealed
        opened = read(ss.Key(bytes.fromhex(v["key"])), v["value"], now=int(v["issued"]), **policy_of(v))
        assert opened.stamps.created_millis == millis
        assert opened.stamps.created_at_millis == int(v["created"]) * 1000 + millis


if __name__ == "__main__":
    # The blocks of vectors 6 to 8, 11 and 12, for FORMAT.md's "Test vectors".
    print("\n".join(format_block(vector_fields(inp)) for inp in VECTOR_INPUTS), end="")
