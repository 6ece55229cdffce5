#!/usr/bin/env bash
# Restores the auth database, replacing its contents.
#   scripts/restore.sh [--yes] FILE.sql.gz
# A dump written by backup.sh: verifies FILE's checksum first, asks for confirmation unless --yes
# (refuses without a terminal), runs the whole restore in one transaction (all or nothing), then prints
# row counts. Target: DATABASE_URL when set, else the compose service `db` (docker-compose exec).
#   scripts/restore.sh [--yes] --to-time TIME
# Point-in-time recovery of the compose stack (docs/backup-restore.md): stops the backend, restores the
# newest base backup before TIME, replays the archived WAL up to TIME, starts the backend, prints what it
# restored. The replaced data directory is kept in a new volume whose name it prints. Refuses, changing
# nothing, a TIME the archive cannot reach. TIME: "2026-12-03 10:15:00+00" (any form date -d reads; give
# the offset). Asks for confirmation on a terminal, unless --yes.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

# --- Point-in-time recovery ------------------------------------------------------------------------

# Waits until PostgreSQL in the db service has left recovery; fails when the container stops.
wait_for_promotion() {
  local id=$1 deadline=$((SECONDS + 900))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ] || return 1
    [ "$(compose exec -T db psql -X -U "$DB_USER" -d postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null | tr -d '[:space:]')" = f ] && return 0
    sleep 1
  done
  return 1
}

wait_for_backend() {
  local deadline=$((SECONDS + 180)) id
  id=$(service_container backend)
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null)" = healthy ] && return 0
    sleep 2
  done
  return 1
}

restore_to_time() {
  local target target_us range oldest newest oldest_label stamp line
  require_compose_pitr "restore.sh --to-time"
  target=$(normalise_time "$1")
  [ -n "$target" ] || die "cannot read the time '$1' (e.g. \"2026-12-03 10:15:00+00\")"
  target_us=$(epoch_us "$target")
  local db_id
  db_id=$(service_container db)
  [ -n "$db_id" ] || die "the compose stack has no db container: start it with docker-compose up -d"
  service_running db || die "the compose service 'db' is not running: start it (docker-compose up -d db) so that the archive can be checked"
  require_pitr_image

  # What the archive reaches. The oldest point: the end of the oldest base backup. The newest: a
  # transaction committed now, once pgBackRest confirms the WAL holding it is archived (check forces a
  # WAL switch and waits for it), so that replay finds a commit after any earlier TIME.
  range=$(compose exec -T db pitr-status --range) || die "pgBackRest cannot read the archive: $range"
  oldest=$(sed -nE 's/.*oldest=([0-9]*).*/\1/p' <<<"$range")
  oldest_label=$(sed -nE 's/.*oldest_label=([^ ]*).*/\1/p' <<<"$range")
  [ -n "$oldest" ] || die "nothing to restore from: the archive holds no base backup yet (take one: scripts/backup.sh --base); nothing was changed"
  local marker
  marker=$(compose exec -T db psql -X -U "$DB_USER" -d postgres -tAc \
    "SELECT txid_current(), to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')" | tr -d '\r') ||
    die "cannot reach PostgreSQL in the db service"
  newest="${marker#*|}+00"
  if ! line=$(compose exec -T -u postgres db pgbackrest --log-level-console=warn check 2>&1); then
    die "the archive does not take the current WAL, so the newest reachable time is unknown (pgBackRest: $(tr '\n' ' ' <<<"$line")); fix archiving first (scripts/verify.sh); nothing was changed"
  fi
  local from_text to_text
  # A backup's stop time is stored in whole seconds: the first reachable time is the next second.
  oldest=$((oldest + 1))
  from_text=$(date -u -d "@$oldest" '+%Y-%m-%d %H:%M:%S+00')
  to_text=$(date -u -d "$newest" '+%Y-%m-%d %H:%M:%S.%6N+00')
  if [ "$target_us" -lt "$((oldest * 1000000))" ] || [ "$target_us" -ge "$(epoch_us "$newest")" ]; then
    die "cannot restore to $target: the archive reaches from $from_text (end of base backup $oldest_label) to $to_text (the newest archived WAL); nothing was changed"
  fi

  local data_mount data_volume
  data_mount=$(mount_at "$db_id" /var/lib/postgresql/data)
  [ "${data_mount%% *}" = volume ] || die "the db service's data is not a Docker volume ($data_mount): restore by hand (docs/backup-restore.md); nothing was changed"
  data_volume=${data_mount#volume }
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local aside="${data_volume}_replaced_${stamp}"

  if [ "$assume_yes" != true ] && [ -t 0 ]; then
    printf 'This stops the backend and REPLACES the database in volume %s with its state at %s.\nThe current data is kept in a new volume, %s.\nType the database name (%s) to continue: ' \
      "$data_volume" "$target" "$aside" "$DB_NAME" >&2
    local answer
    read -r answer
    [ "$answer" = "$DB_NAME" ] || die "not confirmed: nothing was changed"
  fi

  local backend_was_running=false
  if service_running backend; then backend_was_running=true; fi
  info "stopping the backend and the database ..."
  compose stop backend >/dev/null 2>&1 || true
  compose stop db >/dev/null 2>&1 || die "cannot stop the db service"

  docker volume create --label "auth.replaced-by-restore=$target" "$aside" >/dev/null || die "cannot create the volume $aside"
  info "keeping the current data directory in volume $aside, then restoring ..."
  local since
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  if ! line=$(compose run --rm --no-deps -T -v "$aside:/replaced" --entrypoint pitr-restore db "$target" 2>&1); then
    compose start db >/dev/null 2>&1 || true
    [ "$backend_was_running" = false ] || compose start backend >/dev/null 2>&1 || true
    die "the restore failed: $line
The database is as it was before; a copy of it stays in volume $aside (docker volume rm $aside)"
  fi
  local restored_set
  restored_set=$(sed -nE 's/.*restore backup set ([^,]+).*/\1/p' <<<"$line" | head -n 1 || true)

  info "replaying the archived WAL up to $target ..."
  compose start db >/dev/null 2>&1 || die "cannot start the db service after the restore: docker-compose logs db (the replaced state is in volume $aside)"
  if ! wait_for_promotion "$db_id"; then
    die "PostgreSQL did not finish the recovery; its log:
$(docker logs --since "$since" "$db_id" 2>&1 | grep -vE 'archive-push|restored log file' | tail -n 15)
The replaced state is in volume $aside (docs/backup-restore.md, 'Undo a restore')"
  fi
  local log stopped last_commit
  log=$(docker logs --since "$since" "$db_id" 2>&1)
  stopped=$(grep -oE 'recovery stopping (before|after) [a-z]+ of transaction [0-9]+, time .*' <<<"$log" | tail -n 1 || true)
  last_commit=$(grep -oE 'last completed transaction was at log time .*' <<<"$log" | tail -n 1 | sed 's/^last completed transaction was at log time //' || true)

  local backend_state="was not running, left stopped"
  if [ "$backend_was_running" = true ]; then
    info "starting the backend ..."
    if ! compose start backend >/dev/null 2>&1; then
      backend_state="did not start: docker-compose start backend; docker-compose logs backend"
    elif wait_for_backend; then
      backend_state="started, healthy"
    else
      backend_state="started, not healthy yet: docker-compose ps; docker-compose logs backend"
    fi
  fi
  echo "restored the database to $target"
  echo "  base backup:               $restored_set"
  echo "  last transaction replayed: committed at ${last_commit:-(none after the base backup)}"
  [ -z "$stopped" ] || echo "  replay stopped:            ${stopped}"
  echo "  replaced state kept in:    volume $aside"
  echo "  undo: docs/backup-restore.md, 'Undo a restore'; the next base backup: scripts/backup.sh --base"
  echo "backend: $backend_state"
}

assume_yes=false
file=""
to_time=""
while [ $# -gt 0 ]; do
  case "$1" in
    --yes|-y) assume_yes=true; shift ;;
    --to-time) to_time=${2:?--to-time needs a time, e.g. "2026-12-03 10:15:00+00"}; shift 2 ;;
    --to-time=*) to_time=${1#--to-time=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [ -z "$file" ] || die "only one backup file, please"; file=$1; shift ;;
  esac
done
if [ -n "$to_time" ]; then
  [ -z "$file" ] || die "either a backup FILE or --to-time TIME, not both"
  restore_to_time "$to_time"
  exit 0
fi
[ -n "$file" ] || die "which backup? usage: scripts/restore.sh [--yes] FILE.sql.gz, or scripts/restore.sh [--yes] --to-time TIME"
[ -f "$file" ] || die "no such backup file: $file"
[ -f "$file.sha256" ] || die "no checksum file $file.sha256 beside the backup: refusing to restore an unverified file"

require_tool gzip "install gzip"
require_tool sha256sum "install coreutils"

expected=$(awk '{ print $1 }' "$file.sha256")
actual=$(sha256_of "$file")
[ "$expected" = "$actual" ] || die "checksum mismatch for $file (expected $expected, got $actual): the file is damaged or was changed"
gzip -t "$file" 2>/dev/null || die "$file is not a valid gzip file"
info "checksum ok: $file"

select_mode
check_connection

if [ "$assume_yes" != true ]; then
  if [ ! -t 0 ]; then
    die "refusing to restore without confirmation: pass --yes to replace the data of $(describe_target)"
  fi
  printf 'This REPLACES every table of %s with the contents of %s.\nType the database name (%s) to continue: ' "$(describe_target)" "$file" "$DB_NAME" >&2
  read -r answer
  [ "$answer" = "$DB_NAME" ] || die "not confirmed: nothing was changed"
fi

info "restoring $file into $(describe_target) ..."
gzip -dc "$file" | pg_tool psql -X -q -v ON_ERROR_STOP=1 --single-transaction >/dev/null
echo "restore complete. Row counts:"
pg_tool psql -X -q -t -A -F ' ' -c "SELECT 'user', COUNT(*) FROM \"user\" UNION ALL SELECT 'session', COUNT(*) FROM session UNION ALL SELECT 'refresh_token', COUNT(*) FROM refresh_token UNION ALL SELECT '_prisma_migrations', COUNT(*) FROM _prisma_migrations" |
  while read -r table count; do printf '  %-20s %s\n' "$table" "$count"; done
