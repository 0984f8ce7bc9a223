# syntax=docker/dockerfile:1
#
# One image pattern for every fleetstream workspace. SERVICE is the workspace folder:
#   docker build --build-arg SERVICE=services/parse -t fleetstream/parse:dev .
#   (services/{gateway,parse,enrich,store,sql-source,simulator}, tools/asset-api-stub, tools/cli)
#
# Stages: prune (turbo prune: the workspace and the workspaces it depends on, with a pruned
# lockfile) -> build (npm ci, tsc via turbo, then npm prune to production dependencies) -> runtime
# (node:slim, non-root, node itself as PID 1 so SIGTERM reaches the service's drain logic).
# NODE_VERSION is the version scripts/fs.sh pins (deploy-check asserts they agree).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-slim AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /app

FROM base AS prune
ARG SERVICE
COPY . .
RUN test -n "${SERVICE}" && test -f "${SERVICE}/package.json" \
    || { echo "build arg SERVICE must name a workspace folder, e.g. services/parse" >&2; exit 1; }
# turbo at the version the root package.json pins; writes /out/json (manifests + lockfile) and /out/full.
RUN npx --yes "turbo@$(node -p "require('./package.json').devDependencies.turbo")" \
      prune "$(node -p "require('./${SERVICE}/package.json').name")" --docker --out-dir /out
# The operator CLI image also carries the topology (topics, CQL migrations) for `topology apply`.
RUN if [ "${SERVICE}" = "tools/cli" ]; then cp -r topology /out/full/topology; fi

FROM base AS build
ARG SERVICE
# Manifests first: the npm ci layer is reused until a package.json or the lockfile changes.
COPY --from=prune /out/json/ ./
RUN npm ci --ignore-scripts
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
