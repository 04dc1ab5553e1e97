import os from 'node:os';
import { WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Infrastructure } from '../src/deps.js';
import type { QueuePayload } from '../src/queue/job-queue.js';
import { createRedis } from '../src/queue/redis-connection.js';
import { probeMedia } from './ffmpeg/probe.js';
import { JobRunner } from './job-runner.js';

export interface RunningWorker {
  readonly runner: JobRunner;
  /** Stops taking jobs; lets running FFmpeg finish for up to graceMs, then hands those jobs back. */
  close(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  concurrency?: number;
  cancelPollMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
}

export function startWorker(config: Config, infra: Infrastructure, redisUrl: string, logger: Logger, opts: WorkerOptions = {}): RunningWorker {
  const runner = new JobRunner({
    sql: infra.sql,
    storage: infra.storage,
    queue: infra.queue,
    notify: infra.notifier,
    logger,
    ffmpegPath: config.ffmpegPath,
    probe: (file) => probeMedia(file, { ffprobePath: config.ffprobePath, ffmpegPath: config.ffmpegPath }),
    cancelPollMs: opts.cancelPollMs,
  });
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
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 3,
      autorun: true,
    },
  );
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker connection error'));

  return {
    runner,
    async close(graceMs = config.shutdownGraceMs) {
      const closing = worker.close();
      const timer = setTimeout(() => shutdown.abort(), graceMs);
      timer.unref();
      await closing;
      clearTimeout(timer);
      connection.disconnect();
    },
  };
}
