# syntax=docker/dockerfile:1
# One image for every dcs role; the command picks the role:
#   docker run dcs:0.1.0 serve --role storage --listen 0.0.0.0:7070 --data /data
# See docs/deploy.md. Node runs the TypeScript sources directly (type stripping): the only build
# step is the web UI (Vite), done in its own stage; the image holds src/, bin/, web/dist and the
# production dependencies.

# ---- deps: production dependencies only. The full Debian image has python3, make and g++ in case
# a native addon (better-sqlite3, snappy, lz4-napi) has no prebuilt binary for the platform.
FROM node:24-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall (scripts/bundle-deps.js) runs here too; without rolldown, a dev dependency, it only says so.
COPY bin/bundled-deps.js ./bin/
COPY scripts/bundle-deps.js ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- web: the React UI, built by Vite (a dev dependency) into web/dist.
FROM node:24-bookworm AS web
WORKDIR /app
COPY package.json package-lock.json ./
# Here, with rolldown, postinstall makes the one-file dependency bundles the runtime stage takes.
COPY bin/bundled-deps.js ./bin/
COPY scripts/bundle-deps.js ./scripts/
RUN npm ci --no-audit --no-fund
COPY web ./web
RUN npm run build:web

# ---- runtime: slim Node 24 on the same Debian release (same glibc as the deps stage).
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DCS_REPO=/var/lib/dcs/repo
# A fixed non-root uid/gid (10001) so volume ownership and Kubernetes' runAsUser/fsGroup agree.
# /data is created owned by that user: a fresh named volume mounted there inherits the ownership.
RUN groupadd --system --gid 10001 dcs \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/dcs --shell /usr/sbin/nologin dcs \
 && mkdir -p /var/lib/dcs/repo /data \
 && chown -R 10001:10001 /var/lib/dcs /data
WORKDIR /app
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
# The same lockfile, so the bundles' versions are the ones installed (bin/bundled-deps.js checks).
COPY --from=web --chown=0:0 /app/node_modules/.cache/dcs-deps ./node_modules/.cache/dcs-deps
COPY --chown=0:0 package.json ./
COPY --chown=0:0 bin ./bin
COPY --chown=0:0 src ./src
COPY --from=web --chown=0:0 /app/web/dist ./web/dist
USER 10001:10001
EXPOSE 7070
# `dcs serve` finishes in-flight requests on SIGTERM, then exits.
STOPSIGNAL SIGTERM
# Liveness on the default port; Compose and Kubernetes define their own checks.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7070/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/dcs.js"]
CMD ["serve", "--role", "all"]
