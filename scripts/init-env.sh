#!/usr/bin/env bash
# Creates .env from .env.example with fresh random secrets (POSTGRES_PASSWORD, JWT_SECRET,
# PASSWORD_PEPPER, KEY_ENCRYPTION_KEY). Never overwrites an existing .env.
#   scripts/init-env.sh
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
  "") ;;
  *) echo "error: unknown argument: $1 (see --help)" >&2; exit 1 ;;
esac
cd "$(dirname "$0")/.."

if [ -e .env ]; then
  echo ".env already exists: leaving it as it is"
  exit 0
fi
[ -f .env.example ] || { echo "error: .env.example is missing" >&2; exit 1; }

secret() {
  # 48 random bytes, base64 without characters that need quoting in a URL or shell.
  head -c 48 /dev/urandom | base64 | tr -d '\n/+='
}

umask 077
sed -e "s|^POSTGRES_PASSWORD=.*|POSTGRES_PASSWORD=$(secret)|" \
    -e "s|^JWT_SECRET=.*|JWT_SECRET=$(secret)|" \
    -e "s|^PASSWORD_PEPPER=.*|PASSWORD_PEPPER=$(secret)|" \
    -e "s|^KEY_ENCRYPTION_KEY=.*|KEY_ENCRYPTION_KEY=$(secret)|" \
    .env.example >.env
echo "wrote .env with new secrets (readable by you only). Keep PASSWORD_PEPPER safe: without it no password can be verified."
