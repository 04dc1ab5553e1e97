import os from 'node:os';
import { WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Infrastructure } from '../src/deps.js';
import type { QueuePayload } from '../src/queue/job-queue.js';
import { createRedis } from '../src/queue/redis-connection.js';
import { probeMedia } from '../src/media/probe.js';
import { JobRunner } from './job-runner.js';
import { Reconciler } from './reconciler.js';
import { JobRepository } from '../src/repositories/job.repository.js';
import { VideoRepository } from '../src/repositories/video.repository.js';
import { RetentionService } from '../src/services/retention.service.js';

const RETENTION_INTERVAL_MS = 3_600_000;

export interface RunningWorker {
  readonly runner: JobRunner;
  readonly reconciler: Reconciler;
  /** Stops taking jobs; lets running FFmpeg finish for up to graceMs, then hands those jobs back. */
  close(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  concurrency?: number;
  cancelPollMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  stallTimeoutMs?: number;
  timeLimitFactor?: number;
  timeLimitFloorMs?: number;
  reconcileIntervalMs?: number;
}

export function startWorker(config: Config, infra: Infrastructure, redisUrl: string, logger: Logger, opts: WorkerOptions = {}): RunningWorker {
  const runner = new JobRunner({
    sql: infra.sql,
    storage: infra.storage,
    queue: infra.queue,
    notify: infra.notifier,
    logger,
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    // Our own FFmpeg just wrote it: reading its headers is enough, no trial decode.
    probe: (file) => probeMedia(file, { ffprobePath: config.ffprobePath, ffmpegPath: config.ffmpegPath, skipDecodeCheck: true }),
    cancelPollMs: opts.cancelPollMs,
    stallTimeoutMs: opts.stallTimeoutMs ?? config.jobStallTimeoutMs,
    timeLimitFactor: opts.timeLimitFactor,
    timeLimitFloorMs: opts.timeLimitFloorMs,
  });
  const reconciler = new Reconciler(new JobRepository(infra.sql), infra.queue, logger);
  const shutdown = new AbortController();
  const workerName = `${os.hostname()}:${process.pid}`;
  const connection = createRedis(redisUrl, 'worker');
  connection.on('error', () => {});

  const worker = new Worker<QueuePayload>(
    config.queueName,
    async (job: BullJob<QueuePayload>, token?: string) => {
      try {
        const outcome = await runner.run(job, shutdown.signal);
        logger.info({ jobId: job.data.jobId, outcome, worker: workerName }, 'job handled');
        return outcome;
      } catch (err) {
        if (shutdown.signal.aborted && token) {
          // Handed back at once (not after a backoff), so another worker picks it up now.
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw err;
      }
    },
    {
      connection,
      concurrency: opts.concurrency ?? config.workerConcurrency,
      // A crashed worker's job is taken over within about lockDuration + stalledInterval (≤ 6 s);
      // the lock is renewed every lockDuration / 2 while FFmpeg runs.
      lockDuration: opts.lockDurationMs ?? 4_000,
      stalledInterval: opts.stalledIntervalMs ?? 2_000,
      maxStalledCount: opts.maxStalledCount ?? 5,
      autorun: true,
    },
  );
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker connection error'));
  reconciler.start(opts.reconcileIntervalMs ?? config.reconcileIntervalMs);
  const retention = new RetentionService(new VideoRepository(infra.sql), infra.storage, config.retentionHours);
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
      await closing;
      clearTimeout(timer);
      connection.disconnect();
    },
  };
}
