#!/bin/bash
# Entrypoint of the `db` image: PostgreSQL as the postgres image runs it, with continuous WAL archiving to
# pgBackRest switched on, for a new cluster as for one that an earlier image initialised (an upgrade keeps
# the volume: archiving starts at the first start of this image). Archiving is set on the command line,
# so nothing is written into postgresql.conf and the previous image still starts on the same volume.
#
# An archive that cannot be written (unwritable, full, unreachable) never stops PostgreSQL: archive_command
# fails, PostgreSQL keeps each WAL segment in pg_wal and retries, and scripts/verify.sh reports the lag.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}" "${ARCHIVE_TIMEOUT:=60}" "${PGBACKREST_STANZA:=auth}"
export PGBACKREST_STANZA
if [ "${1:-postgres}" != postgres ]; then exec docker-entrypoint.sh "$@"; fi
[[ "$ARCHIVE_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "error: ARCHIVE_TIMEOUT must be a number of seconds, got '$ARCHIVE_TIMEOUT'" >&2; exit 1; }

repo=${PGBACKREST_REPO1_PATH:-/var/lib/pgbackrest}
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  as_postgres=(gosu postgres)
  # Docker creates a new volume (or host folder) as root: hand it to postgres, which archives into it.
  if [ "${PGBACKREST_REPO1_TYPE:-posix}" = posix ]; then
    mkdir -p "$repo"
    gosu postgres test -w "$repo" || chown postgres:postgres "$repo" || true
  fi
  # The socket folder, shared with the backup service (a volume): postgres must own it.
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
fi

# A cluster that exists already (an upgrade, or any restart): make sure the stanza exists before
# PostgreSQL archives its first segment. A new cluster gets it right after initdb (pitr-stanza.sh).
if [ -s "$PGDATA/PG_VERSION" ]; then
  if ! "${as_postgres[@]}" pgbackrest --log-level-console=warn stanza-create --no-online; then
    echo "WARNING: pgBackRest cannot use its repository ($repo): WAL archiving fails and PostgreSQL keeps the WAL in pg_wal until it can; scripts/verify.sh shows the lag" >&2
  fi
fi

# archive_timeout is kept by the checkpointer, which plans its first sleep while the server is still
# starting (recovering) and then sleeps up to checkpoint_timeout (5 min): until something wakes it,
# ARCHIVE_TIMEOUT would not hold after a start or a point-in-time restore. One CHECKPOINT as soon as the
# server is open and archiving wakes it. (Always exits 0: with the official image its parent is the
# postmaster, which takes a child's failure for a crashed backend.)
(
  for _ in $(seq 1 900); do
    state=$(psql -X -h /var/run/postgresql -U "${POSTGRES_USER:-postgres}" -d postgres -tAc \
      "SELECT pg_is_in_recovery()::text || current_setting('archive_mode')" 2>/dev/null || true)
    if [ "$state" = falseon ]; then
      psql -X -q -h /var/run/postgresql -U "${POSTGRES_USER:-postgres}" -d postgres -c CHECKPOINT >/dev/null 2>&1 || true
      break
    fi
    sleep 1
  done
  exit 0
) &

exec docker-entrypoint.sh postgres \
  -c wal_level=replica \
  -c archive_mode=on \
  -c "archive_command=pgbackrest --stanza=$PGBACKREST_STANZA archive-push %p" \
  -c "archive_timeout=$ARCHIVE_TIMEOUT" \
  "${@:2}"
