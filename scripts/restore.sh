#!/usr/bin/env bash
# Restores a backup written by backup.sh into the auth database, replacing its contents.
#   scripts/restore.sh [--yes] FILE.sql.gz
# Verifies FILE's checksum first, asks for confirmation unless --yes, runs the whole restore
# in one transaction (all or nothing), then prints row counts.
# Target: DATABASE_URL when set, else the compose service `db` (docker-compose exec).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

assume_yes=false
file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --yes|-y) assume_yes=true; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [ -z "$file" ] || die "only one backup file, please"; file=$1; shift ;;
  esac
done
[ -n "$file" ] || die "which backup? usage: scripts/restore.sh [--yes] FILE.sql.gz"
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
