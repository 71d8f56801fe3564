#!/usr/bin/env bash
# Provision a PostGIS database and print its SQLAlchemy URL on stdout (progress goes to stderr).
#
#   scripts/ensure-postgis.sh DBNAME
#
# Idempotent. Order of attempts:
#   1. install PostgreSQL + PostGIS from Debian's packages when missing (root only; otherwise print the command);
#   2. use the server answering on $PGHOST:$PGPORT (default 127.0.0.1:5432) if there is one;
#   3. otherwise initialise and start a project-local cluster under var/postgres (trust auth, loopback only);
#   4. create the database and the postgis extension.
set -euo pipefail

DB=${1:?usage: ensure-postgis.sh DBNAME}
HOST=${PGHOST:-127.0.0.1}
PORT=${PGPORT:-5432}
USER_=${PGUSER:-postgres}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL_DATA="$ROOT/var/postgres"
PG_MAJOR=${PG_MAJOR:-15}

say() { echo "[ensure-postgis] $*" >&2; }

as_root_or_explain() {
  # $@ = the command that needs root
  if [ "$(id -u)" = 0 ]; then
    "$@" >&2
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo "$@" >&2
  else
    say "missing system packages. Please run:"
    say "  sudo $*"
    exit 1
  fi
}

have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; }
have_server_binaries() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }

if ! have_postgis || ! have_server_binaries || ! command -v psql >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    say "PostgreSQL $PG_MAJOR with PostGIS 3 is required and this is not a Debian/Ubuntu system."
    say "Install PostgreSQL and PostGIS with your package manager, or set DATABASE_URL to an existing PostGIS database."
    exit 1
  fi
  say "installing postgresql-$PG_MAJOR-postgis-3 from the distribution's packages ..."
  export DEBIAN_FRONTEND=noninteractive
  as_root_or_explain apt-get update -q
  as_root_or_explain apt-get install -y -q "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-postgis-3" postgresql-client
fi

export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$USER_")

server_answers() { "${PSQL[@]}" -d postgres -tAc 'select 1' >/dev/null 2>&1; }

if server_answers; then
  say "using the PostgreSQL server on $HOST:$PORT"
else
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  RUN_AS=()
  if [ "$(id -u)" = 0 ]; then RUN_AS=(runuser -u postgres --); fi
  if [ ! -f "$LOCAL_DATA/PG_VERSION" ]; then
    say "no server answers on $HOST:$PORT; initialising a project-local cluster in $LOCAL_DATA"
    mkdir -p "$LOCAL_DATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$LOCAL_DATA"
    "${RUN_AS[@]}" "$BIN/initdb" -D "$LOCAL_DATA" -U "$USER_" --auth=trust -E UTF8 >&2
  fi
  say "starting the project-local cluster on $HOST:$PORT"
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$LOCAL_DATA" -l "$LOCAL_DATA/server.log" -w \
    -o "-c listen_addresses=$HOST -p $PORT -k /tmp" start >&2 || true
  for _ in $(seq 1 30); do server_answers && break; sleep 1; done
  server_answers || { say "the local cluster did not start; see $LOCAL_DATA/server.log"; exit 1; }
fi

if [ "$("${PSQL[@]}" -d postgres -tAc "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  say "creating database $DB"
  "${PSQL[@]}" -d postgres -c "create database \"$DB\"" >&2
fi
"${PSQL[@]}" -d "$DB" -c "create extension if not exists postgis" >&2
echo "postgresql+psycopg://$USER_@$HOST:$PORT/$DB"
