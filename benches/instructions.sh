#!/usr/bin/env bash
# Instructions per request of one page, counted with valgrind's callgrind (stable where
# req/s is not): the server runs under callgrind twice, answering N1 and then N2 keep-alive
# requests from `braid load -c 1`; (I(N2) - I(N1)) / (N2 - N1) is the cost of one request,
# start-up and shutdown cancelled out (and quanta's clock calibration, which does not
# cancel out, left out). Needs valgrind. Release build.
#
#   benches/instructions.sh /bench/s1            # default N1=200, N2=1200
#   BRAID=path/to/other/braid benches/instructions.sh /bench/s1
#   SIGNED_IN=1 benches/instructions.sh /dashboard                     # as the demo user
#   SIGNED_IN=1 SERVE_ARGS=--no-section-cache benches/instructions.sh /dashboard
set -euo pipefail
cd "$(dirname "$0")/.."

PAGE=${1:?usage: benches/instructions.sh PATH [extra braid load args]}
shift
N1=${N1:-200}
N2=${N2:-1200}
BRAID=${BRAID:-target/release/braid}
OUT=target/instructions
PORT=3400
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet

instructions() {
    local requests=$1 name
    shift
    name="$OUT/callgrind.$requests.out"
    rm -f "$OUT/db.sqlite3"*
    "$BRAID" db --database "$OUT/db.sqlite3" seed --customers 200 --invoices 20000 > /dev/null
    local user=(--demo-user none)
    [ -z "${SIGNED_IN:-}" ] || user=()
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
    RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$name" \
        "$BRAID" serve --addr "127.0.0.1:$PORT" --database "$OUT/db.sqlite3" \
        "${user[@]}" ${SERVE_ARGS:-} > "$OUT/server.$requests.log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/bench/s0" > /dev/null && break; sleep 0.2; done
    local session=()
    if [ -n "${SIGNED_IN:-}" ]; then
        local cookie
        cookie=$(curl -s -o /dev/null -D - --data 'email=user%40nextmail.com&password=123456' \
            "http://127.0.0.1:$PORT/login" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(braid_session=[^;]*\).*/\1/p')
        [ -n "$cookie" ] || { echo "signing in failed" >&2; exit 1; }
        session=(-H "cookie: $cookie")
    fi
    target/release/braid load -c 1 -n "$requests" "${session[@]}" "$@" "http://127.0.0.1:$PORT$PAGE" > /dev/null
    kill -TERM "$pid"
    wait "$pid" || true
    # quanta (under metrics-exporter-prometheus) calibrates its clock once per process
    # against wall time: millions of instructions that vary from run to run (±4,000 a
    # request at 4,000 requests), so they are left out.
    local total calibration
    total=$(awk '/^(summary|totals):/ {print $2; exit}' "$name")
    calibration=$(callgrind_annotate --inclusive=yes --threshold=100 "$name" 2>/dev/null |
        awk '/:quanta::Calibration::calibrate \[/ {gsub(",", "", $1); sum += $1} END {print sum + 0}')
    echo $(( total - calibration ))
}

I1=$(instructions "$N1" "$@")
I2=$(instructions "$N2" "$@")
echo "$PAGE: $(( (I2 - I1) / (N2 - N1) )) instructions per request ($N1 requests: $I1, $N2: $I2)"
