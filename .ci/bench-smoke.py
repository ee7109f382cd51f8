"""Checks the shape of the benchmark commands' output (not their speed: CI never times anything).

Usage: python3 .ci/bench-smoke.py report|levers|noise < output
"""
import json
import sys

kind = sys.argv[1]
lines = [json.loads(l) for l in sys.stdin if l.strip()]


def fail(msg):
    sys.exit(f"bench-smoke {kind}: {msg}")


def positive(x):
    return isinstance(x, (int, float)) and x > 0


if kind == "report":
    ops = ["seal", "open", "open_old_key", "reject_garbage", "sign", "verify"]
    sizes = [64, 512, 3000]
    timed = [l for l in lines if l.get("op") != "overhead"]
    overhead = [l for l in lines if l.get("op") == "overhead"]
    if sorted((l["op"], l["size"]) for l in timed) != sorted((o, s) for o in ops for s in sizes):
        fail("not one line per op and size")
    for l in timed:
        if list(l) != ["op", "size", "ours_ns", "floor_ns", "cookie_rs_ns"]:
            fail(f"fields {list(l)}")
        if not (positive(l["ours_ns"]) and positive(l["floor_ns"])):
            fail(f"non-positive time in {l}")
        if (l["cookie_rs_ns"] is None) != (l["op"] == "open_old_key"):
            fail(f"cookie_rs_ns must be null exactly where cookie-rs has no such operation: {l}")
    if [l["size"] for l in overhead] != sizes:
        fail("not one overhead line per size")
    for l in overhead:
        if list(l) != ["op", "size", "value_len", "cookie_rs_value_len"]:
            fail(f"fields {list(l)}")
        payload_b64 = -(-4 * l["size"] // 3)
        if l["value_len"] - payload_b64 > 60:
            fail(f"overhead over 60 characters: {l}")
elif kind == "levers":
    if len(lines) != 8 * 3 + 2:
        fail(f"{len(lines)} lines")
    for l in lines:
        if list(l) != ["lever", "size", "kept_ns", "replaced_ns"]:
            fail(f"fields {list(l)}")
        if not (positive(l["kept_ns"]) and positive(l["replaced_ns"])):
            fail(f"non-positive time in {l}")
elif kind == "noise":
    if not lines or not lines[-1].get("summary"):
        fail("no summary line")
else:
    fail("unknown kind")
print(f"bench-smoke {kind}: {len(lines)} well-formed lines")
