#!/usr/bin/env bash
# Makes a container engine available on this machine, idempotently:
#   1. installs Debian's docker.io (Docker Engine 20.10), docker-compose (1.29) and debootstrap
#      with apt-get when one is missing (apt-get update once),
#   2. starts dockerd in the background when it does not answer, logging to $DOCKERD_LOG, and
#      waits until `docker info` answers.
# Needs root (apt-get, dockerd). Prints nothing but progress on stderr; exits non-zero on failure.
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/fleetstream-dockerd.log}"
log() { printf '[compose] %s\n' "$*" >&2; }

# The docker.io client; an unrelated newer client elsewhere on PATH also works against 20.10.
docker_cli() { if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi; }

missing=()
[[ -x /usr/sbin/dockerd ]] || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
if ((${#missing[@]} > 0)); then
  [[ $(id -u) == 0 ]] || { log "error: installing ${missing[*]} needs root (apt-get)"; exit 1; }
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker_cli info >/dev/null 2>&1; then exit 0; fi
[[ $(id -u) == 0 ]] || { log "error: dockerd is not running and starting it needs root"; exit 1; }
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: $DOCKERD_LOG)"
  # containerd comes with docker.io; dockerd starts its own when none runs.
  nohup /usr/sbin/dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  disown || true
fi
for _ in $(seq 1 60); do
  if docker_cli info >/dev/null 2>&1; then log "dockerd ready"; exit 0; fi
  sleep 1
done
log "error: dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
tail -n 20 "$DOCKERD_LOG" >&2 || true
exit 1
