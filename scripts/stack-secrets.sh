#!/usr/bin/env bash
# Creates the Docker secrets that docker/stack.yml needs and that do not exist yet; never replaces one
# that exists (a new pepper would lock every user out; see docs/operations.md for rotation).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/stack-secrets.sh [--prefix NAME] [--ha] [--help]

Creates the missing Docker secrets of docker/stack.yml on this swarm (run it on a manager node):
  NAME_jwt_secret, NAME_password_pepper, NAME_key_encryption_key, NAME_db_password, NAME_smtp_url
An existing secret is left exactly as it is, and listed as kept.

Values: taken from the variables JWT_SECRET, PASSWORD_PEPPER, KEY_ENCRYPTION_KEY, POSTGRES_PASSWORD and
SMTP_URL when they are set (e.g. to move a compose installation's .env into the stack), else 48 random
bytes; SMTP_URL unset keeps mail in the outbox (the secret then holds an empty line).

Options:
  --prefix NAME   prefix of the secrets' names (default: $SECRETS_PREFIX, else "auth"); deploy the
                  stack with the same SECRETS_PREFIX
  --ha            also NAME_db_replication_password, the replication user's password of the HA
                  database (docker/stack.ha.yml); from REPLICATION_PASSWORD when set
  --help          this text
USAGE
}

prefix=${SECRETS_PREFIX:-auth}
ha=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "error: --prefix needs a name" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --ha) ha=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "error: --prefix must be letters, digits, _ . -" >&2; exit 2; }

random_secret() {
  # 48 random bytes, base64 without characters that need quoting in a URL or shell.
  head -c 48 /dev/urandom | base64 | tr -d '\n/+='
}

created=0
kept=0
ensure() { # name value
  local name="${prefix}_$1" value=$2
  if docker secret inspect "$name" >/dev/null 2>&1; then
    echo "kept    $name (exists; never replaced)"
    kept=$((kept + 1))
    return
  fi
  # A secret cannot be empty: an empty value is stored as one newline, which the service trims.
  printf '%s\n' "$value" | docker secret create "$name" - >/dev/null
  echo "created $name"
  created=$((created + 1))
}

docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null | grep -q '^active true$' ||
  { echo "error: this Docker engine is not a swarm manager (docker swarm init, or run this on a manager)" >&2; exit 1; }

ensure jwt_secret "${JWT_SECRET:-$(random_secret)}"
ensure password_pepper "${PASSWORD_PEPPER:-$(random_secret)}"
ensure key_encryption_key "${KEY_ENCRYPTION_KEY:-$(random_secret)}"
ensure db_password "${POSTGRES_PASSWORD:-$(random_secret)}"
ensure smtp_url "${SMTP_URL:-}"
if [ "$ha" = true ]; then ensure db_replication_password "${REPLICATION_PASSWORD:-$(random_secret)}"; fi
echo "secrets: $created created, $kept kept (prefix $prefix)"
