#!/usr/bin/env bash
# Fuzzing for sealed-session on stable Rust: builds every cargo-fuzz target in fuzz/ without a
# sanitizer (`-s none`) but with debug assertions and overflow checks (`-a`), then runs each one
# for a bounded time, starting from a fresh copy of its committed seeds (fuzz/seeds/<target>/)
# and regressions (fuzz/regressions/<target>/). Any crash, panic, leak, timeout or OOM makes the
# script exit non-zero; the failing input is left in fuzz/artifacts/<target>/.
#
# Runs from any directory, reads no standard input, installs cargo-fuzz if it is missing.
#
# Environment:
#   FUZZ_SECONDS  seconds of fuzzing per target (default 30)
#   FUZZ_TARGETS  space-separated targets to run (default: every target of fuzz/Cargo.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
if ! [[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]] || [ "$FUZZ_SECONDS" -lt 1 ]; then
    echo "FUZZ_SECONDS must be a positive whole number of seconds, got '$FUZZ_SECONDS'" >&2
    exit 2
fi

step() { printf '\n==> %s\n' "$*"; }

step "cargo-fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# Same flags for build and run, so `run` reuses the build.
flags=(--sanitizer none --debug-assertions)

step "build all fuzz targets (stable, no sanitizer)"
cargo fuzz build "${flags[@]}"

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list)
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets found" >&2
    exit 1
fi

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
summary=()
failed=0
for t in "${targets[@]}"; do
    step "fuzz $t for ${FUZZ_SECONDS} s"
    corpus="fuzz/corpus/$t"   # scratch copy, ignored by git
    artifacts="fuzz/artifacts/$t"
    rm -rf "$corpus"
    mkdir -p "$corpus" "$artifacts"
    for src in "fuzz/seeds/$t" "fuzz/regressions/$t"; do
        [ -d "$src" ] || continue
        find "$src" -maxdepth 1 -type f ! -name '*.md' -exec cp {} "$corpus"/ \;
    done
    echo "starting corpus: $(find "$corpus" -type f | wc -l) files"

    marker="$logs/$t.start"
    : >"$marker"
    log="$logs/$t.log"
    start=$(date +%s)
    rc=0
    cargo fuzz run "${flags[@]}" "$t" "$corpus" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 >"$log" 2>&1 </dev/null || rc=$?
    wall=$(($(date +%s) - start))

    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    fi
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    crashes=$(find "$artifacts" -type f -newer "$marker" | wc -l)
    line="fuzz $t: ${execs:-0} execs in ${secs:-$wall} s, crashes $crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        line="$line (FAILED, exit $rc)"
        echo "---- $log: the panic ----"
        grep -m 1 -A 12 -E "panicked at|ERROR: libFuzzer|^error" "$log" || true
        echo "---- last lines of $log ----"
        tail -n 40 "$log"
        find "$artifacts" -type f -newer "$marker" -exec echo "failing input: {}" \;
        echo "reproduce: cargo fuzz run -s none -a $t <failing input>"
        echo "minimize:  cargo fuzz tmin -s none -a $t <failing input>"
    fi
    echo "$line"
    summary+=("$line")
    rm -f "$marker"
done

step "summary"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzzing found failures (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "all ${#targets[@]} fuzz targets ran ${FUZZ_SECONDS} s each without a crash"
