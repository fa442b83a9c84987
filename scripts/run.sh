#!/usr/bin/env bash
# Runs the payments app locally, the way `func start` would, without Azure Functions Core Tools:
# builds the app and the local Functions host, starts Azurite, and serves the app on http://127.0.0.1:7071/.
# Usage: scripts/run.sh [--port 7071] [--dashboard]      Ctrl+C stops the host (gracefully), the dashboard and Azurite.
#   --dashboard  also starts the Aspire dashboard (NuGet package Aspire.Dashboard.Sdk.linux-x64, standalone, on loopback:
#                web page 18888, OTLP/gRPC 18889, OTLP/HTTP 18890) and sends the app's traces and metrics to it
#                (docs/observability.md). Its login URL, with a token made for this run, is printed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/lib/azurite.sh

port=7071
dashboard=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --dashboard) dashboard=true; shift ;;
    *) echo "Unknown option '$1'. Usage: scripts/run.sh [--port 7071] [--dashboard]" >&2; exit 2 ;;
  esac
done

if [[ ! -f local.settings.json ]]; then
  cp local.settings.sample.json local.settings.json
  echo "Created local.settings.json from local.settings.sample.json (it is git-ignored; edit it freely)."
fi

[[ -x node_modules/.bin/azurite ]] || npm ci --no-audit --no-fund --loglevel=error

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

persistent_azurite_pid=
dashboard_pid=
stop_all() {
  if [[ -n "$dashboard_pid" ]] && kill -0 "$dashboard_pid" 2>/dev/null; then
    kill "$dashboard_pid" 2>/dev/null || true
    wait "$dashboard_pid" 2>/dev/null || true
  fi
  if [[ -n "$persistent_azurite_pid" ]] && kill -0 "$persistent_azurite_pid" 2>/dev/null; then
    kill "$persistent_azurite_pid" 2>/dev/null || true
    wait "$persistent_azurite_pid" 2>/dev/null || true
  fi
  azurite_stop
}
trap stop_all EXIT

if ! port_in_use 10000 && ! port_in_use 10001 && ! port_in_use 10002; then
  # The well-known ports and a data folder that survives restarts: UseDevelopmentStorage=true just works.
  mkdir -p .azurite
  node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck --loose --location .azurite \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >.azurite/azurite.log 2>&1 &
  persistent_azurite_pid=$!
  AZURITE_DIR=.azurite
  azurite_wait_port 10000 && azurite_wait_port 10001 && azurite_wait_port 10002
  echo "Azurite (pid $persistent_azurite_pid) on 127.0.0.1:10000-10002; data in $root/.azurite"
else
  # Something holds the well-known ports: a throw-away Azurite on free ports, handed to the app through the
  # environment (which wins over local.settings.json, as with Core Tools).
  echo "Ports 10000-10002 are taken; starting a throw-away Azurite on free ports."
  azurite_start "$root"
  export AzureWebJobsStorage="$AZURITE_CONNECTION_STRING" PaymentsStorage="$AZURITE_CONNECTION_STRING"
fi

echo "Building the app and the local Functions host..."
dotnet build src/Payments.Functions/Payments.Functions.csproj --configuration Release --nologo -v quiet
dotnet build src/Functions.LocalHost/Functions.LocalHost.csproj --configuration Release --nologo -v quiet

# The app verifies tokens against .devkeys/jwks.json (Jwt:SigningKeysPath); minting a token creates that key set on
# first use, and gives you a token to call the API with right away.
dotnet build src/Payments.DevTokens/Payments.DevTokens.csproj --configuration Release --nologo -v quiet
token=$(dotnet src/Payments.DevTokens/bin/Release/net10.0/Payments.DevTokens.dll --sub merchant-1 --minutes 480)
echo
echo "A development token for merchant-1 (payments:read payments:write, 8 hours):"
echo "  export TOKEN=$token"
echo "Mint others with: dotnet run --project src/Payments.DevTokens -- --sub <merchant> [--scope ...]"
echo

if [[ "$dashboard" == true ]]; then
  source scripts/lib/dashboard.sh
  dashboard_start "$root"
  dashboard_pid=$DASHBOARD_PID
  # The app exports by the standard variables (docs/observability.md); the environment reaches the worker as app settings.
  export OTEL_EXPORTER_OTLP_ENDPOINT="$DASHBOARD_OTLP_GRPC_URL" OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
    OTEL_EXPORTER_OTLP_HEADERS="x-otlp-api-key=$DASHBOARD_OTLP_API_KEY" OTEL_SERVICE_NAME=payments-api \
    OTEL_METRIC_EXPORT_INTERVAL=5000 OTEL_BSP_SCHEDULE_DELAY=1000
  echo "Aspire dashboard (pid $dashboard_pid): open $DASHBOARD_LOGIN_URL"
  echo "  (the link signs you in for this run only; traces appear under Traces a second or so after a request)"
  echo
fi

dotnet src/Functions.LocalHost/bin/Release/net10.0/Functions.LocalHost.dll \
  --app src/Payments.Functions/bin/Release/net10.0 --port "$port" --settings "$root/local.settings.json" &
host_pid=$!
# A background job of a script ignores SIGINT, so Ctrl+C and SIGTERM are passed on to the host as SIGTERM;
# then the script waits for its graceful stop (WorkerTerminate) before stopping Azurite.
trap 'kill -TERM "$host_pid" 2>/dev/null || true' INT TERM
status=0
wait "$host_pid" || status=$?
wait "$host_pid" 2>/dev/null || true
exit $status
