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

# DATABASE_URL without its password (which libpq then reads from PGPASSWORD): what goes on a
# command line, where anyone on the host can read it (ps, /proc/PID/cmdline).
url_without_password() {
  printf '%s' "$1" | sed -E 's#^([a-z]+://[^:/@]*):[^@]*@#\1@#'
}

# The password in DATABASE_URL, percent-decoded ('' when it has none).
url_password() {
  local rest=${1#*://}
  rest=${rest%%@*}
  [ "$rest" != "${1#*://}" ] && [ "${rest#*:}" != "$rest" ] || return 0
  local encoded=${rest#*:}
  printf '%b' "${encoded//%/\\x}"
}

# Runs a PostgreSQL client tool (pg_dump, psql) against the database, in the selected mode. The
# password travels in the tool's environment (PGPASSWORD), never in its arguments.
pg_tool() {
  local tool=$1
  shift
  if [ "$PG_MODE" = direct ]; then
    local password target
    password=$(url_password "$DATABASE_URL")
    target=$(url_without_password "$DATABASE_URL")
    if [ -n "$password" ]; then
      PGPASSWORD=$password "$tool" --dbname="$target" "$@"
    else
      "$tool" --dbname="$target" "$@"
    fi
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

# --- Point-in-time recovery (pgBackRest in the compose service `db`) ---------------------------

# PITR runs where PostgreSQL and pgBackRest run: the compose stack. Sets PG_MODE=compose.
require_compose_pitr() {
  [ -z "${DATABASE_URL:-}" ] || die "$1 works on the compose stack (pgBackRest runs in its db service): unset DATABASE_URL"
  PG_MODE=compose
  require_tool docker "install Docker"
}

# The id of a compose service's container, running or not ('' when there is none).
service_container() {
  compose ps -q "$1" 2>/dev/null | head -n 1
}

service_running() {
  local id
  id=$(service_container "$1")
  [ -n "$id" ] && [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ]
}

# What a container mounts at a path: "volume NAME" or "bind /host/path" ('' when nothing).
mount_at() {
  docker inspect -f "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{.Type}} {{if .Name}}{{.Name}}{{else}}{{.Source}}{{end}}{{end}}{{end}}" "$1"
}

# Fails unless the db service runs the image with pgBackRest (docker/db).
require_pitr_image() {
  compose exec -T db sh -c 'command -v pgbackrest' >/dev/null 2>&1 ||
    die "the db service runs without pgBackRest (an image older than docker/db?): run 'docker-compose up -d --build' first (docs/upgrading.md)"
}

# A time as PostgreSQL and pgBackRest take it: UTC with microseconds. Empty when date cannot parse it.
normalise_time() {
  date -u -d "$1" '+%Y-%m-%d %H:%M:%S.%6N+00' 2>/dev/null || true
}

# Microseconds since the epoch of a time date(1) understands.
epoch_us() {
  date -u -d "$1" '+%s%6N'
}

# --- The HA database of a swarm stack (docker/stack.ha.yml) ---------------------------------------

# The id of a running member's container (pg1, pg2, pg3) of stack $1 on this node; fails when none.
stack_member_container() {
  local service id
  for service in pg1 pg2 pg3; do
    id=$(docker ps -q --filter "label=com.docker.swarm.service.name=${1}_${service}" 2>/dev/null | head -n 1)
    [ -z "$id" ] || { printf '%s\n' "$id"; return 0; }
  done
  return 1
}

# The container of the member that leads stack $1 (on this node); fails when there is none.
stack_leader_container() {
  local any leader
  any=$(stack_member_container "$1") || return 1
  leader=$(docker exec "$any" sh -c "patronictl list -f json | jq -r '.[] | select(.Role == \"Leader\" and .State == \"running\") | .Member'" 2>/dev/null) || return 1
  [ -n "$leader" ] || return 1
  docker ps -q --filter "label=com.docker.swarm.service.name=${1}_${leader}" | head -n 1 | grep . || return 1
}
