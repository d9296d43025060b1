#!/usr/bin/env bash
# Start (or reuse) a throw-away PostgreSQL for the HubCheck back-office tests.
#
#   eval "$(bash scripts/ci-postgres.sh)"     # sets HUBCHECK_TEST_PG_URL
#
# Installs Debian's postgresql package when missing (we run as root in CI), runs a
# private cluster as the postgres user on 127.0.0.1 (port 55432, or the next free
# one), creates the role and database, and prints the export line on stdout. All
# progress goes to stderr. A second run finds the cluster up and returns at once.
set -euo pipefail

DATA_DIR="${HUBCHECK_PG_DATA:-/var/tmp/hubcheck-pg}"
FIRST_PORT="${HUBCHECK_PG_PORT:-55432}"
ROLE="hubcheck"
PASSWORD="hubcheck"
DATABASE="hubcheck_test"

log() { echo "ci-postgres: $*" >&2; }
fail() { log "$*"; exit 1; }

# The postgres user may not enter the caller's folder (a project under /root): each
# command runs from / so PostgreSQL's tools do not complain about the working directory.
as_postgres() {
    if [ "$(id -un)" = "postgres" ]; then
        (cd / && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    fi
}

# The newest installed server's bin folder, or nothing (exit 0 either way: under
# `set -euo pipefail` a glob that matches nothing must not end the script before the
# branch that installs PostgreSQL).
find_bin() {
    local dir found=""
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && found="$found$dir"$'\n'
    done
    [ -n "$found" ] || return 0
    printf '%s' "$found" | sort -V | tail -n 1
}

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/pg_ctl" ]; then
    [ "$(id -u)" = "0" ] || fail "PostgreSQL is not installed and we are not root to install it"
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends postgresql >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends postgresql >&2
    fi
    BIN="$(find_bin)"
    [ -n "$BIN" ] && [ -x "$BIN/pg_ctl" ] || fail "postgresql installed but pg_ctl not found"
fi
id postgres >/dev/null 2>&1 || fail "no postgres user (the Debian package creates it)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

PORT_FILE="$DATA_DIR/hubcheck-port"
if [ -f "$DATA_DIR/PG_VERSION" ] && as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then
    PORT="$(cat "$PORT_FILE")"
    log "cluster already running on port $PORT"
else
    if [ ! -f "$DATA_DIR/PG_VERSION" ]; then
        log "creating a cluster in $DATA_DIR"
        mkdir -p "$DATA_DIR" 2>/dev/null && chown postgres: "$DATA_DIR" \
            || fail "cannot create the cluster folder $DATA_DIR (set HUBCHECK_PG_DATA to a writable folder)"
        chmod 700 "$DATA_DIR"
        as_postgres "$BIN/initdb" -D "$DATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
            || as_postgres "$BIN/initdb" -D "$DATA_DIR" -U postgres --auth-local=trust \
                --auth-host=scram-sha-256 -E UTF8 --locale=C >&2
    fi
    PORT="$FIRST_PORT"
    while port_busy "$PORT"; do PORT=$((PORT + 1)); done
    echo "$PORT" > "$PORT_FILE"
    chown postgres: "$PORT_FILE"
    log "starting the cluster on 127.0.0.1:$PORT"
    as_postgres "$BIN/pg_ctl" -D "$DATA_DIR" -l "$DATA_DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA_DIR -c fsync=off -c max_connections=200" \
        >&2 || { tail -n 20 "$DATA_DIR/server.log" >&2 || true; fail "the cluster did not start"; }
fi

psql_admin() { as_postgres "$BIN/psql" -h "$DATA_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
    log "creating database $DATABASE"
    psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi

echo "export HUBCHECK_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
