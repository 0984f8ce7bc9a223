#!/usr/bin/env bash
# The compose test (npm run compose:test): installs and starts the container engine when missing
# (root), builds the local images (cached), then runs tools/deploy-check/compose-test, which brings
# the stack up with scripts/compose/local.sh, feeds it, checks it and takes it down (`down -v`).
# Its jest report is tools/deploy-check/test-results.compose.json, which scripts/test-summary.ts
# adds to the other workspaces' reports; prints `tests: N passed, N failed` for this run alone.
# Called by scripts/fs.sh (Node and dependencies ready).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
report=tools/deploy-check/test-results.compose.json
rm -f "$report"
start=$SECONDS
if ! bash scripts/compose/engine.sh || ! bash scripts/compose/images.sh all; then
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
printf '[compose] engine and images ready in %d s\n' "$((SECONDS - start))" >&2
(cd tools/deploy-check && npm run --silent test:compose)
rc=$?
printf '[compose] compose test finished in %d s\n' "$((SECONDS - start))" >&2
node scripts/test-summary.ts --only "$report"
summary_rc=$?
[[ $rc == 0 && $summary_rc == 0 ]] || exit 1
