#!/usr/bin/env bash
# The checks of the operations guide: the database answers, how many users it holds, and
# whether every migration is applied (prisma migrate status); on the compose stack also point-in-time
# recovery: the newest base backup and its age, the WAL archive's lag (loud when archiving fails), and
# the last restore drill's outcome. Exit code 0 only if all pass.
#   scripts/verify.sh
# Target: DATABASE_URL when set (migrate status runs from auth-backend/, which needs
# `npm ci` there), else the compose services (docker-compose exec).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  "") ;;
  *) die "unknown argument: $1 (see --help)" ;;
esac

select_mode
check_connection
echo "connection: ok ($(describe_target))"

users=$(pg_tool psql -X -q -t -A -c 'SELECT COUNT(*) FROM "user"') || die "the \"user\" table cannot be read: has the schema been migrated?"
echo "users: $users"

pitr_ok=true
if [ "$PG_MODE" = compose ]; then
  echo "point-in-time recovery:"
  if ! compose exec -T db sh -c 'command -v pitr-status' >/dev/null 2>&1; then
    echo "  NOT SET UP: the db service runs an image without pgBackRest; run 'docker-compose up -d --build' (docs/upgrading.md)"
    pitr_ok=false
  elif ! status=$(compose exec -T db pitr-status 2>&1); then
    pitr_ok=false
  fi
  [ -z "${status:-}" ] || while IFS= read -r line; do echo "  $line"; done <<<"$status"
  drill_log=${BACKUP_DIR:-$REPO_ROOT/backups}/restore-drill.log
  if [ -f "$drill_log" ]; then
    outcome=$(grep -E '^restore drill: (PASSED|FAILED)' "$drill_log" | tail -n 1 || true)
    when=$(sed -nE 's/^restore drill: started (.*)/\1/p' "$drill_log" | head -n 1)
    echo "  last restore drill: ${outcome#restore drill: } (started $when)"
    case "$outcome" in *FAILED*) pitr_ok=false ;; esac
  else
    echo "  last restore drill: none yet (scripts/verify-backup.sh; the backup profile runs one after each base backup)"
  fi
fi

echo "migrations:"
if [ "$PG_MODE" = direct ]; then
  require_tool node "install Node.js >= 20"
  [ -f "$REPO_ROOT/auth-backend/node_modules/prisma/build/index.js" ] || die "run 'npm ci' in auth-backend/ first (the Prisma CLI is needed for migrate status)"
  (cd "$REPO_ROOT/auth-backend" && node node_modules/prisma/build/index.js migrate status)
else
  compose exec -T backend npx prisma migrate status
fi
[ "$pitr_ok" = true ] || die "point-in-time recovery needs attention (see above)"
