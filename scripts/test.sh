#!/usr/bin/env bash
# Runs every workspace's tests against one Kafka + Cassandra for the whole run, then prints
# `tests: N passed, N failed` (summed from each workspace's jest JSON) and exits non-zero on failure.
# Called by scripts/fs.sh (Node and dependencies are ready). Extra arguments go to turbo
# (e.g. --filter=@fleetstream/stream).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"

started=0
cleanup() {
  if [[ $started == 1 ]]; then node tools/devstack/src/cli.ts down || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

find . -name 'test-results*.json' -not -path './node_modules/*' -delete 2>/dev/null

if [[ -z "${KAFKA_BROKERS:-}" || -z "${CASSANDRA_CONTACT_POINTS:-}" ]]; then
  started=1
  node tools/devstack/src/cli.ts up || { echo "tests: 0 passed, 1 failed"; exit 1; }
  eval "$(node tools/devstack/src/cli.ts env)"
fi

npx turbo run test --concurrency=1 --continue "$@"
rc=$?
# The second Kafka client (issue #21): libs/stream's Kafka tests (its integration project: the
# unit project never touches a client) again with KAFKA_CLIENT=platformatic, which reaches every
# service process they start (test-kit's startServiceProcess), on the same servers; the report
# libs/stream/test-results.platformatic.json joins the summary. tools/cli's chaos-platformatic test
# runs the pipeline on it within the run above. Only on a whole run (no turbo arguments).
if [[ $# == 0 ]]; then
  (cd libs/stream && KAFKA_CLIENT=platformatic NODE_OPTIONS=--experimental-vm-modules \
    npx jest --selectProjects integration --json --outputFile=test-results.platformatic.json) \
    || rc=1
fi
# Without a filter every workspace must have reported: one whose jest could not start counts as a failure.
if [[ $# == 0 ]]; then node scripts/test-summary.ts --every-workspace; else node scripts/test-summary.ts; fi
summary_rc=$?
[[ $rc == 0 && $summary_rc == 0 ]] || exit 1
