import type { Logger } from 'pino';
import path from 'node:path';
import { makeStoryboard, makeThumbnail, readKeyframes } from './media/preview.js';
import { probeMedia } from './media/probe.js';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { migrate } from './db/migrate.js';
import { checkBinary } from './preflight.js';
import { createSqlClient, type Sql } from './db/sql-client.js';
import { Drain } from './http/drain.js';
import { Metrics } from './http/metrics.js';
import type { ReadinessCheck } from './http/service.routes.js';
import { JobQueue } from './queue/job-queue.js';
import { createRedis, untilReady } from './queue/redis-connection.js';
import { JobLifecycle } from './core/lifecycle.js';
import { EventFeed } from './outbox/event-feed.js';
import { OutboxRelay } from './outbox/relay.js';
import { IdempotencyKeyRepository } from './repositories/idempotency-key.repository.js';
import { WebhookQueue, webhookQueueName } from './queue/webhook-queue.js';
import { WebhookRepository } from './repositories/webhook.repository.js';
import { WebhookService } from './services/webhook.service.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { PostgresUnitOfWork } from './repositories/unit-of-work.js';
import { CommandService } from './services/command.service.js';
import { DownloadService } from './services/download.service.js';
import { JobService } from './services/job.service.js';
import { PreviewService } from './services/preview.service.js';
import { PlanService } from './services/plan.service.js';
import { RetentionService } from './services/retention.service.js';
import { RunService } from './services/run.service.js';
import { UploadService } from './services/upload.service.js';
import { VideoService } from './services/video.service.js';
import { FileStorage } from './storage/file-storage.js';

/** The backing connections every process (API or worker) opens. */
export interface Infrastructure {
  sql: Sql;
  storage: FileStorage;
  queue: JobQueue;
  uow: PostgresUnitOfWork;
  outbox: OutboxRepository;
  lifecycle: JobLifecycle;
  /** Every process relays the outbox: whichever claims an event first hands it over. */
  relay: OutboxRelay;
  idempotencyKeys: IdempotencyKeyRepository;
  webhookQueue: WebhookQueue;
  webhooks: WebhookRepository;
  dispatcher: WebhookDispatcher;
  close(): Promise<void>;
}

export interface ResolvedUrls {
  databaseUrl: string;
  redisUrl: string;
}

export async function openInfrastructure(config: Config, urls: ResolvedUrls, logger: Logger): Promise<Infrastructure> {
  const sql = createSqlClient({ url: urls.databaseUrl, schema: config.dbSchema });
  await migrate(sql, config.dbSchema);
  const storage = new FileStorage(config.storageDir);
  await storage.init();
  const producerRedis = createRedis(urls.redisUrl, 'producer');
  producerRedis.on('error', () => {});
  // Fail-fast clients refuse commands until connected; give Redis a moment, but start without it.
  await untilReady(producerRedis, 5_000);
  const queue = new JobQueue(config.queueName, producerRedis, { attempts: config.jobAttempts });
  const uow = new PostgresUnitOfWork(sql);
  const outbox = new OutboxRepository(sql);
  const lifecycle = new JobLifecycle(uow, { maxAttempts: config.jobAttempts, leaseMs: config.jobLeaseMs });
  const webhookQueue = new WebhookQueue(webhookQueueName(config.queueName), producerRedis);
  const webhooks = new WebhookRepository(sql);
  const dispatcher = new WebhookDispatcher(webhooks, webhookQueue, logger, config.webhooks);
  const relay = new OutboxRelay(outbox, queue, logger, {}, dispatcher);
  relay.start();
  return {
    sql,
    storage,
    queue,
    uow,
    outbox,
    lifecycle,
    relay,
    idempotencyKeys: new IdempotencyKeyRepository(sql),
    webhookQueue,
    webhooks,
    dispatcher,
    async close() {
      await relay.stop();
      await queue.close().catch(() => {});
      await webhookQueue.close().catch(() => {});
      producerRedis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}

/** The retention pass over this process's infrastructure (the worker runs it hourly, `npm run cleanup` once). */
export function retentionOf(config: Config, infra: Infrastructure): RetentionService {
  return new RetentionService({
    videos: infra.uow.read.videos,
    outbox: infra.outbox,
    storage: infra.storage,
    idempotencyKeys: infra.idempotencyKeys,
    retentionHours: config.retentionHours,
    outboxRetentionHours: config.outboxRetentionHours,
  });
}

/** Everything buildApp needs, wired over the infrastructure. */
export async function buildAppDeps(config: Config, infra: Infrastructure, logger: Logger): Promise<AppDeps & { close(): Promise<void> }> {
  const { sql, storage, queue, uow, lifecycle } = infra;
  const events = new EventFeed(infra.outbox, logger);
  await events.start();
  const metrics = new Metrics({ jobCountsByStatus: () => uow.read.jobs.countByStatus(), queueCounts: () => queue.counts() });
  events.on((e) => metrics.observeJobEvent(e));
  const tools = { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, logger };
  const readiness: ReadinessCheck[] = [
    { name: 'postgres', check: async () => void (await sql`SELECT 1`) },
    { name: 'redis', check: () => queue.ping() },
    {
      name: 'ffmpeg',
      check: async () => {
        const problem = await checkBinary(config.ffmpegPath, 'ffmpeg', 'FFMPEG_PATH');
        if (problem) throw new Error(problem);
      },
    },
  ];
  return {
    logger,
    apiKey: config.apiKey,
    maxUploadBytes: config.maxUploadBytes,
    minFreeBytes: config.minFreeBytes,
    tmpDir: storage.tmpDir,
    videos: new VideoService(uow, storage),
    uploads: new UploadService(uow, storage, (file) => probeMedia(file, { ffprobePath: config.ffprobePath, ffmpegPath: config.ffmpegPath })),
    commands: new CommandService(lifecycle),
    downloads: new DownloadService(uow.read.videos, storage),
    jobs: new JobService(uow.read.jobs, lifecycle, storage),
    runs: new RunService(lifecycle, queue, () => infra.relay.nudge()),
    plans: new PlanService(lifecycle, uow.read.videos, uow.read.jobs, { ffprobePath: config.ffprobePath, logger, pathOf: (key) => storage.pathOf(key) }),
    webhooks: new WebhookService(infra.webhooks, infra.dispatcher, config.webhooks.allowPrivate),
    previews: new PreviewService(uow.read.videos, (key) => storage.pathOf(key), path.join(storage.root, 'previews'), {
      thumbnail: (input, output, t, width) => makeThumbnail(input, output, t, width, tools),
      storyboard: (input, output, layout) => makeStoryboard(input, output, layout, tools),
      keyframes: (input) => readKeyframes(input, tools),
    }),
    events,
    drain: new Drain(),
    metrics,
    readiness,
    idempotencyKeys: infra.idempotencyKeys,
    async close() {
      await events.stop();
    },
  };
}
