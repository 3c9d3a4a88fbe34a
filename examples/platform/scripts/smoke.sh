#!/bin/sh
# Smoke test over HTTP: the service is healthy and runs the expected version.
# `--inventory` prints [] (a smoke test creates nothing), so the orphan check can vouch for it.
set -eu
[ "${1:-}" = "--inventory" ] && { echo '[]'; exit 0; }
url="$1"
expected="${2:-$TUGBOAT_VERSION}"
node -e '
  const [url, expected] = process.argv.slice(1);
  (async () => {
    const health = await fetch(url + "/health");
    if (health.status !== 200) { console.error("health answered " + health.status); process.exit(1); }
    const version = (await (await fetch(url + "/version")).text()).trim();
    if (version !== expected) { console.error("expected version " + expected + ", the service runs " + version); process.exit(1); }
    console.log("smoke test passed: version " + version);
  })().catch((err) => { console.error(err.message); process.exit(75); });
' "$url" "$expected"
