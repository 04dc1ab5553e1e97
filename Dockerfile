FROM node:20-bookworm-slim
# redis-server: the default CMD (workers/main.ts) starts an embedded Redis when REDIS_URL is not set.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg redis-server && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a runtime dependency (package.json), so the TypeScript sources run as they are, as in development.
RUN npm ci --omit=dev --no-fund --no-audit
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
# HOST: a container is reached through its published port, never its loopback.
ENV NODE_ENV=production DATA_DIR=/data STORAGE_DIR=/data/storage HOST=0.0.0.0
EXPOSE 3000
CMD ["node", "--import", "tsx", "workers/main.ts"]
