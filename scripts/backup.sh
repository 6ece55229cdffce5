#!/usr/bin/env bash
# Backs up the auth database: a timestamped, gzip-compressed plain SQL dump (pg_dump --clean
# --if-exists, so it restores over existing data) with a SHA-256 checksum file beside it.
#   scripts/backup.sh [--dir DIR] [--label LABEL]
# Target: DATABASE_URL when set, else the compose service `db` (docker-compose exec).
# Writes to DIR, or BACKUP_DIR, or ./backups; prints the file path and size.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

backup_dir=${BACKUP_DIR:-$REPO_ROOT/backups}
label=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) backup_dir=${2:?--dir needs a folder}; shift 2 ;;
    --label) label=${2:?--label needs a word}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$label" =~ ^[A-Za-z0-9_-]*$ ]] || die "--label may hold letters, digits, - and _ only"

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
