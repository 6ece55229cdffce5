#!/bin/bash
# What the archive holds and whether archiving keeps up; run in the db container (scripts/verify.sh,
# scripts/restore.sh). Prints one line per fact; exit code 1 when WAL archiving is failing or lagging.
#   pitr-status            human-readable
#   pitr-status --range    oldest=<epoch> newest=<epoch> newest_label=<label> backups=<n> (backups' stop times)
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}" "${ARCHIVE_TIMEOUT:=60}"
if [ "$(id -u)" = 0 ]; then exec gosu postgres "$0" "$@"; fi

info=$(pgbackrest --log-level-console=warn info --output=json 2>&1) || { echo "error: pgBackRest cannot read its repository: $info" >&2; exit 1; }
count=$(jq '.[0].backup | length' <<<"$info")
oldest=$(jq -r '.[0].backup[0].timestamp.stop // empty' <<<"$info")
newest=$(jq -r '.[0].backup[-1].timestamp.stop // empty' <<<"$info")
label=$(jq -r '.[0].backup[-1].label // empty' <<<"$info")
oldest_label=$(jq -r '.[0].backup[0].label // empty' <<<"$info")

if [ "${1:-}" = --range ]; then
  printf 'oldest=%s newest=%s newest_label=%s oldest_label=%s backups=%s\n' "$oldest" "$newest" "$label" "$oldest_label" "$count"
  exit 0
fi

now=$(date +%s)
ago() { # seconds -> "3 min ago"
  local s=$1
  if [ "$s" -lt 120 ]; then echo "$s s ago"; elif [ "$s" -lt 7200 ]; then echo "$((s / 60)) min ago"; elif [ "$s" -lt 172800 ]; then echo "$((s / 3600)) h ago"; else echo "$((s / 86400)) days ago"; fi
}
utc() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S UTC'; }

if [ "$count" -gt 0 ]; then
  echo "newest base backup: $label, finished $(utc "$newest") ($(ago $((now - newest))))"
  echo "base backups kept: $count (oldest $oldest_label: recovery reaches back to $(utc "$oldest"))"
else
  echo "newest base backup: none yet (take one: scripts/backup.sh --base; the backup profile takes them on a schedule)"
fi

# Archive lag: the WAL segments PostgreSQL has finished but not archived yet (.ready), and the archiver's
# own record of successes and failures.
ready=$(find "$PGDATA/pg_wal/archive_status" -name '*.ready' 2>/dev/null | wc -l)
oldest_ready=$(find "$PGDATA/pg_wal/archive_status" -name '*.ready' -printf '%T@\n' 2>/dev/null | sort -n | head -n 1 | cut -d. -f1)
IFS='|' read -r last_ok last_fail failed_count last_wal < <(psql -X -tA -d postgres -c \
  "SELECT COALESCE(EXTRACT(EPOCH FROM last_archived_time)::bigint::text, ''), COALESCE(EXTRACT(EPOCH FROM last_failed_time)::bigint::text, ''), failed_count, COALESCE(last_archived_wal, '') FROM pg_stat_archiver" 2>/dev/null || echo '|||')
lag=0
[ -z "$oldest_ready" ] || lag=$((now - oldest_ready))
failing=false
if [ "$ready" -gt 0 ]; then
  if [ -n "$last_fail" ] && { [ -z "$last_ok" ] || [ "$last_fail" -gt "$last_ok" ]; }; then failing=true; fi
  [ "$lag" -le $((ARCHIVE_TIMEOUT + 120)) ] || failing=true
fi
if [ -n "$last_ok" ]; then
  last="last segment $last_wal archived $(utc "$last_ok") ($(ago $((now - last_ok))))"
else
  last="nothing archived since the server started"
fi
if [ "$failing" = true ]; then
  size=$(du -sh "$PGDATA/pg_wal" 2>/dev/null | cut -f1)
  echo "WAL ARCHIVE: FAILING, $ready segment(s) waiting in pg_wal for $lag s (pg_wal holds $size; $failed_count failed attempts, the last $( [ -n "$last_fail" ] && utc "$last_fail")); $last."
  echo "WAL ARCHIVE: point-in-time recovery cannot reach past the last archived segment; PostgreSQL keeps the WAL until the archive takes it again (is the archive volume writable, is its disk full? docker-compose logs db)"
  exit 1
fi
echo "wal archive: ok, $ready segment(s) waiting (lag ${lag} s), $last"
