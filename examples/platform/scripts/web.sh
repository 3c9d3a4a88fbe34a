#!/bin/sh
# Starts, stops and lists the demo web service (scripts/web-server.js) on $PORT. The server's
# output goes to a log file, never to this script's stdout: Tugboat waits for the step's output
# to close, so a background process holding it open would keep the step running forever.
set -eu
state_dir="${PLATFORM_STATE_DIR:-.state}/web"
mkdir -p "$state_dir"
pidfile="$state_dir/web.pid"

stop() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    # Wait for the port to be free before a restart reuses it.
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
    rm -f "$pidfile"
  fi
}

start() {
  version="$1"
  stop
  # setsid: the server is not in this step's process group, so it outlives the step.
  VERSION="$version" setsid node "$(dirname "$0")/web-server.js" >"$state_dir/web.log" 2>&1 </dev/null &
  echo $! > "$pidfile"
  echo "web $version started on port $PORT (pid $(cat "$pidfile"))"
  printf '{"outputs":{"url":"http://127.0.0.1:%s","version":"%s"},"resources":[{"id":"web-process","kind":"process"}]}\n' "$PORT" "$version" \
    > "${TUGBOAT_OUTPUTS:-/dev/null}"
}

case "${1:-}" in
  start) start "${TUGBOAT_VERSION:-dev}" ;;
  stop)
    stop
    if [ "${TUGBOAT_UNDO:-delete}" = "restore" ] && [ -n "${TUGBOAT_PREVIOUS_VERSION:-}" ]; then
      start "$TUGBOAT_PREVIOUS_VERSION"
    else
      echo "web stopped"
    fi
    ;;
  list)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo '["web-process"]'; else echo '[]'; fi
    ;;
  *) echo "usage: web.sh start | stop | list" >&2; exit 64 ;;
esac
