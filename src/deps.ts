import type { Logger } from 'pino';
import { probeMedia } from './media/probe.js';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { migrate } from './db/migrate.js';
import { checkBinary } from './preflight.js';
import { createSqlClient, type Sql } from './db/sql-client.js';
import { EventBus } from './events/event-bus.js';
import { Metrics } from './http/metrics.js';
import type { ReadinessCheck } from './http/service.routes.js';
import { JobQueue } from './queue/job-queue.js';
import { createRedis, untilReady } from './queue/redis-connection.js';
import { JobRepository } from './repositories/job.repository.js';
import { VideoRepository } from './repositories/video.repository.js';
import { CommandService } from './services/command.service.js';
import { DownloadService } from './services/download.service.js';
import { JobService } from './services/job.service.js';
import { Notifier } from './services/notifier.js';
import { RunService } from './services/run.service.js';
import { UploadService } from './services/upload.service.js';
import { VideoService } from './services/video.service.js';
import { FileStorage } from './storage/file-storage.js';
import type { Redis } from 'ioredis';

/** The backing connections every process (API or worker) opens. */
export interface Infrastructure {
  sql: Sql;
  storage: FileStorage;
  queue: JobQueue;
  bus: EventBus;
  producerRedis: Redis;
  notifier: Notifier;
  close(): Promise<void>;
}

export interface ResolvedUrls {
  databaseUrl: string;
  redisUrl: string;
}

export async function openInfrastructure(config: Config, urls: ResolvedUrls): Promise<Infrastructure> {
  const sql = createSqlClient({ url: urls.databaseUrl, schema: config.dbSchema });
  await migrate(sql, config.dbSchema);
  const storage = new FileStorage(config.storageDir);
  await storage.init();
  const producerRedis = createRedis(urls.redisUrl, 'producer');
  producerRedis.on('error', () => {});
  // Fail-fast clients refuse commands until connected; give Redis a moment, but start without it.
  await untilReady(producerRedis, 5_000);
  const queue = new JobQueue(config.queueName, producerRedis, { attempts: config.jobAttempts });
  const bus = new EventBus(`${config.queueName}:events`, producerRedis);
  const notifier = new Notifier(bus);
  return {
    sql,
    storage,
    queue,
    bus,
    producerRedis,
    notifier,
    async close() {
      await bus.close();
      await queue.close().catch(() => {});
      producerRedis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}

/** Everything buildApp needs, wired over the infrastructure. */
export async function buildAppDeps(config: Config, infra: Infrastructure, logger: Logger, redisUrl: string): Promise<AppDeps & { close(): Promise<void> }> {
  const { sql, storage, queue, bus, notifier } = infra;
  const videos = new VideoRepository(sql);
  const jobs = new JobRepository(sql);
  const subscriber = createRedis(redisUrl, 'subscriber');
  subscriber.on('error', () => {});
  await bus.listen(subscriber);
  const metrics = new Metrics({ jobCountsByStatus: () => jobs.countByStatus(), queueCounts: () => queue.counts() });
  bus.on((e) => metrics.observeJobEvent(e));
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
    videos: new VideoService(sql, videos, storage),
    uploads: new UploadService(videos, storage, (file) => probeMedia(file, { ffprobePath: config.ffprobePath, ffmpegPath: config.ffmpegPath }), notifier),
    commands: new CommandService(sql, notifier),
    downloads: new DownloadService(videos, storage),
    jobs: new JobService(sql, jobs, queue, notifier),
    runs: new RunService(sql, jobs, queue, notifier),
    bus,
    metrics,
    readiness,
    async close() {
      subscriber.disconnect();
    },
  };
}
