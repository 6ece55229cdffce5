#!/usr/bin/env bash
# The restore drill: restores the newest base backup and the archived WAL after it into a throwaway
# container (the db service's image, the archive mounted read-only, nothing else of the stack), checks
# that PostgreSQL opens it and that "user" and _prisma_migrations are readable with plausible counts,
# prints a report, and removes the container. Exit code 0 only if every check passes.
#   scripts/verify-backup.sh [--stack NAME]
# --stack NAME: the HA database of a swarm stack (docker/stack.ha.yml) instead of the compose stack: its
# members share one archive, so the drill restores the newest backup whichever member took it, and replays
# the WAL across failovers (their timelines). Run it on a node that runs a member.
# The report is also written to backups/restore-drill.log, which scripts/verify.sh shows.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

stack=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    --stack) [ $# -ge 2 ] || die "--stack needs a name"; stack=$2; shift 2 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

if [ -n "$stack" ]; then
  require_tool docker "install Docker"
  db_id=$(stack_member_container "$stack") || die "no running member of the HA database of stack '$stack' on this node (docker/stack.ha.yml)"
else
  require_compose_pitr "verify-backup.sh"
  db_id=$(service_container db)
  [ -n "$db_id" ] || die "the compose stack has no db container: start it with docker-compose up -d"
fi
image=$(docker inspect -f '{{.Config.Image}}' "$db_id")
docker run --rm --entrypoint sh "$image" -c 'command -v restore-drill' >/dev/null 2>&1 ||
  die "the db service's image ($image) has no pgBackRest: run 'docker-compose up -d --build' first (docs/upgrading.md)"

# The archive as the db service sees it: its volume or host folder (read-only), or an S3 repository
# through the same PGBACKREST_* settings.
mounts=()
repo=$(mount_at "$db_id" /var/lib/pgbackrest)
case "$repo" in
  volume\ *) mounts=(-v "${repo#volume }:/var/lib/pgbackrest:ro") ;;
  bind\ *) mounts=(-v "${repo#bind }:/var/lib/pgbackrest:ro") ;;
esac
env_file=$(mktemp)
name="restore-drill-$(basename "$REPO_ROOT" | tr -c 'a-zA-Z0-9\n' '-')-$$"
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -f "$env_file"
}
trap cleanup EXIT
docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$db_id" | grep -E '^(PGBACKREST_|POSTGRES_DB=)' >"$env_file" || true

backup_dir=${BACKUP_DIR:-$REPO_ROOT/backups}
report=$(docker run --rm --name "$name" --label auth.restore-drill=true --env-file "$env_file" "${mounts[@]}" \
  --entrypoint restore-drill "$image" 2>&1) && status=0 || status=$?
printf '%s\n' "$report"
if mkdir -p "$backup_dir" 2>/dev/null && [ -w "$backup_dir" ]; then
  printf '%s\n' "$report" >"$backup_dir/restore-drill.log"
fi
if [ "$status" -ne 0 ]; then
  grep -q 'FAILED' <<<"$report" || echo "restore drill: FAILED: the throwaway container exited $status"
  exit 1
fi
echo "the throwaway container is removed"
