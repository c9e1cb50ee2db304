#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of every Acme page,
# signed in, in Lighthouse's default mobile emulation, with Debian's chromium. Needs
# chromium, curl and npm (it installs lighthouse 12 into target/lighthouse). Release build.
#
#   benches/lighthouse.sh          # prints one line of scores per page; JSON in target/lighthouse/
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/lighthouse
PORT=3300
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT"
[ -x "$OUT/node_modules/.bin/lighthouse" ] || npm install --prefix "$OUT" --no-save lighthouse@12 > "$OUT/npm.log" 2>&1
cargo build --release --quiet
rm -f "$OUT"/lighthouse.sqlite3*
RUST_LOG=warn target/release/braid serve --addr "127.0.0.1:$PORT" --database "$OUT/lighthouse.sqlite3" > "$OUT/server.log" 2>&1 &
BRAID_PID=$!
trap 'kill $BRAID_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$BASE/" > /dev/null && break; sleep 0.1; done

COOKIE=$(curl -s -o /dev/null -D - --data 'email=user@nextmail.com&password=123456' "$BASE/login" \
    | sed -n 's/^[Ss]et-[Cc]ookie: \(braid_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "sign-in failed" >&2; exit 1; }

FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
for page in / /login /dashboard /invoices /invoices/1 /invoices/create /invoices/1/edit /customers; do
    name=$(echo "$page" | tr / _)
    headers="{\"Cookie\":\"$COOKIE\"}"
    [ "$page" = /login ] && headers="{}"  # signed in, /login redirects to the dashboard
    CHROME_PATH=$(command -v chromium) "$OUT/node_modules/.bin/lighthouse" "$BASE$page" --quiet \
        --chrome-flags="$FLAGS" --extra-headers "$headers" \
        --only-categories=performance,accessibility,best-practices,seo \
        --output json --output-path "$OUT/page$name.json" > /dev/null 2>&1
    python3 - "$OUT/page$name.json" "$page" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scores = "  ".join(f"{key} {round(cat['score'] * 100)}" for key, cat in report["categories"].items())
print(f"{sys.argv[2]:<18} {scores}")
for key, cat in report["categories"].items():
    for ref in cat["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
            print(f"    {key}: {ref['id']} {audit['score']} {audit.get('displayValue', '')}")
PY
done
