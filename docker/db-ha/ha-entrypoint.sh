#!/bin/bash
# Entrypoint of a HA database member (docker/db-ha): writes Patroni's configuration from the environment
# and the Docker secrets, then runs Patroni as postgres (the base image's entrypoint would run any command
# but `postgres` as root). Patroni reads no *_FILE variables, hence this file.
#   PATRONI_NAME      this member's name, which must also be its service's name in the stack (pg1, ...):
#                     swarm's DNS resolves a service name whatever task runs it, a task's own address changes
#   PATRONI_SCOPE     the cluster's name (auth)         ETCD_HOSTS   etcd1:2379,etcd2:2379,etcd3:2379
#   POSTGRES_PASSWORD_FILE, REPLICATION_PASSWORD_FILE   the superuser's and the replication user's passwords
#   ARCHIVE_TIMEOUT   seconds (60); PATRONI_TTL (20), PATRONI_LOOP_WAIT (5), PATRONI_RETRY_TIMEOUT (5)
# ttl/loop_wait/retry_timeout, synchronous_mode and the PostgreSQL parameters are written to etcd when the
# cluster is first bootstrapped; change them later with `patronictl edit-config`.
set -euo pipefail
config=/etc/patroni/patroni.yml
volume=/var/lib/postgresql/ha

if [ "$(id -u)" = 0 ]; then
  # Docker creates new volumes as root.
  mkdir -p "$volume" /var/lib/pgbackrest /var/run/postgresql
  chown postgres:postgres "$volume" /var/lib/pgbackrest /var/run/postgresql
  chmod 700 "$volume"
  exec gosu postgres "$0" "$@"
fi

die() { echo "error: $*" >&2; exit 1; }
secret() { # NAME: the value of $NAME, or of the file named by ${NAME}_FILE (not both)
  local var=$1 file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then die "both $var and $file_var are set"; fi
  if [ -n "${!file_var:-}" ]; then
    [ -r "${!file_var}" ] || die "$file_var names ${!file_var}, which cannot be read"
    tr -d '\n' <"${!file_var}"
  else
    printf '%s' "${!var:-}"
  fi
}
# A YAML single-quoted scalar.
quote() {
  local escaped=${1//"'"/"''"}
  printf "'%s'" "$escaped"
}

: "${PATRONI_NAME:?set PATRONI_NAME to the service name of this member}" "${PATRONI_SCOPE:=auth}"
: "${ETCD_HOSTS:=etcd1:2379,etcd2:2379,etcd3:2379}" "${ARCHIVE_TIMEOUT:=60}"
: "${PATRONI_TTL:=20}" "${PATRONI_LOOP_WAIT:=5}" "${PATRONI_RETRY_TIMEOUT:=5}"
superuser_password=$(secret POSTGRES_PASSWORD)
replication_password=$(secret REPLICATION_PASSWORD)
[ -n "$superuser_password" ] || die "set POSTGRES_PASSWORD_FILE (a Docker secret) to the superuser's password"
[ -n "$replication_password" ] || die "set REPLICATION_PASSWORD_FILE (a Docker secret) to the replication user's password"
[[ "$ARCHIVE_TIMEOUT" =~ ^[0-9]+$ ]] || die "ARCHIVE_TIMEOUT must be a number of seconds, got '$ARCHIVE_TIMEOUT'"
bin_dir=$(dirname "$(command -v pg_ctl)")

umask 077
cat >"$config" <<YAML
scope: $(quote "$PATRONI_SCOPE")
name: $(quote "$PATRONI_NAME")
log:
  level: INFO
restapi:
  listen: 0.0.0.0:8008
  connect_address: $(quote "$PATRONI_NAME:8008")
  # Reads (GET /primary, /health) are open to the balancer; changes (switchover, restart) need this.
  authentication:
    username: patroni
    password: $(quote "$superuser_password")
etcd3:
  hosts: $(quote "$ETCD_HOSTS")
bootstrap:
  dcs:
    # A killed leader's key expires after ttl; its task must not restart before (restart_policy.delay).
    ttl: $PATRONI_TTL
    loop_wait: $PATRONI_LOOP_WAIT
    retry_timeout: $PATRONI_RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    # A commit returns only once a standby has it; with no standby left the last member serves alone.
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        # The leader archives (archive_mode=always, every member archiving into one repository, is refused
        # by pgBackRest: a standby's copy of a segment can differ from the primary's). A promoted standby
        # archives its new timeline, the old one's partial segment and the timeline history, and (pre_promote
        # below) the old timeline's segments that the old primary had not archived.
        archive_mode: 'on'
        archive_command: 'pgbackrest --stanza=${PGBACKREST_STANZA:-auth} archive-push %p'
        archive_timeout: $ARCHIVE_TIMEOUT
  initdb:
    - encoding: UTF8
    - data-checksums
  post_bootstrap: /usr/local/bin/ha-post-bootstrap
postgresql:
  listen: 0.0.0.0:5432
  connect_address: $(quote "$PATRONI_NAME:5432")
  data_dir: $(quote "$PGDATA")
  bin_dir: $(quote "$bin_dir")
  pgpass: /tmp/pgpass
  authentication:
    superuser:
      username: postgres
      password: $(quote "$superuser_password")
    replication:
      username: replicator
      password: $(quote "$replication_password")
    rewind:
      username: postgres
      password: $(quote "$superuser_password")
  pg_hba:
    - local all all trust
    - host replication replicator all scram-sha-256
    - host all all all scram-sha-256
  # A new or re-cloned member copies the leader at once rather than after a spread checkpoint.
  basebackup:
    - checkpoint: fast
  # Before a standby is promoted: the old primary's complete but unarchived segments that it holds are
  # archived by it once promoted (pre-promote.sh; it never fails, so it never stops a failover).
  pre_promote: /usr/local/bin/ha-pre-promote
  parameters:
    unix_socket_directories: /var/run/postgresql
YAML
exec patroni "$config"
