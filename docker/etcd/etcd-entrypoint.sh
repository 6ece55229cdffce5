#!/bin/bash
# Entrypoint of the etcd image: a new volume belongs to root; etcd runs as the unprivileged `node` user.
# Each member's peer name must resolve before etcd starts with a static --initial-cluster (swarm's DNS
# knows a task only while it runs): wait up to ETCD_WAIT_PEERS seconds (default 60) for every name.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  mkdir -p /var/lib/etcd && chown node:node /var/lib/etcd
  exec setpriv --reuid=node --regid=node --init-groups "$0" "$@"
fi
if [ -n "${ETCD_INITIAL_CLUSTER:-}" ] && [ ! -d "${ETCD_DATA_DIR}/member" ]; then
  IFS=, read -ra peers <<<"$ETCD_INITIAL_CLUSTER"
  for _ in $(seq 1 "${ETCD_WAIT_PEERS:-60}"); do
    unresolved=0
    for peer in "${peers[@]}"; do
      host=${peer#*://}
      host=${host%%:*}
      getent hosts "$host" >/dev/null || unresolved=$((unresolved + 1))
    done
    [ "$unresolved" -eq 0 ] && break
    sleep 1
  done
fi
exec etcd "$@"
