import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Drain } from './http/drain.js';
import { resolveBackends } from './backends.js';
import { loadConfig, type Config } from './config.js';
import { buildAppDeps, openInfrastructure, type Infrastructure } from './deps.js';
import { createLogger } from './logger.js';
import { checkBinary } from './preflight.js';
import { planListen, type ListenPlan } from './http/listen-host.js';

/** What the process runner needs of a worker: workers/ builds it, so src/ never imports workers/. */
export interface WorkerHandle {
  close(graceMs: number): Promise<void>;
}

export type StartWorker = (config: Config, infra: Infrastructure, redisUrl: string, logger: Logger) => WorkerHandle;

export interface ProcessRoles {
  api: boolean;
  /** Given when this process runs a worker. */
  worker?: StartWorker;
}

/** What a shutdown may take beyond SHUTDOWN_GRACE_MS before it gives up and exits 1. */
export const SHUTDOWN_MARGIN_MS = 10_000;
/** The limit of each closing step other than the worker's. */
const STEP_LIMIT_MS = 5_000;

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
  // A process that runs one half uses the embedded backends that `npm start` runs in DATA_DIR, or refuses.
  const split = !(roles.api && roles.worker);
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
    backends = await resolveBackends(config, logger, split ? 'attach' : 'own');
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
  let drain: Drain | undefined;
  let plan: ListenPlan | undefined;
  if (roles.api) {
    const deps = await buildAppDeps(config, infra, logger);
    closeDeps = deps.close;
    drain = deps.drain;
    const app = buildApp(deps);
    plan = planListen(config.host, await deps.auth.keyRequired().catch(() => Boolean(config.apiKey)));
    try {
      server = await listen(app, config.port, plan.host);
    } catch (err) {
      console.error(listenFailure(err as NodeJS.ErrnoException, config.port, plan.host));
      await closeInOrder(logger, [
        ['app dependencies', STEP_LIMIT_MS, closeDeps],
        ['database, queue and storage', STEP_LIMIT_MS, () => infra.close()],
        ['embedded backends', STEP_LIMIT_MS, () => backends.stop()],
      ]);
      process.exit(1);
    }
  }
  const worker = roles.worker?.(config, infra, backends.redisUrl, logger);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while shutting down: exiting now');
      process.exit(1);
    }
    stopping = true;
    const deadlineMs = config.shutdownGraceMs + SHUTDOWN_MARGIN_MS;
    logger.info({ signal, deadlineMs }, 'shutting down');
    // The backstop: whatever a step does, the process is gone before an orchestrator's SIGKILL.
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish before its deadline: exiting');
      process.exit(1);
    }, deadlineMs);
    const s = server;
    const d = drain;
    const w = worker;
    // The API stops accepting and finishes what it accepted while the worker hands back what it cannot finish.
    const first = await Promise.all([
      s && d ? runStep(logger, 'http server', config.shutdownGraceMs + STEP_LIMIT_MS, () => drainServer(s, d, config.shutdownGraceMs, logger)) : true,
      w ? runStep(logger, 'worker', config.shutdownGraceMs + STEP_LIMIT_MS, () => w.close(config.shutdownGraceMs)) : true,
    ]);
    const rest = await closeInOrder(logger, [
      ['app dependencies', STEP_LIMIT_MS, closeDeps],
      ['database, queue and storage', STEP_LIMIT_MS, () => infra.close()],
      ['embedded backends', STEP_LIMIT_MS, () => backends.stop()],
    ]);
    if (first.every(Boolean) && rest) {
      logger.info('stopped');
      process.exit(0);
    }
    logger.error('stopped, but not every step finished');
    process.exit(1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // Only now: a supervisor that signals the moment it reads "ready" must meet the handlers above.
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (plan?.open) logger.warn(`The API is open: no API key is configured and HOST=${plan.host} lets any machine that reaches port ${port} read, run and delete everything (set API_KEY or create a key with npm run keys).`);
  const listening = !plan ? undefined : plan.host === undefined ? 'every interface' : plan.loopbackByDefault ? '127.0.0.1 only (no API key is configured; HOST=0.0.0.0 listens on every interface)' : plan.host;
  logger.info(
    {
      listening,
      database: backends.description.database,
      redis: backends.description.redis,
      storage: config.storageDir,
      workerConcurrency: roles.worker ? config.workerConcurrency : undefined,
      startupMs: Date.now() - startedAt,
    },
    roles.api ? `${name} ready at http://localhost:${port}/ (API docs: /api/openapi.json)` : `${name} ready`,
  );
}

type Step = [name: string, limitMs: number, close: (() => Promise<void>) | undefined];

/** Runs the steps one after the other, each on its own limit; true when every one finished. */
async function closeInOrder(logger: Logger, steps: Step[]): Promise<boolean> {
  let ok = true;
  for (const [name, limitMs, close] of steps) if (close) ok = (await runStep(logger, name, limitMs, close)) && ok;
  return ok;
}

/** Never rejects: a step that fails or outlives its limit is logged, and the shutdown goes on. */
async function runStep(logger: Logger, step: string, limitMs: number, close: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([Promise.resolve().then(close), expired]);
    return true;
  } catch (err) {
    logger.error({ step, err: err instanceof Error ? err.message : String(err) }, 'shutdown step failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops accepting, lets the requests in flight finish for up to `graceMs` (their responses say
 * `Connection: close`), then cuts what is left and removes the temp files those requests held.
 */
async function drainServer(server: Server, drain: Drain, graceMs: number, logger: Logger): Promise<void> {
  drain.start();
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  server.closeIdleConnections();
  const finished = await drain.idle(graceMs);
  server.closeAllConnections();
  await closed;
  const removed = await drain.discardHeld();
  if (!finished) logger.warn({ graceMs, tempFilesRemoved: removed }, 'requests still in flight after the grace time were cut');
}

/** Express 5 hands a listen error (EADDRINUSE, EACCES) to the callback instead of throwing. */
function listen(app: Express, port: number, host: string | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => (err ? reject(err) : resolve(server));
    const server = host === undefined ? app.listen(port, done) : app.listen(port, host, done);
  });
}

function listenFailure(err: NodeJS.ErrnoException, port: number, host: string | undefined): string {
  if (err.code === 'EADDRINUSE') return `Cannot listen on port ${port}: it is already in use (another instance?). Stop that process or set PORT to a free port.`;
  if (err.code === 'EACCES') return `Cannot listen on port ${port}: permission denied. Set PORT to a port above 1023.`;
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return `Cannot listen on ${host}:${port}: this machine has no such address (HOST).`;
  return `Cannot listen on port ${port} (PORT): ${err.message}`;
}
