import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { buildAppDeps, openInfrastructure, type Infrastructure } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { startWorker, type RunningWorker, type WorkerOptions } from '../../workers/worker.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Harness {
  config: Config;
  infra: Infrastructure;
  app: Express;
  api: ReturnType<typeof supertest>;
  worker: RunningWorker | undefined;
  storageDir: string;
  logger: Logger;
  redisUrl: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  worker?: boolean | WorkerOptions;
  env?: Record<string, string>;
  databaseUrl?: string;
  redisUrl?: string;
  storageDir?: string;
}

/**
 * The real app in-process over real PostgreSQL (a schema of its own), real Redis (a queue of its
 * own) and real FFmpeg, so test files never collide with each other or with a dev server.
 */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const suffix = randomBytes(5).toString('hex');
  const storageDir = opts.storageDir ?? (await mkdtemp(path.join(os.tmpdir(), 'vj-test-')));
  const databaseUrl = opts.databaseUrl ?? TEST_DATABASE_URL;
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    STORAGE_DIR: storageDir,
    DATA_DIR: path.join(storageDir, 'data'),
    QUEUE_NAME: `test-${suffix}`,
    DB_SCHEMA: `test_${suffix}`,
    WORKER_CONCURRENCY: '2',
    JOB_ATTEMPTS: '2',
    MIN_FREE_BYTES: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Else one would be generated under DATA_DIR (./data of the checkout).
    LINK_SECRET: randomBytes(24).toString('hex'),
    ...opts.env,
  });
  const logger = createLogger(config.logLevel, 'test');
  const infra = await openInfrastructure(config, { databaseUrl, redisUrl }, logger);
  const deps = await buildAppDeps(config, infra, logger);
  const app = buildApp(deps);
  const workerOpts = typeof opts.worker === 'object' ? opts.worker : {};
  const worker = opts.worker === false ? undefined : startWorker(config, infra, redisUrl, logger, { heartbeatMs: 250, ...workerOpts });
  return {
    config,
    infra,
    app,
    api: supertest(app),
    worker,
    storageDir,
    logger,
    redisUrl,
    async close() {
      await worker?.close(2_000);
      await deps.close();
      await obliterateQueue(config.queueName, redisUrl).catch(() => {});
      await infra.close();
      await dropSchema(config.dbSchema);
      if (!opts.storageDir) await rm(storageDir, { recursive: true, force: true });
    },
  };
}

async function obliterateQueue(name: string, url: string): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  const q = new Queue(name, { connection });
  await q.obliterate({ force: true }).catch(() => {});
  await q.close();
  connection.disconnect();
}

async function dropSchema(schema: string): Promise<void> {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
}
