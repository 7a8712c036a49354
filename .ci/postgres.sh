#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (issue 19), from Debian's `postgresql` package.
#
#   eval "$(.ci/postgres.sh start)"   # prints the exports: TRACKD_TEST_PG_URL, TRACKD_TEST_PG_DIR
#   .ci/postgres.sh start --durable   # the same with fsync and full-page writes ON (bench/run.ts --pg)
#   .ci/postgres.sh stop              # stops the cluster in $TRACKD_TEST_PG_DIR and deletes it
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 only, on a free port, with
# trust authentication (nothing else can reach it) and fsync off (a test cluster never needs to
# survive a power cut; it starts in about a second). A benchmark must let PostgreSQL pay for its
# durability as SQLite pays for its fsyncs, so `--durable` keeps PostgreSQL's defaults. initdb refuses to run as root, so as root
# every server command runs as the `postgres` user the package creates.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  local dir port safety="-c fsync=off -c full_page_writes=off"
  if [ "${1:-}" = "--durable" ]; then safety="-c fsync=on -c full_page_writes=on"; fi
  # /tmp rather than $TMPDIR: the postgres user must be able to reach it.
  dir=$(mktemp -d /tmp/trackd-pg-XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  cd "$dir" # the server's user may not be allowed into the caller's directory
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # A port is free only until someone takes it: try a few.
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $safety -c max_connections=200" >/dev/null 2>&1; then
      echo "export TRACKD_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
      echo "export TRACKD_TEST_PG_DIR=$dir"
      return 0
    fi
  done
  cat "$dir/server.log" >&2
  exit 1
}

stop() {
  local dir=${TRACKD_TEST_PG_DIR:?postgres.sh stop: TRACKD_TEST_PG_DIR is not set}
  [ -d "$dir/data" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  *) echo "usage: $0 start [--durable]|stop" >&2; exit 2 ;;
esac
