#!/bin/bash
# The restore drill (scripts/verify-backup.sh runs it in a throwaway container; the backup service after
# each scheduled base backup): restores the newest base backup and replays the archived WAL after it into
# a temporary folder, starts PostgreSQL on it (private socket, no TCP, archiving off so that nothing
# reaches the archive), checks that "user" and _prisma_migrations are readable with plausible counts,
# prints a report and removes the folder. Exit code 0 only when every check passes.
#   restore-drill [--database NAME]
set -euo pipefail
database=${POSTGRES_DB:-auth_service}
while [ $# -gt 0 ]; do
  case "$1" in
    --database) database=${2:?--database needs a name}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "error: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" = 0 ]; then exec gosu postgres "$0" --database "$database"; fi

work=$(mktemp -d /tmp/restore-drill.XXXXXX)
data="$work/data"
# Only the temporary folder: the restore and the WAL it replays never touch a live data directory.
export PGBACKREST_PG1_PATH="$data" PGBACKREST_LOG_LEVEL_CONSOLE=warn
# A drill reports a damaged file at once rather than retrying it (the next drill tries again).
export PGBACKREST_JOB_RETRY=0
failed=false
cleanup() {
  local status=$?
  pg_ctl -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ "$status" -ne 0 ] && [ "$failed" = false ]; then printf 'restore drill: FAILED: unexpected error (exit code %s)\n' "$status"; fi
}
trap cleanup EXIT
fail() {
  failed=true
  printf 'restore drill: FAILED: %s\n' "$*"
  exit 1
}

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
printf 'restore drill: started %s\n' "$started"
info=$(pgbackrest info --output=json 2>&1) || fail "pgBackRest cannot read the repository: $info"
label=$(jq -r '.[0].backup[-1].label // empty' <<<"$info")
[ -n "$label" ] || fail "the repository holds no base backup (take one: scripts/backup.sh --base)"
stop=$(jq -r '.[0].backup[-1].timestamp.stop' <<<"$info")
printf 'base backup: %s (finished %s)\n' "$label" "$(date -u -d "@$stop" '+%Y-%m-%d %H:%M:%S UTC')"

# Newest backup, then every archived WAL segment after it (the default recovery target: the end of the
# archive, on the newest timeline).
if ! out=$(pgbackrest restore --set="$label" 2>&1); then
  fail "the restore of base backup $label failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi
printf 'restore: ok (%s)\n' "$(du -sh "$data" | cut -f1)"

log="$work/postgres.log"
# Settings of the source that make no sense here are overridden: its own hba/ident files (a Patroni member
# names them by absolute paths of its live data directory) and its synchronous standby (none here).
printf 'local all all trust\n' >"$work/pg_hba.conf"
: >"$work/pg_ident.conf"
if ! pg_ctl -D "$data" -l "$log" -w -t 600 \
  -o "-c archive_mode=off -c listen_addresses='' -c unix_socket_directories='$work' -c port=5432 -c hba_file='$work/pg_hba.conf' -c ident_file='$work/pg_ident.conf' -c synchronous_standby_names=''" start >/dev/null 2>&1; then
  fail "PostgreSQL does not open the restored backup: $(grep -E 'FATAL|PANIC|ERROR' "$log" | tail -n 3 | tr '\n' ' ')"
fi
# Replay done when recovery has ended (the server promotes at the end of the archive).
for _ in $(seq 1 600); do
  [ "$(psql -X -h "$work" -d postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 1
done
[ "$(psql -X -h "$work" -d postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] ||
  fail "PostgreSQL did not finish replaying the archived WAL within 10 minutes"
replayed=$(grep -oE 'last completed transaction was at log time .*' "$log" | tail -n 1 | sed 's/^last completed transaction was at log time //' || true)
printf 'wal replayed: up to %s\n' "${replayed:-the end of the archive (no transaction after the backup)}"

q() { psql -X -v ON_ERROR_STOP=1 -h "$work" -d "$database" -tAc "$1" 2>&1; }
users=$(q 'SELECT COUNT(*) FROM "user"') || fail "the \"user\" table cannot be read: $users"
# Every row read in full: a damaged page or TOAST chunk fails here, not only the count.
q 'SELECT md5(string_agg(u::text, $$|$$)) FROM "user" u' >/dev/null || fail "the \"user\" rows cannot be read in full"
migrations=$(q 'SELECT COUNT(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL') ||
  fail "the _prisma_migrations table cannot be read: $migrations"
[[ "$users" =~ ^[0-9]+$ ]] || fail "implausible user count: $users"
[ "$migrations" -ge 1 ] 2>/dev/null || fail "no applied migration in _prisma_migrations ($migrations): not the auth database?"
printf 'tables: "user" %s rows, _prisma_migrations %s applied\n' "$users" "$migrations"
printf 'restore drill: PASSED (base backup %s)\n' "$label"
