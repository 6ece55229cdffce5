#!/bin/bash
# Run once by the image's entrypoint right after initdb of a new cluster (/docker-entrypoint-initdb.d):
# creates the pgBackRest stanza, so that the first WAL segment is archived at the first start.
# An existing cluster gets its stanza from db-entrypoint.sh instead.
if ! pgbackrest --stanza="${PGBACKREST_STANZA:-auth}" --log-level-console=warn stanza-create; then
  echo "WARNING: pgBackRest could not create its stanza: WAL archiving fails (PostgreSQL keeps the WAL) until it can; scripts/verify.sh shows the lag" >&2
fi
