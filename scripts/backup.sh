#!/usr/bin/env bash
# Back up the database and the photos together (docs/operations.md#backup-and-restore):
#
#   scripts/backup.sh DIR
#
# DATABASE_URL and UPLOAD_DIR (or VAR_DIR) name what is backed up, as for the service; without them the
# provisioned `graffiti` database and var/uploads of `make run`. DIR must be new or empty; it gets
#   database.dump  pg_dump's custom format: one consistent snapshot, taken while the service runs;
#   photos.tar     the upload directory, archived after the dump: photos are published only after their rows
#                  are committed and never change, so every photo a dumped row references is in the archive
#                  (files of later reports are extra; the restore's sweep removes them);
#   backup.txt     when, the migration revision, how many reports and photo rows, the archive's file count.
set -euo pipefail

DEST=${1:?usage: backup.sh DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
URL=${DATABASE_URL:-postgresql+psycopg://${PGUSER:-postgres}@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/graffiti}
VAR=${VAR_DIR:-$ROOT/var}
UPLOADS=${UPLOAD_DIR:-$VAR/uploads}
PG_URL=${URL/+psycopg/}   # libpq does not know SQLAlchemy's driver suffix
say() { echo "[backup] $*" >&2; }

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)   # the newest pg_dump reads older servers
PG_DUMP=${BIN:+$BIN/}pg_dump
PSQL=${BIN:+$BIN/}psql

mkdir -p "$DEST"
if [ -n "$(ls -A "$DEST")" ]; then say "$DEST is not empty; give a new directory"; exit 1; fi
say "dumping the database"
"$PG_DUMP" --format=custom --no-owner --file "$DEST/database.dump" "$PG_URL"
say "archiving the photos of $UPLOADS"
mkdir -p "$UPLOADS"
tar -C "$UPLOADS" -cf "$DEST/photos.tar" .
{
  echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  "$PSQL" -X -q -tA "$PG_URL" -c "SELECT 'migration: ' || (SELECT version_num FROM alembic_version) || E'\n' ||
    'reports: ' || (SELECT count(*) FROM reports) || E'\nphoto rows: ' || (SELECT count(*) FROM photos)"
  echo "files in photos.tar: $(tar -tf "$DEST/photos.tar" | grep -c '\.jpg' || true)"
} > "$DEST/backup.txt"
cat "$DEST/backup.txt" >&2
say "done: $DEST"
