#!/usr/bin/env bash
# The local compose run: the whole stack from locally built images (no container registry needed).
#   scripts/compose/local.sh up         engine (installed and started when missing: root), images
#                                       (built when their inputs changed), then `up -d`;
#                                       `up --no-build [services]` skips engine and images
#   scripts/compose/local.sh down       stops everything and removes the data volumes
#   scripts/compose/local.sh <args>     any other docker-compose command on the same project,
#                                       e.g. `ps`, `logs -f parse`, `kill -s SIGTERM store`
# Files: docker-compose.yml + deploy/local/docker-compose.local.yml, images from
# deploy/local/images.env (Kafka's tag from FLEETSTREAM_KAFKA_VERSION: kafka-version.sh).
# Project name: COMPOSE_PROJECT_NAME (default fleetstream).
# FLEETSTREAM_COMPOSE_OVERRIDE: more compose files (`:`-separated) laid on top (the compose test's).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=kafka-version.sh
source "$ROOT/scripts/compose/kafka-version.sh"
files=(-f "$ROOT/docker-compose.yml" -f "$ROOT/deploy/local/docker-compose.local.yml")
IFS=: read -r -a extra <<<"${FLEETSTREAM_COMPOSE_OVERRIDE:-}"
for f in "${extra[@]}"; do [[ -z "$f" ]] || files+=(-f "$f"); done
compose() {
  docker-compose --project-directory "$ROOT" -p "${COMPOSE_PROJECT_NAME:-fleetstream}" \
    --env-file "$ROOT/deploy/local/images.env" "${files[@]}" "$@"
}
case "${1:-}" in
  up)
    shift
    if [[ "${1:-}" != --no-build ]]; then
      bash "$ROOT/scripts/compose/engine.sh"
      bash "$ROOT/scripts/compose/images.sh" all
    fi
    compose up -d "$@"
    printf '[compose] up: Prometheus http://localhost:9090, gateway TCP localhost:5027 / HTTP localhost:8080\n' >&2
    ;;
  down) shift; compose down -v --remove-orphans "$@" ;;
  '') sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  *) compose "$@" ;;
esac
