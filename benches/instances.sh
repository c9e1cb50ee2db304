#!/usr/bin/env bash
# Throughput of one and then two braid instances on one PostgreSQL behind nginx
# (deploy/nginx-instances.conf), measured side by side in one run with `braid load`
# on the signed-in dashboard. Needs nginx and a PostgreSQL database seeded as wanted:
#
#   benches/instances.sh postgres://braid@127.0.0.1:5432/braid [connections] [duration]
#
# Prints req/s and latency for each count of instances. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
DATABASE=${1:?usage: benches/instances.sh POSTGRES_URL [connections] [duration]}
CONNECTIONS=${2:-32}
DURATION=${3:-10s}
OUT=target/instances
mkdir -p "$OUT"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
BRAID=target/release/braid
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

start_instance() {
    local port=$1
    "$BRAID" serve --addr "127.0.0.1:$port" --database "$DATABASE" --behind-proxy \
        --demo-user user@nextmail.com:123456 \
        > "$OUT/braid.$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/bench/s0" > /dev/null && return; sleep 0.1; done
    echo "instance on $port did not start" >&2; exit 1
}

run_nginx() {
    local upstreams=$1
    local server
    server=$(awk -v ups="$upstreams" '
        /server 127\.0\.0\.1:300[0-9]/ { if (!done) { n = split(ups, a, " "); for (i = 1; i <= n; i++) print "    server 127.0.0.1:" a[i] " max_fails=1 fail_timeout=1s;"; done = 1 } next }
        /listen 80;/ { print "    listen 127.0.0.1:3400;"; next }
        { print }' deploy/nginx-instances.conf)
    cat > "$OUT/nginx.conf" <<CONF
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    proxy_temp_path $PWD/$OUT/proxy;
    client_body_temp_path $PWD/$OUT/body;
$server
}
CONF
    "$NGINX" -p "$PWD/$OUT" -c "$PWD/$OUT/nginx.conf" -e "$PWD/$OUT/nginx.error.log" \
        -g "daemon off; master_process off; pid $PWD/$OUT/nginx.pid;" &
    pids+=($!)
    sleep 0.5
}

sign_in() {
    curl -s -D - -o /dev/null -H "Origin: http://127.0.0.1:3400" \
        --data "email=user@nextmail.com&password=123456" http://127.0.0.1:3400/login \
        | awk 'tolower($1) == "set-cookie:" { split($2, c, ";"); print c[1] }'
}

start_instance 3001
for instances in "3001" "3001 3002"; do
    [ "$instances" = "3001 3002" ] && start_instance 3002
    run_nginx "$instances"
    cookie=$(sign_in)
    echo "== $(wc -w <<< "$instances") instance(s), $CONNECTIONS connections, $DURATION, /dashboard"
    "$BRAID" load -c "$CONNECTIONS" -d "$DURATION" --warmup 1s -H "Cookie: $cookie" \
        http://127.0.0.1:3400/dashboard 2>/dev/null | grep -E "req/s|ttfb|total|errors"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
done
