import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { resolveBackends } from './backends.js';
import { loadConfig } from './config.js';
import { buildAppDeps, openInfrastructure } from './deps.js';
import { createLogger } from './logger.js';
import { checkBinary } from './preflight.js';
import { startWorker, type RunningWorker } from '../workers/worker.js';

export interface ProcessRoles {
  api: boolean;
  worker: boolean;
}

const POOL_SIZE = 10;

/**
 * Starts the API, a worker, or both in this process, and stops them cleanly on SIGTERM/SIGINT:
 * the API stops accepting and drains, the worker hands back what it cannot finish in the grace time.
 */
export async function runProcess(roles: ProcessRoles): Promise<void> {
  const name = roles.api && roles.worker ? 'video-jobs' : roles.api ? 'video-jobs-api' : 'video-jobs-worker';
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, name);
  // A stray rejection is a bug to log, never a reason to take the service down.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const split = !(roles.api && roles.worker);
  if (split && (!config.databaseUrl || !config.redisUrl)) {
    console.error(`${name} runs apart from the other half and needs a shared DATABASE_URL and REDIS_URL; set both, or use \`npm start\` for one process with embedded defaults.`);
    process.exit(1);
  }
  const missing = (
    await Promise.all([checkBinary(config.ffmpegPath, 'ffmpeg', 'FFMPEG_PATH'), checkBinary(config.ffprobePath, 'ffprobe', 'FFPROBE_PATH')])
  ).filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    for (const m of missing) console.error(m);
    process.exit(1);
  }

  const startedAt = Date.now();
  let backends;
  try {
    backends = await resolveBackends(config, logger, POOL_SIZE);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  let infra;
  try {
    infra = await openInfrastructure(config, backends, logger);
  } catch (err) {
    console.error(`Cannot open the database or storage: ${(err as Error).message}`);
    await backends.stop();
    process.exit(1);
  }

  let server: Server | undefined;
  let closeDeps: (() => Promise<void>) | undefined;
  if (roles.api) {
    const deps = await buildAppDeps(config, infra, logger);
    closeDeps = deps.close;
    const app = buildApp(deps);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(config.port, () => resolve(s));
    });
  }
  let worker: RunningWorker | undefined;
  if (roles.worker) worker = startWorker(config, infra, backends.redisUrl, logger);

  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    {
      database: backends.description.database,
      redis: backends.description.redis,
      storage: config.storageDir,
      workerConcurrency: roles.worker ? config.workerConcurrency : undefined,
      startupMs: Date.now() - startedAt,
    },
    roles.api ? `${name} ready at http://localhost:${port}/ (API docs: /api/openapi.json)` : `${name} ready`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
    server?.closeIdleConnections();
    // SSE streams never end by themselves.
    setTimeout(() => server?.closeAllConnections(), 5_000).unref();
    await worker?.close(config.shutdownGraceMs);
    await closing;
    await closeDeps?.();
    await infra.close().catch(() => {});
    await backends.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
