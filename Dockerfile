# syntax=docker/dockerfile:1
#
# One image definition, one build target per app:
#
#   docker build --target producer          -t lakehouse/producer .
#   docker build --target bronze-ingestor   -t lakehouse/bronze-ingestor .
#   docker build --target silver-scheduler  -t lakehouse/silver-scheduler .
#   docker build --target analytics-gateway -t lakehouse/analytics-gateway .
#
# Debian slim (glibc), not alpine: DuckDB's prebuilt native binding (@duckdb/node-bindings-linux-*)
# needs glibc. NODE_VERSION follows the current Node LTS; override with --build-arg NODE_VERSION=...
# The build stage compiles with `nest build <app>` (tsc builder, @app/* path aliases rewritten to
# relative requires), so the runtime needs neither ts-node nor tsconfig-paths; the runtime stage
# gets production dependencies only, installed by a separate `npm ci --omit=dev`.
# See docs/deployment.md.

ARG NODE_VERSION=24
ARG DEBIAN_RELEASE=bookworm

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS base
WORKDIR /app
# No update notifier, funding or audit chatter, and no telemetry from install scripts.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    SCARF_ANALYTICS=false

# --- all dependencies (dev included) to build ------------------------------------------------
FROM base AS build
COPY package.json package-lock.json ./
# No dependency needs an install script (native code ships as prebuilt optional packages).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY apps ./apps
RUN node apps/analytics-gateway/dashboard/build.js \
 && npx nest build producer \
 && npx nest build bronze-ingestor \
 && npx nest build silver-scheduler \
 && npx nest build analytics-gateway

# --- production dependencies only (cached as long as the lockfile does not change) -------------
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

# --- what every app image shares -------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production
# The Delta tables' mount point. Created here, owned by `node`, so that a Docker named volume
# mounted on it starts out writable by the non-root user.
RUN mkdir -p /data/lakehouse && chown node:node /data/lakehouse
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
USER node
# Slim images have no curl: Node's fetch against the app's own /health (PORT is set per target).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# --- one target per app ----------------------------------------------------------------------
# `nest build <app>` writes dist/apps/<app>/{apps/<app>/src,libs}; copied as /app/dist/{apps,libs}
# so the relative requires between them keep working.

FROM runtime AS producer
ENV PORT=3003
COPY --from=build /app/dist/apps/producer ./dist
EXPOSE 3003
CMD ["node", "dist/apps/producer/src/main.js"]

FROM runtime AS bronze-ingestor
# Two glibc malloc arenas instead of one per thread (8 x cores): the ingestor's threads (DuckDB's,
# libuv's, the classify worker) otherwise each keep freed memory; ~15-20 MB less peak RSS in
# bench:ingest, same speed. A fixed mmap threshold: blocks of 128 KiB and more (fetch buffers,
# packed payloads, column arrays) are mapped and unmapped instead of reused from the arenas, where
# glibc's adaptive threshold let them fragment; ~25 MB less peak RSS, same speed.
ENV PORT=3001 LAKEHOUSE_ROOT=/data/lakehouse MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/dist/apps/bronze-ingestor ./dist
EXPOSE 3001
# An 8 MiB young generation (V8's default is up to 16 MiB per semi-space). Smaller, kafkajs'
# messages outlive it: at 4 MiB, each fetch's messages were copied by scavenges and promoted, and the
# main thread spent ~30% of its time in GC (--trace-gc); 8 MiB cut the ingestor's CPU per row by
# ~15%. 16 MiB saved no more and cost ~25 MB of peak RSS under a backlog.
# Old generation grown 2x between full GCs: V8 picked ~1.25x for this small heap (~25 MB live), a
# mark-compact every flush; 100% cut them from 20 to 8 per 1M rows and the CPU per row by ~8%
# (bench:ingest against consume-only, 4 interleaved pairs), peak RSS within 10 MB.
# A 768 MiB old generation, inside the pod's 1 GiB limit with room for DuckDB (V8 would otherwise
# size it from the host's memory, 4 GiB here, and the pod be killed before a full GC). Below 1 GiB
# V8 also grows the heap less eagerly between collections: peak RSS draining a 1M backlog ~240 MB
# instead of ~295, for ~10% of the throughput. Applies to both of its threads (V8 flags are per process).
# bench/ingest runs the compiled ingestor with these same flags and ENV, read from here.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=100", "--max-old-space-size=768", "dist/apps/bronze-ingestor/src/main.js"]

FROM runtime AS silver-scheduler
ENV PORT=3002 LAKEHOUSE_ROOT=/data/lakehouse
COPY --from=build /app/dist/apps/silver-scheduler ./dist
EXPOSE 3002
CMD ["node", "dist/apps/silver-scheduler/src/main.js"]

# Last, so that a build without --target gives the gateway.
FROM runtime AS analytics-gateway
ENV PORT=3000 LAKEHOUSE_ROOT=/data/lakehouse
COPY --from=build /app/dist/apps/analytics-gateway ./dist
# The dashboard's built page (npm run build:dashboard), found at /app/dist/dashboard by the gateway.
COPY --from=build /app/dist/dashboard ./dist/dashboard
EXPOSE 3000
CMD ["node", "dist/apps/analytics-gateway/src/main.js"]
