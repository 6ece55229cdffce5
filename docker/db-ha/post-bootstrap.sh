#!/bin/bash
# Patroni's bootstrap.post_bootstrap: runs once, on the member that initialises the cluster, as postgres,
# with PostgreSQL running (Patroni ignores POSTGRES_DB and /docker-entrypoint-initdb.d). Creates the
# service's database and the pgBackRest stanza (WAL archiving works from the first segment).
set -euo pipefail
psql -X -v ON_ERROR_STOP=1 -h /var/run/postgresql -d postgres -c "CREATE DATABASE \"${POSTGRES_DB:-auth_service}\"" >/dev/null
if ! pgbackrest --stanza="${PGBACKREST_STANZA:-auth}" --log-level-console=warn stanza-create; then
  echo "WARNING: pgBackRest could not create its stanza: WAL archiving fails (PostgreSQL keeps the WAL) until it can" >&2
fi
