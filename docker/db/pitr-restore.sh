#!/bin/bash
# The restoring step of scripts/restore.sh --to-time, run as root in a one-off container of the db image
# while the db service is stopped, with the data volume at $PGDATA and an empty volume at /replaced:
# copies the current data directory to /replaced (the state being replaced, kept), empties $PGDATA, and
# has pgBackRest restore the newest base backup finished before TARGET with recovery up to TARGET
# (PostgreSQL replays the WAL and promotes when the db service starts).
#   pitr-restore TARGET
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
target=${1:?usage: pitr-restore TARGET}
aside=/replaced
if [ ! -d "$aside" ] || [ -n "$(ls -A "$aside")" ]; then echo "error: $aside must be an empty volume" >&2; exit 1; fi
[ ! -e "$PGDATA/postmaster.pid" ] || { echo "error: $PGDATA/postmaster.pid exists: PostgreSQL still runs on this volume" >&2; exit 1; }

# Keep the replaced state first; nothing is removed unless the copy is complete.
cp -a "$PGDATA/." "$aside/"
[ "$(du -s --apparent-size "$PGDATA" | cut -f1)" = "$(du -s --apparent-size "$aside" | cut -f1)" ] ||
  { echo "error: the copy of the current data directory is incomplete: nothing was restored" >&2; exit 1; }
echo "kept the replaced data directory ($(du -sh "$aside" | cut -f1))"

find "$PGDATA" -mindepth 1 -delete
mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
if ! out=$(gosu postgres pgbackrest --log-level-console=info restore --type=time --target="$target" --target-action=promote 2>&1); then
  # Put the replaced state back: a failed restore leaves the database as it was.
  find "$PGDATA" -mindepth 1 -delete
  cp -a "$aside/." "$PGDATA/"
  echo "error: pgBackRest could not restore: $(grep -E 'ERROR' <<<"$out" | tail -n 2 | sed -E 's/^[-0-9 :.]+P[0-9]+ +//')" >&2
  echo "the data directory was put back as it was" >&2
  exit 1
fi
grep -E 'restore backup set|restore size' <<<"$out" | sed -E 's/^[-0-9 :.]+P[0-9]+ +(INFO: )?(repo1: )?//' || true
