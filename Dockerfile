# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall patches the postgres driver (see README).
COPY scripts/patch-postgres.mjs ./scripts/
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The empty PGlite cluster a first start unpacks instead of running initdb (which needs ~700 MB in a child process).
COPY scripts/make-pglite-template.ts ./scripts/
RUN npm run build && npm run db:template && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code and migrations only; runs as non-root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/build ./build
COPY package.json ./
COPY drizzle ./drizzle
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness (/health): a restart cannot fix a database or Telegram outage, which /ready reports to the orchestrator.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Pre-start check of every dependency (exit 1 on a failure): `docker run --rm --env-file .env -v <volume>:/data <image>
# node dist/doctor/main.js`, or `docker exec <container> node dist/doctor/main.js` beside the running bot.
# node directly (not npm start) so SIGTERM reaches the app.
CMD ["node", "dist/main.js"]
