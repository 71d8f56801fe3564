#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a new, empty database and an upload directory
# (docs/operations.md#backup-and-restore):
#
#   DATABASE_URL=postgresql+psycopg://.../new_db UPLOAD_DIR=/srv/graffiti/uploads scripts/restore.sh DIR
#
# The database must exist and be empty (with or without the postgis extension): a restore never mixes
# with data that is there. The photos are unpacked into UPLOAD_DIR (content-addressed names: files that are
# already there are the same). Then the database is migrated to this code's newest revision and the photo
# sweep links the files of rows whose commit's outcome was unknown and removes files no restored row uses.
set -euo pipefail

SRC=${1:?usage: restore.sh DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
URL=${DATABASE_URL:?set DATABASE_URL to the new, empty database}
VAR=${VAR_DIR:-$ROOT/var}
UPLOADS=${UPLOAD_DIR:-$VAR/uploads}
FLASK=$ROOT/.venv/bin/flask
PG_URL=${URL/+psycopg/}
say() { echo "[restore] $*" >&2; }

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_RESTORE=${BIN:+$BIN/}pg_restore
PSQL=${BIN:+$BIN/}psql

for f in database.dump photos.tar; do
  [ -f "$SRC/$f" ] || { say "$SRC/$f is missing: not a backup made by scripts/backup.sh"; exit 1; }
done
tables=$("$PSQL" -X -q -tA "$PG_URL" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
  AND tablename <> 'spatial_ref_sys'")
if [ "$tables" != 0 ]; then say "the target database already has $tables tables; restore into a new, empty one"; exit 1; fi

say "restoring the database"
"$PG_RESTORE" --no-owner --no-comments --exit-on-error --dbname "$PG_URL" "$SRC/database.dump"
say "unpacking the photos into $UPLOADS"
mkdir -p "$UPLOADS"
tar -C "$UPLOADS" -xf "$SRC/photos.tar"
export DATABASE_URL UPLOAD_DIR="$UPLOADS" FLASK_APP=wsgi:app
cd "$ROOT"
"$FLASK" db upgrade
"$FLASK" sweep-photos --grace-minutes 0
say "done"
