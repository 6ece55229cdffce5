#!/usr/bin/env bash
# Shared by backup.sh, restore.sh and verify.sh (sourced, not run).
# Two modes: with DATABASE_URL set, the PostgreSQL client tools run here against it; without
# it, they run inside the compose service `db` through `docker-compose exec`.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB_NAME=${DB_NAME:-auth_service}
DB_USER=${DB_USER:-postgres}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

info() {
  printf '%s\n' "$*" >&2
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed or not on PATH ($2)"
}

compose() {
  if command -v docker-compose >/dev/null 2>&1; then
    docker-compose --project-directory "$REPO_ROOT" -f "$REPO_ROOT/docker-compose.yml" "$@"
  elif command -v docker >/dev/null 2>&1; then
    docker compose --project-directory "$REPO_ROOT" -f "$REPO_ROOT/docker-compose.yml" "$@"
  else
    die "neither DATABASE_URL is set nor docker-compose installed: set DATABASE_URL=postgresql://user:password@host:5432/auth_service, or run the stack with docker-compose"
  fi
}

# Decides the mode once; sets PG_MODE to direct or compose.
select_mode() {
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_MODE=direct
    # The database named in the URL (its path, without query).
    local path=${DATABASE_URL#*://*/}
    DB_NAME=${path%%\?*}
    require_tool pg_dump "install the PostgreSQL client, e.g. apt-get install postgresql-client"
    require_tool psql "install the PostgreSQL client, e.g. apt-get install postgresql-client"
  else
    PG_MODE=compose
    [ -n "$(compose ps -q db 2>/dev/null)" ] || die "DATABASE_URL is not set and the compose service 'db' is not running (start it with: docker-compose up -d db)"
  fi
}

# Runs a PostgreSQL client tool (pg_dump, psql) against the database, in the selected mode.
pg_tool() {
  local tool=$1
  shift
  if [ "$PG_MODE" = direct ]; then
    "$tool" --dbname="$DATABASE_URL" "$@"
  else
    compose exec -T db "$tool" --username="$DB_USER" --dbname="$DB_NAME" "$@"
  fi
}

# A redacted description of the target, for messages.
describe_target() {
  if [ "$PG_MODE" = direct ]; then
    printf '%s' "$DATABASE_URL" | sed -E 's#//([^:/@]+):[^@]*@#//\1:***@#'
  else
    printf 'compose service db, database %s' "$DB_NAME"
  fi
}

check_connection() {
  pg_tool psql -X -q -t -A -c 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to the database ($(describe_target)): is it running and reachable?"
}

sha256_of() {
  sha256sum "$1" | awk '{ print $1 }'
}
