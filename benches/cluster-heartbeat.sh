#!/usr/bin/env bash
# What the local cache's heartbeat costs a Redis Cluster node: on a cluster, each beat asks every
# node for `CLUSTER NODES` (src/store/redis_cluster_view.rs), where one Redis server is sent a
# `PING`. For clusters of 3, 6 and 12 nodes on loopback (half of them replicas from 6 on), prints
# Redis's own CPU time per call of each (`INFO commandstats`, `usec_per_call`), from
# `redis-benchmark` calls on one connection. Needs redis-server, redis-cli and redis-benchmark
# (Debian: redis-server, redis-tools).
#
#   bash benches/cluster-heartbeat.sh          # 20,000 calls of each per size
#   bash benches/cluster-heartbeat.sh quick    # 500: the shape only
set -euo pipefail
calls=20000
[ "${1:-}" = quick ] && calls=500
dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

free_ports() { # count: that many free loopback ports whose cluster bus ports (+10000) are free too
    python3 -c '
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = s.getsockname()[1]
    if port > 55535:
        continue
    bus = socket.socket()
    try:
        bus.bind(("127.0.0.1", port + 10000))
    except OSError:
        continue
    held.append(bus)
    ports.append(port)
print(" ".join(map(str, ports)))' "$1"
}

usec_per_call() { # port command
    redis-cli -p "$1" info commandstats | tr -d '\r' |
        sed -n "s/^cmdstat_$2:.*usec_per_call=\([0-9.]*\).*/\1/p"
}

for size in 3 6 12; do
    read -r -a ports <<<"$(free_ports "$size")"
    for port in "${ports[@]}"; do
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --cluster-enabled yes --cluster-config-file "$dir/nodes-$port.conf" \
            --dir "$dir" --dbfilename "dump-$port.rdb" >/dev/null &
        pids+=("$!")
    done
    for port in "${ports[@]}"; do
        tries=0
        until redis-cli -p "$port" ping >/dev/null 2>&1; do
            tries=$((tries + 1))
            [ "$tries" -lt 200 ] || { echo "redis-server on $port did not start" >&2; exit 1; }
            sleep 0.05
        done
    done
    replicas=0
    [ "$size" -ge 6 ] && replicas=1
    addresses=()
    for port in "${ports[@]}"; do addresses+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas "$replicas" --cluster-yes \
        >/dev/null
    first=${ports[0]}
    until redis-cli -p "$first" cluster info | grep -q "cluster_known_nodes:$size" &&
        redis-cli -p "$first" cluster info | grep -q "cluster_state:ok"; do
        sleep 0.05
    done
    redis-cli -p "$first" config resetstat >/dev/null
    redis-benchmark -p "$first" -c 1 -n "$calls" -q cluster nodes >/dev/null
    redis-benchmark -p "$first" -c 1 -n "$calls" -q ping >/dev/null
    printf '{"nodes": %d, "ping_usec_per_call": %s, "cluster_nodes_usec_per_call": %s}\n' \
        "$size" "$(usec_per_call "$first" ping)" "$(usec_per_call "$first" 'cluster|nodes')"
done
