#!/usr/bin/env bash
# The HA database of the swarm stack (docker/stack.ha.yml): Patroni's view of its members, and a planned
# switchover of the primary (patronictl underneath, run in a member's container on this node).
#   scripts/db-cluster.sh status [--stack NAME]
#   scripts/db-cluster.sh switchover [--to MEMBER] [--stack NAME] [--wait SECONDS]
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/lib/common.sh"

usage() {
  cat <<'USAGE'
usage: scripts/db-cluster.sh status|switchover [options]

  status        members, roles (Leader, Sync Standby, Replica), state, timeline, replication lag in MB,
                then the leader and the synchronous standby on one line each; exit code 1 when the
                cluster has no leader
  switchover    moves the primary to another member, planned (the service retries what the move
                interrupts: no request fails). Without --to, the synchronous standby is chosen. Never
                prompts. Refuses (exit 2, nothing changed) a --to that is not the synchronous standby:
                in synchronous mode only it has every acknowledged commit. Checks the outcome itself
                and exits 1 unless MEMBER leads, running, within --wait seconds.

Options:
  --stack NAME      the stack's name (default: auth)
  --to MEMBER       switchover: the member to promote (pg1, pg2, pg3)
  --wait SECONDS    switchover: how long to wait for the new leader (default 60)
  --help            this text

Runs `docker exec` in a running member's container on this node: run it on a node that runs one.
USAGE
}

# Exit code 2 for a refusal (nothing changed), 1 for a failure.
fail() { printf 'error: %s\n' "$1" >&2; exit "${2:-1}"; }

command=${1:-}
case "$command" in
  status | switchover) shift ;;
  -h | --help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
  *) fail "unknown command: $command (see --help)" 2 ;;
esac
stack=auth
to=
wait=60
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) [ $# -ge 2 ] || fail "--stack needs a name" 2; stack=$2; shift 2 ;;
    --to) [ $# -ge 2 ] || fail "--to needs a member's name" 2; to=$2; shift 2 ;;
    --wait) [ $# -ge 2 ] || fail "--wait needs seconds" 2; wait=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument: $1 (see --help)" 2 ;;
  esac
done
[[ $wait =~ ^[0-9]+$ ]] || fail "--wait takes whole seconds" 2
[ "$command" = switchover ] || [ -z "$to" ] || fail "--to belongs to switchover" 2
command -v docker >/dev/null 2>&1 || fail "docker is not installed or not on PATH"

container=$(stack_member_container "$stack") || fail "no running member of the HA database of stack '$stack' on this node (docker/stack.ha.yml deployed? --stack NAME?)"

# Members as "name role state timeline lag" lines (role with no spaces: Leader, Sync_Standby, Replica).
members() {
  docker exec "$container" sh -c 'patronictl list -f json' |
    docker exec -i "$container" jq -r '.[] | "\(.Member) \(.Role | gsub(" "; "_")) \(.State) \(.TL // "-") \(."Lag in MB" // "-")"'
}
role_of() { awk -v role="$1" '$2 == role && $3 == "running" { print $1; exit }'; }

if [ "$command" = status ]; then
  docker exec "$container" patronictl list
  list=$(members)
  leader=$(role_of Leader <<<"$list")
  sync=$(role_of Sync_Standby <<<"$list")
  echo "leader: ${leader:-NONE (no primary: writes fail with 503 until one is elected)}"
  echo "synchronous standby: ${sync:-none (the leader commits alone: an acknowledged write could be lost with it until a standby is back)}"
  [ -n "$leader" ] || exit 1
  exit 0
fi

list=$(members)
leader=$(role_of Leader <<<"$list")
sync=$(role_of Sync_Standby <<<"$list")
[ -n "$leader" ] || fail "the cluster has no running leader: nothing to switch over (scripts/db-cluster.sh status)"
[ -n "$sync" ] || fail "the cluster has no synchronous standby: no member has every acknowledged commit, refusing to switch over" 2
if [ -z "$to" ]; then
  to=$sync
elif [ "$to" = "$leader" ]; then
  fail "$to is the leader already" 2
elif [ "$to" != "$sync" ]; then
  grep -q "^$to " <<<"$list" || fail "$to is not a member of the cluster (members: $(awk '{ printf "%s ", $1 }' <<<"$list"))" 2
  fail "$to is not the synchronous standby ($sync is): in synchronous mode only it may be promoted" 2
fi

timeline=$(awk -v m="$leader" '$1 == m { print $4 }' <<<"$list")
echo "switchover: $leader -> $to (timeline $timeline)"
# --force: never prompts. In synchronous mode Patroni may refuse and still exit 0: the outcome is
# checked below, not trusted.
docker exec "$container" patronictl switchover --leader "$leader" --candidate "$to" --force </dev/null || true
deadline=$((SECONDS + wait))
while [ "$SECONDS" -lt "$deadline" ]; do
  list=$(members 2>/dev/null || true)
  # Done when the candidate leads, running, on a new timeline (its promotion has ended).
  now=$(awk -v m="$to" '$1 == m { print $4 }' <<<"$list")
  if [ "$(role_of Leader <<<"$list")" = "$to" ] && [[ $now =~ ^[0-9]+$ ]] && [ "$now" -gt "$timeline" ]; then
    echo "switchover done: $to leads on timeline $now"
    exit 0
  fi
  sleep 1
done
fail "no switchover happened: $to does not lead after ${wait}s (scripts/db-cluster.sh status --stack $stack)"
