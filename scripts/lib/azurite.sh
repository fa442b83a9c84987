# Sourced by the scripts in this folder: starts a throw-away Azurite on loopback, on free ports, and stops it on exit.
# After azurite_start: AZURITE_CONNECTION_STRING holds a connection string for it, AZURITE_DIR its data folder.

AZURITE_WELL_KNOWN_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

azurite_free_ports() {
  # Three ports the kernel hands out now; a developer's own Azurite on 10000-10002 never collides.
  node -e '
    const net = require("net");
    const take = () => new Promise(r => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; r([s, p]); }); });
    Promise.all([take(), take(), take()]).then(all => { all.forEach(([s]) => s.close()); console.log(all.map(([, p]) => p).join(" ")); });'
}

azurite_wait_port() {
  local port=$1 deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "Azurite did not open port $port within 30 s; its log: $AZURITE_DIR/azurite.log" >&2
      tail -n 20 "$AZURITE_DIR/azurite.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

azurite_start() {
  local root=$1
  AZURITE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/azurite.XXXXXX")
  read -r AZURITE_BLOB_PORT AZURITE_QUEUE_PORT AZURITE_TABLE_PORT < <(azurite_free_ports)
  "$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --loose \
    --location "$AZURITE_DIR" \
    --blobHost 127.0.0.1 --blobPort "$AZURITE_BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$AZURITE_QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$AZURITE_TABLE_PORT" \
    >"$AZURITE_DIR/azurite.log" 2>&1 &
  AZURITE_PID=$!
  azurite_wait_port "$AZURITE_BLOB_PORT" && azurite_wait_port "$AZURITE_QUEUE_PORT" && azurite_wait_port "$AZURITE_TABLE_PORT" || return 1
  AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_WELL_KNOWN_KEY;BlobEndpoint=http://127.0.0.1:$AZURITE_BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$AZURITE_QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$AZURITE_TABLE_PORT/devstoreaccount1;"
  export AZURITE_CONNECTION_STRING AZURITE_DIR AZURITE_PID AZURITE_BLOB_PORT AZURITE_QUEUE_PORT AZURITE_TABLE_PORT
  echo "Azurite (pid $AZURITE_PID) on 127.0.0.1: blob $AZURITE_BLOB_PORT, queue $AZURITE_QUEUE_PORT, table $AZURITE_TABLE_PORT; data in $AZURITE_DIR"
}

azurite_stop() {
  if [[ -n "${AZURITE_PID:-}" ]] && kill -0 "$AZURITE_PID" 2>/dev/null; then
    kill "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
  fi
  [[ -n "${AZURITE_DIR:-}" ]] && rm -rf "$AZURITE_DIR"
  AZURITE_PID=
}
