#!/usr/bin/env bash
# Interop check: an independent Python implementation of FORMAT.md (interop/sealed_session.py)
# against FORMAT.md's test vectors and against this crate (through interop/src/main.rs).
# Run from anywhere, with no standard input: bash .ci/interop.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-interop
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the work tree
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check cryptography pytest </dev/null

# Build the Rust side first so that a compile error is reported as such.
cargo build --quiet -p sealed-session-interop </dev/null

report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$report" interop/ </dev/null
status=$?
set -e

# Counts from the JUnit report (pytest's own summary line is printed above).
read -r total failed errors skipped < <("$VENV/bin/python" - "$report" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 0, 1, 0)
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
get = lambda k: sum(int(s.get(k, 0)) for s in suites)
print(get("tests"), get("failures"), get("errors"), get("skipped"))
EOF
)
passed=$((total - failed - errors - skipped))
bad=$((failed + errors))
echo "interop: ${passed} passed, ${bad} failed"

if [ "$status" -eq 5 ] || [ "$total" -eq 0 ]; then
    echo "interop: no tests were collected" >&2
    exit 1
fi
if [ "$status" -ne 0 ] || [ "$bad" -ne 0 ]; then
    exit 1
fi
