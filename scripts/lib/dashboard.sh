#!/usr/bin/env bash
# The standalone Aspire dashboard for `scripts/run.sh --dashboard`: restored once into the NuGet cache by
# tools/AspireDashboard (PackageDownload, ~125 MB), run as a plain process on loopback, never a container.
# Both doors are locked even on loopback: the web page by a browser token and OTLP by an API key, each made fresh
# for the run (another local user or a stray exporter cannot read or write the run's telemetry).

dashboard_ui_port=${DASHBOARD_UI_PORT:-18888}
dashboard_grpc_port=${DASHBOARD_OTLP_GRPC_PORT:-18889}
dashboard_http_port=${DASHBOARD_OTLP_HTTP_PORT:-18890}

dashboard_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets DASHBOARD_PID, DASHBOARD_LOGIN_URL, DASHBOARD_UI_URL, DASHBOARD_OTLP_GRPC_URL, DASHBOARD_OTLP_HTTP_URL, DASHBOARD_OTLP_API_KEY.
dashboard_start() {
  local root=$1
  local project="$root/tools/AspireDashboard/AspireDashboard.csproj"
  local package version executable log port
  package=$(sed -n 's:.*<AspireDashboardPackageId>\(.*\)</AspireDashboardPackageId>.*:\1:p' "$project")
  version=$(sed -n 's:.*<AspireDashboardVersion>\(.*\)</AspireDashboardVersion>.*:\1:p' "$project")
  for port in "$dashboard_ui_port" "$dashboard_grpc_port" "$dashboard_http_port"; do
    if dashboard_port_in_use "$port"; then
      echo "Port $port on 127.0.0.1 is taken; the dashboard needs $dashboard_ui_port-$dashboard_http_port" \
        "(or set DASHBOARD_UI_PORT, DASHBOARD_OTLP_GRPC_PORT, DASHBOARD_OTLP_HTTP_PORT)." >&2
      return 1
    fi
  done

  echo "Restoring the Aspire dashboard ($package $version; ~125 MB the first time)..."
  dotnet restore "$project" --verbosity quiet
  executable="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
  executable="${executable%/}/${package,,}/$version/tools/Aspire.Dashboard"
  if [[ ! -f "$executable" ]]; then
    echo "The dashboard is not at $executable after the restore; check the NuGet source serves $package $version." >&2
    return 1
  fi
  chmod +x "$executable"

  local browser_token
  browser_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  DASHBOARD_OTLP_API_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  DASHBOARD_UI_URL="http://127.0.0.1:$dashboard_ui_port"
  DASHBOARD_LOGIN_URL="$DASHBOARD_UI_URL/login?t=$browser_token"
  DASHBOARD_OTLP_GRPC_URL="http://127.0.0.1:$dashboard_grpc_port"
  DASHBOARD_OTLP_HTTP_URL="http://127.0.0.1:$dashboard_http_port"
  log="$root/artifacts/dashboard.log"
  mkdir -p "$root/artifacts"

  # Settings by environment (the dashboard's documented configuration keys); its log goes to a file because it
  # prints the login URL, which the caller prints once itself.
  ASPNETCORE_URLS="$DASHBOARD_UI_URL" \
  ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="$DASHBOARD_OTLP_GRPC_URL" \
  ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL="$DASHBOARD_OTLP_HTTP_URL" \
  DASHBOARD__FRONTEND__AUTHMODE=BrowserToken \
  DASHBOARD__FRONTEND__BROWSERTOKEN="$browser_token" \
  DASHBOARD__OTLP__AUTHMODE=ApiKey \
  DASHBOARD__OTLP__PRIMARYAPIKEY="$DASHBOARD_OTLP_API_KEY" \
    "$executable" >"$log" 2>&1 &
  DASHBOARD_PID=$!

  local deadline=$((SECONDS + 60))
  until dashboard_port_in_use "$dashboard_ui_port" && dashboard_port_in_use "$dashboard_grpc_port"; do
    if ! kill -0 "$DASHBOARD_PID" 2>/dev/null; then
      echo "The dashboard exited while starting; its log: $log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "The dashboard did not listen on $dashboard_ui_port within 60 s; its log: $log" >&2
      return 1
    fi
    sleep 0.2
  done
}
