#!/usr/bin/env bash
# Compressed sizes of the demo's pages as a browser receives them (Chromium's user agent,
# signed in as the demo user), by Accept-Encoding: each page once streamed (the dashboard
# with a cold section cache and its sections slowed by --demo-latency, so that it streams)
# and the cached dashboard (a response of known length). Release build.
#
#   benches/compressed_sizes.sh
#   BRAID=/tmp/other/braid benches/compressed_sizes.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BRAID=${BRAID:-target/release/braid}
PORT=${PORT:-3556}
OUT=target/compressed_sizes
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Safari/537.36"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p "$OUT"
rm -f "$OUT"/db.sqlite3* "$OUT/cookies"
"$BRAID" serve --addr "127.0.0.1:$PORT" --database "$OUT/db.sqlite3" \
    --demo-latency cards=50,revenue=100,latest=150 > "$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2> /dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
curl -s -c "$OUT/cookies" -o /dev/null -H "Origin: http://127.0.0.1:$PORT" \
    --data 'email=user%40nextmail.com&password=123456' "http://127.0.0.1:$PORT/login"

size() {
    curl -s -b "$OUT/cookies" -H "Accept-Encoding: $2" -H "User-Agent: $UA" \
        "http://127.0.0.1:$PORT$1" | wc -c
}

printf '%-28s %8s %8s %8s\n' page br gzip none
for page in "/dashboard (streamed, cold)" /invoices /customers /bench/s1 "/dashboard (cached)"; do
    path=${page%% *}
    if [ "$page" = "/dashboard (streamed, cold)" ]; then
        # Each coding gets a cold cache: wait past nothing, just use a fresh query key.
        br=$(size "$path" br); sleep 0.3
        kill "$PID"; wait "$PID" 2> /dev/null || true
        "$BRAID" serve --addr "127.0.0.1:$PORT" --database "$OUT/db.sqlite3" \
            --demo-latency cards=50,revenue=100,latest=150 > "$OUT/server.log" 2>&1 &
        PID=$!
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
        gzip=$(size "$path" gzip)
        printf '%-28s %8d %8d %8s\n' "$page" "$br" "$gzip" "-"
        continue
    fi
    printf '%-28s %8d %8d %8d\n' "$page" "$(size "$path" br)" "$(size "$path" gzip)" "$(size "$path" identity)"
done
