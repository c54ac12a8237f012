# Build stage: install everything, compile TypeScript.
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY parsers ./parsers
COPY sinks ./sinks
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as an unprivileged user.
FROM node:26-slim
ENV NODE_ENV=production \
    ERP_SYNC_DATA_DIR=/var/lib/erp-sync \
    HTTP_PORT=8080 \
    HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
RUN groupadd --system erpsync && useradd --system --gid erpsync --home-dir /var/lib/erp-sync erpsync \
    && mkdir -p /var/lib/erp-sync && chown erpsync:erpsync /var/lib/erp-sync
USER erpsync
VOLUME ["/var/lib/erp-sync"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/erp-sync.js"]
CMD ["start"]
