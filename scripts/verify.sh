#!/usr/bin/env bash
# The checks of the operations guide: the database answers, how many users it holds, and
# whether every migration is applied (prisma migrate status). Exit code 0 only if all pass.
#   scripts/verify.sh
# Target: DATABASE_URL when set (migrate status runs from auth-backend/, which needs
# `npm ci` there), else the compose services (docker-compose exec).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
  "") ;;
  *) die "unknown argument: $1 (see --help)" ;;
esac

select_mode
check_connection
echo "connection: ok ($(describe_target))"

users=$(pg_tool psql -X -q -t -A -c 'SELECT COUNT(*) FROM "user"') || die "the \"user\" table cannot be read: has the schema been migrated?"
echo "users: $users"

echo "migrations:"
if [ "$PG_MODE" = direct ]; then
  require_tool node "install Node.js >= 20"
  [ -f "$REPO_ROOT/auth-backend/node_modules/prisma/build/index.js" ] || die "run 'npm ci' in auth-backend/ first (the Prisma CLI is needed for migrate status)"
  (cd "$REPO_ROOT/auth-backend" && node node_modules/prisma/build/index.js migrate status)
else
  compose exec -T backend npx prisma migrate status
fi
