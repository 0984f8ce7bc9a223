#!/usr/bin/env bash
# One-shot seed of the local run (compose service asset-register-seed, PostgreSQL image): waits
# until PostgreSQL answers, then applies seed.sql (idempotent) and exits 0.
# PGHOST, PGUSER, PGPASSWORD, PGDATABASE come from the compose file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for attempt in $(seq 1 60); do
  if pg_isready -q -t 5; then
    psql -v ON_ERROR_STOP=1 -q -f "$here/seed.sql"
    echo "seed.sh: asset register ready ($(psql -At -c 'SELECT count(*) FROM assets') assets)"
    exit 0
  fi
  echo "seed.sh: attempt $attempt: PostgreSQL not ready yet; retrying in 2 s" >&2
  sleep 2
done
exit 1
