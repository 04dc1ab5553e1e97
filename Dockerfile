FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-fund --no-audit
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
ENV NODE_ENV=production STORAGE_DIR=/data/storage
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts"]
