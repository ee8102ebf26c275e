# ledger-bridge serve in a container: docs/deployment.md#a-container
# Build: docker build -t ledger-bridge .
# Run:   docker run -p 8080:8080 -v ledger-bridge-data:/data --env-file bridge.env ledger-bridge

# Stage 1: install (better-sqlite3 builds from source), compile, then keep runtime dependencies only.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci runs the build (the prepare script) once the sources are in place.
RUN npm ci && npm prune --omit=dev

# Stage 2: what runs — no compiler, no sources, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    LEDGER_BRIDGE_HOME=/data \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
COPY web ./web
COPY examples ./examples
# The SQLite store (and the emulator's state, when no D365_URL is set) live in /data: mount a volume.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers while the process serves; /readyz also checks the store and the worker.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM finishes the requests in flight; give it the request timeout: docker stop -t 130.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/main.js", "serve"]
