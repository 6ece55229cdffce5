#!/usr/bin/env bash
# Static checks that need no Docker engine: shellcheck on every shell script, and
# `docker-compose config` on the compose file (when it exists).
#   scripts/check-static.sh
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
  "") ;;
  *) echo "error: unknown argument: $1 (see --help)" >&2; exit 1 ;;
esac
cd "$(dirname "$0")/.."

mapfile -t shell_scripts < <(git ls-files -- '*.sh' '.ci/run' 2>/dev/null || true)
if [ "${#shell_scripts[@]}" -gt 0 ]; then
  if ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck is not installed (apt-get install shellcheck)" >&2
    exit 1
  fi
  shellcheck -x "${shell_scripts[@]}"
  echo "shellcheck: ${#shell_scripts[@]} script(s) clean"
fi

# docker/db-ha carries copies of docker/db's restore drill and archive status (its own build context):
# they must not drift.
for file in restore-drill.sh pitr-status.sh; do
  if [ -f "docker/db-ha/$file" ] && ! cmp -s "docker/db/$file" "docker/db-ha/$file"; then
    echo "docker/db-ha/$file differs from docker/db/$file: keep the copies identical" >&2
    exit 1
  fi
done

if [ -f docker-compose.yml ]; then
  if ! command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose is not installed (apt-get install docker-compose)" >&2
    exit 1
  fi
  # The backend service reads .env: lend it .env.example for the check when there is none.
  if [ ! -e .env ]; then
    cp .env.example .env
    trap 'rm -f .env' EXIT
  fi
  docker-compose config --quiet
  echo "docker-compose config: docker-compose.yml is valid"
fi
