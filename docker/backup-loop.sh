#!/usr/bin/env bash
# The optional `backup` compose service: a backup every BACKUP_INTERVAL_SECONDS into
# BACKUP_DIR, deleting backups older than BACKUP_KEEP_DAYS. The backups belong to the owner of the
# checkout (the owner of the bind-mounted /scripts), not to root: the folder is handed to that
# owner when Docker created it, and backup.sh runs as that owner.
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

trap 'echo "backup service stopping"; exit 0' TERM INT
while true; do
  if "${as_owner[@]}" bash /scripts/backup.sh --dir "$dir" --label scheduled; then
    find "$dir" -maxdepth 1 -name '*-scheduled.sql.gz*' -mtime +"$keep_days" -print -delete
  else
    echo "scheduled backup failed; retrying at the next interval" >&2
  fi
  sleep "$interval" &
  wait $!
done
