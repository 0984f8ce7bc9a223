#!/usr/bin/env bash
# npm run bench: every workspace's bench against one devstack, then bench/results.json and
# bench/results.md (each measure beside its baseline, and the change against the previous run).
# BENCH_QUICK=1 (or --quick) shrinks every bench to a few minutes in all.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ "${1:-}" == "--quick" ]]; then export BENCH_QUICK=1; shift; fi
if [[ "${BENCH_QUICK:-}" == 1 ]]; then
  export BENCH_RECORDS="${BENCH_RECORDS:-200000}" BENCH_PACKETS="${BENCH_PACKETS:-50000}" BENCH_FUZZ_CASES="${BENCH_FUZZ_CASES:-100000}"
fi
started=0
cleanup() { if [[ $started == 1 ]]; then node tools/devstack/src/cli.ts down || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if [[ -z "${KAFKA_BROKERS:-}" || -z "${CASSANDRA_CONTACT_POINTS:-}" ]]; then
  if ! node tools/devstack/src/cli.ts status >/dev/null 2>&1; then started=1; fi
  node tools/devstack/src/cli.ts up || exit 1
  eval "$(node tools/devstack/src/cli.ts env)"
fi
npx turbo run bench --concurrency=1 --continue "$@"
rc=$?
node scripts/bench-summary.ts
exit $rc
