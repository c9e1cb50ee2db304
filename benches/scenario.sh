#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: the pages of SCENARIO.md, braid pinned to CPU 0, the load
# generator pinned to CPU 1, release build. Needs taskset (util-linux), nginx and h2load
# (Debian: nginx nghttp2-client). Results: target/bench/*.json, *.txt and summary.md.
#
#   benches/scenario.sh            # everything (about three minutes)
#   QUICK=1 benches/scenario.sh    # fewer requests, for a smoke run
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/bench
mkdir -p "$OUT"
BRAID=target/release/braid
PORT=3100
NGINX_PORT=3200
BASE="http://127.0.0.1:$PORT"
scale() { if [ -n "${QUICK:-}" ]; then echo $(( $1 / 10 )); else echo "$1"; fi; }

cargo build --release --quiet
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cleanup() {
    [ -n "${BRAID_PID:-}" ] && kill "$BRAID_PID" 2>/dev/null || true
    [ -f "$OUT/nginx/nginx.pid" ] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

rss_kb() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }

# The server: quiet logs, limits high enough for 10,000 held streams.
RUST_LOG=warn taskset -c 0 "$BRAID" serve --addr "127.0.0.1:$PORT" \
    --database "$OUT/bench.sqlite3" --max-streams 50000 \
    --section-timeout 20s --page-deadline 30s > "$OUT/server.log" 2>&1 &
BRAID_PID=$!
for _ in $(seq 100); do curl -sf "$BASE/bench/s0" > /dev/null && break; sleep 0.1; done
RSS_IDLE=$(rss_kb "$BRAID_PID" VmRSS)

load() {
    local name=$1; shift
    echo "== $name: $*" >&2
    taskset -c 1 "$BRAID" load --json "$@" > "$OUT/$name.json"
}
MARKERS=(--marker "<h2>Section 1" --marker "<h2>Section 2" --marker "<h2>Section 3")

# /bench/s0 against the same bytes precomputed, and against nginx serving them as a file.
load s0_c64 -c 64 -n "$(scale 20000)" --warmup 2000 "$BASE/bench/s0"
load s0_static_c64 -c 64 -n "$(scale 20000)" --warmup 2000 "$BASE/bench/s0-static"

mkdir -p "$OUT/nginx/www" "$OUT/nginx/tmp"
curl -sf "$BASE/bench/s0" > "$OUT/nginx/www/s0.html"
cat > "$OUT/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $PWD/$OUT/nginx/nginx.pid;
error_log $PWD/$OUT/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $PWD/$OUT/nginx/tmp;
    proxy_temp_path $PWD/$OUT/nginx/tmp;
    fastcgi_temp_path $PWD/$OUT/nginx/tmp;
    uwsgi_temp_path $PWD/$OUT/nginx/tmp;
    scgi_temp_path $PWD/$OUT/nginx/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $PWD/$OUT/nginx/www;
        default_type text/html;
    }
}
CONF
taskset -c 0 nginx -p "$PWD/$OUT/nginx" -c "$PWD/$OUT/nginx/nginx.conf" -g "user root;"
sleep 0.5
load nginx_static_c64 -c 64 -n "$(scale 20000)" --warmup 2000 "http://127.0.0.1:$NGINX_PORT/s0.html"
kill "$(cat "$OUT/nginx/nginx.pid")"

# /bench/s1 at each concurrency: time to first byte, each section, total.
load s1_c1 -c 1 -n "$(scale 200)" --warmup 10 "${MARKERS[@]}" "$BASE/bench/s1"
load s1_c64 -c 64 -n "$(scale 5000)" --warmup 200 "${MARKERS[@]}" "$BASE/bench/s1"
load s1_c256 -c 256 -n "$(scale 10000)" --warmup 512 "${MARKERS[@]}" "$BASE/bench/s1"
load s1_c1024 -c 1024 -n "$(scale 20000)" --warmup 2048 "${MARKERS[@]}" "$BASE/bench/s1"

# h2load beside them (its time to first byte covers only each connection's first response).
taskset -c 1 h2load --h1 -n "$(scale 20000)" -c 64 "$BASE/bench/s0" > "$OUT/h2load_s0_c64.txt"
taskset -c 1 h2load --h1 -n "$(scale 10000)" -c 256 "$BASE/bench/s1" > "$OUT/h2load_s1_c256.txt"

# 10,000 held streams (sections wait 10 s), then a probe of time to first byte meanwhile.
HELD=$(scale 10000)
RSS_BEFORE_HOLD=$(rss_kb "$BRAID_PID" VmRSS)
taskset -c 1 "$BRAID" load --json -c "$HELD" -n "$HELD" --timeout 60s "$BASE/bench/hold" > "$OUT/hold.json" &
HOLD_PID=$!
for _ in $(seq 100); do
    held=$(curl -sf "$BASE/metrics" | awk '/^braid_streams_in_flight / {print $2}')
    [ "${held%.*}" -ge "$HELD" ] 2>/dev/null && break
    sleep 0.1
done
RSS_HELD=$(rss_kb "$BRAID_PID" VmRSS)
load s0_while_held -c 64 -d 3s "$BASE/bench/s0"
wait "$HOLD_PID"
RSS_PEAK=$(rss_kb "$BRAID_PID" VmHWM)

cat > "$OUT/memory.json" <<JSON
{"idle_kb": $RSS_IDLE, "before_hold_kb": $RSS_BEFORE_HOLD, "held_kb": $RSS_HELD,
 "held_streams": ${held:-0}, "peak_kb": $RSS_PEAK}
JSON
python3 benches/summarise.py "$OUT" | tee "$OUT/summary.md"
