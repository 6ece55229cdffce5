#!/usr/bin/env bash
# The optional `backup` compose service (the db image: PostgreSQL's tools and pgBackRest). Every
# BACKUP_INTERVAL_SECONDS, the first time at once:
#   1. a dump into BACKUP_DIR (scripts/backup.sh), deleting scheduled dumps older than BACKUP_KEEP_DAYS;
#   2. a base backup into the archive (pgBackRest, which then expires what BACKUP_KEEP_DAYS no longer
#      needs, never the newest base backup nor the WAL after it);
#   3. the restore drill on the newest base backup (restore-drill), its report in
#      BACKUP_DIR/restore-drill.log, which scripts/verify.sh shows.
# The files in BACKUP_DIR belong to the owner of the checkout (the owner of the bind-mounted /scripts),
# not to root: the folder is handed to that owner when Docker created it, and backup.sh runs as that owner.
set -euo pipefail

interval=${BACKUP_INTERVAL_SECONDS:-86400}
keep_days=${BACKUP_KEEP_DAYS:-14}
dir=${BACKUP_DIR:-/backups}

as_owner=()
if [ "$(id -u)" = 0 ]; then
  owner=$(stat -c %u /scripts)
  group=$(stat -c %g /scripts)
  if [ "$owner" != 0 ]; then
    mkdir -p "$dir"
    [ "$(stat -c %u "$dir")" != 0 ] || chown "$owner:$group" "$dir"
    as_owner=(setpriv --reuid="$owner" --regid="$group" --clear-groups)
  fi
fi
as_postgres=()
[ "$(id -u)" != 0 ] || as_postgres=(gosu postgres)

base_backup_and_drill() {
  command -v pgbackrest >/dev/null 2>&1 || { echo "this image has no pgBackRest: no base backup (build docker/db)" >&2; return 1; }
  local out report
  "${as_postgres[@]}" pgbackrest --log-level-console=warn stanza-create >/dev/null || true
  if ! out=$("${as_postgres[@]}" pgbackrest --log-level-console=info backup --type=full 2>&1); then
    grep -E 'ERROR|WARN' <<<"$out" >&2 || true
    echo "scheduled base backup failed; retrying at the next interval" >&2
    return 1
  fi
  grep -E 'new backup label|backup size|backup command end|WARN' <<<"$out" || true
  report=$("${as_postgres[@]}" restore-drill 2>&1) || true
  printf '%s\n' "$report"
  printf '%s\n' "$report" | "${as_owner[@]}" tee "$dir/restore-drill.log" >/dev/null
}

trap 'echo "backup service stopping"; exit 0' TERM INT
while true; do
  if "${as_owner[@]}" bash /scripts/backup.sh --dir "$dir" --label scheduled; then
    find "$dir" -maxdepth 1 -name '*-scheduled.sql.gz*' -mtime +"$keep_days" -print -delete
  else
    echo "scheduled backup failed; retrying at the next interval" >&2
  fi
  base_backup_and_drill || true
  sleep "$interval" &
  wait $!
done
