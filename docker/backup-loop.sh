#!/usr/bin/env bash
# The optional `backup` compose service: a backup every BACKUP_INTERVAL_SECONDS into
# BACKUP_DIR, deleting backups older than BACKUP_KEEP_DAYS.
set -euo pipefail

interval=${BACKUP_INTERVAL_SECONDS:-86400}
keep_days=${BACKUP_KEEP_DAYS:-14}
dir=${BACKUP_DIR:-/backups}

trap 'echo "backup service stopping"; exit 0' TERM INT
while true; do
  if bash /scripts/backup.sh --dir "$dir" --label scheduled; then
    find "$dir" -maxdepth 1 -name '*-scheduled.sql.gz*' -mtime +"$keep_days" -print -delete
  else
    echo "scheduled backup failed; retrying at the next interval" >&2
  fi
  sleep "$interval" &
  wait $!
done
