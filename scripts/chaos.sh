#!/usr/bin/env bash
# The chaos run (docs/reliability.md): concurrent clients create payments and retry their keys while the worker is
# killed, Azurite is stopped and restarted, a fraction of the app's storage calls fail, and duplicate and poison
# messages are injected (some timed to land while a tok_slowCharge charge is in flight); then the money invariants
# (net charges: charges - refunds) are checked and printed with counts. Loopback only, bounded.
# Usage: scripts/chaos.sh [--budget SECONDS (150)] [--clients N (8)] [--fault-rate 0..1 (0.05)] [--out DIR]
# Exit status: 0 when every invariant holds, 1 when one fails. Report: artifacts/chaos-<timestamp>/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

[[ -x node_modules/.bin/azurite ]] || npm ci --no-audit --no-fund --loglevel=error
echo "Building the app and the load driver (Release)..."
dotnet build src/Payments.Functions/Payments.Functions.csproj --configuration Release --nologo --verbosity quiet
dotnet build tests/Payments.LoadDriver/Payments.LoadDriver.csproj --configuration Release --nologo --verbosity quiet
# The driver owns its Azurite (it has to stop and restart it), started as scripts/lib/azurite.sh does.
exec dotnet tests/Payments.LoadDriver/bin/Release/net10.0/Payments.LoadDriver.dll chaos "$@"
