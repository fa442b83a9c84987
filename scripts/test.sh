#!/usr/bin/env bash
# The whole test suite, as CI runs it: pinned dev tools, a throw-away Azurite on loopback, every test project.
# Usage: scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/lib/azurite.sh

started=$SECONDS
npm ci --no-audit --no-fund --loglevel=error
trap azurite_stop EXIT
azurite_start "$root"
export PAYMENTS_TEST_STORAGE="$AZURITE_CONNECTION_STRING"

# The idempotency library as packages in a local folder feed, and a second app built against them
# (samples/IdempotentOrders, outside the solution because it restores from this feed; tests/IdempotentOrders.Tests
# runs it). Each run packs a version of its own, so a copy NuGet cached under an earlier pack's version never stands in.
package_version="$(dotnet msbuild src/Idempotency.Tables/Idempotency.Tables.csproj -getProperty:Version)-local.$(date -u +%Y%m%d%H%M%S).$$"
rm -f artifacts/packages/Idempotency.*-local.*.nupkg
for library in src/Idempotency.Tables src/Idempotency.Functions; do
  dotnet pack "$library" --configuration Release --output artifacts/packages -p:PackageVersion="$package_version" -m:1 -nologo
done
dotnet build samples/IdempotentOrders --configuration Release -p:IdempotencyPackageVersion="$package_version" -m:1 -nologo

log="$AZURITE_DIR/dotnet-test.log"
status=0
dotnet test Functions.sln --configuration Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
# One closing line over every test project (dotnet test prints a summary per project).
awk '/^ +Passed: [0-9]+$/ {p += $2} /^ +Failed: [0-9]+$/ {f += $2} /^ +Skipped: [0-9]+$/ {s += $2}
     END {printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s}' "$log"
echo "Test command finished in $((SECONDS - started)) s with exit code $status."
exit $status
