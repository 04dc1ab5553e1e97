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
import { generateSecret } from './webhooks/signing.js';
import { keptSecret } from './security/kept-secret.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { PostgresUnitOfWork } from './repositories/unit-of-work.js';
import { CommandService } from './services/command.service.js';
import { DownloadService } from './services/download.service.js';
import { JobService } from './services/job.service.js';
import { PreviewService } from './services/preview.service.js';
import { PlanService } from './services/plan.service.js';
import { RetentionService } from './services/retention.service.js';
import { RunService } from './services/run.service.js';
import { linkSecretOf } from './services/link-secret.js';
import { SignedLinkService } from './services/signed-link.service.js';
import { UploadService } from './services/upload.service.js';
import { VideoService } from './services/video.service.js';
import { openStorage, type Storage } from './storage/open-storage.js';
import { FileStore } from '@tus/file-store';
import { ImportLifecycle } from './core/imports.js';
import { ImportQueue, importQueueName } from './queue/import-queue.js';
import { ResumableUploadRepository } from './repositories/resumable-upload.repository.js';
import { ResumableUploadService } from './services/resumable-upload.service.js';
import { UrlImportService } from './services/url-import.service.js';
import { ApiKeyRepository } from './repositories/api-key.repository.js';
import { KeyService } from './services/key.service.js';
import { StorageQuota } from './services/storage-quota.js';

/** The backing connections every process (API or worker) opens. */
export interface Infrastructure {
  sql: Sql;
  storage: Storage;
  /** The per-tenant storage quota uploads and commands are held to. */
  quota: StorageQuota;
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
  /** Every way a file becomes a video: probe, publish, record. */
  uploads: UploadService;
  resumable: ResumableUploadService;
  importQueue: ImportQueue;
  /** Imports from a URL: recorded by the API, run by workers. */
  imports: UrlImportService;
  close(): Promise<void>;
}

export interface ResolvedUrls {
  databaseUrl: string;
  redisUrl: string;
}

export async function openInfrastructure(config: Config, urls: ResolvedUrls, logger: Logger): Promise<Infrastructure> {
  const sql = createSqlClient({ url: urls.databaseUrl, schema: config.dbSchema });
  await migrate(sql, config.dbSchema);
  const storage = await openStorage(config);
  const producerRedis = createRedis(urls.redisUrl, 'producer');
  producerRedis.on('error', () => {});
  // Fail-fast clients refuse commands until connected; give Redis a moment, but start without it.
  await untilReady(producerRedis, 5_000);
  const queue = new JobQueue(config.queueName, producerRedis, { attempts: config.jobAttempts });
  const uow = new PostgresUnitOfWork(sql);
  const outbox = new OutboxRepository(sql);
  const lifecycle = new JobLifecycle(uow, { maxAttempts: config.jobAttempts, leaseMs: config.jobLeaseMs, tenantMaxRunning: tenantMaxRunning(config) });
  const webhookQueue = new WebhookQueue(webhookQueueName(config.queueName), producerRedis);
  const webhooks = new WebhookRepository(sql);
  const callbackSecret = config.webhooks.secret ?? (await keptSecret(path.join(config.dataDir, 'webhook-secret'), generateSecret));
  const dispatcher = new WebhookDispatcher(webhooks, webhookQueue, logger, { ...config.webhooks, callbackSecret });
  const importQueue = new ImportQueue(importQueueName(config.queueName), producerRedis, { attempts: config.imports.attempts });
  const relay = new OutboxRelay(outbox, queue, logger, {}, dispatcher, importQueue);
  relay.start();
  const quota = new StorageQuota(config.tenantQuotaBytes);
  const uploads = new UploadService(uow, storage, (file) => probeMedia(file, { ffprobePath: config.ffprobePath, ffmpegPath: config.ffmpegPath }), quota);
  // Beside videos/ (same volume, so a finished upload is renamed into place), outside tmp/ (whose files retention judges by age alone).
  const tusStore = new FileStore({ directory: path.join(storage.scratch.root, 'resumable'), expirationPeriodInMilliseconds: config.uploadExpiryMs });
  const resumable = new ResumableUploadService(new ResumableUploadRepository(sql), tusStore, uploads, {
    expiryMs: config.uploadExpiryMs,
    finishedRetentionMs: config.retentionHours * 3_600_000,
  }, logger);
  const imports = new UrlImportService(new ImportLifecycle(uow), uploads, storage.scratch, {
    maxBytes: config.maxUploadBytes,
    timeoutMs: config.imports.timeoutMs,
    allowPrivate: config.imports.allowPrivate,
  }, logger);
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
    uploads,
    quota,
    resumable,
    importQueue,
    imports,
    async close() {
      await relay.stop();
      await queue.close().catch(() => {});
      await importQueue.close().catch(() => {});
      await webhookQueue.close().catch(() => {});
      producerRedis.disconnect();
      await sql.end({ timeout: 5 });
      storage.close();
    },
  };
}

/**
 * TENANT_MAX_RUNNING, or half the worker slots: this process's WORKER_CONCURRENCY is all a process
 * knows of the cluster, so with N identical workers the cap is half of one worker's slots, not of N's.
 */
export function tenantMaxRunning(config: Config): number {
  return config.tenantMaxRunning ?? Math.max(1, Math.floor(config.workerConcurrency / 2));
}

/** The retention pass over this process's infrastructure (the worker runs it hourly, `npm run cleanup` once). */
export function retentionOf(config: Config, infra: Infrastructure): RetentionService {
  return new RetentionService({
    videos: infra.uow.read.videos,
    outbox: infra.outbox,
    storage: infra.storage,
    idempotencyKeys: infra.idempotencyKeys,
    expireUploads: (now) => infra.resumable.expire(now),
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
  const downloads = new DownloadService(uow.read.videos, storage.blobs);
  const linkSecret = await linkSecretOf(config.linkSecret, config.dataDir);
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
  const auth = new KeyService(new ApiKeyRepository(sql), config.apiKey);
  return {
    logger,
    auth,
    corsOrigins: config.corsOrigins,
    rateLimitPerMinute: config.rateLimitPerMinute,
    apiKeyRequired: await auth.keyRequired().catch(() => Boolean(config.apiKey)),
    maxUploadBytes: config.maxUploadBytes,
    minFreeBytes: config.minFreeBytes,
    tmpDir: storage.scratch.tmpDir,
    videos: new VideoService(uow, storage.blobs),
    uploads: infra.uploads,
    resumable: infra.resumable,
    imports: infra.imports,
    commands: new CommandService(lifecycle, { videos: uow.read.videos, limit: infra.quota }, config.webhooks.allowPrivate),
    downloads,
    // Presigned URLs exist only where the store has them (s3); the fs store always proxies.
    downloadMode: config.storage.backend === 's3' ? config.storage.downloads : 'proxy',
    links: new SignedLinkService(linkSecret, uow.read.videos, downloads),
    jobs: new JobService(uow.read.jobs, lifecycle, storage.scratch),
    runs: new RunService(lifecycle, queue, () => infra.relay.nudge()),
    plans: new PlanService(lifecycle, uow.read.videos, uow.read.jobs, { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, logger, inputs: storage.inputs }),
    webhooks: new WebhookService(infra.webhooks, infra.dispatcher, config.webhooks.allowPrivate),
    previews: new PreviewService(uow.read.videos, storage.inputs, storage.previewsDir, {
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
