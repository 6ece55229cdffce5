#!/usr/bin/env bash
# Backs up the auth database: a timestamped, gzip-compressed plain SQL dump (pg_dump --clean
# --if-exists, so it restores over existing data) with a SHA-256 checksum file beside it.
#   scripts/backup.sh [--dir DIR] [--label LABEL]
# Target: DATABASE_URL when set, else the compose service `db` (docker-compose exec).
# Writes to DIR, or BACKUP_DIR, or ./backups; prints the file path and size.
#   scripts/backup.sh --base
# Takes a base backup for point-in-time recovery now (pgBackRest in the db service, into the archive;
# docs/backup-restore.md), then expires what BACKUP_KEEP_DAYS no longer needs; prints its label.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

backup_dir=${BACKUP_DIR:-$REPO_ROOT/backups}
label=""
base=false
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) backup_dir=${2:?--dir needs a folder}; shift 2 ;;
    --label) label=${2:?--label needs a word}; shift 2 ;;
    --base) base=true; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$label" =~ ^[A-Za-z0-9_-]*$ ]] || die "--label may hold letters, digits, - and _ only"

if [ "$base" = true ]; then
  require_compose_pitr "backup.sh --base"
  service_running db || die "the compose service 'db' is not running (start it with: docker-compose up -d db)"
  require_pitr_image
  info "taking a base backup of compose service db (pgBackRest) ..."
  # The stanza exists from the db service's first start; create it here when the archive was not
  # writable then (idempotent).
  compose exec -T -u postgres db pgbackrest --log-level-console=warn stanza-create >/dev/null ||
    die "pgBackRest cannot use its repository: see 'docker-compose logs db' and scripts/verify.sh"
  out=$(compose exec -T -u postgres db pgbackrest --log-level-console=info backup --type=full 2>&1) ||
    die "the base backup failed: $(grep -E 'ERROR|WARN' <<<"$out" | tail -n 3)"
  backup_label=$(sed -nE 's/.*new backup label = ([0-9A-Z_-]+).*/\1/p' <<<"$out" | tail -n 1)
  size=$(sed -nE 's/.*full backup size = ([^,]+),.*/\1/p' <<<"$out" | tail -n 1)
  grep -E 'WARN' <<<"$out" >&2 || true
  echo "base backup written: $backup_label ($size, in the archive of compose service db)"
  compose exec -T db pitr-status | grep -E '^base backups kept' || true
  exit 0
fi

require_tool gzip "install gzip"
require_tool sha256sum "install coreutils"
select_mode
check_connection

mkdir -p "$backup_dir" || die "cannot create the backup folder $backup_dir"
[ -w "$backup_dir" ] || die "the backup folder $backup_dir is not writable"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$backup_dir/${DB_NAME}-${stamp}${label:+-$label}.sql.gz"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

info "backing up $(describe_target) ..."
pg_tool pg_dump --clean --if-exists --no-owner --no-privileges --quote-all-identifiers | gzip -9 >"$partial"
mv "$partial" "$file"
(cd "$(dirname "$file")" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")

size=$(du -h "$file" | cut -f1)
echo "backup written: $file ($size)"
echo "checksum: $file.sha256"
