#!/usr/bin/env bash
# The dashboard smoke (issue 16), kept out of the test command: it needs Debian's Chromium and the ~125 MB dashboard.
# Starts `scripts/run.sh --dashboard`, sends one payment with a traceparent of its own, waits (never a fixed sleep)
# until the Aspire dashboard shows that trace with the queue-triggered charge in it, and writes the screenshot.
# Usage: scripts/dashboard-screenshot.sh [--out docs/dashboard-trace.png] [--port 7391] [--timeout 180]
# Needs: chromium (apt-get install chromium), Node.js; CHROMIUM=/path overrides /usr/bin/chromium.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

out=docs/dashboard-trace.png
port=7391
timeout=180
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "Unknown option '$1'. Usage: scripts/dashboard-screenshot.sh [--out FILE] [--port N] [--timeout SECONDS]" >&2; exit 2 ;;
  esac
done

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "No Chromium at $chromium. Install Debian's package (apt-get install chromium) or set CHROMIUM." >&2
  exit 1
fi
(cd tools/dashboard-smoke && npm ci --no-audit --no-fund --loglevel=error)

work="$root/artifacts/dashboard-smoke"
mkdir -p "$work"
log="$work/run.log"
deadline=$((SECONDS + timeout))

bash scripts/run.sh --dashboard --port "$port" >"$log" 2>&1 &
run_pid=$!
stop_run() {
  if kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
}
trap stop_run EXIT

wait_for() { # description, command...
  local what=$1; shift
  until "$@"; do
    if ! kill -0 "$run_pid" 2>/dev/null; then echo "scripts/run.sh stopped while waiting for $what; its output: $log" >&2; exit 1; fi
    if ((SECONDS > deadline)); then echo "Timed out waiting for $what; see $log" >&2; exit 1; fi
    sleep 0.5
  done
}
app_ready() { curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health"; }
wait_for "the login URL" grep -q "Aspire dashboard (pid" "$log"
wait_for "the app on port $port" app_ready

token=$(sed -n 's/^  export TOKEN=//p' "$log" | tail -1)
login=$(sed -n 's/.*open \(http:[^ ]*login?t=[0-9a-f]*\).*/\1/p' "$log" | tail -1)
trace_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
parent_id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

response=$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/payments" \
  -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -H "Idempotency-Key: \"$(cat /proc/sys/kernel/random/uuid)\"" \
  -H "traceparent: 00-$trace_id-$parent_id-01" \
  -d '{"amount": 1999, "currency": "EUR", "source": "tok_visa", "description": "Dashboard smoke"}')
payment_id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$response")
echo "Payment $payment_id accepted in trace $trace_id."

settled() { curl -fsS "http://127.0.0.1:$port/api/v1/payments/$payment_id" -H "Authorization: Bearer $token" | grep -q '"status":"succeeded"'; }
wait_for "payment $payment_id to be charged" settled

node tools/dashboard-smoke/screenshot.mjs --login "$login" --trace "$trace_id" --span "payment process" \
  --out "$out" --timeout $((deadline - SECONDS))
