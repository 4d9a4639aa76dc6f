# syntax=docker/dockerfile:1
# One image for the Node services; the command picks which one runs:
#   docker run IMAGE dist/simulator/main.js | dist/ingest/main.js | dist/api/main.js
# (docker-compose.yml sets `command:` per service).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: full dependencies, compile TypeScript to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY simulator ./simulator
COPY ingest ./ingest
COPY api ./api
COPY scripts ./scripts
RUN npm run build

# --- production dependencies only (no compiler, no test tools)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The ingester's spool lives under /data (a volume in docker-compose.yml);
# the image's `node` user (uid 1000) owns it, so a new volume inherits that.
RUN mkdir -p /data/spool && chown -R node:node /data
USER node
# In a container every service listens on all interfaces.
ENV SIM_HOST=0.0.0.0 API_HOST=0.0.0.0 INGEST_METRICS_HOST=0.0.0.0 INGEST_SPOOL_DIR=/data/spool
EXPOSE 5001 8080 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD ["node", "dist/scripts/stack-healthcheck.js"]
# Per-service Node flags come from NODE_OPTIONS where the service is deployed:
# the ingester's heap ceiling is in docker-compose.yml and k8s/ingest.yaml.
ENTRYPOINT ["node"]
CMD ["dist/api/main.js"]
