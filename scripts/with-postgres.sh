#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster on a loopback port, its URL exported as
# PARLEY_TEST_POSTGRES_URL, and removes the cluster afterwards. Tests that need PostgreSQL read that variable.
# An existing PARLEY_TEST_POSTGRES_URL is used as it is.
set -uo pipefail
if [ -n "${PARLEY_TEST_POSTGRES_URL:-}" ]; then "$@"; exit $?; fi

if ! command -v initdb >/dev/null 2>&1; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pgbin" ] && PATH="$pgbin:$PATH"
fi
if ! command -v initdb >/dev/null 2>&1 || ! command -v pg_ctl >/dev/null 2>&1; then
  echo "with-postgres: initdb/pg_ctl not found; PostgreSQL tests will be skipped" >&2
  "$@"
  exit $?
fi

dir=$(mktemp -d /tmp/parley-pg.XXXXXX)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
as_owner() {
  # initdb refuses to run as root: hand the cluster to the postgres user.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
cleanup() {
  as_owner pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
as_owner initdb -D "$dir/data" -A trust -U parley >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
as_owner pg_ctl -D "$dir/data" -w -l "$dir/server.log" \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
export PARLEY_TEST_POSTGRES_URL="postgres://parley@127.0.0.1:$port/postgres"
echo "with-postgres: throwaway PostgreSQL on 127.0.0.1:$port" >&2
"$@"
