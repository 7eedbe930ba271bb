#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the itsm/sqlstore tests
# and prints the environment the tests read, as a shell line on stdout:
#
#   export ITSMSYNC_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:55432/itsmsync_test?sslmode=disable'
#
# Everything else (progress, timings, errors) goes to stderr, so callers can do
#   eval "$(bash .ci/postgres.sh)"          # or: source <(bash .ci/postgres.sh)
#   bash .ci/postgres.sh stop               # stop the server (data kept)
#   bash .ci/postgres.sh destroy            # stop and delete the data directory
#   bash .ci/postgres.sh status             # exit 0 when running
#
# What it does (idempotent: re-running while the server is up only re-prints
# the export line):
#   1. installs Debian's postgresql package when no server binaries exist
#      (apt-get update once + apt-get install -y; needs root);
#   2. initdb into $ITSMSYNC_PG_DIR/data (default /tmp/itsmsync-pg) with trust
#      authentication: the server listens on 127.0.0.1 only and its Unix
#      socket lives in $ITSMSYNC_PG_DIR/sock, never the system one; it is for
#      tests only (fsync off);
#   3. starts it on $ITSMSYNC_PG_PORT (default 55432) as the postgres OS user
#      when run as root (runuser), or as the current user otherwise;
#   4. waits for pg_isready (bounded: $ITSMSYNC_PG_WAIT seconds, default 60);
#   5. creates the database $ITSMSYNC_PG_DB (default itsmsync_test).
# Tests create one schema per test inside that database and drop it after.
set -euo pipefail

PGDIR_BASE="${ITSMSYNC_PG_DIR:-/tmp/itsmsync-pg}"
PORT="${ITSMSYNC_PG_PORT:-55432}"
DB="${ITSMSYNC_PG_DB:-itsmsync_test}"
WAIT="${ITSMSYNC_PG_WAIT:-60}"
DATA="$PGDIR_BASE/data"
SOCK="$PGDIR_BASE/sock"
LOG="$PGDIR_BASE/server.log"
cmd="${1:-start}"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

start_ts=$(date +%s.%N)
elapsed() { awk -v s="$start_ts" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1fs", e - s }'; }

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
    echo "$d"
  fi
}

BINDIR=$(find_bindir)
if [ -z "$BINDIR" ]; then
  [ "$cmd" = start ] || die "PostgreSQL is not installed"
  [ "$(id -u)" = 0 ] || die "PostgreSQL server is not installed and this is not root: apt-get install postgresql"
  command -v apt-get >/dev/null || die "PostgreSQL server is not installed and apt-get is missing"
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  BINDIR=$(find_bindir)
  [ -n "$BINDIR" ] || die "postgresql installed but no server binaries under /usr/lib/postgresql"
  log "installed in $(elapsed)"
fi

# Run PostgreSQL commands as the postgres OS user when we are root (the server
# refuses to run as root), as ourselves otherwise.
if [ "$(id -u)" = 0 ]; then
  RUNAS=postgres
  if ! id "$RUNAS" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$RUNAS"
  fi
  as_pg() { runuser -u "$RUNAS" -- "$@"; }
else
  RUNAS=$(id -un)
  as_pg() { "$@"; }
fi

pg() { as_pg "$BINDIR/$1" "${@:2}" 9>&-; } # fd 9 (the lock) must not leak into the server
running() { [ -f "$DATA/PG_VERSION" ] && pg pg_ctl -D "$DATA" status >/dev/null 2>&1; }

# One invocation at a time (CI steps or several test runs may call this
# together): the lock file sits beside the data directory, which destroy
# removes.
LOCK="$PGDIR_BASE.lock"
exec 9>>"$LOCK"
chmod 666 "$LOCK" 2>/dev/null || true
command -v flock >/dev/null && { flock -w "$((WAIT * 2))" 9 || die "timed out waiting for $LOCK"; }

case "$cmd" in
  status)
    running && { log "running on 127.0.0.1:$PORT ($DATA)"; exit 0; }
    log "not running"; exit 1 ;;
  stop|destroy)
    if running; then
      pg pg_ctl -D "$DATA" -m fast -w -t "$WAIT" stop >&2
      log "stopped"
    else
      log "not running"
    fi
    if [ "$cmd" = destroy ]; then rm -rf "$PGDIR_BASE" "$LOCK"; log "removed $PGDIR_BASE"; fi
    exit 0 ;;
  start) ;;
  *) die "usage: $0 [start|stop|destroy|status]" ;;
esac

mkdir -p "$PGDIR_BASE" "$SOCK"
chown "$RUNAS" "$PGDIR_BASE" "$SOCK"
chmod 700 "$PGDIR_BASE"

if [ ! -f "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"
  log "initdb $DATA ($("$BINDIR/postgres" --version))"
  pg initdb -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>"$PGDIR_BASE/initdb.log" ||
    pg initdb -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null 2>"$PGDIR_BASE/initdb.log" ||
    { cat "$PGDIR_BASE/initdb.log" >&2; die "initdb failed"; }
fi

if running; then
  log "already running on 127.0.0.1:$PORT"
else
  log "starting on 127.0.0.1:$PORT"
  opts="-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c max_connections=300"
  opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  # A server killed hard leaves backends that hold its shared memory for a
  # moment: retry a few times before giving up.
  started=""
  for attempt in 1 2 3; do
    if pg pg_ctl -D "$DATA" -l "$LOG" -w -t "$WAIT" -o "$opts" start >/dev/null; then started=1; break; fi
    log "start attempt $attempt failed"
    sleep 2
  done
  if [ -z "$started" ]; then
    tail -n 30 "$LOG" >&2 || true
    die "pg_ctl start failed (is port $PORT taken? set ITSMSYNC_PG_PORT)"
  fi
fi

ready=""
for _ in $(seq 1 "$((WAIT * 5))"); do
  if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { tail -n 30 "$LOG" >&2 || true; die "server not ready after ${WAIT}s"; }

psql_admin() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE \"$DB\"" >&2
  log "created database $DB"
fi

log "ready in $(elapsed)"
echo "export ITSMSYNC_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable'"
