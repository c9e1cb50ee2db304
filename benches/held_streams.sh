#!/usr/bin/env bash
# RSS growth per held stream, by Accept-Encoding (the capacity issue's goal: at most 32 KB
# with a browser's Accept-Encoding, brotli and gzip each; at most 16 KB without). The server
# (release build) holds N `/bench/hold` streams (sections pending for 10 s) opened at once
# by `braid load`; RSS is read before and while they are held. Linux (/proc). Needs no root.
#
#   benches/held_streams.sh                  # N=2000, the three codings
#   N=500 BRAID=/tmp/other/braid benches/held_streams.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000}
BRAID=${BRAID:-target/release/braid}
PORT=${PORT:-3555}
OUT=target/held_streams
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() {
    local accept=$1 pid load before held
    rm -f "$OUT"/db.sqlite3*
    "$BRAID" serve --addr "127.0.0.1:$PORT" --database "$OUT/db.sqlite3" > "$OUT/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
    # Warm up: each worker thread's heap and the encoders' first use are not a stream's.
    for _ in 1 2 3 4; do
        curl -s -H "Accept-Encoding: $accept" "http://127.0.0.1:$PORT/bench/s1" > /dev/null
    done
    before=$(rss_kib "$pid")
    "$BRAID" load -c "$N" -n "$N" --timeout 60s -H "Accept-Encoding: $accept" \
        "http://127.0.0.1:$PORT/bench/hold" > /dev/null 2>&1 &
    load=$!
    sleep 5
    held=$(rss_kib "$pid")
    printf '%-26s before %7d KiB, holding %d: %7d KiB, %4d KiB per stream\n' \
        "${accept:-(none)}" "$before" "$N" "$held" $(( (held - before) / N ))
    kill "$load" 2> /dev/null || true
    kill "$pid"
    wait "$pid" 2> /dev/null || true
}

measure "gzip, deflate, br, zstd"
measure "gzip"
measure ""
