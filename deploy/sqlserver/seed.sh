#!/usr/bin/env bash
# One-shot seed (compose service sqlserver-seed): creates the fleetstream database and the asset
# register, idempotently, then exits 0. SQL Server is healthy before this runs (depends_on).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if bash "$here/sqlcmd.sh" -i "$here/seed.sql"; then
    echo "seed.sh: asset register ready"
    exit 0
  fi
  echo "seed.sh: attempt $attempt failed; retrying in 3 s" >&2
  sleep 3
done
exit 1
