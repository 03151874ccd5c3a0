# pg.sh — a throw-away PostgreSQL server for the tests. Source it, do not run it:
#
#   . scripts/pg.sh
#   pg_start            # exports GEOREP_TEST_PG (a postgres:// URL) and GEOREP_PG_DIR
#   ...                 # e.g. psql "$GEOREP_TEST_PG" -c 'SELECT 1'
#   pg_stop             # stops the server, removes its folder
#
# The server lives in a fresh folder under /tmp (data, log, socket), listens on 127.0.0.1 on a
# free port, trusts every local connection (user georep, database postgres), and runs without
# fsync: test data only. Its collation is C, so that text sorts by bytes as in SQLite.
# Binaries: `pg_config --bindir` (Debian: /usr/lib/postgresql/15/bin). initdb refuses to run
# as root, so as root the server runs as the user postgres (the Debian package makes it).

# Runs "$@" as the user that owns the server: postgres when we are root, else ourselves.
_pg_as() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The folder of PostgreSQL's server binaries, or a message and 1.
_pg_bindir() {
  local bindir
  if ! command -v pg_config >/dev/null 2>&1 \
      || ! bindir=$(pg_config --bindir 2>/dev/null) \
      || [[ ! -x $bindir/initdb || ! -x $bindir/pg_ctl ]]; then
    echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
    return 1
  fi
  echo "$bindir"
}

pg_start() {
  local bindir d port
  if [[ -n ${GEOREP_PG_DIR:-} && -d ${GEOREP_PG_DIR:-} ]]; then
    echo "pg_start: a server is already running in $GEOREP_PG_DIR (pg_stop first)" >&2
    return 1
  fi
  bindir=$(_pg_bindir) || return 1
  d=$(mktemp -d /tmp/georep-pg.XXXXXX) || return 1
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$d" || { rm -rf "$d"; return 1; }
  fi
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])') \
    || { rm -rf "$d"; return 1; }

  # from the folder itself: postgres may not enter the caller's working directory
  if ! (cd "$d" && _pg_as "$bindir/initdb" -D "$d/data" -U georep --auth=trust --no-sync \
          --locale=C.UTF-8 -E UTF8 >"$d/initdb.log" 2>&1) \
     || ! (cd "$d" && _pg_as "$bindir/pg_ctl" -D "$d/data" -l "$d/log" -w \
          -o "-k $d -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
          start >"$d/pg_ctl.log" 2>&1); then
    echo "pg_start: PostgreSQL did not start in $d" >&2
    local f
    for f in initdb.log pg_ctl.log log; do
      [[ -s $d/$f ]] && { echo "--- $d/$f" >&2; cat "$d/$f" >&2; }
    done
    # a server that came up too late for -w is stopped too
    [[ -f $d/data/postmaster.pid ]] \
      && (cd "$d" && _pg_as "$bindir/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1)
    rm -rf "$d"
    return 1
  fi
  export GEOREP_TEST_PG="postgres://georep@127.0.0.1:$port/postgres"
  export GEOREP_PG_DIR=$d
}

pg_stop() {
  local bindir d=${GEOREP_PG_DIR:-} rc=0
  if [[ -z $d ]]; then
    echo "pg_stop: no server (GEOREP_PG_DIR is not set)" >&2
    return 1
  fi
  # never remove anything but a folder pg_start made
  case $d in
    /tmp/georep-pg.*) ;;
    *) echo "pg_stop: $d is not a folder of pg_start" >&2; return 1 ;;
  esac
  if [[ -f $d/data/postmaster.pid ]]; then
    bindir=$(_pg_bindir) || return 1
    (cd "$d" && _pg_as "$bindir/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null) || rc=1
  fi
  if ((rc == 0)); then
    rm -rf "$d"
    unset GEOREP_TEST_PG GEOREP_PG_DIR
  else
    echo "pg_stop: the server in $d did not stop; its folder is kept" >&2
  fi
  return "$rc"
}
