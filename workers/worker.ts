import os from 'node:os';
import { DelayedError, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import { retentionOf, type Infrastructure } from '../src/deps.js';
import { probeOutputOnce } from '../src/media/output-probe.js';
import type { QueuePayload } from '../src/queue/job-queue.js';
import { createRedis } from '../src/queue/redis-connection.js';
import { JobRunner } from './job-runner.js';
import { Reconciler } from './reconciler.js';
import { startWebhookWorker } from './webhook-worker.js';
import { webhookQueueName } from '../src/queue/webhook-queue.js';
import { importQueueName } from '../src/queue/import-queue.js';
import { startImportWorker } from './import-worker.js';

const RETENTION_INTERVAL_MS = 3_600_000;
// Past the lease's end, so the next delivery finds it lapsed.
const BUSY_SLACK_MS = 250;

export interface RunningWorker {
  readonly runner: JobRunner;
  readonly reconciler: Reconciler;
  /** Stops taking jobs; lets running FFmpeg finish for up to graceMs, then hands those jobs back. */
  close(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  concurrency?: number;
  heartbeatMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  stallTimeoutMs?: number;
  timeLimitFactor?: number;
  timeLimitFloorMs?: number;
  reconcileIntervalMs?: number;
}

/** BullMQ glue: deliveries become JobRunner runs; what the runner says becomes BullMQ's next step. */
export function startWorker(config: Config, infra: Infrastructure, redisUrl: string, logger: Logger, opts: WorkerOptions = {}): RunningWorker {
  const runner = new JobRunner({
    lifecycle: infra.lifecycle,
    storage: infra.storage,
    logger,
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    probe: (file, signal) => probeOutputOnce(file, { ffprobePath: config.ffprobePath, signal, logger }),
    heartbeatMs: opts.heartbeatMs,
    stallTimeoutMs: opts.stallTimeoutMs ?? config.jobStallTimeoutMs,
    timeLimitFactor: opts.timeLimitFactor,
    timeLimitFloorMs: opts.timeLimitFloorMs,
  });
  const reconciler = new Reconciler(infra.uow.read.jobs, infra.lifecycle, infra.queue, infra.dispatcher, logger, opts.reconcileIntervalMs ?? config.reconcileIntervalMs, {
    videos: infra.uow.read.videos,
    queue: infra.importQueue,
    // Re-adding an import its queue still holds adds nothing; waiting this long only spares needless calls.
    staleAfterMs: config.imports.timeoutMs * 2 + 60_000,
  });
  const webhookWorker = startWebhookWorker(webhookQueueName(config.queueName), redisUrl, infra.dispatcher, logger);
  const importWorker = startImportWorker(importQueueName(config.queueName), redisUrl, infra.imports, logger);
  const shutdown = new AbortController();
  const workerName = `${os.hostname()}:${process.pid}`;
  const connection = createRedis(redisUrl, 'worker');
  connection.on('error', () => {});

  const worker = new Worker<QueuePayload>(
    config.queueName,
    async (job: BullJob<QueuePayload>, token?: string) => {
      const outcome = await runner.run(job.data.jobId, shutdown.signal);
      logger.info({ jobId: job.data.jobId, outcome: outcome.kind, worker: workerName }, 'job handled');
      switch (outcome.kind) {
        case 'busy':
          await job.moveToDelayed(outcome.until.getTime() + BUSY_SLACK_MS, token);
          throw new DelayedError();
        case 'shutdown':
          if (token) {
            // Handed back at once (not after a backoff), so another worker picks it up now.
            await job.moveToWait(token);
            throw new WaitingError();
          }
          throw outcome.error;
        case 'retry':
          throw outcome.error;
        default:
          return outcome.kind;
      }
    },
    {
      connection,
      concurrency: opts.concurrency ?? config.workerConcurrency,
      // A crashed worker's job is delivered again within about lockDuration + stalledInterval; the
      // lifecycle lets the new delivery claim it once the dead execution's lease has lapsed.
      lockDuration: opts.lockDurationMs ?? 4_000,
      stalledInterval: opts.stalledIntervalMs ?? 2_000,
      maxStalledCount: opts.maxStalledCount ?? 5,
      autorun: true,
    },
  );
  worker.on('error', (err) => {
    // A worker that was paused past its lock finds another holding the job: expected, and fenced.
    if (/lock mismatch|could not renew lock|missing lock/i.test(err.message)) logger.info({ err: err.message }, 'BullMQ lock lost: the job is owned by another delivery');
    else logger.warn({ err: err.message }, 'worker connection error');
  });
  reconciler.start();
  const retention = retentionOf(config, infra);
  const retentionTimer = setInterval(() => {
    retention.runOnce().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'retention pass failed'));
  }, RETENTION_INTERVAL_MS);
  retentionTimer.unref();

  return {
    runner,
    reconciler,
    async close(graceMs = config.shutdownGraceMs) {
      clearInterval(retentionTimer);
      await reconciler.stop();
      const closing = worker.close();
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      timer.unref();
      await Promise.all([closing, webhookWorker.close(), importWorker.close(graceMs)]);
      clearTimeout(timer);
      connection.disconnect();
    },
  };
}
