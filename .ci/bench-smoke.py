"""Checks the shape of the benchmark commands' output (not their speed: CI never times anything).

Usage: python3 .ci/bench-smoke.py report BACKEND|levers|noise|web|cache|cluster-heartbeat < output
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
    backend = sys.argv[2]
    sealed_ops = ["seal", "open", "open_old_key", "reject_garbage"]
    signed_ops = ["sign", "verify"]
    sizes = [64, 512, 3000]
    timed = [l for l in lines if l.get("op") != "overhead"]
    overhead = [l for l in lines if l.get("op") == "overhead"]
    expected = sorted(
        [(o, s, u) for o in sealed_ops for s in sizes for u in ["aes-256-gcm", "xaes-256-gcm"]]
        + [(o, s, "hmac-sha256") for o in signed_ops for s in sizes]
    )
    if sorted((l["op"], l["size"], l["suite"]) for l in timed) != expected:
        fail("not one line per op, size and suite")
    for l in timed:
        if list(l) != ["op", "size", "ours_ns", "floor_ns", "cookie_rs_ns", "suite", "backend", "parts_ns"]:
            fail(f"fields {list(l)}")
        if l["backend"] != backend:
            fail(f"backend {l['backend']}, expected {backend}")
        if not (positive(l["ours_ns"]) and positive(l["floor_ns"]) and positive(l["parts_ns"])):
            fail(f"non-positive time in {l}")
        if (l["cookie_rs_ns"] is None) != (l["op"] == "open_old_key"):
            fail(f"cookie_rs_ns must be null exactly where cookie-rs has no such operation: {l}")
    shapes = sorted((l["size"], l["suite"], l["session_id"]) for l in overhead)
    want = sorted(
        (s, u, i) for s in sizes for (u, i) in
        [("aes-256-gcm", False), ("xaes-256-gcm", False), ("aes-256-gcm", True)]
    )
    if shapes != want:
        fail(f"not one overhead line per size and value shape: {shapes}")
    for l in overhead:
        if list(l) != ["op", "size", "value_len", "cookie_rs_value_len", "suite", "session_id"]:
            fail(f"fields {list(l)}")
        # Fixed characters over the payload's base64: 33 bytes + stamps for AES-256-GCM, 12 more
        # for XAES-256-GCM, 16 more with a session id (FORMAT.md, "Overhead").
        payload_b64 = -(-4 * l["size"] // 3)
        bound = 60 + (16 if l["suite"] == "xaes-256-gcm" else 0) + (22 if l["session_id"] else 0)
        if l["value_len"] - payload_b64 > bound:
            fail(f"overhead over {bound} characters: {l}")
elif kind == "levers":
    if len(lines) != 8 * 3 + 2:
        fail(f"{len(lines)} lines")
    for l in lines:
        if list(l) != ["lever", "size", "kept_ns", "replaced_ns"]:
            fail(f"fields {list(l)}")
        if not (positive(l["kept_ns"]) and positive(l["replaced_ns"])):
            fail(f"non-positive time in {l}")
elif kind == "web":
    contenders = [("axum", c) for c in ["none", "sealed-session", "tower-sessions-memory-store",
                                        "axum-extra-private-cookie-jar", "tower-sessions-cookie-store"]]
    contenders += [("actix", c) for c in ["none", "sealed-session", "actix-session-cookie-store"]]
    # CI installs redis-server, so the Redis contenders always run there.
    contenders += [("axum", c) for c in ["sealed-session-revocations-redis",
                                         "sealed-session-revocations-redis-cached-2s",
                                         "sealed-session-revocations-redis-local-cache",
                                         "sealed-session-server-side-redis",
                                         "sealed-session-server-side-redis-local-cache",
                                         "sealed-session-overflow-redis",
                                         "tower-sessions-redis-store",
                                         "redis-round-trips-alone",
                                         "sealed-session-server-side-redb"]]
    routes = ["/ro", "/rw", "/none"]
    seen = sorted((l["framework"], l["contender"], l["route"]) for l in lines)
    if seen != sorted((f, c, r) for f, c in contenders for r in routes):
        fail("not one line per framework, contender and route")
    for l in lines:
        if list(l) != ["framework", "contender", "route", "requests", "rps", "p50_us", "p99_us",
                       "cpu_us_per_request", "store_cpu_us_per_request", "cpu_us_over_baseline"]:
            fail(f"fields {list(l)}")
        if not (positive(l["rps"]) and positive(l["p50_us"]) and positive(l["cpu_us_per_request"])):
            fail(f"non-positive number in {l}")
elif kind == "cache":
    memory = [l for l in lines if l.get("measure") == "memory"]
    visibility = [l for l in lines if l.get("measure") == "visibility"]
    if sorted(l["entries"] for l in memory) != ["absent-numbers", "records"] or len(visibility) != 1:
        fail("not two memory lines and one visibility line")
    for l in memory:
        if not (positive(l["bytes_per_entry"]) and positive(l["mib_per_100k"])):
            fail(f"non-positive memory in {l}")
    v = visibility[0]
    if not (positive(v["changes"]) and 0 <= v["p50_us"] <= v["p99_us"] <= v["max_us"]):
        fail(f"visibility out of order: {v}")
elif kind == "cluster-heartbeat":
    if [l.get("nodes") for l in lines] != [3, 6, 12]:
        fail("not one line per cluster size")
    for l in lines:
        if list(l) != ["nodes", "ping_usec_per_call", "cluster_nodes_usec_per_call"]:
            fail(f"fields {list(l)}")
        if not (positive(l["ping_usec_per_call"]) and positive(l["cluster_nodes_usec_per_call"])):
            fail(f"non-positive time in {l}")
elif kind == "noise":
    if not lines or not lines[-1].get("summary"):
        fail("no summary line")
else:
    fail("unknown kind")
print(f"bench-smoke {kind}: {len(lines)} well-formed lines")
