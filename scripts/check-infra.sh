#!/usr/bin/env bash
# Offline checks of infra/: the pinned Bicep CLI builds the template and its parameters, lints them with the rules
# in infra/bicepconfig.json, and checks the formatting. Fails on any Warning or Error line, because the compiler
# exits 0 on warnings (an unknown or misspelled property is only a warning).
# Usage: scripts/check-infra.sh            (tests/Infra.Tests runs the same checks, and more, under dotnet test)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

version=$(sed -n 's:.*<BicepCliVersion>\(.*\)</BicepCliVersion>.*:\1:p' infra/tools/Bicep.Cli.props)
dotnet restore infra/tools/Bicep.Cli.csproj --verbosity quiet
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
# NuGet extraction does not keep the executable bit.
chmod +x "$bicep"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/output.txt"
status=0

run() {
  echo "\$ bicep $*" >>"$out"
  "$bicep" "$@" >>"$out" 2>&1 || status=1
}

# Example values, as a deployer would export them; main.bicepparam reads them from the environment.
export JWT_ISSUER="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
export JWT_AUDIENCE="api://payments"
export JWT_AUTHORITY="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"

mkdir -p artifacts/infra
run build infra/main.bicep --outdir artifacts/infra
run build-params infra/main.bicepparam --outfile artifacts/infra/main.parameters.json
run lint infra/main.bicep
run lint infra/main.bicepparam

for file in infra/main.bicep infra/main.bicepparam infra/modules/*.bicep; do
  formatted="$work/$(basename "$file")"
  "$bicep" format "$file" --outfile "$formatted" >>"$out" 2>&1 || status=1
  if ! diff -u "$file" "$formatted" >>"$out"; then
    echo "Error: $file is not formatted; run: bicep format $file" >>"$out"
    status=1
  fi
done

cat "$out"
if grep -qE 'Warning|Error' "$out"; then
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "check-infra: FAILED (Bicep CLI $version). Fix the lines above marked Warning or Error." >&2
  exit 1
fi
echo "check-infra: OK (Bicep CLI $version): build, build-params, lint and format are clean."
