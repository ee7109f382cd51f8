#!/usr/bin/env bash
# First build from an empty target directory: the README's quickstart, and small apps of one
# shape (a cart in the session, one page) on sealed-session and on tower-sessions. Prints, for
# each, the crates compiled and the wall time. The registry cache (~/.cargo/registry) is used
# as it is: run once before measuring so that downloads are not timed. Measure on a quiet
# machine; `-j` is cargo's default (every core).
#
#   bash benches/first-build/run.sh            # all
#   bash benches/first-build/run.sh ours-axum  # one (quickstart, or a directory name here)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TERM_COLOR=never

measure() { # name dir cargo-args...
    local name=$1 dir=$2
    shift 2
    local target log start end
    target=$(mktemp -d)
    log=$(mktemp)
    start=$(date +%s%N)
    (cd "$dir" && CARGO_TARGET_DIR="$target" cargo "$@" >/dev/null 2>"$log") || {
        cat "$log" >&2
        echo "$name: build failed" >&2
        exit 1
    }
    end=$(date +%s%N)
    printf '%-28s %4d crates %6.1f s\n' "$name" "$(grep -c '^ *Compiling ' "$log")" \
        "$(awk -v ns=$((end - start)) 'BEGIN { print ns / 1e9 }')"
    rm -rf "$target" "$log"
}

only=${1:-}
if [ -z "$only" ] || [ "$only" = quickstart ]; then
    measure quickstart "$root" run --example quickstart
fi
for app in ours-axum tower-sessions-axum ours-axum-redis-keyfile tower-sessions-redis; do
    if [ -z "$only" ] || [ "$only" = "$app" ]; then
        measure "$app" "$here/$app" build
    fi
done
