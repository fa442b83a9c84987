#!/usr/bin/env bash
# The benchmark (docs/performance.md): the app under the local Functions host against a throw-away Azurite on this
# machine, each scenario at 1 and 8 clients beside a raw storage baseline doing the same storage requests, measured in
# the same run; a traced phase for the per-request breakdown; the local host's own overhead.
# Usage: scripts/bench.sh [--duration SECONDS (5)] [--clients 1,8] [--scenarios a,b] [--baselines proxy|direct] [--breakdown SECONDS (3)] [--host-seconds N (3)] [--out DIR] [--micro]
#   --micro  also runs the BenchmarkDotNet micro-benchmarks (JWT verification, request fingerprinting).
#   --baselines  the raw baselines' table requests through a proxy like the app's (proxy, the default) or direct; the app always goes through the strict guard's proxy.
#   --breakdown  seconds of the traced phase (0 skips it); --host-seconds  seconds per row of the local host's measurement (0 skips it).
# Report: artifacts/bench-<timestamp>/report.md, report.json, chart.svg.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/lib/azurite.sh

micro=false
host_seconds=3
args=()
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --micro) micro=true; shift ;;
    --host-seconds) host_seconds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
out=${out:-"$root/artifacts/bench-$(date -u +%Y%m%d-%H%M%S)"}
mkdir -p "$out"
args+=(--out "$out")

[[ -x node_modules/.bin/azurite ]] || npm ci --no-audit --no-fund --loglevel=error
echo "Building the app and the load driver (Release)..."
dotnet build src/Payments.Functions/Payments.Functions.csproj --configuration Release --nologo --verbosity quiet
dotnet build tests/Payments.LoadDriver/Payments.LoadDriver.csproj --configuration Release --nologo --verbosity quiet
if [[ "$host_seconds" != 0 ]]; then
  dotnet build tests/Functions.LocalHost.Benchmarks/Functions.LocalHost.Benchmarks.csproj --configuration Release --nologo --verbosity quiet
  echo "The local host's own overhead (sample app, two starts in one process, HTTP vs raw gRPC at 1 and 16 clients)..."
  dotnet tests/Functions.LocalHost.Benchmarks/bin/Release/net10.0/Functions.LocalHost.Benchmarks.dll --seconds "$host_seconds" --starts 2 --json "$out/host-bench.json"
  args+=(--host-bench "$out/host-bench.json")
fi

trap azurite_stop EXIT
azurite_start "$root"
dotnet tests/Payments.LoadDriver/bin/Release/net10.0/Payments.LoadDriver.dll bench --storage "$AZURITE_CONNECTION_STRING" "${args[@]}"

if [[ "$micro" == true ]]; then
  echo "Micro-benchmarks (BenchmarkDotNet, in-process)..."
  dotnet run --project tests/Payments.Benchmarks --configuration Release -- --filter '*FingerprintBenchmarks*' '*JwtVerificationBenchmarks*'
  if [[ -d BenchmarkDotNet.Artifacts/results ]]; then
    mkdir -p "$out/micro" && cp BenchmarkDotNet.Artifacts/results/*-report-github.md "$out/micro/" 2>/dev/null || true
    echo "Micro-benchmark tables copied to $out/micro/"
  fi
fi
