#!/usr/bin/env bash
# One-shot seed of the local compose run (service asset-register-seed, on the PostgreSQL image):
# waits until PostgreSQL answers, then applies the asset register's SQL (idempotent: the same file
# the Kubernetes local overlay seeds with, k8s/overlays/local/seed.sql, mounted at $SEED_SQL) and
# exits 0. PGHOST, PGUSER, PGPASSWORD, PGDATABASE come from the compose file.
set -euo pipefail
sql="${SEED_SQL:-/register/seed.sql}"
for attempt in $(seq 1 60); do
  if pg_isready -q -t 5; then
    psql -v ON_ERROR_STOP=1 -q -f "$sql"
    echo "seed.sh: asset register ready ($(psql -At -c 'SELECT count(*) FROM assets') assets)"
    exit 0
  fi
  echo "seed.sh: attempt $attempt: PostgreSQL not ready yet; retrying in 2 s" >&2
  sleep 2
done
exit 1
