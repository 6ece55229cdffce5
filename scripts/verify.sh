#!/usr/bin/env bash
# The checks of the operations guide: the database answers, how many users it holds, and
# whether every migration is applied (prisma migrate status); on the compose stack also point-in-time
# recovery: the newest base backup and its age, the WAL archive's lag (loud when archiving fails), and
# the last restore drill's outcome. Exit code 0 only if all pass.
#   scripts/verify.sh [--stack NAME]
# Target: DATABASE_URL when set (migrate status runs from auth-backend/, which needs
# `npm ci` there), else the compose services (docker-compose exec); with --stack NAME the HA database of
# that swarm stack (docker/stack.ha.yml; run it on a node that runs a member): the cluster (members,
# roles, lag, synchronous standby), then the same checks on its leader, plus pgBackRest's `check`
# (WAL archiving works from the current leader).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

stack=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    --stack) [ $# -ge 2 ] || die "--stack needs a name"; stack=$2; shift 2 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

last_drill() { # prints the last restore drill's outcome; fails when it FAILED
  local drill_log=${BACKUP_DIR:-$REPO_ROOT/backups}/restore-drill.log outcome when
  if [ -f "$drill_log" ]; then
    outcome=$(grep -E '^restore drill: (PASSED|FAILED)' "$drill_log" | tail -n 1 || true)
    when=$(sed -nE 's/^restore drill: started (.*)/\1/p' "$drill_log" | head -n 1)
    echo "  last restore drill: ${outcome#restore drill: } (started $when)"
    case "$outcome" in *FAILED*) return 1 ;; esac
  else
    echo "  last restore drill: none yet (scripts/verify-backup.sh; the backup profile runs one after each base backup)"
  fi
}

if [ -n "$stack" ]; then
  require_tool docker "install Docker"
  ok=true
  echo "cluster (stack $stack):"
  "$(dirname "$0")/db-cluster.sh" status --stack "$stack" | sed 's/^/  /' || ok=false
  leader=$(stack_leader_container "$stack") || die "the HA database of stack '$stack' has no leader (or no member runs on this node)"
  users=$(docker exec -u postgres "$leader" psql -X -d "$DB_NAME" -tAc 'SELECT COUNT(*) FROM "user"') ||
    die "the \"user\" table cannot be read on the leader: has the schema been migrated?"
  echo "users: $users"
  echo "point-in-time recovery (on the leader):"
  status=$(docker exec "$leader" pitr-status 2>&1) || ok=false
  while IFS= read -r line; do echo "  $line"; done <<<"$status"
  if check=$(docker exec -u postgres "$leader" pgbackrest --stanza=auth --log-level-console=warn check 2>&1); then
    echo "  pgbackrest check: ok (the leader's WAL reaches the archive)"
  else
    echo "  pgbackrest check: FAILED: $(tail -n 2 <<<"$check" | tr '\n' ' ')"
    ok=false
  fi
  last_drill || ok=false
  # The migrations the running backend image carries against those the leader has applied (the stack's
  # backend reads its password from a secret, which the Prisma CLI does not: compared here instead).
  echo "migrations:"
  backend=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_backend" | head -n 1)
  applied=$(docker exec -u postgres "$leader" psql -X -d "$DB_NAME" -tAc \
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY 1") || applied=
  failed=$(docker exec -u postgres "$leader" psql -X -d "$DB_NAME" -tAc \
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL") || failed=
  echo "  applied: $(grep -c . <<<"$applied" || true)"
  if [ -n "$failed" ]; then echo "  FAILED or unfinished: $(tr '\n' ' ' <<<"$failed")"; ok=false; fi
  if [ -n "$backend" ]; then
    pending=$(comm -23 <(docker exec "$backend" ls prisma/migrations | grep -E '^[0-9]' | sort) <(sort <<<"$applied"))
    if [ -n "$pending" ]; then echo "  pending: $(tr '\n' ' ' <<<"$pending")"; ok=false; else echo "  pending: none"; fi
  else
    echo "  pending: not checked (no backend task runs on this node)"
  fi
  [ "$ok" = true ] || die "the HA database needs attention (see above)"
  exit 0
fi

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
  last_drill || pitr_ok=false
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
