#!/usr/bin/env bash
# Memory given back after a burst of held streams (the capacity issue's goal: RSS back to at
# most 2x the pre-burst RSS within 60 s after 10,000 held streams end). The server (release
# build) serves N `/bench/hold` streams (sections pending for 10 s) opened at once by h2load
# over HTTP/1.1 with a browser's Accept-Encoding; RSS is read before, while they are held,
# and 15 and 60 s after they ended. Needs h2load (Debian: nghttp2-client) and an open-file
# limit above N for each process.
#
#   benches/memory_return.sh              # N=10000
#   N=3000 ACCEPT=gzip benches/memory_return.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
ACCEPT=${ACCEPT:-gzip, deflate, br, zstd}
BRAID=${BRAID:-target/release/braid}
PORT=${PORT:-3558}
OUT=target/memory_return
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
rm -f "$OUT"/db.sqlite3*

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

"$BRAID" serve --addr "127.0.0.1:$PORT" --database "$OUT/db.sqlite3" > "$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2> /dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
for _ in 1 2 3 4; do
    curl -s -H "Accept-Encoding: $ACCEPT" "http://127.0.0.1:$PORT/bench/s1" > /dev/null
done
sleep 1
BEFORE=$(rss_mb "$PID")
h2load --h1 -n "$N" -c "$N" -H "Accept-Encoding: $ACCEPT" \
    "http://127.0.0.1:$PORT/bench/hold" > "$OUT/h2load.log" 2>&1 &
LOAD=$!
# The peak: sampled every half second while h2load runs (the streams end 10 s after each
# one started).
HELD=0
STREAMS=0
while kill -0 "$LOAD" 2> /dev/null; do
    now=$(rss_mb "$PID")
    held=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^braid_streams_in_flight / {print $2}')
    awk -v a="$now" -v b="$HELD" 'BEGIN {exit !(a > b)}' && HELD=$now
    [ "${held:-0}" -gt "$STREAMS" ] 2> /dev/null && STREAMS=$held
    sleep 0.5
done
wait "$LOAD" || true
sleep 15
AFTER15=$(rss_mb "$PID")
sleep 45
AFTER60=$(rss_mb "$PID")
grep -E "^requests:" "$OUT/h2load.log" || true
echo "RSS: before ${BEFORE} MB; peak ${HELD} MB (at most ${STREAMS} streams held at once); 15 s after ${AFTER15} MB; 60 s after ${AFTER60} MB"
awk -v b="$BEFORE" -v a="$AFTER60" 'BEGIN {printf "60 s after / before: %.2fx (goal <= 2x)\n", a / b}'
