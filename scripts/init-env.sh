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
# The secrets are written by the shell itself (a builtin), never passed to another program as
# arguments, where anyone on the host could read them (ps, /proc/PID/cmdline).
fresh='^(POSTGRES_PASSWORD|JWT_SECRET|PASSWORD_PEPPER|KEY_ENCRYPTION_KEY)='
tmp=$(mktemp .env.XXXXXX)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ $fresh ]]; then
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(secret)"
  else
    printf '%s\n' "$line"
  fi
done <.env.example >"$tmp"
mv "$tmp" .env
trap - EXIT
echo "wrote .env with new secrets (readable by you only). Keep PASSWORD_PEPPER safe: without it no password can be verified."
