#!/usr/bin/env bash
# The benchmark (docs/performance.md): the app under the local Functions host against a throw-away Azurite on this
# machine, each scenario at 1, 8 and 32 clients, with raw storage baselines measured in the same run.
# Usage: scripts/bench.sh [--duration SECONDS (5)] [--clients 1,8,32] [--drain N (300)] [--scenarios a,b] [--baselines proxy|direct] [--out DIR] [--micro]
#   --micro  also runs the BenchmarkDotNet micro-benchmarks (JWT verification, request fingerprinting).
#   --baselines  the raw baselines' table requests through a proxy like the app's (proxy, the default) or direct; the app always goes through the strict guard's proxy.
# Report: artifacts/bench-<timestamp>/report.md, report.json, chart.svg.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/lib/azurite.sh

micro=false
args=()
for arg in "$@"; do
  if [[ "$arg" == "--micro" ]]; then micro=true; else args+=("$arg"); fi
done
has_out=false
for arg in "${args[@]}"; do [[ "$arg" == "--out" ]] && has_out=true; done
if [[ "$has_out" == false ]]; then
  out="$root/artifacts/bench-$(date -u +%Y%m%d-%H%M%S)"
  args+=(--out "$out")
else
  out=""
fi

[[ -x node_modules/.bin/azurite ]] || npm ci --no-audit --no-fund --loglevel=error
echo "Building the app and the load driver (Release)..."
dotnet build src/Payments.Functions/Payments.Functions.csproj --configuration Release --nologo --verbosity quiet
dotnet build tests/Payments.LoadDriver/Payments.LoadDriver.csproj --configuration Release --nologo --verbosity quiet

trap azurite_stop EXIT
azurite_start "$root"
dotnet tests/Payments.LoadDriver/bin/Release/net10.0/Payments.LoadDriver.dll bench --storage "$AZURITE_CONNECTION_STRING" "${args[@]}"

if [[ "$micro" == true ]]; then
  echo "Micro-benchmarks (BenchmarkDotNet, in-process)..."
  dotnet run --project tests/Payments.Benchmarks --configuration Release -- --filter '*FingerprintBenchmarks*' '*JwtVerificationBenchmarks*'
  if [[ -n "$out" && -d BenchmarkDotNet.Artifacts/results ]]; then
    mkdir -p "$out/micro" && cp BenchmarkDotNet.Artifacts/results/*-report-github.md "$out/micro/" 2>/dev/null || true
    echo "Micro-benchmark tables copied to $out/micro/"
  fi
fi
