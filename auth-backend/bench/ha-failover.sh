#!/usr/bin/env bash
# The HA database's numbers for docs/performance.md (by hand, not in CI; about 10 minutes on one node):
#   1. write throughput, same run: registrations per second through the stack's balancer, and pgbench's
#      one-row INSERT transactions on the primary's own socket, with the single-node database
#      (docker/stack.yml) and with the HA overlay (synchronous replication to a standby);
#   2. failover time: RUNS times (default 5), `docker kill` of the leader under continuous registrations,
#      the time from the kill to the first registration answered 201 that was sent after it, and the time
#      until the killed member is back as a standby; the median of each.
# Needs a swarm manager with the images built (tags below) and nothing listening on ports 3911/3912;
# removes the stacks, volumes, secrets and node labels it made.
#   bench/ha-failover.sh [--runs N] [--seconds S]        (--runs 0: the throughput only)
# Images: AUTH_IMAGE (auth-backend:bench), LB_IMAGE (auth-lb:bench), DB_HA_IMAGE (auth-db-ha:bench),
# ETCD_IMAGE (auth-etcd:bench), DB_IMAGE (auth-db:bench, docker/db). Prints a Markdown table and JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=5
seconds=30
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
export AUTH_IMAGE=${AUTH_IMAGE:-auth-backend:bench} LB_IMAGE=${LB_IMAGE:-auth-lb:bench}
export DB_HA_IMAGE=${DB_HA_IMAGE:-auth-db-ha:bench} ETCD_IMAGE=${ETCD_IMAGE:-auth-etcd:bench}
export POSTGRES_IMAGE=${DB_IMAGE:-auth-db:bench}
export SECRETS_PREFIX=authbench BCRYPT_COST=10 THROTTLE_IP_MAX=100000 BACKEND_REPLICAS=2
node=$(docker info --format '{{.Swarm.NodeID}}')
added=()
for label in auth-db auth-ha-1 auth-ha-2 auth-ha-3; do
  if [ "$(docker node inspect "$node" --format "{{index .Spec.Labels \"$label\"}}")" != true ]; then
    docker node update --label-add "$label=true" "$node" >/dev/null
    added+=("$label")
  fi
done
scripts/stack-secrets.sh --ha >/dev/null

# Registrations for $2 seconds against port $1 from 8 concurrent clients; prints "<count>".
load() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [port, seconds] = process.argv.slice(1).map(Number);
    const end = Date.now() + seconds * 1000; let ok = 0, n = 0;
    const worker = async (w) => { while (Date.now() < end) {
      const r = await fetch(`http://127.0.0.1:${port}/auth/register`, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `bench.${process.pid}.${w}.${n++}@example.com`, password: "a perfectly good passphrase" }) }).catch(() => undefined);
      if (r?.status === 201) ok++; await r?.arrayBuffer().catch(() => undefined); } };
    Promise.all([...Array(8).keys()].map(worker)).then(() => console.log(ok));' "$1" "$2"
}
container() { docker ps -q --filter "label=com.docker.swarm.service.name=$1" | head -n 1; }
ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/ready" 2>/dev/null; }
wait_ready() { for _ in $(seq 1 300); do ready "$1" && return 0; sleep 1; done; echo "not ready: $1" >&2; exit 1; }
remove() {
  docker stack rm "$1" >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$1")" ] && break; sleep 1; done
  sleep 3
  docker volume ls -q --filter "label=com.docker.stack.namespace=$1" | xargs -r docker volume rm >/dev/null 2>&1 || true
}
pgbench_tps() { # container: one-row INSERTs, 4 clients, 20 s, on the local socket
  docker exec -u postgres "$1" sh -c 'psql -X -q -d postgres -c "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())" &&
    printf "INSERT INTO bench_insert DEFAULT VALUES;\n" > /tmp/insert.sql &&
    pgbench -n -c 4 -j 2 -T 20 -f /tmp/insert.sql postgres 2>/dev/null | sed -n "s/^tps = \([0-9.]*\).*/\1/p" | head -n 1'
}
cleanup() {
  remove authbenchsingle
  remove authbenchha
  for secret in jwt_secret password_pepper key_encryption_key db_password smtp_url db_replication_password; do
    docker secret rm "authbench_$secret" >/dev/null 2>&1 || true
  done
  for label in "${added[@]}"; do docker node update --label-rm "$label" "$node" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

# Both stacks run side by side; the load alternates between them in rounds, so that whatever else the
# host does weighs on both alike.
echo "deploying the single-node database (docker/stack.yml) and the HA database (+ docker/stack.ha.yml)..." >&2
HOST_PORT=3911 docker stack deploy --detach=true -c docker/stack.yml authbenchsingle >/dev/null
HOST_PORT=3912 docker stack deploy --detach=true -c docker/stack.yml -c docker/stack.ha.yml authbenchha >/dev/null
wait_ready 3911
wait_ready 3912
leader_of() { docker exec "$(container authbenchha_pg1 || true)" sh -c "patronictl list -f json | jq -r '.[] | select(.Role == \"Leader\" and .State == \"running\") | .Member'" 2>/dev/null ||
  docker exec "$(container authbenchha_pg2)" sh -c "patronictl list -f json | jq -r '.[] | select(.Role == \"Leader\" and .State == \"running\") | .Member'"; }
for _ in $(seq 1 120); do [ "$(scripts/db-cluster.sh status --stack authbenchha 2>/dev/null | grep -c 'synchronous standby: pg')" = 1 ] && break; sleep 1; done
load 3911 5 >/dev/null
load 3912 5 >/dev/null
single_reg=0
ha_reg=0
for round in 1 2 3; do
  single_reg=$((single_reg + $(load 3911 $((seconds / 3)))))
  ha_reg=$((ha_reg + $(load 3912 $((seconds / 3)))))
  echo "round $round: single $single_reg, HA $ha_reg registrations so far" >&2
done
single_tps=$(pgbench_tps "$(container authbenchsingle_db)")
ha_tps=$(pgbench_tps "$(container "authbenchha_$(leader_of)")")
remove authbenchsingle

failovers=()
rejoins=()
for run in $(seq 1 "$runs"); do
  for _ in $(seq 1 180); do
    status=$(scripts/db-cluster.sh status --stack authbenchha 2>/dev/null || true)
    [ "$(grep -c 'running' <<<"$status")" -ge 3 ] && grep -q 'synchronous standby: pg' <<<"$status" && ready 3912 && break
    sleep 1
  done
  leader=$(leader_of)
  log=$(mktemp)
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const port = Number(process.argv[1]); const fs = require("fs"); const out = process.argv[2];
    let n = 0; const end = Date.now() + 150_000;
    const worker = async (w) => { while (Date.now() < end && !fs.existsSync(out + ".stop")) { const started = Date.now();
      const r = await fetch(`http://127.0.0.1:${port}/auth/register`, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `fo.${process.pid}.${w}.${n++}@example.com`, password: "a perfectly good passphrase" }), signal: AbortSignal.timeout(15000) }).catch(() => undefined);
      await r?.arrayBuffer().catch(() => undefined);
      if (r?.status === 201) fs.appendFileSync(out, `${started} ${Date.now()}\n`); else await new Promise((ok) => setTimeout(ok, 100)); } };
    Promise.all([0, 1, 2, 3].map(worker));' 3912 "$log" &
  loader=$!
  sleep 5
  killed=$(date +%s%3N)
  docker kill "$(container "authbenchha_$leader")" >/dev/null
  back=
  for _ in $(seq 1 600); do
    back=$(awk -v k="$killed" '$1 > k { print $2 - k; exit }' "$log")
    [ -n "$back" ] && break
    sleep 0.1
  done
  rejoined=
  for _ in $(seq 1 180); do
    if scripts/db-cluster.sh status --stack authbenchha 2>/dev/null | grep -E "^\| $leader " | grep -qE 'Replica|Sync Standby' &&
      scripts/db-cluster.sh status --stack authbenchha 2>/dev/null | grep -E "^\| $leader " | grep -q running; then
      rejoined=$(( $(date +%s%3N) - killed )); break
    fi
    sleep 1
  done
  touch "$log.stop"; wait "$loader" || true; rm -f "$log" "$log.stop"
  echo "run $run: killed $leader, writes back after ${back:-?} ms, back as a standby after ${rejoined:-?} ms" >&2
  failovers+=("${back:-999999}")
  rejoins+=("${rejoined:-999999}")
done

median() { [ $# -gt 0 ] || { echo 0; return; }; printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
fo=$(median "${failovers[@]}")
rj=$(median "${rejoins[@]}")
cat <<TABLE
| measure | single-node | HA (synchronous) | ratio HA / single |
| --- | --- | --- | --- |
| registrations in ${seconds} s (8 clients, BCRYPT_COST=10) | $single_reg | $ha_reg | $(awk -v a="$ha_reg" -v b="$single_reg" 'BEGIN { printf "%.2f", a / b }') |
| one-row INSERT transactions/s (pgbench, 4 clients, on the primary) | $single_tps | $ha_tps | $(awk -v a="$ha_tps" -v b="$single_tps" 'BEGIN { printf "%.2f", a / b }') |

failover (docker kill of the leader, $runs runs): writes back after ${failovers[*]} ms (median $fo ms); killed member back as a standby after ${rejoins[*]} ms (median $rj ms)
TABLE
printf '{"singleRegistrations":%s,"haRegistrations":%s,"singleInsertTps":%s,"haInsertTps":%s,"failoverMs":[%s],"failoverMedianMs":%s,"rejoinMs":[%s],"rejoinMedianMs":%s}\n' \
  "$single_reg" "$ha_reg" "${single_tps:-0}" "${ha_tps:-0}" "$(IFS=,; echo "${failovers[*]}")" "$fo" "$(IFS=,; echo "${rejoins[*]}")" "$rj"
