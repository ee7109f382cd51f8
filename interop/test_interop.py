"""Interoperability tests: the Python implementation (written from FORMAT.md) against
FORMAT.md's test vectors and against the Rust crate (through examples/interop.rs).

(a) every FORMAT.md vector, every intermediate field, byte for byte;
(b) values produced by the Rust crate open in Python;
(c) values produced by Python open in Rust (sealed, signed, chunked), and Rust refuses
    the same malformed or expired values Python refuses;
(d) tampering is refused by Python.

Run: `bash .ci/interop.sh` from the repository root (or `pytest interop/`).
"""

from __future__ import annotations

import base64
import functools
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


def policy_of(v: dict) -> dict:
    return dict(cookie_name=v["cookie_name"], purpose=v["purpose"], idle=int(v["idle"]), absolute=int(v["absolute"]))


def reader_for(mode: str):
    return ss.open_sealed if mode == "sealed" else ss.verify_signed


# --------------------------------------------------------------------------
# The Rust side (examples/interop.rs)
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def rust_binary() -> str:
    """Builds the example once and returns its executable path."""
    out = subprocess.run(
        ["cargo", "build", "--quiet", "--example", "interop", "--message-format=json"],
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
    raise RuntimeError("cargo built no interop example")


def rust(*args: str | int) -> tuple[int, str]:
    p = subprocess.run(
        [rust_binary(), *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )
    assert p.returncode in (0, 1), f"interop {args[0]} failed ({p.returncode}): {p.stderr}"
    return p.returncode, p.stdout.strip()


def rust_open(mode, key: ss.Key | bytes, value, *, cookie_name, purpose, idle, absolute, now, type_="bytes"):
    secret = key._secret if isinstance(key, ss.Key) else key
    return rust("open", mode, secret.hex(), cookie_name, purpose, idle, absolute, now, value, type_)


def rust_open_cookies(mode, key: ss.Key, header, *, cookie_name, purpose, idle, absolute, now, max_chunks, type_="bytes"):
    return rust(
        "open-cookies", mode, key._secret.hex(), cookie_name, purpose, idle, absolute, now, max_chunks, header, type_
    )


def assert_rust_ok(result, payload: bytes, created: int, issued: int, expires: int):
    code, out = result
    assert code == 0, out
    assert out == f"ok {payload.hex()} {created} {issued} {expires}"


def assert_rust_refuses(result, *needles: str):
    code, out = result
    assert code == 1, f"Rust accepted it: {out}"
    assert out.startswith("error: "), out
    for n in needles:
        assert n in out, f"expected {n!r} in {out!r}"


@functools.lru_cache(maxsize=1)
def rust_emitted() -> dict[str, dict]:
    code, out = rust("emit")
    assert code == 0
    cases = [json.loads(line) for line in out.splitlines()]
    return {c["kind"]: c for c in cases}


RUST_KINDS = [
    "sealed-string",
    "sealed-struct",
    "sealed-bytes",
    "sealed-key2",
    "sealed-renewed",
    "signed-string",
    "signed-struct",
    "chunked-sealed",
    "chunked-signed",
]


# --------------------------------------------------------------------------
# (a) FORMAT.md test vectors
# --------------------------------------------------------------------------


def test_vectors_found():
    assert [v["vector"] for v in VECTORS] == ["1", "2", "3", "4", "5"]
    assert [v.get("mode", "sealed") for v in VECTORS] == ["sealed"] * 4 + ["signed"]


def test_vector_payloads_match_their_description():
    """The prose in FORMAT.md says what each payload serializes."""
    by = {v["vector"]: bytes.fromhex(v["payload"]) for v in VECTORS}
    assert by["1"] == pc_bytes(b"alice")
    assert by["2"] == pc_user(42, ["admin", "dev"])
    assert by["3"] == b""
    assert by["4"] == pc_bytes(bytes(range(200)))
    assert by["5"] == pc_bytes(b"light")


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_keys(v):
    if "master" in v:
        derived = ss.Key.derive(bytes.fromhex(v["master"]), v["label"])
        assert derived._secret.hex() == v["key"]
    key = ss.Key(bytes.fromhex(v["key"]))
    assert key.key_id.hex() == v["key_id"]
    assert key.hmac_key.hex() == v["hmac_key"]
    if "aead_key" in v:
        assert key.aead_key.hex() == v["aead_key"]


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_intermediates(v):
    created, issued, expires = int(v["created"]), int(v["issued"]), int(v["expires"])
    assert expires == ss.expires_for(created, issued, int(v["idle"]), int(v["absolute"]))
    stamps = ss.encode_stamps(created, issued, expires)
    assert stamps.hex() == v["stamps"]
    payload = bytes.fromhex(v["payload"])
    key_id = bytes.fromhex(v["key_id"])
    signed = v.get("mode") == "signed"
    version = ss.VERSION_SIGNED if signed else ss.VERSION_SEALED
    aad = ss.associated_data(version, key_id, v["cookie_name"], v["purpose"])
    assert aad.hex() == v["aad"]
    if signed:
        assert ss.signed_mac_input(key_id, v["cookie_name"], v["purpose"], stamps + payload).hex() == v["mac_input"]
    else:
        assert (stamps + payload).hex() == v["plaintext"]
    decoded, rest = ss.decode_stamps(bytes.fromhex(v["stamps"]) + payload)
    assert (decoded.created, decoded.issued, decoded.expires, rest) == (created, issued, expires, payload)


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_vector_reproduced_byte_for_byte(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    common = dict(policy_of(v), created=int(v["created"]), issued=int(v["issued"]))
    payload = bytes.fromhex(v["payload"])
    if v.get("mode") == "signed":
        raw = ss.sign_bytes(key, payload, **common)
        assert raw.hex() == v["signed"]
        assert raw[-32:].hex() == v["tag"]
        value = ss.sign(key, payload, **common)
    else:
        nonce = bytes.fromhex(v["nonce"])
        raw = ss.seal_bytes(key, payload, nonce=nonce, **common)
        assert raw.hex() == v["sealed"]
        assert raw[-16:].hex() == v["tag"]
        assert raw[5:17] == nonce
        value = ss.seal(key, payload, nonce=nonce, **common)
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
    read = reader_for(v.get("mode", "sealed"))
    for now in (issued, issued - 60, expires + 60, created + int(v["absolute"]) + 60):
        if now > min(expires, created + int(v["absolute"])) + 60:
            continue
        opened = read([other, key], v["value"], now=now, **policy_of(v))
        assert opened.payload.hex() == v["payload"]
        assert (opened.stamps.created, opened.stamps.issued, opened.stamps.expires) == (created, issued, expires)
        assert opened.key_id.hex() == v["key_id"]
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
    mode = v.get("mode", "sealed")
    key = ss.Key(bytes.fromhex(v["key"]))
    p = policy_of(v)
    payload = bytes.fromhex(v["payload"])
    # Open as the type the vector describes, and compare the re-serialized payload.
    type_ = {"1": "string", "2": "user", "4": "bytes", "5": "string"}.get(v["vector"])
    if type_ is None:  # vector 3 is `()`: no type of the example is empty; a ByteBuf must fail
        assert_rust_refuses(rust_open(mode, key, v["value"], now=v["issued"], **p), "Deserialize")
        return
    result = rust_open(mode, key, v["value"], now=v["issued"], type_=type_, **p)
    assert_rust_ok(result, payload, int(v["created"]), int(v["issued"]), int(v["expires"]))


# --------------------------------------------------------------------------
# (b) Rust -> Python
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUST_KINDS)
def test_rust_value_opens_in_python(kind):
    c = rust_emitted()[kind]
    key = ss.Key(bytes.fromhex(c["key"]))
    assert key.key_id.hex() == c["key_id"]
    p = dict(cookie_name=c["cookie_name"], purpose=c["purpose"], idle=c["idle"], absolute=c["absolute"])
    version = ss.VERSION_SIGNED if c["mode"] == "signed" else ss.VERSION_SEALED
    if "cookies" in c:
        pairs = [tuple(x) for x in c["cookies"]]
        assert len(pairs) >= 2, "the chunked case should need several cookies"
        for name, value in pairs:
            assert ss.fits(name, value)
        header = "theme=dark; " + "; ".join(f"{n}={v}" for n, v in pairs) + "; other=1"
        opened = ss.open_cookies(version, key, ss.parse_cookie_header(header), now=c["now"], **p)
        value = ss.join_chunks(pairs, c["cookie_name"])
        # Python's writer splits the joined value exactly as Rust did.
        assert ss.split_chunks(c["cookie_name"], value, max_chunks=c["max_chunks"]) == pairs
    else:
        value = c["value"]
        opened = reader_for(c["mode"])(key, value, now=c["now"], **p)
    raw = ss.b64decode(value)
    assert raw[0] == version and raw[1:5] == key.key_id
    assert opened.payload.hex() == c["payload"]
    assert (opened.stamps.created, opened.stamps.issued, opened.stamps.expires) == (
        c["created"],
        c["issued"],
        c["expires"],
    )
    assert opened.stamps.expires == ss.expires_for(c["created"], c["issued"], c["idle"], c["absolute"])
    read = reader_for(c["mode"])
    # The Python reader enforces time and binding on Rust's values too.
    with pytest.raises((ss.IdleExpired, ss.AbsoluteExpired)):
        read(key, value, now=c["expires"] + 61, limit=None, **p)
    with pytest.raises(ss.AuthenticationFailed):
        read(key, value, now=c["now"], limit=None, **dict(p, purpose=c["purpose"] + "x"))
    with pytest.raises(ss.AuthenticationFailed):
        read(key, value, now=c["now"], limit=None, **dict(p, cookie_name=c["cookie_name"] + "x"))


def test_rust_emitted_expected_payloads():
    """The example's expected payloads are what FORMAT.md's postcard description predicts."""
    e = rust_emitted()
    assert set(e) == set(RUST_KINDS)
    assert e["sealed-string"]["payload"] == pc_bytes(b"alice").hex()
    assert e["sealed-struct"]["payload"] == pc_user(42, ["admin", "dev"]).hex()
    assert e["signed-string"]["payload"] == pc_bytes(b"light").hex()
    assert e["sealed-bytes"]["payload"] == pc_bytes(bytes(i % 251 for i in range(300))).hex()
    assert e["sealed-renewed"]["created"] < e["sealed-renewed"]["issued"]


def test_rust_nonces_are_fresh():
    """Two runs of `emit` seal the same inputs at the same time with different nonces."""
    first = rust_emitted()["sealed-string"]["value"]
    code, out = rust("emit")
    second = json.loads(out.splitlines()[0])["value"]
    assert first != second
    assert ss.b64decode(first)[5:17] != ss.b64decode(second)[5:17]


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


@pytest.mark.parametrize("mode", ["sealed", "signed"])
def test_python_chunked_opens_in_rust(mode):
    payload = pc_bytes(os.urandom(7000))
    write = ss.seal if mode == "sealed" else ss.sign
    value = write(PY_KEY, payload, created=T0, issued=T0, limit=None, **POLICY)
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
        ss.open_cookies(ss.VERSION_SEALED if mode == "sealed" else ss.VERSION_SIGNED, PY_KEY,
                        ss.parse_cookie_header(swapped), now=T0, max_chunks=3, **POLICY)  # fmt: skip
    assert_rust_refuses(rust_open_cookies(mode, PY_KEY, swapped, now=T0, max_chunks=3, **POLICY), "Authentication")
    too_few = rust_open_cookies(mode, PY_KEY, header, now=T0, max_chunks=2, **POLICY)
    assert_rust_refuses(too_few)
    with pytest.raises(ss.ChunkError):
        ss.join_chunks(ss.parse_cookie_header(header), POLICY["cookie_name"], max_chunks=2)


def test_python_nonces_are_fresh():
    a = ss.b64decode(ss.seal(PY_KEY, b"", created=T0, issued=T0, **POLICY))
    b = ss.b64decode(ss.seal(PY_KEY, b"", created=T0, issued=T0, **POLICY))
    assert a[5:17] != b[5:17] and a != b


# Python's error classes and the Rust crate's `OpenError` (Debug) for the same refusal.
RUST_ERROR = {
    ss.TooLong: "Oversized",
    ss.BadEncoding: "Malformed(Encoding)",
    ss.TooShort: "Malformed(TooShort)",
    ss.UnknownVersion: "UnsupportedVersion(",
    ss.UnknownKey: "UnknownKey(",
    ss.AuthenticationFailed: "Authentication",
    ss.MalformedStamps: "Malformed(Stamps)",
    ss.NotYetValid: "NotYetValid",
    ss.AbsoluteExpired: "lifetime: Absolute",
    ss.IdleExpired: "lifetime: Idle",
}


@pytest.mark.parametrize("mode", ["sealed", "signed"])
def test_rust_refuses_what_python_refuses(mode):
    """Python plays a buggy or hostile writer; both readers refuse, for the same reason."""
    other = ss.Key(os.urandom(32))
    body = ss.encode_stamps(T0, T0, T0 + 1800) + pc_bytes(b"abc")
    version = ss.VERSION_SEALED if mode == "sealed" else ss.VERSION_SIGNED
    minimum = ss.MIN_SEALED_LEN if mode == "sealed" else ss.MIN_SIGNED_LEN
    read = reader_for(mode)

    def make(plaintext, key=PY_KEY, purpose="interop"):
        if mode == "sealed":
            raw = ss.seal_plaintext(key, plaintext, cookie_name="__Host-py", purpose=purpose)
        else:
            raw = ss.sign_body(key, plaintext, cookie_name="__Host-py", purpose=purpose)
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
        (ss.UnknownVersion, ss.b64encode(b"\x02" + ss.b64decode(good)[1:])),
        (ss.UnknownVersion, ss.b64encode(bytes([version ^ 0x80]) + ss.b64decode(good)[1:])),  # other mode
        (ss.BadEncoding, good + "="),
        (ss.BadEncoding, good[:-1] + "+"),
        (ss.BadEncoding, good + "A" * (1 if len(good) % 4 == 0 else 5 - len(good) % 4)),  # 4k + 1
        (ss.TooShort, ss.b64encode(bytes([version]) + PY_KEY.key_id + bytes(minimum - 6))),
        (ss.TooShort, ""),
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
    read = reader_for(v.get("mode", "sealed"))
    raw = ss.b64decode(v["value"])
    for i in range(len(raw)):
        for bit in range(8):
            bad = ss.b64encode(flip(raw, i, bit))
            with pytest.raises(ss.OpenError) as e:
                read(key, bad, now=int(v["issued"]), **policy_of(v))
            expected = ss.UnknownVersion if i == 0 else ss.UnknownKey if i < 5 else ss.AuthenticationFailed
            assert type(e.value) is expected, (i, bit, e.value)


@pytest.mark.parametrize("v", VECTORS, ids=VECTOR_IDS)
def test_every_truncation_and_extension_is_refused(v):
    key = ss.Key(bytes.fromhex(v["key"]))
    read = reader_for(v.get("mode", "sealed"))
    raw = ss.b64decode(v["value"])
    minimum = ss.MIN_SIGNED_LEN if v.get("mode") == "signed" else ss.MIN_SEALED_LEN
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
    read = reader_for(v.get("mode", "sealed"))
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
