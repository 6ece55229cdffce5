#!/bin/bash
# Patroni's postgresql.pre_promote (docker/db-ha): runs as postgres on the standby about to be promoted, once it
# holds the leader key and before `pg_ctl promote`. It closes the hole a failover would leave in the WAL archive.
#
# Only the primary archives (archive_mode=on: pgBackRest refuses `always` with one shared repository). A segment
# the old primary completed but had not archived when it died was streamed to this standby, which marked it
# archived (archive_status/<segment>.done) without archiving it: nobody ever would, and a restore across it
# would stop there. So every complete segment of the timeline this standby follows that is still in its pg_wal
# and missing from the repository is marked .ready again: once promoted, PostgreSQL's own archiver archives it
# (with the archive_command, retrying until it succeeds) and keeps it until then.
# A segment already in the repository is left alone (this copy's checksum may differ from the primary's).
#
# It never fails: Patroni cancels the promotion when pre_promote exits non-zero, and an archive must never
# stop a failover. What it did or could not do goes to Patroni's log (stderr).
set -uo pipefail
stanza=${PGBACKREST_STANZA:-auth}
wal_dir=$PGDATA/pg_wal

log() { echo "pre-promote: $*" >&2; }

# 16 hex digits of (log, segment) -> a segment number, for a segment size in bytes.
segment_number() { # NAME SEGMENT_SIZE
  local name=$1 size=$2
  echo $(((16#${name:8:8} * (0x100000000 / size)) + 16#${name:16:8}))
}

main() {
  local end segment_size
  # Where the WAL this standby has ends (received or, without a receiver since its start, replayed).
  read -r end segment_size < <(psql -X -h /var/run/postgresql -d postgres -tA -F ' ' -c \
    "SELECT coalesce(greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), pg_last_wal_replay_lsn()),
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')") || { log "cannot ask PostgreSQL where its WAL ends"; return; }
  [[ $end =~ ^([0-9A-F]+)/([0-9A-F]+)$ ]] || { log "no WAL position ($end)"; return; }
  local end_byte=$(((16#${BASH_REMATCH[1]} << 32) + 16#${BASH_REMATCH[2]}))
  # Segments before this one are complete (the WAL may end exactly at a boundary: after a segment switch,
  # with nothing written since, this one does not exist yet).
  local end_segment=$((end_byte / segment_size)) last_segment=$(((end_byte - 1) / segment_size))

  # The timeline followed: that of the segment file holding the WAL's last byte (the newest if several
  # timelines have one).
  local file timeline=
  for file in "$wal_dir"/[0-9A-F]*; do
    file=${file##*/}
    [[ $file =~ ^[0-9A-F]{24}$ ]] || continue
    [ "$(segment_number "$file" "$segment_size")" = "$last_segment" ] && [[ $file > "$timeline" ]] && timeline=$file
  done
  timeline=${timeline:0:8}
  [ -n "$timeline" ] || { log "no segment holding the WAL's end ($end) in pg_wal"; return; }

  # The repository's segments of the current archive (database) id.
  local archive_id archived
  archive_id=$(timeout 20 pgbackrest --stanza="$stanza" --log-level-console=warn info --output=json |
    jq -r '.[0] | (.db | max_by(.id).id) as $db | .archive[] | select(.database.id == $db) | .id') || archive_id=
  [ -n "$archive_id" ] || { log "cannot read the repository's archive id: nothing marked"; return; }
  archived=$(timeout 20 pgbackrest --stanza="$stanza" --log-level-console=warn repo-ls --recurse "archive/$stanza/$archive_id") ||
    { log "cannot list the repository's archive: nothing marked"; return; }

  local marked=()
  for file in "$wal_dir/$timeline"*; do
    file=${file##*/}
    [[ $file =~ ^[0-9A-F]{24}$ ]] || continue
    # Complete segments only: before the one the WAL ends in (later names are recycled files, not WAL yet).
    [ "$(segment_number "$file" "$segment_size")" -lt "$end_segment" ] || continue
    grep -q "/$file-" <<<"$archived" && continue
    mv -f "$wal_dir/archive_status/$file.done" "$wal_dir/archive_status/$file.ready" 2>/dev/null ||
      touch "$wal_dir/archive_status/$file.ready" || { log "cannot mark $file for archiving"; continue; }
    marked+=("$file")
  done
  if [ "${#marked[@]}" -gt 0 ]; then
    log "marked for archiving after the promotion (the old primary had not archived them): ${marked[*]}"
  else
    log "the archive has every complete segment of timeline $timeline in pg_wal"
  fi
}

main
exit 0
