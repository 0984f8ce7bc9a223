#!/usr/bin/env bash
# One-shot seed (compose service asset-register-seed): waits until SQL Server answers (it starts
# alongside, not before: see docker-compose.yml), then creates the fleetstream database and the
# asset register, idempotently, and exits 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for attempt in $(seq 1 60); do
  if bash "$here/sqlcmd.sh" -l 5 -i "$here/seed.sql"; then
    echo "seed.sh: asset register ready"
    exit 0
  fi
  echo "seed.sh: attempt $attempt failed (SQL Server not ready yet?); retrying in 3 s" >&2
  sleep 3
done
exit 1
