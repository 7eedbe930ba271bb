#!/usr/bin/env bash
# Starts a throwaway Request Tracker 5 on loopback for the providers/rt
# integration test and prints the environment the test reads, as one shell
# line on stdout:
#
#   export ITSMSYNC_TEST_RT_URL='http://127.0.0.1:PORT' ITSMSYNC_TEST_RT_TOKEN='2-…' …
#
# Everything else (progress, timings, errors) goes to stderr, so callers can do
#   eval "$(bash .ci/rt.sh)"          # start (or re-print the env when running)
#   bash .ci/rt.sh stop               # stop the server (database kept)
#   bash .ci/rt.sh destroy            # stop and delete the instance directory
#   bash .ci/rt.sh status             # exit 0 when running
#
# What it does (idempotent: re-running while the server is up only re-prints
# the export line):
#   1. installs Debian's RT packages when missing (apt-get update once, then
#      apt-get install -y --no-install-recommends request-tracker5
#      rt5-db-sqlite rt5-standalone; needs root). rt5-standalone brings
#      Starlet, the prefork server rt-server uses by default;
#   2. writes a site configuration of its own into $ITSMSYNC_RT_DIR/etc
#      (default /tmp/itsmsync-rt) and points RT at it with RT_SITE_CONFIG and
#      RT_SITE_CONFIG_DIR, so /etc/request-tracker5 and its Debian-managed
#      database are never read: SQLite database, Mason caches and logs under
#      the instance directory, no outgoing mail (MailCommand mbox writes to a
#      file), web on 127.0.0.1:$ITSMSYNC_RT_PORT;
#   3. initializes the database (rt-setup-database --action init), then
#      inserts providers/rt/testdata/rt/itsmsync-test-setup.pm (queue
#      "itsmsync", privileged API user "itsmsync" with the preset's rights,
#      custom field "itsmsync correlation" applied to the queue) and
#      providers/rt/testdata/rt/itsmsync-webhook.pm (the Scrip that POSTs the
#      JSON webhook to the URL in $ITSMSYNC_RT_DIR/callback.url with the
#      callback token read from $ITSMSYNC_RT_DIR/callback.token);
#   4. creates an RT auth token for the API user (Authorization: token …);
#   5. starts rt-server on 127.0.0.1 only and waits until REST2 answers with
#      that token (bounded: $ITSMSYNC_RT_WAIT seconds, default 120).
# The whole script is bounded: every wait has a limit, and the install is
# bounded by $ITSMSYNC_RT_INSTALL_WAIT seconds (default 900).
#
# The test owns the callback side: it listens on a loopback port of its own
# and writes its URL into ITSMSYNC_TEST_RT_CALLBACK_URL_FILE and the token it
# issues into ITSMSYNC_TEST_RT_CALLBACK_TOKEN_FILE before RT sends anything
# (the Scrip reads both at every delivery).
set -euo pipefail

RTDIR="${ITSMSYNC_RT_DIR:-/tmp/itsmsync-rt}"
WAIT="${ITSMSYNC_RT_WAIT:-120}"
INSTALL_WAIT="${ITSMSYNC_RT_INSTALL_WAIT:-900}"
SHARE=/usr/share/request-tracker5
SETUPDB=/usr/sbin/rt-setup-database
SERVER="$SHARE/libexec/rt-server"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$HERE/providers/rt/testdata/rt"
cmd="${1:-start}"

log() { printf 'rt.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

start_ts=$(date +%s.%N)
elapsed() { awk -v s="$start_ts" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1fs", e - s }'; }

installed() {
  [ -x "$SERVER" ] && [ -x "$SETUPDB" ] &&
    perl -MDBD::SQLite -MStarlet -e1 2>/dev/null
}

free_port() { # first port from $1 nothing listens on (bounded: 50 tries)
  local p=$1
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    p=$((p + 1))
  done
  die "no free port from $1"
}

export RT_SITE_CONFIG="$RTDIR/etc/RT_SiteConfig.pm"
export RT_SITE_CONFIG_DIR="$RTDIR/etc/RT_SiteConfig.d"
PIDFILE="$RTDIR/server.pid"

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

print_env() {
  local port
  port=$(cat "$RTDIR/port")
  printf "export ITSMSYNC_TEST_RT_URL='http://127.0.0.1:%s' ITSMSYNC_TEST_RT_TOKEN='%s'" "$port" "$(cat "$RTDIR/api.token")"
  printf " ITSMSYNC_TEST_RT_QUEUE='itsmsync' ITSMSYNC_TEST_RT_CF='itsmsync correlation'"
  printf " ITSMSYNC_TEST_RT_ROOT_PASSWORD='password'"
  printf " ITSMSYNC_TEST_RT_CALLBACK_URL_FILE='%s' ITSMSYNC_TEST_RT_CALLBACK_TOKEN_FILE='%s'\n" "$RTDIR/callback.url" "$RTDIR/callback.token"
}

# One invocation at a time per instance directory.
mkdir -p "$(dirname "$RTDIR")"
LOCK="$RTDIR.lock"
exec 9>>"$LOCK"
command -v flock >/dev/null && { flock -w "$((WAIT + INSTALL_WAIT))" 9 || die "timed out waiting for $LOCK"; }

stop_server() {
  if running; then
    local pid
    pid=$(cat "$PIDFILE")
    # TERM, not INT: rt-server run as root chowns /var/lib/request-tracker5
    # on INT. The server runs in its own process group (setsid): end the
    # whole group (Starlet's workers) by the leader's id.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped"
  else
    log "not running"
  fi
  rm -f "$PIDFILE"
}

case "$cmd" in
  status)
    running && { log "running on http://127.0.0.1:$(cat "$RTDIR/port") ($RTDIR)"; exit 0; }
    log "not running"; exit 1 ;;
  stop|destroy)
    stop_server
    if [ "$cmd" = destroy ]; then rm -rf "$RTDIR" "$LOCK"; log "removed $RTDIR"; fi
    exit 0 ;;
  start) ;;
  *) die "usage: $0 [start|stop|destroy|status]" ;;
esac

if ! installed; then
  [ "$(id -u)" = 0 ] || die "Request Tracker is not installed and this is not root: apt-get install request-tracker5 rt5-db-sqlite rt5-standalone"
  command -v apt-get >/dev/null || die "Request Tracker is not installed and apt-get is missing"
  log "installing Debian's request-tracker5 rt5-db-sqlite rt5-standalone"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists must be current: a stale list names .debs the mirror
  # no longer has (404) once a security update replaced them.
  timeout "$INSTALL_WAIT" apt-get update -qq >&2 || die "apt-get update failed"
  timeout "$INSTALL_WAIT" apt-get install -y -qq --no-install-recommends \
    request-tracker5 rt5-db-sqlite rt5-standalone >&2 || die "apt-get install failed"
  installed || die "installed, but $SERVER, $SETUPDB, DBD::SQLite or Starlet is missing"
  log "installed in $(elapsed)"
fi

if running; then
  log "already running on http://127.0.0.1:$(cat "$RTDIR/port")"
  print_env
  exit 0
fi

# A fresh instance each start unless the database is complete (a previous
# stop keeps it): any half-made directory is removed first.
if [ ! -f "$RTDIR/ready" ]; then
  rm -rf "$RTDIR"
  mkdir -p "$RTDIR/etc/RT_SiteConfig.d" "$RTDIR/db" "$RTDIR/mason" "$RTDIR/sessions" "$RTDIR/log"
  chmod 700 "$RTDIR"
  key=$(printf '%s' "$HERE" | cksum | cut -d' ' -f1)
  # Above Linux's ephemeral range (32768-60999): no outgoing connection
  # holds the port.
  port="${ITSMSYNC_RT_PORT:-$(free_port $((61000 + key % 4000)))}"
  echo "$port" >"$RTDIR/port"
  : >"$RTDIR/callback.url"
  : >"$RTDIR/callback.token"
  chmod 600 "$RTDIR/callback.token"

  cat >"$RT_SITE_CONFIG" <<EOF
# Written by .ci/rt.sh: a throwaway RT for tests, on loopback only.
Set(\$rtname, 'itsmsync-test');
Set(\$Organization, 'itsmsync.test');
Set(\$Timezone, 'UTC');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $port);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$port');
Set(@ReferrerWhitelist, qw(127.0.0.1:$port localhost:$port));
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$RTDIR/db/rtdb');
Set(\$MasonDataDir, '$RTDIR/mason');
Set(\$MasonSessionDir, '$RTDIR/sessions');
Set(\$LogDir, '$RTDIR/log');
Set(\$LogToFile, 'warning');
Set(\$LogToFileNamed, 'rt.log');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, undef);
Set(\$MailCommand, 'mbox');
Set(\$CorrespondAddress, 'rt@itsmsync.invalid');
Set(\$CommentAddress, 'rt-comment@itsmsync.invalid');
Set(\$DisableGraphViz, 1);
Set(\$DisableGD, 1);
# The itsmsync webhook Scrip (providers/rt/testdata/rt/itsmsync-webhook.pm).
Set(\$ITSMSyncWebhookURLFile, '$RTDIR/callback.url');
Set(\$ITSMSyncWebhookTokenFile, '$RTDIR/callback.token');
Set(\$ITSMSyncWebhookTimeout, 10);
Set(@ITSMSyncWebhookSkipActors, 'itsmsync');
1;
EOF

  log "initializing the database ($RTDIR/db/rtdb)"
  timeout "$WAIT" "$SETUPDB" --action init --skip-create >"$RTDIR/setup.log" 2>&1 ||
    timeout "$WAIT" "$SETUPDB" --action init >>"$RTDIR/setup.log" 2>&1 ||
    { tail -n 30 "$RTDIR/setup.log" >&2; die "rt-setup-database --action init failed"; }
  for f in itsmsync-test-setup.pm itsmsync-webhook.pm; do
    timeout "$WAIT" "$SETUPDB" --action insert --skip-create --datafile "$DATA/$f" >>"$RTDIR/setup.log" 2>&1 ||
      { tail -n 30 "$RTDIR/setup.log" >&2; die "inserting $f failed"; }
    if grep -q '\[error\]\|\[crit\]' "$RTDIR/setup.log"; then
      grep '\[error\]\|\[crit\]' "$RTDIR/setup.log" >&2; die "inserting $f logged errors"
    fi
  done

  log "creating the API user's auth token"
  timeout "$WAIT" perl -I"$SHARE/lib" -e '
    use strict; use warnings;
    use RT; RT::LoadConfig(); RT::Init();
    my $u = RT::User->new(RT->SystemUser);
    $u->Load("itsmsync"); $u->id or die "no itsmsync user\n";
    my $t = RT::AuthToken->new(RT->SystemUser);
    my ($id, $msg, $auth) = $t->Create(Owner => $u->id, Description => "itsmsync integration test");
    $id or die "token: $msg\n";
    print "$auth\n";
  ' >"$RTDIR/api.token" 2>>"$RTDIR/setup.log" || { tail -n 20 "$RTDIR/setup.log" >&2; die "creating the token failed"; }
  chmod 600 "$RTDIR/api.token"
  touch "$RTDIR/ready"
fi

port=$(cat "$RTDIR/port")
log "starting rt-server on 127.0.0.1:$port"
# setsid: its own process group, so stop ends the server and its workers;
# fd 9 (the lock) must not leak into the server.
setsid "$SERVER" --host 127.0.0.1 --port "$port" --max-workers 8 \
  </dev/null >>"$RTDIR/server.log" 2>&1 9>&- &
echo $! >"$PIDFILE"

ready=""
for _ in $(seq 1 "$((WAIT * 4))"); do
  running || { tail -n 30 "$RTDIR/server.log" >&2; die "rt-server exited (is port $port taken? set ITSMSYNC_RT_PORT)"; }
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H "Authorization: token $(cat "$RTDIR/api.token")" "http://127.0.0.1:$port/REST/2.0/queues/all" || true)
  if [ "$code" = 200 ]; then ready=1; break; fi
  sleep 0.25
done
[ -n "$ready" ] || { tail -n 30 "$RTDIR/server.log" >&2; stop_server; die "RT not ready after ${WAIT}s"; }

log "ready in $(elapsed) (http://127.0.0.1:$port, $RTDIR)"
print_env
