#!/bin/sh
# A schema migration stand-in. `up` records the migration under .state/ (its side effect),
# `down` removes it, `list` prints what is applied (Tugboat's inventory for the orphan check).
# Idempotent: running `up` twice with the same TUGBOAT_IDEMPOTENCY_KEY changes nothing.
set -eu
state_dir="${PLATFORM_STATE_DIR:-.state}/migrations"
mkdir -p "$state_dir"
version="${TUGBOAT_VERSION:-1}"

case "${1:-}" in
  up)
    [ "${2:-}" = "--db" ] || { echo "usage: migrate.sh up --db <endpoint>" >&2; exit 64; }
    db="$3"
    [ -n "${DB_PASSWORD:-}" ] || { echo "DB_PASSWORD is not set" >&2; exit 78; }
    echo "migrating $db to schema $version"
    printf '%s\n' "$db" > "$state_dir/schema-$version.applied"
    printf '{"outputs":{"schema_version":"%s"},"resources":[{"id":"schema-%s","kind":"schema-migration"}]}\n' \
      "$version" "$version" > "$TUGBOAT_OUTPUTS"
    ;;
  down)
    # delete: this release created the schema; restore: put the previous one back.
    rm -f "$state_dir"/schema-*.applied
    if [ "${TUGBOAT_UNDO:-delete}" = "restore" ] && [ -n "${TUGBOAT_PREVIOUS_VERSION:-}" ]; then
      echo "restoring schema $TUGBOAT_PREVIOUS_VERSION"
      printf 'restored\n' > "$state_dir/schema-$TUGBOAT_PREVIOUS_VERSION.applied"
    else
      echo "dropped the schema"
    fi
    ;;
  list)
    printf '['
    sep=''
    for f in "$state_dir"/schema-*.applied; do
      [ -e "$f" ] || continue
      id=$(basename "$f" .applied)
      printf '%s{"id":"%s","kind":"schema-migration"}' "$sep" "$id"
      sep=','
    done
    printf ']\n'
    ;;
  *)
    echo "usage: migrate.sh up --db <endpoint> | down | list" >&2
    exit 64
    ;;
esac
