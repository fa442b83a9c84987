#!/usr/bin/env bash
# Runs the payments app locally, the way `func start` would, without Azure Functions Core Tools:
# builds the app and the local Functions host, starts Azurite, and serves the app on http://127.0.0.1:7071/.
# Usage: scripts/run.sh [--port 7071]      Ctrl+C stops the host (gracefully) and Azurite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/lib/azurite.sh

port=7071
if [[ "${1:-}" == "--port" && -n "${2:-}" ]]; then port=$2; fi

if [[ ! -f local.settings.json ]]; then
  cp local.settings.sample.json local.settings.json
  echo "Created local.settings.json from local.settings.sample.json (it is git-ignored; edit it freely)."
fi

[[ -x node_modules/.bin/azurite ]] || npm ci --no-audit --no-fund --loglevel=error

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

persistent_azurite_pid=
stop_all() {
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
