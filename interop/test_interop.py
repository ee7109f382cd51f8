"""Interoperability tests: the Python implementation (written from FORMAT.md) against
FORMAT.md's test vectors and against the Rust crate (through interop/src/main.rs).

(a) every FORMAT.md vector (1 to 12), every intermediate field, byte for byte;
(b) values produced by the Rust crate open in Python (AES-256-GCM, XAES-256-GCM and signed,
    with and without a session id, a subject and a creation millisecond, single and chunked);
(c) values produced by Python open in Rust (the same suites, identity fields, creation
    milliseconds and chunking), Rust reports the session id, subject and creation millisecond
    Python sealed, and Rust refuses the same malformed, expired, unidentified or misversioned
    values Python refuses;
(d) tampering is refused by Python.

Run: `bash .ci/interop.sh` from the repository root (or `pytest interop/`).
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import sealed_session as ss

ROOT = Path(__file__).resolve().parent.parent
FORMAT_MD = ROOT / "FORMAT.md"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def parse_vectors(text: str) -> list[dict[str, str]]:
    """The ```text blocks that start with `vector =`; a field spread over several lines
    repeats its name on each, and the parts are joined."""
    vectors = []
    for block in re.findall(r"```text\n(vector = .*?)```", text, re.S):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if not line.strip():
                continue
            m = re.fullmatch(r"([a-z0-9_]+) =(?: (.*))?", line)
            assert m, f"unparsable vector line {line!r}"
            name, value = m.group(1), m.group(2) or ""
            fields[name] = fields.get(name, "") + value
        vectors.append(fields)
    return vectors


VECTORS = parse_vectors(FORMAT_MD.read_text(encoding="utf-8"))
VECTOR_IDS = [f"vector{v['vector']}" for v in VECTORS]


#: A vector's ``suite`` field (FORMAT.md, "Test vectors") and the mode name used in these tests.
SUITE_MODE = {"aes-256-gcm": "sealed", "xaes-256-gcm": "xaes", "hmac-sha256": "signed"}


def vector_mode(v: dict) -> str:
    """``sealed`` (AES-256-GCM), ``xaes`` (XAES-256-GCM) or ``signed``, from the vector's
    ``suite`` field."""
    return SUITE_MODE[v["suite"]]


def vector_suite(v: dict) -> int:
    return {"sealed": ss.SUITE_AES_256_GCM, "xaes": ss.SUITE_XAES_256_GCM, "signed": ss.SUITE_HMAC_SHA256}[vector_mode(v)]


def identity_of(v: dict) -> dict:
    """The writer's identity arguments a vector gives (hex ``session_id``, hex ``subject``)."""
    return dict(
        session_id=bytes.fromhex(v["session_id"]) if "session_id" in v else None,
        subject=bytes.fromhex(v["subject"]) if "subject" in v else None,
    )


def millis_of(v: dict) -> int | None:
    """A vector's (or an emitted case's) ``created_millis`` input, ``None`` when it has none."""
    return int(v["created_millis"]) if "created_millis" in v else None


def vector_version(v: dict) -> int:
    """The version byte: the suite of the mode with the flags of the identity fields and the
    creation millisecond given."""
    return ss.version_byte(vector_suite(v), **identity_of(v), created_millis=millis_of(v))


def pc_varint(n: int) -> bytes:
    return ss.encode_varint(n)


def pc_bytes(b: bytes) -> bytes:
    """postcard: a byte string or a str is varint(len) || bytes."""
    return pc_varint(len(b)) + b


def pc_user(user_id: int, roles: list[str]) -> bytes:
    """postcard of `struct User { user_id: u64, roles: Vec<String> }`."""
    return pc_varint(user_id) + pc_varint(len(roles)) + b"".join(pc_bytes(r.encode()) for r in roles)


def flip(raw: bytes, i: int, bit: int) -> bytes:
    b = bytearray(raw)
    b[i] ^= 1 << bit
    return bytes(b)


def purpose_of(v: dict) -> str:
    """A vector's purpose: ``purpose``, or ``purpose_hex`` for one that is not printable (a
    server-side state at rest: the cookie's purpose, a NUL and a suffix)."""
    return bytes.fromhex(v["purpose_hex"]).decode() if "purpose_hex" in v else v["purpose"]


def policy_of(v: dict) -> dict:
    return dict(cookie_name=v["cookie_name"], purpose=purpose_of(v), idle=int(v["idle"]), absolute=int(v["absolute"]))


def reader_for(mode: str):
    """A sealed reader opens both sealed suites (``sealed`` and ``xaes`` vectors)."""
    return ss.verify_signed if mode == "signed" else ss.open_sealed


# --------------------------------------------------------------------------
# The Rust side (interop/src/main.rs)
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def rust_binary() -> str:
    """Builds the harness once and returns its executable path."""
    out = subprocess.run(
        ["cargo", "build", "--quiet", "-p", "sealed-session-interop", "--message-format=json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "interop" and msg.get("executable"):
            return msg["executable"]
    raise RuntimeError("cargo built no interop binary")


def rust(*args: str | int) -> tuple[int, str]:
    p = subprocess.run(
        [rust_binary(), *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )
    assert p.returncode in (0, 1), f"interop {args[0]} failed ({p.returncode}): {p.stderr}"
    return p.returncode, p.stdout.strip()


def rust_mode(mode: str, require_session_id: bool = False) -> str:
    """The example's reader mode: ``sealed``, ``xaes`` or ``signed``, with ``+sid`` for a reader
    built with ``session_ids(true)`` (it refuses a value without a session id)."""
    assert mode in ("sealed", "xaes", "signed"), mode
    return mode + ("+sid" if require_session_id else "")


def rust_open(
    mode, key: ss.Key | bytes, value, *, cookie_name, purpose, idle, absolute, now, type_="bytes",
    require_session_id=False,
):  # fmt: skip
    secret = key._secret if isinstance(key, ss.Key) else key
    mode = rust_mode(mode, require_session_id)
    return rust("open", mode, secret.hex(), cookie_name, rust_purpose(purpose), idle, absolute, now, value, type_)


def rust_open_cookies(
    mode, key: ss.Key, header, *, cookie_name, purpose, idle, absolute, now, max_chunks, type_="bytes",
    require_session_id=False,
):  # fmt: skip
    mode = rust_mode(mode, require_session_id)
    return rust(
        "open-cookies", mode, key._secret.hex(), cookie_name, rust_purpose(purpose), idle, absolute, now, max_chunks,
        header, type_,
    )  # fmt: skip


def rust_purpose(purpose: str) -> str:
    """The example's purpose argument: a purpose with a NUL (no argument can carry one) goes as
    ``hex:<hex>``."""
    return "hex:" + purpose.encode().hex() if "\0" in purpose else purpose


def _hex_or_dash(field: bytes | str | None) -> str:
    if field is None:
        return "-"
    return (field.encode() if isinstance(field, str) else bytes(field)).hex()


def rust_ok_line(
    payload: bytes, created: int, issued: int, expires: int, session_id=None, subject=None, created_millis=None
) -> str:
    """What the example prints for a value that opened (see its module doc): ``ok <payload-hex>
    <created> <issued> <expires> <session-id-hex|-> <subject-hex|-> <created-millis|->``."""
    millis = "-" if created_millis is None else str(created_millis)
    return (
        f"ok {payload.hex()} {created} {issued} {expires} {_hex_or_dash(session_id)} {_hex_or_dash(subject)} {millis}"
    )


def assert_rust_ok(
    result, payload: bytes, created: int, issued: int, expires: int, session_id=None, subject=None, created_millis=None
):
    """Rust opened the value to this payload, these stamps, this identity and this creation
    millisecond (none by default)."""
    code, out = result
    assert code == 0, out
    assert out == rust_ok_line(payload, created, issued, expires, session_id, subject, created_millis)


def assert_rust_refuses(result, *needles: str):
    code, out = result
    assert code == 1, f"Rust accepted it: {out}"
    assert out.startswith("error: "), out
    for n in needles:
        assert n in out, f"expected {n!r} in {out!r}"


def parse_emitted(out: str) -> dict[str, dict]:
    """The example's `emit` output: one JSON object per line, by kind."""
    cases = [json.loads(line) for line in out.splitlines()]
    by_kind = {c["kind"]: c for c in cases}
    assert len(by_kind) == len(cases), "two emitted cases share a kind"
    return by_kind


@functools.lru_cache(maxsize=1)
def rust_emitted() -> dict[str, dict]:
    code, out = rust("emit")
    assert code == 0
    return parse_emitted(out)


#: Every kind `emit` prints, with the version byte its value must carry: the suite of its mode
#: (0x01 sealed, 0x02 xaes, 0x81 signed) with the flags of its identity fields (0x10 session id,
#: 0x20 subject) and of the creation millisecond (0x40), which the crate writes in every value
#: that carries a subject (and only in those).
RUST_VERSIONS = {
    "sealed-string": 0x01,
    "sealed-struct": 0x01,
    "sealed-bytes": 0x01,
    "sealed-key2": 0x01,
    "sealed-renewal-first": 0x01,
    "sealed-renewed": 0x01,
    "signed-string": 0x81,
    "signed-struct": 0x81,
    "xaes-string": 0x02,
    "xaes-struct": 0x02,
    "sealed-session-id": 0x11,
    "sealed-subject": 0x61,
    "xaes-identity": 0x72,
    "signed-identity": 0xF1,
    "sealed-identity": 0x71,
    "sealed-identity-renewed": 0x71,
    "sealed-millis": 0x61,
    "sealed-millis-renewed": 0x61,
    "signed-millis": 0xF1,
    "xaes-millis": 0x62,
    "sealed-millis-anonymous": 0x11,
    "chunked-sealed": 0x01,
    "chunked-signed": 0x81,
    "chunked-xaes-identity": 0x72,
}
#: The creation millisecond of the kinds `emit` makes with its clock past the start of a second
#: (the others are made at a whole second: 0 when they carry one).
RUST_MILLIS = {"sealed-millis": 250, "sealed-millis-renewed": 250, "signed-millis": 999, "xaes-millis": 7}
RUST_KINDS = list(RUST_VERSIONS)
#: The example's mode names and the suite each seals with.
MODE_SUITE = {"sealed": ss.SUITE_AES_256_GCM, "xaes": ss.SUITE_XAES_256_GCM, "signed": ss.SUITE_HMAC_SHA256}
#: `Suite::name()` of each suite (the `suite` field of `emit`).
SUITE_NAMES = {"aes-256-gcm": ss.SUITE_AES_256_GCM, "xaes-256-gcm": ss.SUITE_XAES_256_GCM, "hmac-sha256": ss.SUITE_HMAC_SHA256}
#: Bytes of each suite's value around the stamps, identity and payload (header, nonce, tag).
SUITE_FIXED = {ss.SUITE_AES_256_GCM: 1 + 4 + 12 + 16, ss.SUITE_XAES_256_GCM: 1 + 4 + 24 + 16, ss.SUITE_HMAC_SHA256: 1 + 4 + 32}


def reader_mode(mode: str) -> str:
    """The Python reader's mode for an example mode: an ``xaes`` sealer reads as a sealed one."""
    return "signed" if mode == "signed" else "sealed"


def py_writer(mode: str):
    """Python's writer for an example mode: ``seal`` with suite 0x01 or 0x02, or ``sign``."""
    if mode == "signed":
        return ss.sign
    return functools.partial(ss.seal, suite=MODE_SUITE[mode])


# --------------------------------------------------------------------------
# (a) FORMAT.md test vectors
# --------------------------------------------------------------------------


def test_vectors_found():
    """FORMAT.md holds exactly vectors 1 to 12, in order: four sealed (AES-256-GCM), one signed,
    one XAES-256-GCM, one sealed with both identity fields, one signed with a session id, a
    server-side cookie and its state at rest (both sealed with a session id), then a sealed
    value with both identity fields and a creation millisecond and a signed one with a subject
    and a creation millisecond."""
    assert [v["vector"] for v in VECTORS] == [str(i) for i in range(1, 13)]
    assert [vector_mode(v) for v in VECTORS] == (
        ["sealed"] * 4 + ["signed", "xaes", "sealed", "signed", "sealed", "sealed", "sealed", "signed"]
    )
    assert [f"{vector_version(v):02x}" for v in VECTORS] == (
        ["01"] * 4 + ["81", "02", "31", "91", "11", "11", "71", "e1"]
    )
    # A vector that gives a creation millisecond gives the version byte and identity too.
    assert [millis_of(v) for v in VECTORS] == [None] * 10 + [250, 999]
    for v in VECTORS:
        if "created_millis" in v:
            assert "version" in v and "identity" in v


def test_vector_payloads_match_their_description():
    """The prose in FORMAT.md says what each payload serializes."""
    by = {v["vector"]: bytes.fromhex(v["payload"]) for v in VECTORS}
    assert by["1"] == pc_bytes(b"alice")
    assert by["2"] == pc_user(42, ["admin", "dev"])
    assert by["3"] == b""
    assert by["4"] == pc_bytes(bytes(range(200)))
    assert by["5"] == pc_bytes(b"light")
    assert by["6"] == pc_bytes(b"alice")
    assert by["7"] == pc_varint(42)
    assert by["8"] == pc_bytes(b"light")
    # A server-side cookie: the state is in the store (variant 0 of `{ InStore, Here(state) }`).
    assert by["9"] == b"\x00"
    # Its state at rest, under the cookie's purpose, a NUL and the at-rest suffix, bound to the
    # same session id and stamps.
    assert by["10"] == pc_bytes(b"alice")
    assert purpose_of(VECTORS[8]) == "session\0sealed-session server-side cookie"
    assert purpose_of(VECTORS[9]) == "session\0sealed-session state at rest"
    assert VECTORS[9]["session_id"] == VECTORS[8]["session_id"]
    assert bytes.fromhex(VECTORS[6]["subject"]) == b"user-42"
    # Vector 11 is vector 7's session with its creation millisecond: the same key, binding,
    # stamps, identity and state; vector 12 a signed renewal of the u64 7 for the subject "bob".
    assert by["11"] == pc_varint(42)
    same = ("key", "cookie_name", "purpose", "idle", "absolute", "created", "issued", "expires", "session_id", "subject")
    assert all(VECTORS[10][f] == VECTORS[6][f] for f in same)
    assert VECTORS[10]["identity"] == VECTORS[6]["identity"]
    assert VECTORS[10]["stamps"] == VECTORS[6]["stamps"] + ss.encode_varint(250).hex()
    assert by["12"] == pc_varint(7)
    assert bytes.fromhex(VECTORS[11]["subject"]) == b"bob" and "session_id" not in VECTORS[11]
    assert int(VECTORS[11]["created"]) < int(VECTORS[11]["issued"])


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_keys(v):
    if "master" in v:
        derived = ss.Key.derive(bytes.fromhex(v["master"]), v["label"])
        assert derived._secret.hex() == v["key"]
    key = ss.Key(bytes.fromhex(v["key"]))
    assert key.key_id.hex() == v["key_id"]
    assert "hmac_key" in v or vector_mode(v) == "xaes"
    for field in ("aead_key", "hmac_key", "xaes_key"):
        if field in v:
            assert getattr(key, field).hex() == v[field]


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_intermediates(v):
    created, issued, expires = int(v["created"]), int(v["issued"]), int(v["expires"])
    millis = millis_of(v)
    assert expires == ss.expires_for(created, issued, int(v["idle"]), int(v["absolute"]))
    stamps = ss.encode_stamps(created, issued, expires, millis)
    assert stamps.hex() == v["stamps"]
    payload = bytes.fromhex(v["payload"])
    key_id = bytes.fromhex(v["key_id"])
    signed = vector_mode(v) == "signed"
    version = vector_version(v)
    if "version" in v:
        assert v["version"] == f"{version:02x}"
    flags, identity = ss.encode_identity(**identity_of(v))
    assert version == vector_suite(v) | flags | (ss.FLAG_CREATED_MILLIS if millis is not None else 0)
    if "identity" in v:
        assert identity.hex() == v["identity"]
    else:
        assert identity == b""
    aad = ss.associated_data(version, key_id, v["cookie_name"], purpose_of(v))
    assert aad.hex() == v["aad"]
    body = stamps + identity + payload
    if signed:
        assert ss.signed_mac_input(key_id, v["cookie_name"], purpose_of(v), body, version).hex() == v["mac_input"]
    else:
        assert body.hex() == v["plaintext"]
    if vector_mode(v) == "xaes":
        key = ss.Key(bytes.fromhex(v["key"]))
        assert ss.xaes_derive_key(key.xaes_key, bytes.fromhex(v["nonce"])).hex() == v["derived_key"]
    decoded, rest = ss.decode_stamps(bytes.fromhex(v["stamps"]) + identity + payload, version)
    assert decoded == ss.Stamps(created, issued, expires, millis)
    assert rest == identity + payload
    assert ss.decode_identity(version, rest) == (identity_of(v)["session_id"], identity_of(v)["subject"], payload)
    if millis is not None:
        # Read without the flag, the millisecond would be taken for the identity: the flag
        # decides, and it is authenticated with the version byte.
        assert decoded.created_at_millis == created * 1000 + millis
        assert ss.decode_stamps(bytes.fromhex(v["stamps"]), 0)[1] == ss.encode_varint(millis)


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_reproduced_byte_for_byte(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    common = dict(
        policy_of(v), created=int(v["created"]), issued=int(v["issued"]), created_millis=millis_of(v), **identity_of(v)
    )
    payload = bytes.fromhex(v["payload"])
    if vector_mode(v) == "signed":
        raw = ss.sign_bytes(key, payload, **common)
        assert raw.hex() == v["signed"]
        assert raw[-32:].hex() == v["tag"]
        value = ss.sign(key, payload, **common)
    else:
        nonce = bytes.fromhex(v["nonce"])
        common["suite"] = vector_suite(v)
        raw = ss.seal_bytes(key, payload, nonce=nonce, **common)
        assert raw.hex() == v["sealed"]
        assert raw[-16:].hex() == v["tag"]
        assert raw[5 : 5 + len(nonce)] == nonce
        value = ss.seal(key, payload, nonce=nonce, **common)
    assert raw[0] == vector_version(v)
    assert value == v["value"]
    assert ss.b64encode(raw) == v["value"]
    assert ss.b64decode(v["value"]) == raw
    # The stdlib agrees on the encoding.
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == v["value"]


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_opens(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    other = ss.Key(bytes(32) if v["key"] != "00" * 32 else b"\x01" * 32)
    created, issued, expires = int(v["created"]), int(v["issued"]), int(v["expires"])
    read = reader_for(vector_mode(v))
    for now in (issued, issued - 60, expires + 60, created + int(v["absolute"]) + 60):
        if now > min(expires, created + int(v["absolute"])) + 60:
            continue
        opened = read([other, key], v["value"], now=now, **policy_of(v))
        assert opened.payload.hex() == v["payload"]
        assert opened.stamps == ss.Stamps(created, issued, expires, millis_of(v))
        assert opened.key_id.hex() == v["key_id"]
        assert opened.version == vector_version(v)
        assert (opened.session_id, opened.subject) == tuple(identity_of(v).values())
    # A reader that requires a session id opens only the vectors that carry one.
    if "session_id" in v:
        read(key, v["value"], now=issued, require_session_id=True, **policy_of(v))
    else:
        with pytest.raises(ss.MissingSessionId):
            read(key, v["value"], now=issued, require_session_id=True, **policy_of(v))
    # Past the expiry: idle, or absolute when the stamped expiry is created + absolute (step 7
    # checks the absolute lifetime first; Rust reports the same, see test_error_precedence).
    late = ss.AbsoluteExpired if expires == created + int(v["absolute"]) else ss.IdleExpired
    with pytest.raises(late):
        read(key, v["value"], now=expires + 61, **policy_of(v))
    with pytest.raises(ss.NotYetValid):
        read(key, v["value"], now=issued - 61, **policy_of(v))
    with pytest.raises(ss.UnknownKey):
        read(other, v["value"], now=issued, **policy_of(v))


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_opens_in_rust(v):
    # A sealer opens both sealed suites, whichever it seals with: sealed vectors (AES-256-GCM
    # and XAES-256-GCM) are opened by an AES-256-GCM sealer and by an XAES-256-GCM one.
    modes = ["signed"] if vector_mode(v) == "signed" else ["sealed", "xaes"]
    key = ss.Key(bytes.fromhex(v["key"]))
    p = policy_of(v)
    payload = bytes.fromhex(v["payload"])
    ident = identity_of(v)
    stamps = int(v["created"]), int(v["issued"]), int(v["expires"])
    # Open as the type the vector describes, and compare the re-serialized payload.
    # Vector 9's payload `00` (the state is in the store) reads as the u64 0.
    type_ = {
        "1": "string", "2": "user", "4": "bytes", "5": "string", "6": "string", "7": "u64", "8": "string",
        "9": "u64", "10": "string", "11": "u64", "12": "u64",
    }.get(v["vector"])  # fmt: skip
    for mode in modes:
        required = rust_open(mode, key, v["value"], now=v["issued"], type_=type_ or "bytes", require_session_id=True, **p)
        if ident["session_id"] is None:
            # Step 6, before the time checks and deserialization.
            assert_rust_refuses(required, "MissingSessionId")
        if type_ is None:
            # Vector 3 is `()`: the example has no such type, and the authentic value must then
            # fail as a ByteBuf, at deserialization.
            assert_rust_refuses(rust_open(mode, key, v["value"], now=v["issued"], **p), "Deserialize")
            continue
        result = rust_open(mode, key, v["value"], now=v["issued"], type_=type_, **p)
        assert_rust_ok(result, payload, *stamps, ident["session_id"], ident["subject"], millis_of(v))
        if ident["session_id"] is not None:
            assert_rust_ok(required, payload, *stamps, ident["session_id"], ident["subject"], millis_of(v))


# --------------------------------------------------------------------------
# (b) Rust -> Python
# --------------------------------------------------------------------------


def emitted_identity(c: dict) -> tuple[bytes | None, bytes | None]:
    """The session id and subject an emitted case says its value carries (absent: None)."""
    session_id = bytes.fromhex(c["session_id"]) if "session_id" in c else None
    subject = bytes.fromhex(c["subject"]) if "subject" in c else None
    return session_id, subject


@pytest.mark.parametrize("kind", RUST_KINDS)
def test_rust_value_opens_in_python(kind):
    c = rust_emitted()[kind]
    key = ss.Key(bytes.fromhex(c["key"]))
    assert key.key_id.hex() == c["key_id"]
    p = dict(cookie_name=c["cookie_name"], purpose=c["purpose"], idle=c["idle"], absolute=c["absolute"])
    session_id, subject = emitted_identity(c)
    millis = millis_of(c)
    suite = MODE_SUITE[c["mode"]]
    version = ss.version_byte(suite, session_id, subject, millis)
    # The version byte and suite the example read back with `peek` are those of its mode,
    # identity fields and creation millisecond, and the ones this kind must have.
    assert c["version"] == version == RUST_VERSIONS[kind]
    assert millis == (RUST_MILLIS.get(kind, 0) if subject is not None else None)
    assert SUITE_NAMES[c["suite"]] == suite
    if session_id is not None:
        assert len(c["session_id"]) == 2 * ss.SESSION_ID_LEN
    read = reader_for(c["mode"])
    if "cookies" in c:
        pairs = [tuple(x) for x in c["cookies"]]
        assert len(pairs) >= 2, "the chunked case should need several cookies"
        for name, value in pairs:
            assert ss.fits(name, value)
        header = "theme=dark; " + "; ".join(f"{n}={v}" for n, v in pairs) + "; other=1"
        opened = ss.open_cookies(reader_mode(c["mode"]), key, ss.parse_cookie_header(header), now=c["now"], **p)
        value = ss.join_chunks(pairs, c["cookie_name"])
        # Python's writer splits the joined value exactly as Rust did.
        assert ss.split_chunks(c["cookie_name"], value, max_chunks=c["max_chunks"]) == pairs
    else:
        value = c["value"]
        opened = read(key, value, now=c["now"], **p)
    raw = ss.b64decode(value)
    assert raw[0] == version and raw[1:5] == key.key_id
    assert opened.payload.hex() == c["payload"]
    assert opened.stamps == ss.Stamps(c["created"], c["issued"], c["expires"], millis)
    assert opened.stamps.expires == ss.expires_for(c["created"], c["issued"], c["idle"], c["absolute"])
    assert (opened.version, opened.suite, opened.session_id, opened.subject) == (version, suite, session_id, subject)
    # The layout: the suite's fixed bytes, the stamps (with the creation millisecond), the
    # identity fields, the payload.
    stamps = ss.encode_stamps(c["created"], c["issued"], c["expires"], millis)
    identity = ss.encode_identity(session_id, subject)[1]
    assert len(raw) == SUITE_FIXED[suite] + len(stamps) + len(identity) + len(opened.payload)
    if suite == ss.SUITE_HMAC_SHA256:  # readable by the client
        assert raw[5:-32] == stamps + identity + opened.payload
    # A reader that requires a session id opens only the values that carry one.
    if session_id is None:
        with pytest.raises(ss.MissingSessionId):
            read(key, value, now=c["now"], limit=None, require_session_id=True, **p)
    else:
        assert read(key, value, now=c["now"], limit=None, require_session_id=True, **p).session_id == session_id
    # The Python reader enforces time and binding on Rust's values too.
    with pytest.raises((ss.IdleExpired, ss.AbsoluteExpired)):
        read(key, value, now=c["expires"] + 61, limit=None, **p)
    with pytest.raises(ss.AuthenticationFailed):
        read(key, value, now=c["now"], limit=None, **dict(p, purpose=c["purpose"] + "x"))
    with pytest.raises(ss.AuthenticationFailed):
        read(key, value, now=c["now"], limit=None, **dict(p, cookie_name=c["cookie_name"] + "x"))
    # The other mode's reader refuses the version byte.
    other = ss.open_sealed if read is ss.verify_signed else ss.verify_signed
    with pytest.raises(ss.UnknownVersion):
        other(key, value, now=c["now"], limit=None, **p)


def test_rust_emitted_expected_payloads():
    """The example's expected payloads are what FORMAT.md's postcard description predicts, and
    its identity fields are those it was asked to seal."""
    e = rust_emitted()
    assert list(e) == RUST_KINDS
    assert e["sealed-string"]["payload"] == pc_bytes(b"alice").hex()
    assert e["sealed-struct"]["payload"] == pc_user(42, ["admin", "dev"]).hex()
    assert e["signed-string"]["payload"] == pc_bytes(b"light").hex()
    assert e["sealed-bytes"]["payload"] == pc_bytes(bytes(i % 251 for i in range(300))).hex()
    assert e["xaes-string"]["payload"] == pc_bytes(b"alice").hex()
    assert e["xaes-struct"]["payload"] == pc_user(42, ["admin", "dev"]).hex()
    assert e["sealed-identity"]["payload"] == pc_varint(42).hex()
    assert e["sealed-renewed"]["created"] < e["sealed-renewed"]["issued"]
    assert e["sealed-millis"]["payload"] == pc_varint(42).hex()
    assert e["signed-millis"]["payload"] == pc_bytes(b"light").hex()
    assert e["xaes-millis"]["payload"] == pc_user(42, ["admin", "dev"]).hex()
    assert [e[k]["mode"] for k in ("xaes-string", "xaes-struct", "xaes-identity", "chunked-xaes-identity")] == ["xaes"] * 4
    subjects = {k: emitted_identity(c)[1] for k, c in e.items()}
    assert subjects["sealed-subject"] == subjects["signed-identity"] == subjects["sealed-identity"] == b"user-42"
    assert subjects["xaes-identity"] == b"\x00\xff\x80\x2a"  # not UTF-8: carried as bytes
    assert subjects["chunked-xaes-identity"] == b"user-42"
    assert subjects["sealed-millis"] == subjects["xaes-millis"] == b"user-42"
    assert subjects["signed-millis"] == b"\x00\xff\x80\x2a" and subjects["sealed-millis-anonymous"] is None
    assert "session_id" not in e["sealed-subject"] and "subject" not in e["sealed-session-id"]
    # Session ids are random per session: no two emitted sessions share one.
    ids = [c["session_id"] for c in e.values() if "session_id" in c and c["kind"] != "sealed-identity-renewed"]
    assert len(ids) == 7 and len(set(ids)) == 7


@pytest.mark.parametrize(
    "first,renewed",
    [
        ("sealed-renewal-first", "sealed-renewed"),
        ("sealed-identity", "sealed-identity-renewed"),
        ("sealed-millis", "sealed-millis-renewed"),
    ],
)
def test_rust_renewal_keeps_the_session(first, renewed):
    """A renewal keeps the creation time (its millisecond included), the session id and the
    subject; issued moves on."""
    a, b = rust_emitted()[first], rust_emitted()[renewed]
    assert a["created"] == a["issued"] == b["created"] == T0
    assert b["issued"] == a["issued"] + 1000 == b["now"]
    assert b["expires"] == ss.expires_for(b["created"], b["issued"], b["idle"], b["absolute"])
    assert emitted_identity(a) == emitted_identity(b)
    assert millis_of(a) == millis_of(b)
    assert a["value"] != b["value"]
    if first == "sealed-identity":
        assert emitted_identity(b)[0] is not None and emitted_identity(b)[1] == b"user-42"


def test_rust_nonces_are_fresh():
    """Two runs of `emit` seal the same inputs at the same time with different nonces (and draw
    different session ids)."""
    first = rust_emitted()
    code, out = rust("emit")
    assert code == 0
    second = parse_emitted(out)
    for kind, nonce in (("sealed-string", slice(5, 17)), ("xaes-string", slice(5, 29))):
        a, b = ss.b64decode(first[kind]["value"]), ss.b64decode(second[kind]["value"])
        assert a != b and a[nonce] != b[nonce], kind
    for kind in ("sealed-session-id", "xaes-identity", "signed-identity", "chunked-xaes-identity"):
        assert first[kind]["session_id"] != second[kind]["session_id"], kind


# --------------------------------------------------------------------------
# (c) Python -> Rust
# --------------------------------------------------------------------------

T0 = 1_800_000_000
PY_KEY = ss.Key.derive(b"interop master secret, 32+ bytes!", "python interop")
POLICY = dict(cookie_name="__Host-py", purpose="interop", idle=1800, absolute=28800)


def test_python_sealed_bytes_open_in_rust():
    payload = pc_bytes(os.urandom(500))
    value = ss.seal(PY_KEY, payload, created=T0, issued=T0, **POLICY)
    assert_rust_ok(rust_open("sealed", PY_KEY, value, now=T0 + 10, **POLICY), payload, T0, T0, T0 + 1800)


def test_python_sealed_struct_renewed_empty_purpose_opens_in_rust():
    payload = pc_user(2**64 - 1, ["x" * 130, "", "é"])
    p = dict(POLICY, purpose="", cookie_name="s")
    value = ss.seal(PY_KEY, payload, created=T0, issued=T0 + 28000, **p)
    # expires = min(issued + idle, created + absolute) = created + absolute here
    assert_rust_ok(rust_open("sealed", PY_KEY, value, now=T0 + 28000, type_="user", **p), payload, T0, T0 + 28000, T0 + 28800)


def test_python_signed_opens_in_rust():
    payload = pc_bytes("dark mode, 14px".encode())
    value = ss.sign(PY_KEY, payload, created=T0, issued=T0 + 5, **POLICY)
    assert_rust_ok(rust_open("signed", PY_KEY, value, now=T0 + 5, type_="string", **POLICY), payload, T0, T0 + 5, T0 + 1805)
    assert_rust_ok(rust_open("signed", PY_KEY, value, now=T0 + 5, type_="bytes", **POLICY), payload, T0, T0 + 5, T0 + 1805)


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_python_chunked_opens_in_rust(mode):
    payload = pc_bytes(os.urandom(7000))
    value = py_writer(mode)(PY_KEY, payload, created=T0, issued=T0, limit=None, **POLICY)
    assert ss.b64decode(value)[0] == MODE_SUITE[mode]
    cookies = ss.split_chunks(POLICY["cookie_name"], value, max_chunks=3)
    assert [n for n, _ in cookies] == ["__Host-py", "__Host-py.1", "__Host-py.2"]
    assert cookies[0][1].startswith("3.")
    header = "a=1; " + "; ".join(f"{n}={v}" for n, v in reversed(cookies)) + "; b=2"
    result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=3, **POLICY)
    assert_rust_ok(result, payload, T0, T0, T0 + 1800)
    # And Rust refuses what Python's chunk reader refuses.
    missing = "; ".join(f"{n}={v}" for n, v in cookies[:2])
    assert_rust_refuses(rust_open_cookies(mode, PY_KEY, missing, now=T0, max_chunks=3, **POLICY), "MissingChunk")
    dup = header + f"; {cookies[1][0]}={cookies[1][1]}"
    assert_rust_refuses(rust_open_cookies(mode, PY_KEY, dup, now=T0, max_chunks=3, **POLICY), "DuplicateCookie")
    # Two characters of the middle part swapped: every chunk rule holds, authentication fails.
    mid = cookies[1][1]
    i = next(i for i in range(100, len(mid)) if mid[i] != mid[i + 1])
    mid = mid[:i] + mid[i + 1] + mid[i] + mid[i + 2 :]
    swapped = "; ".join(f"{n}={v}" for n, v in [cookies[0], (cookies[1][0], mid), cookies[2]])
    with pytest.raises(ss.AuthenticationFailed):
        ss.open_cookies(reader_mode(mode), PY_KEY, ss.parse_cookie_header(swapped), now=T0, max_chunks=3,
                        **POLICY)  # fmt: skip
    assert_rust_refuses(rust_open_cookies(mode, PY_KEY, swapped, now=T0, max_chunks=3, **POLICY), "Authentication")
    too_few = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=2, **POLICY)
    assert_rust_refuses(too_few)
    with pytest.raises(ss.ChunkError):
        ss.join_chunks(ss.parse_cookie_header(header), POLICY["cookie_name"], max_chunks=2)


def test_python_nonces_are_fresh():
    a = ss.b64decode(ss.seal(PY_KEY, b"", created=T0, issued=T0, **POLICY))
    b = ss.b64decode(ss.seal(PY_KEY, b"", created=T0, issued=T0, **POLICY))
    assert a[5:17] != b[5:17] and a != b


def test_python_xaes_opens_in_rust():
    """XAES-256-GCM values from Python open in Rust under a sealer of either suite (a sealer opens
    both sealed suites); a signer refuses their version byte."""
    payload = pc_bytes(os.urandom(300))
    value = ss.seal(PY_KEY, payload, suite=ss.SUITE_XAES_256_GCM, created=T0, issued=T0, **POLICY)
    assert ss.b64decode(value)[0] == 0x02
    for mode in ("sealed", "xaes"):
        assert_rust_ok(rust_open(mode, PY_KEY, value, now=T0 + 10, **POLICY), payload, T0, T0, T0 + 1800)
    assert_rust_refuses(rust_open("signed", PY_KEY, value, now=T0, **POLICY), "UnsupportedVersion(2)")
    # And an AES-256-GCM value opens under an XAES sealer.
    aes = ss.seal(PY_KEY, payload, created=T0, issued=T0, **POLICY)
    assert_rust_ok(rust_open("xaes", PY_KEY, aes, now=T0 + 10, **POLICY), payload, T0, T0, T0 + 1800)
    # A renewal (created < issued), a struct, an empty purpose.
    user = pc_user(7, ["x" * 100])
    p = dict(POLICY, purpose="", cookie_name="s")
    value = ss.seal(PY_KEY, user, suite=ss.SUITE_XAES_256_GCM, created=T0, issued=T0 + 28000, **p)
    assert_rust_ok(rust_open("xaes", PY_KEY, value, now=T0 + 28000, type_="user", **p), user, T0, T0 + 28000, T0 + 28800)
    # A changed nonce byte, in either half (the key derivation's or GCM's), fails authentication.
    raw = ss.b64decode(value)
    for i in (5, 5 + 12, 5 + 23):
        assert_rust_refuses(rust_open("xaes", PY_KEY, ss.b64encode(flip(raw, i, 0)), now=T0 + 28000, **p), "Authentication")


#: (session id, subject) pairs Python seals: none, each alone, both (a 64-byte subject that is
#: not UTF-8).
IDENTITIES = [
    (None, None),
    (bytes(range(16)), None),
    (None, b"user-42"),
    (b"\xff" * 16, b"\x00\xff" + b"s" * 62),
]


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_python_identity_opens_in_rust(mode):
    """Every combination of identity fields, in every suite: Rust opens the value and reports the
    session id and the subject Python sealed; a Rust reader that requires a session id refuses a
    value without one (after authentication, before the time checks)."""
    payload = pc_user(7, ["reader"])
    for session_id, subject in IDENTITIES:
        value = py_writer(mode)(PY_KEY, payload, created=T0, issued=T0 + 100, session_id=session_id,
                                subject=subject, **POLICY)  # fmt: skip
        assert ss.b64decode(value)[0] == ss.version_byte(MODE_SUITE[mode], session_id, subject)
        ok = (payload, T0, T0 + 100, T0 + 1900, session_id, subject)
        assert_rust_ok(rust_open(mode, PY_KEY, value, now=T0 + 100, type_="user", **POLICY), *ok)
        required = rust_open(mode, PY_KEY, value, now=T0 + 100, type_="user", require_session_id=True, **POLICY)
        late = rust_open(mode, PY_KEY, value, now=T0 + 10**6, require_session_id=True, **POLICY)
        forged = rust_open(mode, PY_KEY, value, now=T0, require_session_id=True, **dict(POLICY, purpose="x"))
        assert_rust_refuses(forged, "Authentication")
        if session_id is None:
            assert_rust_refuses(required, "MissingSessionId")
            assert_rust_refuses(late, "MissingSessionId")
            with pytest.raises(ss.MissingSessionId):
                reader_for(mode)(PY_KEY, value, now=T0 + 10**6, require_session_id=True, **POLICY)
        else:
            assert_rust_ok(required, *ok)
            assert_rust_refuses(late, "lifetime: Absolute")


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_python_chunked_identity_opens_in_rust(mode):
    """Identity fields through Rust's cookie layer: chunked, with a session id and a subject."""
    payload = pc_bytes(os.urandom(7000))
    session_id = ss.new_session_id()
    write = py_writer(mode)
    value = write(PY_KEY, payload, created=T0, issued=T0, limit=None, session_id=session_id, subject="user-42", **POLICY)
    cookies = ss.split_chunks(POLICY["cookie_name"], value, max_chunks=3)
    assert len(cookies) == 3
    header = "; ".join(f"{n}={v}" for n, v in cookies)
    for require in (False, True):
        result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=3, require_session_id=require, **POLICY)
        assert_rust_ok(result, payload, T0, T0, T0 + 1800, session_id, b"user-42")
    value = write(PY_KEY, payload, created=T0, issued=T0, limit=None, subject="user-42", **POLICY)
    header = "; ".join(f"{n}={v}" for n, v in ss.split_chunks(POLICY["cookie_name"], value, max_chunks=3))
    assert_rust_ok(rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=3, **POLICY),
                   payload, T0, T0, T0 + 1800, None, b"user-42")  # fmt: skip
    result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=3, require_session_id=True, **POLICY)
    assert_rust_refuses(result, "Open(MissingSessionId)")
    with pytest.raises(ss.MissingSessionId):
        ss.open_cookies(reader_mode(mode), PY_KEY, ss.parse_cookie_header(header), now=T0, max_chunks=3,
                        require_session_id=True, **POLICY)  # fmt: skip


#: Creation milliseconds Python seals: the edges of one and of two varint bytes.
MILLIS = [0, 127, 128, 999]


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_python_created_millis_opens_in_rust(mode):
    """Python seals with a creation millisecond (flag 0x40), alone and with every combination of
    identity fields, in every suite: Rust opens the value and reports the millisecond (and the
    identity) Python sealed; the flag is authenticated in Rust too."""
    payload = pc_user(7, ["reader"])
    suite = MODE_SUITE[mode]
    for (session_id, subject), millis in itertools.product(IDENTITIES, MILLIS):
        value = py_writer(mode)(PY_KEY, payload, created=T0, issued=T0 + 100, session_id=session_id,
                                subject=subject, created_millis=millis, **POLICY)  # fmt: skip
        raw = ss.b64decode(value)
        assert raw[0] == ss.version_byte(suite, session_id, subject) | 0x40
        stamps = ss.encode_stamps(T0, T0 + 100, T0 + 1900) + ss.encode_varint(millis)
        identity = ss.encode_identity(session_id, subject)[1]
        assert len(raw) == SUITE_FIXED[suite] + len(stamps) + len(identity) + len(payload)
        if suite == ss.SUITE_HMAC_SHA256:
            assert raw[5:-32] == stamps + identity + payload
        ok = (payload, T0, T0 + 100, T0 + 1900, session_id, subject, millis)
        assert_rust_ok(rust_open(mode, PY_KEY, value, now=T0 + 100, type_="user", **POLICY), *ok)
        opened = reader_for(mode)(PY_KEY, value, now=T0 + 100, **POLICY)
        assert opened.stamps == ss.Stamps(T0, T0 + 100, T0 + 1900, millis)
        assert (opened.session_id, opened.subject, opened.version) == (session_id, subject, raw[0])
        # The same value with the flag cleared, or set where it was not: both fail step 5.
        cleared = ss.b64encode(bytes([raw[0] & ~0x40]) + raw[1:])
        assert_rust_refuses(rust_open(mode, PY_KEY, cleared, now=T0 + 100, **POLICY), "Authentication")
        with pytest.raises(ss.AuthenticationFailed):
            reader_for(mode)(PY_KEY, cleared, now=T0 + 100, **POLICY)
    # Through Rust's cookie layer, chunked, with both identity fields.
    big = pc_bytes(os.urandom(7000))
    session_id = ss.new_session_id()
    value = py_writer(mode)(PY_KEY, big, created=T0, issued=T0, limit=None, session_id=session_id, subject="user-42",
                            created_millis=999, **POLICY)  # fmt: skip
    header = "; ".join(f"{n}={v}" for n, v in ss.split_chunks(POLICY["cookie_name"], value, max_chunks=3))
    result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=3, require_session_id=True, **POLICY)
    assert_rust_ok(result, big, T0, T0, T0 + 1800, session_id, b"user-42", 999)


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_python_opens_rust_millis_and_renews_them(mode):
    """Rust's value with a creation millisecond opens in Python; Python renews it (the same
    creation time, millisecond and identity, a later issue time) and Rust opens the renewal."""
    kind = {"sealed": "sealed-millis", "xaes": "xaes-millis", "signed": "signed-millis"}[mode]
    c = rust_emitted()[kind]
    key = ss.Key(bytes.fromhex(c["key"]))
    p = dict(cookie_name=c["cookie_name"], purpose=c["purpose"], idle=c["idle"], absolute=c["absolute"])
    opened = reader_for(mode)(key, c["value"], now=c["now"], **p)
    assert opened.stamps.created_millis == RUST_MILLIS[kind] and opened.version & 0x40
    assert opened.stamps.created_at_millis == c["created"] * 1000 + RUST_MILLIS[kind]
    issued = opened.stamps.issued + 500
    renewed = py_writer(mode)(key, opened.payload, created=opened.stamps.created, issued=issued,
                              session_id=opened.session_id, subject=opened.subject,
                              created_millis=opened.stamps.created_millis, **p)  # fmt: skip
    assert ss.b64decode(renewed)[0] == opened.version
    expires = ss.expires_for(opened.stamps.created, issued, c["idle"], c["absolute"])
    type_ = {"sealed": "u64", "xaes": "user", "signed": "string"}[mode]
    result = rust_open(mode, key, renewed, now=issued, type_=type_, **p)
    assert_rust_ok(result, opened.payload, opened.stamps.created, issued, expires, opened.session_id, opened.subject,
                   RUST_MILLIS[kind])  # fmt: skip


#: Authentic plaintexts whose version byte has flag 0x40 and whose creation millisecond (after
#: three well-formed stamps) is malformed, as only a writer holding the key can make them.
MALFORMED_MILLIS = [
    ss.encode_varint(1000) + pc_bytes(b"abc"),  # over 999
    ss.encode_varint(1000),
    ss.encode_varint(16383),  # the largest two-byte varint
    ss.encode_varint(2**64 - 1),  # ten bytes
    b"\x80\x00" + pc_bytes(b"abc"),  # 0, not minimal
    b"\xe7\x87\x00",  # 999 in three bytes, not minimal
    b"\xe7",  # truncated by the end of the plaintext
    b"",  # the flag, and no millisecond at all
]


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_rust_refuses_malformed_created_millis(mode):
    """Both readers refuse a malformed creation millisecond at step 6 as malformed stamps: before
    the identity fields, the required session id and the time checks. 999 (the largest) and 0
    in one byte open."""
    suite = MODE_SUITE[mode]
    stamps = ss.encode_stamps(T0, T0, T0 + 1800)

    def make(version, body):
        if suite == ss.SUITE_HMAC_SHA256:
            raw = ss.sign_body(PY_KEY, body, cookie_name="__Host-py", purpose="interop", version=version)
        else:
            raw = ss.seal_plaintext(PY_KEY, body, cookie_name="__Host-py", purpose="interop", version=version)
        return ss.b64encode(raw)

    for rest in MALFORMED_MILLIS:
        # With both identity fields after it too (not for the missing millisecond: the session
        # id's first byte would be read as one).
        for flags, identity in ((0x40, b""), (0x70, bytes(16) + b"\x01u"))[: 2 if rest else 1]:
            value = make(suite | flags, stamps + rest + identity)
            for now, require in ((T0, False), (T0 + 10**6, False), (T0, True)):
                assert_rust_refuses(rust_open(mode, PY_KEY, value, now=now, require_session_id=require, **POLICY),
                                    "Malformed(Stamps)")  # fmt: skip
                with pytest.raises(ss.MalformedStamps):
                    reader_for(mode)(PY_KEY, value, now=now, require_session_id=require, **POLICY)
    # A malformed identity after a good millisecond is an identity error.
    value = make(suite | 0x60, stamps + ss.encode_varint(5) + b"\x00")
    assert_rust_refuses(rust_open(mode, PY_KEY, value, now=T0, **POLICY), "Malformed(Identity)")
    with pytest.raises(ss.MalformedIdentity):
        reader_for(mode)(PY_KEY, value, now=T0, **POLICY)
    # The edges that are well formed.
    for millis, rest in ((999, b"\xe7\x07"), (0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01")):
        value = make(suite | 0x40, stamps + rest + pc_bytes(b"abc"))
        assert_rust_ok(rust_open(mode, PY_KEY, value, now=T0, **POLICY), pc_bytes(b"abc"), T0, T0, T0 + 1800,
                       created_millis=millis)  # fmt: skip
        assert reader_for(mode)(PY_KEY, value, now=T0, **POLICY).stamps.created_millis == millis
    # Without the flag, the same bytes are not a millisecond: the payload starts there.
    value = make(suite, stamps + pc_bytes(b"abc"))
    assert_rust_ok(rust_open(mode, PY_KEY, value, now=T0, **POLICY), pc_bytes(b"abc"), T0, T0, T0 + 1800)


#: Identity fields malformed (flags of the version byte, what follows the stamps), as only a
#: writer holding the key can make them.
MALFORMED_IDENTITY = [
    (0x20, b"\x00" + pc_bytes(b"abc")),  # subject length 0
    (0x20, b"\x41" + b"s" * 65),  # subject length 65
    (0x20, b"\x81\x00" + b"s"),  # subject length 1, not a minimal varint
    (0x20, b"\x0a" + b"s" * 9),  # subject cut short by the end of the plaintext
    (0x10, bytes(15)),  # session id cut short
    (0x30, bytes(16)),  # session id, then no subject length
]


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_rust_refuses_malformed_identity(mode):
    """Authentic values with malformed identity fields: both readers refuse them at step 6,
    after the stamps, before the required session id and the time checks."""
    suite = MODE_SUITE[mode]
    stamps = ss.encode_stamps(T0, T0, T0 + 1800)
    for flags, rest in MALFORMED_IDENTITY:
        if suite == ss.SUITE_HMAC_SHA256:
            raw = ss.sign_body(PY_KEY, stamps + rest, cookie_name="__Host-py", purpose="interop", version=suite | flags)
        else:
            raw = ss.seal_plaintext(PY_KEY, stamps + rest, cookie_name="__Host-py", purpose="interop", version=suite | flags)
        value = ss.b64encode(raw)
        for now, require in ((T0, False), (T0 + 10**6, False), (T0, True)):
            result = rust_open(mode, PY_KEY, value, now=now, require_session_id=require, **POLICY)
            assert_rust_refuses(result, "Malformed(Identity)")
            with pytest.raises(ss.MalformedIdentity):
                reader_for(mode)(PY_KEY, value, now=now, require_session_id=require, **POLICY)


def test_version_before_suite_length_agrees_with_rust():
    """FORMAT.md "Opening", step 3: the version byte is judged before the suite's smallest
    length, so a short value of the other mode (or a reserved byte) is refused for its version
    byte in both readers, and a short value of the reader's own mode as too short."""
    signed = ss.b64decode(ss.sign(PY_KEY, b"", created=T0, issued=T0, session_id=bytes(16), **POLICY))
    xaes = ss.b64decode(ss.seal(PY_KEY, pc_bytes(b"x" * 40), suite=ss.SUITE_XAES_256_GCM, created=T0, issued=T0, **POLICY))
    cases = [
        # (Rust mode, raw value, Python error, Rust's Debug)
        ("sealed", signed[:38], ss.UnknownVersion, "UnsupportedVersion(145)"),  # 0x91, 38 < 40 bytes
        ("xaes", signed[:36], ss.UnknownVersion, "UnsupportedVersion(145)"),
        ("signed", xaes[:44], ss.UnknownVersion, "UnsupportedVersion(2)"),  # 0x02, 44 < 48 bytes
        ("sealed", xaes[:44], ss.TooShort, "Malformed(TooShort)"),
        ("xaes", xaes[:47], ss.TooShort, "Malformed(TooShort)"),
        ("sealed", b"\x03" + xaes[1:36], ss.UnknownVersion, "UnsupportedVersion(3)"),
        ("signed", b"\x42" + xaes[1:40], ss.UnknownVersion, "UnsupportedVersion(66)"),
        # Flag 0x40 changes neither the suite a byte names nor its smallest length.
        ("sealed", b"\x42" + xaes[1:44], ss.TooShort, "Malformed(TooShort)"),
        ("xaes", b"\x72" + xaes[1:47], ss.TooShort, "Malformed(TooShort)"),
        ("sealed", b"\xc1" + xaes[1:44], ss.UnknownVersion, "UnsupportedVersion(193)"),
        ("sealed", b"\x43" + xaes[1:44], ss.UnknownVersion, "UnsupportedVersion(67)"),
        ("signed", b"\xc3" + xaes[1:44], ss.UnknownVersion, "UnsupportedVersion(195)"),
    ]
    for mode, raw, err, rust_err in cases:
        value = ss.b64encode(raw)
        with pytest.raises(err):
            reader_for(mode)(PY_KEY, value, now=T0, **POLICY)
        assert_rust_refuses(rust_open(mode, PY_KEY, value, now=T0, **POLICY), rust_err)


# Python's error classes and the Rust crate's `OpenError` (Debug) for the same refusal.
RUST_ERROR = {
    ss.TooLong: "Oversized",
    ss.BadEncoding: "Malformed(Encoding)",
    ss.TooShort: "Malformed(TooShort)",
    ss.UnknownVersion: "UnsupportedVersion(",
    ss.UnknownKey: "UnknownKey(",
    ss.AuthenticationFailed: "Authentication",
    ss.MalformedStamps: "Malformed(Stamps)",
    ss.MalformedIdentity: "Malformed(Identity)",
    ss.MissingSessionId: "MissingSessionId",
    ss.NotYetValid: "NotYetValid",
    ss.AbsoluteExpired: "lifetime: Absolute",
    ss.IdleExpired: "lifetime: Idle",
}


@pytest.mark.parametrize("mode", ["sealed", "xaes", "signed"])
def test_rust_refuses_what_python_refuses(mode):
    """Python plays a buggy or hostile writer; both readers refuse, for the same reason."""
    other = ss.Key(os.urandom(32))
    body = ss.encode_stamps(T0, T0, T0 + 1800) + pc_bytes(b"abc")
    version = MODE_SUITE[mode]
    other_mode = ss.VERSION_SEALED if mode == "signed" else ss.VERSION_SIGNED
    minimum = ss.MIN_LEN[version]
    min_chars = ss.MIN_SIGNED_CHARS if mode == "signed" else ss.MIN_SEALED_CHARS
    read = reader_for(mode)

    def make(plaintext, key=PY_KEY, purpose="interop"):
        if mode == "signed":
            raw = ss.sign_body(key, plaintext, cookie_name="__Host-py", purpose=purpose)
        else:
            raw = ss.seal_plaintext(key, plaintext, cookie_name="__Host-py", purpose=purpose, version=version)
        return ss.b64encode(raw)

    good = make(body)
    top = ss.encode_varint(2**64 - 1)
    cases = [
        (ss.AuthenticationFailed, make(body, purpose="other")),  # wrong binding
        (ss.UnknownKey, make(body, key=other)),  # a key Rust does not hold
        (ss.MalformedStamps, make(b"\x80\x00\x00\x00" + pc_bytes(b"abc"))),  # non-minimal varint
        (ss.MalformedStamps, make(top + b"\x01\x00")),  # stamps overflowing 64 bits
        (ss.MalformedStamps, make(b"\x80\x80\x80")),  # truncated varint
        (ss.MalformedStamps, make(b"\x00\x00" + b"\xff" * 9 + b"\x02")),  # tenth byte above 0x01
        (ss.UnknownVersion, ss.b64encode(b"\x03" + ss.b64decode(good)[1:])),  # reserved (0x02 is XAES now)
        (ss.UnknownVersion, ss.b64encode(bytes([other_mode]) + ss.b64decode(good)[1:])),  # other mode
        # Flag 0x40 set on an authentic value without it: a version of the same suite, refused
        # by authentication (the version byte is authenticated), not by the version check.
        (ss.AuthenticationFailed, ss.b64encode(bytes([version | 0x40]) + ss.b64decode(good)[1:])),
        # Flag 0x40 on a suite nibble that names no suite: still reserved.
        (ss.UnknownVersion, ss.b64encode(b"\x43" + ss.b64decode(good)[1:])),
        (ss.UnknownVersion, ss.b64encode(bytes([(version & 0x80) | 0x4F]) + ss.b64decode(good)[1:])),
        (ss.BadEncoding, good + "="),
        (ss.BadEncoding, good[:-1] + "+"),
        (ss.BadEncoding, good + "A" * (1 if len(good) % 4 == 0 else 5 - len(good) % 4)),  # 4k + 1
        (ss.TooShort, ss.b64encode(bytes([version]) + PY_KEY.key_id + bytes(minimum - 6))),
        (ss.TooShort, ""),
        # Step 2 counts octets: a 2-octet character makes the mode's smallest length one
        # character short of it (refused by decoding), or one octet short (refused as short).
        (ss.BadEncoding, "\u00e9" + "A" * (min_chars - 2)),
        (ss.TooShort, "\u00e9" + "A" * (min_chars - 3)),
        (ss.TooLong, "A" * (4096 - len("__Host-py"))),
        (ss.NotYetValid, make(ss.encode_stamps(T0 + 61, T0 + 61, T0 + 1000))),
        (ss.IdleExpired, make(ss.encode_stamps(T0 - 2000, T0 - 2000, T0 - 200))),
        (ss.AbsoluteExpired, make(ss.encode_stamps(T0 - 30000, T0 - 100, T0 + 1700))),
    ]
    for err, value in cases:
        assert_rust_refuses(rust_open(mode, PY_KEY, value, now=T0, **POLICY), RUST_ERROR[err])
        with pytest.raises(err):
            read(PY_KEY, value, now=T0, **POLICY)
    # Leftover bytes after the state: Rust's postcard refuses them; Python returns the payload
    # raw, so refusing them is its caller's job (step 8).
    value = make(body + b"\x00")
    assert_rust_refuses(rust_open(mode, PY_KEY, value, now=T0, **POLICY), "Deserialize")
    assert read(PY_KEY, value, now=T0, **POLICY).payload == pc_bytes(b"abc") + b"\x00"
    assert_rust_ok(rust_open(mode, PY_KEY, good, now=T0, **POLICY), pc_bytes(b"abc"), T0, T0, T0 + 1800)


def test_time_boundaries_agree_with_rust():
    """Step 7's edges, with the default 60 s leeway, in both readers."""
    created, issued = T0, T0 + 20000
    value = ss.seal(PY_KEY, pc_bytes(b"t"), created=created, issued=issued, **POLICY)
    p = POLICY
    expires = issued + 1800
    ok = ss.open_sealed(PY_KEY, value, now=issued, **p).stamps
    assert ok.expires == expires
    edges = [
        (issued - 60, None),
        (issued - 61, "NotYetValid"),
        (expires + 60, None),
        (expires + 61, "Idle"),
    ]
    for now, err in edges:
        result = rust_open("sealed", PY_KEY, value, now=now, **p)
        if err is None:
            assert_rust_ok(result, pc_bytes(b"t"), created, issued, expires)
            ss.open_sealed(PY_KEY, value, now=now, **p)
        else:
            assert_rust_refuses(result, err)
            with pytest.raises(ss.NotYetValid if err == "NotYetValid" else ss.IdleExpired):
                ss.open_sealed(PY_KEY, value, now=now, **p)
    # The reader's own, shorter policy applies to values already issued.
    shorter = dict(p, idle=600, absolute=21000)
    assert_rust_ok(rust_open("sealed", PY_KEY, value, now=issued + 660, **shorter), pc_bytes(b"t"), created, issued, expires)
    assert_rust_refuses(rust_open("sealed", PY_KEY, value, now=issued + 661, **shorter), "Idle")
    with pytest.raises(ss.IdleExpired):
        ss.open_sealed(PY_KEY, value, now=issued + 661, **shorter)
    # created + absolute + leeway = T0 + 20060: already over at issue time.
    shortest = dict(p, idle=60, absolute=20000)
    assert_rust_ok(rust_open("sealed", PY_KEY, value, now=issued + 60, **shortest), pc_bytes(b"t"), created, issued, expires)
    assert_rust_refuses(rust_open("sealed", PY_KEY, value, now=issued + 61, **shortest), "Absolute")
    with pytest.raises(ss.AbsoluteExpired):
        ss.open_sealed(PY_KEY, value, now=issued + 61, **shortest)


def test_error_precedence_agrees_with_rust():
    """Several step 7 checks fail at once: both readers report the first in FORMAT.md's list
    (not yet valid, then absolute, then idle)."""
    value = ss.seal(PY_KEY, pc_bytes(b"t"), created=T0, issued=T0 + 20000, **POLICY)
    cases = [
        # issued > now + L and now > created + absolute + L (a reader with a shorter lifetime)
        (dict(POLICY, idle=60, absolute=1000), T0 + 19000, "NotYetValid", ss.NotYetValid),
        # absolute and idle both over
        (dict(POLICY, idle=60, absolute=20000), T0 + 30000, "Absolute", ss.AbsoluteExpired),
    ]
    for p, now, rust_err, py_err in cases:
        assert_rust_refuses(rust_open("sealed", PY_KEY, value, now=now, **p), rust_err)
        with pytest.raises(py_err):
            ss.open_sealed(PY_KEY, value, now=now, **p)


def test_size_rule_agrees_with_rust():
    """Step 1: a value of exactly limit - len(name) - 1 characters is looked at; one more is not."""
    name = POLICY["cookie_name"]
    longest = 4096 - len(name) - 1
    # A syntactically valid value of the longest length (it fails later, on the key).
    raw_len = (longest * 3) // 4
    at_limit = ss.b64encode(b"\x01" + b"\xff" * (raw_len - 1))[:longest]
    assert len(at_limit) == longest
    over = at_limit + "A"
    assert_rust_refuses(rust_open("sealed", PY_KEY, over, now=T0, **POLICY), "Oversized")
    with pytest.raises(ss.TooLong):
        ss.open_sealed(PY_KEY, over, now=T0, **POLICY)
    code, out = rust_open("sealed", PY_KEY, at_limit, now=T0, **POLICY)
    assert "Oversized" not in out
    with pytest.raises(ss.OpenError) as e:
        ss.open_sealed(PY_KEY, at_limit, now=T0, **POLICY)
    assert not isinstance(e.value, ss.TooLong)
    # The writer refuses a value that does not fit.
    with pytest.raises(ss.ValueTooLarge):
        ss.seal(PY_KEY, pc_bytes(bytes(3100)), created=T0, issued=T0, **POLICY)


# --------------------------------------------------------------------------
# (d) Tampering and strictness, in Python
# --------------------------------------------------------------------------


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_every_bit_flip_is_refused(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    read = reader_for(vector_mode(v))
    raw = ss.b64decode(v["value"])
    for i in range(len(raw)):
        for bit in range(8):
            bad = ss.b64encode(flip(raw, i, bit))
            with pytest.raises(ss.OpenError) as e:
                read(key, bad, now=int(v["issued"]), **policy_of(v))
            # Flipping a flag bit (0x10, 0x20, 0x40) of the version byte gives another version of
            # the same suite, which the version byte's place in the authenticated data refuses;
            # flipping any other bit names no suite of this reader.
            if i == 0:
                expected = ss.AuthenticationFailed if bit in (4, 5, 6) else ss.UnknownVersion
            else:
                expected = ss.UnknownKey if i < 5 else ss.AuthenticationFailed
            assert type(e.value) is expected, (i, bit, e.value)


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_every_truncation_and_extension_is_refused(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    read = reader_for(vector_mode(v))
    raw = ss.b64decode(v["value"])
    minimum = ss.MIN_LEN[vector_suite(v)]
    for n in range(len(raw)):
        with pytest.raises(ss.OpenError) as e:
            read(key, ss.b64encode(raw[:n]), now=int(v["issued"]), **policy_of(v))
        assert type(e.value) is (ss.TooShort if n < minimum else ss.AuthenticationFailed), (n, e.value)
    for extra in (b"\x00", os.urandom(7)):
        with pytest.raises(ss.AuthenticationFailed):
            read(key, ss.b64encode(raw + extra), now=int(v["issued"]), **policy_of(v))
    # Truncating the text: 4k+1 lengths are encoding errors, the rest too short or forged.
    for n in range(len(v["value"])):
        with pytest.raises(ss.OpenError):
            read(key, v["value"][:n], now=int(v["issued"]), **policy_of(v))


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_binding_swaps_are_refused(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    read = reader_for(vector_mode(v))
    p = policy_of(v)
    now = int(v["issued"])
    swaps = [
        dict(p, cookie_name=p["purpose"] or "x", purpose=p["cookie_name"]),
        dict(p, cookie_name=p["cookie_name"] + "x"),
        dict(p, cookie_name=p["cookie_name"].upper() if p["cookie_name"] != p["cookie_name"].upper() else "x"),
        dict(p, purpose=p["purpose"] + "x"),
        dict(p, purpose=""),
        dict(p, purpose="session"),
    ]
    for q in swaps:
        if (q["cookie_name"], q["purpose"]) == (p["cookie_name"], p["purpose"]):
            continue
        with pytest.raises(ss.AuthenticationFailed):
            read(key, v["value"], now=now, limit=None, **q)
    # The other mode refuses on the version byte, before any key lookup.
    other = ss.verify_signed if read is ss.open_sealed else ss.open_sealed
    with pytest.raises(ss.UnknownVersion):
        other([], v["value"], now=now, **p)


def test_length_prefixes_make_the_binding_unambiguous():
    p = dict(idle=1800, absolute=1800)
    for write, read in ((ss.seal, ss.open_sealed), (ss.sign, ss.verify_signed)):
        value = write(PY_KEY, b"", cookie_name="ab", purpose="c", created=T0, issued=T0, **p)
        read(PY_KEY, value, cookie_name="ab", purpose="c", now=T0, **p)
        with pytest.raises(ss.AuthenticationFailed):
            read(PY_KEY, value, cookie_name="a", purpose="bc", now=T0, **p)
    assert ss.associated_data(1, b"\0" * 4, "ab", "c") != ss.associated_data(1, b"\0" * 4, "a", "bc")


def test_strict_base64():
    v = VECTORS[0]["value"]  # 63 characters: the last one carries 2 unused bits
    assert len(v) % 4 == 3
    key = ss.Key(bytes.fromhex(VECTORS[0]["key"]))
    p = policy_of(VECTORS[0])
    now = int(VECTORS[0]["issued"])
    last = ss._B64_VALUE[v[-1]]
    assert last & 3 == 0
    bad_values = [
        v + "=",
        v[:-1] + ss._B64_ALPHABET[last | 1],  # non-zero unused bits
        v[:-1] + ss._B64_ALPHABET[last | 2],
        v.replace("-", "+", 1) if "-" in v else "+" + v[1:],
        v[:10] + " " + v[10:],
        v + "\n",
        v + "AA",  # 65 characters: 4k + 1
        v[:-1] + "\u00e9",
        base64.b64encode(ss.b64decode(v)).decode(),  # standard alphabet, padded
    ]
    for bad in bad_values:
        with pytest.raises(ss.BadEncoding):
            ss.open_sealed(key, bad, now=now, **p)
    # len % 4 == 2: four unused bits in the last character.
    two = ss.b64encode(b"\xff")
    assert two == "_w"
    assert ss.b64decode(two) == b"\xff"
    for low in range(1, 16):  # "w" is 0b110000; 0b110001 ... 0b111111 set unused bits
        with pytest.raises(ss.BadEncoding):
            ss.b64decode("_" + ss._B64_ALPHABET[0b110000 | low])
    for n in (1, 5, 9, 4097):
        with pytest.raises(ss.BadEncoding):
            ss.b64decode("A" * n)
    assert ss.b64decode("") == b""
    # Round trips agree with the standard library for every length mod 3.
    for n in range(0, 80):
        data = os.urandom(n)
        text = ss.b64encode(data)
        assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
        assert ss.b64decode(text) == data


def test_varints():
    cases = {0: "00", 1: "01", 127: "7f", 128: "8001", 300: "ac02", 2**64 - 1: "ffffffffffffffffff01"}
    for n, h in cases.items():
        assert ss.encode_varint(n).hex() == h
        assert ss.decode_varint(bytes.fromhex(h)) == (n, len(h) // 2)
    refused = [
        "",  # empty
        "80",  # truncated
        "ffff",  # truncated
        "8000",  # final 0x00 after the first byte
        "ff00",
        "80808000",
        "ffffffffffffffffff02",  # tenth byte above 0x01
        "ffffffffffffffffff7f",
        "ffffffffffffffffff81",  # tenth byte with a continuation bit
        "ffffffffffffffffffff01",  # 11 bytes
        "80808080808080808000",  # non-minimal 10 bytes
    ]
    for h in refused:
        with pytest.raises(ss.MalformedStamps):
            ss.decode_varint(bytes.fromhex(h))
    for n in [0, 1, 2**7 - 1, 2**7, 2**14, 2**35 - 1, 2**56, 2**63, 2**64 - 1] + [int.from_bytes(os.urandom(8), "big") for _ in range(50)]:
        enc = ss.encode_varint(n)
        assert ss.decode_varint(enc + b"\xaa") == (n, len(enc))
    with pytest.raises(ss.InvalidInput):
        ss.encode_varint(2**64)


def test_stamps_and_overflow():
    # FORMAT.md: "a new session in 2026 with a 30-minute idle timeout takes 5 + 1 + 2 = 8 bytes".
    assert len(ss.encode_stamps(1_780_000_000, 1_780_000_000, 1_780_001_800)) == 8
    assert ss.decode_stamps(b"\x00\x00\x00") == (ss.Stamps(0, 0, 0), b"")
    top = ss.encode_varint(2**64 - 1)
    assert ss.decode_stamps(top + b"\x00\x00")[0] == ss.Stamps(2**64 - 1, 2**64 - 1, 2**64 - 1)
    for bad in (top + b"\x01\x00", top + b"\x00\x01", b"\x00" + top + b"\x01", b"\x00\x00"):
        with pytest.raises(ss.MalformedStamps):
            ss.decode_stamps(bad)
    # A plaintext with malformed stamps is refused after authentication.
    for plaintext in (b"", b"\x00", b"\x00\x00", b"\x80\x00\x00", b"\x80\x00\x00\x00", top + b"\x01\x00"):
        value = ss.b64encode(ss.seal_plaintext(PY_KEY, plaintext, cookie_name="__Host-py", purpose="interop"))
        # Fewer than 3 plaintext bytes make a value under 36 bytes: refused before the key.
        with pytest.raises(ss.MalformedStamps if len(plaintext) >= 3 else ss.TooShort):
            ss.open_sealed(PY_KEY, value, now=T0, **POLICY)
        value = ss.b64encode(ss.sign_body(PY_KEY, plaintext, cookie_name="__Host-py", purpose="interop"))
        with pytest.raises((ss.MalformedStamps, ss.TooShort)):
            ss.verify_signed(PY_KEY, value, now=T0, **POLICY)


def test_created_millis_stamps():
    """The creation millisecond in the stamps (FORMAT.md, "Plaintext"), in Python: written after
    the three stamps as a minimal varint of one or two bytes, read only with flag 0x40."""
    base = ss.encode_stamps(T0, T0, T0 + 1800)
    for millis, tail in ((0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (250, "fa01"), (999, "e707")):
        enc = ss.encode_stamps(T0, T0, T0 + 1800, millis)
        assert enc == base + bytes.fromhex(tail)
        # "1 more with 0x40 for a creation millisecond under 128, 2 more from 128 to 999".
        assert len(enc) - len(base) == (1 if millis < 128 else 2)
        stamps, rest = ss.decode_stamps(enc + b"\x2a", 0x40)
        assert stamps == ss.Stamps(T0, T0, T0 + 1800, millis) and rest == b"\x2a"
        assert stamps.created_at_millis == T0 * 1000 + millis
        # Any version byte with the flag reads it; one without leaves it to what follows.
        assert ss.decode_stamps(enc, 0xE1)[0].created_millis == millis
        assert ss.decode_stamps(enc, 0xB1) == (ss.Stamps(T0, T0, T0 + 1800), bytes.fromhex(tail))
    # Absent: None, and a comparison to the millisecond takes the start of the second.
    assert ss.decode_stamps(base, 0)[0].created_millis is None
    assert ss.decode_stamps(base, 0)[0].created_at_millis == T0 * 1000
    for bad in ("e807", "ff07", "ffff03", "8000", "e78700", "e7", "", "ffffffffffffffffff01"):
        with pytest.raises(ss.MalformedStamps):
            ss.decode_stamps(base + bytes.fromhex(bad), 0x40)
    for bad in (-1, 1000, 2**16, True):
        with pytest.raises(ss.InvalidInput):
            ss.encode_stamps(T0, T0, T0 + 1800, bad)
        with pytest.raises(ss.InvalidInput):
            ss.seal(PY_KEY, b"", created=T0, issued=T0, created_millis=bad, **POLICY)


def test_time_checks():
    s = ss.Stamps(created=1000, issued=2000, expires=2500)
    ss.check_time(s, now=1940, idle=500, absolute=5000)
    with pytest.raises(ss.NotYetValid):
        ss.check_time(s, now=1939, idle=500, absolute=5000)
    ss.check_time(s, now=2560, idle=500, absolute=5000)
    with pytest.raises(ss.IdleExpired):
        ss.check_time(s, now=2561, idle=500, absolute=5000)
    with pytest.raises(ss.IdleExpired):  # the reader's shorter idle timeout
        ss.check_time(s, now=2361, idle=300, absolute=5000)
    with pytest.raises(ss.AbsoluteExpired):  # the reader's shorter absolute lifetime
        ss.check_time(s, now=2100, idle=500, absolute=1000)
    ss.check_time(s, now=2000, idle=500, absolute=1000, leeway=0)
    with pytest.raises(ss.AbsoluteExpired):
        ss.check_time(s, now=2001, idle=500, absolute=1000, leeway=0)
    # No overflow trouble at the top of the range.
    top = ss.Stamps(2**64 - 1, 2**64 - 1, 2**64 - 1)
    ss.check_time(top, now=2**64 - 1, idle=2**64 - 1, absolute=2**64 - 1)


def test_keys_and_derivation():
    with pytest.raises(ss.InvalidInput):
        ss.Key(bytes(31))
    with pytest.raises(ss.InvalidInput):
        ss.Key.derive(bytes(31), "x")
    a = ss.Key.derive(bytes(32), "login")
    b = ss.Key.derive(bytes(32), "csrf")
    assert a.key_id != b.key_id and a.aead_key != b.aead_key
    assert len({a.key_id, a.aead_key, a.hmac_key}) == 3
    assert "Key(id=" in repr(a) and a._secret.hex() not in repr(a)
    with pytest.raises(ss.InvalidInput):
        ss.associated_data(1, b"\0" * 4, "n", "p" * 256)
    ss.associated_data(1, b"\0" * 4, "n", "p" * 255)


def test_chunk_reader_refusals():
    value = ss.seal(PY_KEY, pc_bytes(os.urandom(4500)), created=T0, issued=T0, limit=None, **POLICY)
    name = POLICY["cookie_name"]
    cookies = ss.split_chunks(name, value, max_chunks=3)
    assert len(cookies) == 2 and cookies[0][1].startswith("2.")
    for n, c in cookies[:-1]:
        assert len(n) + 1 + len(c) == 4096, "every chunk but the last is full"
    assert ss.join_chunks(cookies, name) == value
    head, tail = cookies
    refusals = [
        (ss.DuplicateCookie, [head, head, tail]),
        (ss.DuplicateCookie, [head, tail, tail]),
        (ss.MissingFirstChunk, [tail]),
        (ss.MissingChunk, [head]),
        (ss.ExtraChunk, [head, tail, (f"{name}.2", "AAAA")]),
        (ss.NoCookie, [("other", "x")]),
    ]
    for err, cs in refusals:
        with pytest.raises(err):
            ss.join_chunks(cs, name)
    for marker in ("1", "9", "02", "0", "x", "", "+2", "2 ", "\u0662"):
        with pytest.raises(ss.BadChunkMarker):
            ss.join_chunks([(name, f"{marker}.{head[1][10:]}"), tail], name)
    with pytest.raises(ss.BadChunkMarker):  # 3 is beyond this reader's maximum of 2
        ss.join_chunks([(name, "3." + head[1][10:]), tail], name, max_chunks=2)
    with pytest.raises(ss.ExtraChunk):  # an index at or beyond the maximum, met while scanning
        ss.join_chunks([(name, "3." + head[1][10:]), tail, (f"{name}.2", "AAAA")], name, max_chunks=2)
    # Non-canonical chunk names are unrelated cookies (FORMAT.md), not chunks.
    assert ss.join_chunks([head, tail, (f"{name}.01", "AAAA"), (f"{name}.0", "A")], name) == value
    with pytest.raises(ss.TooLong):
        ss.join_chunks([(name, head[1] + "A"), tail], name)
    with pytest.raises(ss.TooLong):
        ss.join_chunks([head, (tail[0], "A" * (4096 - len(tail[0])))], name)
    with pytest.raises(ss.ExtraChunk):  # an unchunked value with a stale chunk beside it
        ss.join_chunks([(name, "AAAA"), (f"{name}.1", "AAAA")], name)
    # Unrelated cookies with similar names are ignored.
    assert ss.join_chunks([("x", "1"), head, (f"{name}.x", "1"), (f"{name}x.1", "1"), tail], name) == value
    # Reordered parts pass the chunk reader and fail authentication.
    part0 = head[1][2:]
    i = next(i for i in range(100, len(part0)) if part0[i] != part0[i + 1])
    swapped = [(name, "2." + part0[:i] + part0[i + 1] + part0[i] + part0[i + 2 :]), tail]
    with pytest.raises(ss.AuthenticationFailed):
        ss.open_cookies(ss.VERSION_SEALED, PY_KEY, swapped, now=T0, **POLICY)
    # Writer: too large for the allowed count.
    with pytest.raises(ss.ValueTooLarge):
        ss.split_chunks(name, "A" * 9000, max_chunks=2)
    assert ss.split_chunks(name, "A" * 100) == [(name, "A" * 100)]


def _as_parts(name: str, value: str, lens: list[int]) -> list[tuple[str, str]]:
    """``value`` carried in parts of these lengths (a ``k.`` marker on the first of several)."""
    assert sum(lens) == len(value)
    k, pos, out = len(lens), 0, []
    for i, n in enumerate(lens):
        part = value[pos : pos + n]
        pos += n
        if i == 0:
            out.append((name, f"{k}.{part}" if k > 1 else part))
        else:
            out.append((f"{name}.{i}", part))
    return out


def test_chunk_reader_accepts_only_the_writers_split():
    """FORMAT.md: splits are canonical. Every split of every value within the size rule,
    over 1 to 4 cookies of a tiny limit: exactly one is accepted, the writer's."""
    name, limit, max_chunks = "s", 20, 4  # one cookie carries 18 characters; each of several 16
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    def value_of(n: int) -> str:
        return "".join(alphabet[i % 64] for i in range(n))

    accepted: dict[int, list[list[int]]] = {}
    refused = 0
    for k in range(1, max_chunks + 1):
        rooms = [limit - 1 - 1] if k == 1 else [limit - 1 - 1 - 2] + [limit - 3 - 1] * (k - 1)
        lens = [0] * k
        while True:
            value = value_of(sum(lens))
            cookies = _as_parts(name, value, lens)
            try:
                assert ss.join_chunks(cookies, name, limit=limit, max_chunks=max_chunks) == value
                accepted.setdefault(len(value), []).append(list(lens))
            except ss.NonCanonicalChunks:
                refused += 1
            i = next((i for i in range(k) if lens[i] < rooms[i]), None)
            if i is None:
                break
            lens[i] += 1
            lens[:i] = [0] * i
    assert refused > 10_000
    capacity = 4 * 16
    assert sorted(accepted) == list(range(capacity + 1))
    for n, sets in accepted.items():
        written = ss.split_chunks(name, value_of(n), limit=limit, max_chunks=max_chunks)
        want = [len(v) - (2 if i == 0 and len(written) > 1 else 0) for i, (_, v) in enumerate(written)]
        assert sets == [want], n


@pytest.mark.parametrize("mode", ["sealed", "signed"])
def test_non_canonical_splits_are_refused_by_both_readers(mode):
    """An authentic value re-split: Python and Rust both refuse it before decoding."""
    name = POLICY["cookie_name"]
    version = ss.VERSION_SEALED if mode == "sealed" else ss.VERSION_SIGNED
    write = ss.seal if mode == "sealed" else ss.sign
    full = 4096 - len(name) - 1 - 2  # a full part of several (name.1 is 2 longer than name)
    one = 4096 - len(name) - 1  # an unchunked cookie

    def value_of_len(target: int) -> tuple[bytes, str]:
        # The payload whose value has `target` characters (or the next length base64 allows).
        for extra in range(4):
            for n in range(max(0, target * 3 // 4 - 60), target):
                payload = pc_bytes(bytes(range(256)) * (n // 256) + bytes(n % 256))
                value = write(PY_KEY, payload, created=T0, issued=T0, limit=None, **POLICY)
                if len(value) == target + extra:
                    return payload, value
        raise AssertionError(target)

    def both_refuse(cookies, max_chunks=4):
        with pytest.raises(ss.NonCanonicalChunks):
            ss.join_chunks(cookies, name, max_chunks=max_chunks)
        header = "; ".join(f"{n}={v}" for n, v in cookies)
        result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=max_chunks, **POLICY)
        assert_rust_refuses(result, "NonCanonicalChunks")

    def both_open(cookies, payload, max_chunks=4):
        opened = ss.open_cookies(version, PY_KEY, cookies, now=T0, max_chunks=max_chunks, **POLICY)
        assert opened.payload == payload
        header = "; ".join(f"{n}={v}" for n, v in cookies)
        result = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=max_chunks, **POLICY)
        assert_rust_ok(result, payload, T0, T0, T0 + 1800)

    # Three chunks: full, full, short.
    payload, value = value_of_len(2 * full + 500)
    n = len(value)
    written = ss.split_chunks(name, value, max_chunks=4)
    assert [len(v) for _, v in written] == [2 + full, full, n - 2 * full]
    both_open(written, payload)
    for lens in (
        [full, full - 5, n - 2 * full + 5],  # a shifted boundary
        [full - 1, full, n - 2 * full + 1],
        [full, 0, full, n - 2 * full],  # an empty middle part
        [full, full, n - 2 * full, 0],  # an empty last part
        [0, full, full, n - 2 * full],  # "4." with an empty head
    ):
        both_refuse(_as_parts(name, value, lens))
    # "2." with an empty head, the whole value in the second cookie.
    payload, value = value_of_len(3000)
    both_refuse([(name, "2."), (f"{name}.1", value)])
    both_open([(name, value)], payload)
    # A value that fits one cookie, chunked with a full first part.
    payload, value = value_of_len(one)
    assert full < len(value) <= one
    both_refuse(_as_parts(name, value, [full, len(value) - full]))
    both_open(ss.split_chunks(name, value), payload)
    # A value that fits two cookies, in three.
    payload, value = value_of_len(full + 1000)
    n = len(value)
    for lens in ([full, n - full - 1, 1], [full, n - full, 0], [full - 500, 500, n - full]):
        both_refuse(_as_parts(name, value, lens), max_chunks=3)
    both_open(_as_parts(name, value, [full, n - full]), payload, max_chunks=3)
    # Missing and extra chunks are still reported first.
    with pytest.raises(ss.MissingChunk):
        ss.join_chunks([(name, "3." + value[:10])], name)
    with pytest.raises(ss.ExtraChunk):
        ss.join_chunks([(name, "2." + value[:10]), (f"{name}.1", "A"), (f"{name}.2", "A")], name)


def test_chunk_reader_needs_the_writers_limit():
    """The same cookies read under another limit are another split (or over-long)."""
    name = POLICY["cookie_name"]
    value = ss.seal(PY_KEY, pc_bytes(os.urandom(600)), created=T0, issued=T0, limit=None, **POLICY)
    small = ss.split_chunks(name, value, limit=400)
    assert len(small) == 3
    assert ss.join_chunks(small, name, limit=400) == value
    with pytest.raises(ss.NonCanonicalChunks):
        ss.join_chunks(small, name)  # 4096: the value fits one cookie
    with pytest.raises(ss.TooLong):
        ss.join_chunks(small, name, limit=300)


def test_vector_chunks():
    """Vector 1 also gives its value split for a small per-cookie limit."""
    v = next(v for v in VECTORS if "chunk_limit" in v)
    limit = int(v["chunk_limit"])
    want = [v[f"chunk_{i}"] for i in range(8) if f"chunk_{i}" in v]
    got = ss.split_chunks(v["cookie_name"], v["value"], limit=limit)
    assert [f"{n}={c}" for n, c in got] == want
    header = "; ".join(want)
    assert ss.join_chunks(ss.parse_cookie_header(header), v["cookie_name"], limit=limit) == v["value"]


def test_cookie_header_parsing():
    assert ss.parse_cookie_header("a=1;  b = 2 ;flag; c=x=y") == [("a", "1"), ("b", "2"), ("c", "x=y")]
