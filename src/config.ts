import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { S3Settings } from './storage/s3-blob-store.js';

const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  CORS_ORIGINS: z.string().optional(),
  TENANT_MAX_RUNNING: positiveInt.optional(),
  TENANT_QUOTA_BYTES: z.coerce.number().int().min(0).optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  STORAGE_DIR: z.string().min(1).default('./uploads'),
  MAX_UPLOAD_BYTES: positiveInt.default(2_147_483_648),
  WORKER_CONCURRENCY: positiveInt.default(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  API_KEY: z.string().min(1).optional(),
  QUEUE_NAME: z.string().regex(/^[A-Za-z0-9_-]+$/).default('video-jobs'),
  DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('public'),
  SHUTDOWN_GRACE_MS: positiveInt.default(30_000),
  JOB_ATTEMPTS: positiveInt.default(3),
  JOB_STALL_TIMEOUT_MS: positiveInt.default(120_000),
  MIN_FREE_BYTES: z.coerce.number().int().min(0).default(268_435_456),
  RETENTION_HOURS: z.coerce.number().positive().default(168),
  RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
  JOB_LEASE_MS: positiveInt.default(5_000),
  OUTBOX_RETENTION_HOURS: z.coerce.number().positive().default(24),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  WEBHOOK_RETRY_BASE_MS: positiveInt.default(5_000),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be "whsec_" followed by the base64 of at least 24 random bytes')
    .optional(),
  WEBHOOK_MAX_AGE_HOURS: z.coerce.number().positive().default(24),
  STORAGE_BACKEND: z.enum(['fs', 's3']).default('fs'),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'empty, or path segments each ending in /').default('videos/'),
  S3_DOWNLOADS: z.enum(['proxy', 'redirect']).default('proxy'),
  SCRATCH_MAX_BYTES: positiveInt.default(10_737_418_240),
  LINK_SECRET: z.string().min(16).optional(),
  UPLOAD_EXPIRY_HOURS: z.coerce.number().positive().default(24),
  IMPORT_TIMEOUT_MS: positiveInt.default(600_000),
  IMPORT_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  IMPORT_ATTEMPTS: positiveInt.default(3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export type Config = Readonly<{
  port: number;
  /** Where the API listens; undefined: 127.0.0.1 while no key protects it, every interface once one does. */
  host: string | undefined;
  /** Origins a browser may call the API from (CORS_ORIGINS); empty: no CORS headers at all. */
  corsOrigins: readonly string[];
  /** Jobs one tenant may have in progress at once; undefined: half the worker slots (see tenantMaxRunning). */
  tenantMaxRunning: number | undefined;
  /** Bytes of stored video one tenant may hold, unless its own row says otherwise; undefined: no quota. */
  tenantQuotaBytes: number | undefined;
  /** Requests one key may make per minute; 0: no limit. */
  rateLimitPerMinute: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  storageDir: string;
  maxUploadBytes: number;
  workerConcurrency: number;
  ffmpegPath: string;
  ffprobePath: string;
  apiKey: string | undefined;
  queueName: string;
  dbSchema: string;
  shutdownGraceMs: number;
  jobAttempts: number;
  jobStallTimeoutMs: number;
  minFreeBytes: number;
  retentionHours: number;
  reconcileIntervalMs: number;
  /** How long a running job's claim holds without a heartbeat; a takeover waits this long. */
  jobLeaseMs: number;
  outboxRetentionHours: number;
  webhooks: { allowPrivate: boolean; timeoutMs: number; retryBaseMs: number; maxAgeMs: number; secret: string | undefined };
  /** Where stored objects live; `s3` is undefined with the fs backend. */
  storage: { backend: 'fs' | 's3'; s3: S3Settings | undefined; downloads: 'proxy' | 'redirect'; scratchMaxBytes: number };
  /** Signs download links; unset: one generated under DATA_DIR. */
  linkSecret: string | undefined;
  /** Resumable uploads not finished within this long are removed (UPLOAD_EXPIRY_HOURS). */
  uploadExpiryMs: number;
  imports: { timeoutMs: number; allowPrivate: boolean; attempts: number };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}>;

/** Reads and validates the environment once; a bad value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.STORAGE_BACKEND === 's3' && !e.S3_BUCKET) throw new Error('Invalid configuration: S3_BUCKET: required when STORAGE_BACKEND=s3');
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    throw new Error('Invalid configuration: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both or neither (neither: the AWS default credential chain)');
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    corsOrigins: Object.freeze(
      (e.CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    ),
    tenantMaxRunning: e.TENANT_MAX_RUNNING,
    tenantQuotaBytes: e.TENANT_QUOTA_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: path.resolve(e.DATA_DIR),
    storageDir: path.resolve(e.STORAGE_DIR),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    workerConcurrency: e.WORKER_CONCURRENCY,
    ffmpegPath: e.FFMPEG_PATH,
    ffprobePath: e.FFPROBE_PATH,
    apiKey: e.API_KEY,
    queueName: e.QUEUE_NAME,
    dbSchema: e.DB_SCHEMA,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    jobAttempts: e.JOB_ATTEMPTS,
    jobStallTimeoutMs: e.JOB_STALL_TIMEOUT_MS,
    minFreeBytes: e.MIN_FREE_BYTES,
    retentionHours: e.RETENTION_HOURS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    jobLeaseMs: e.JOB_LEASE_MS,
    outboxRetentionHours: e.OUTBOX_RETENTION_HOURS,
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAgeMs: e.WEBHOOK_MAX_AGE_HOURS * 3_600_000,
      secret: e.WEBHOOK_SECRET,
    },
    storage: {
      backend: e.STORAGE_BACKEND,
      s3:
        e.STORAGE_BACKEND === 's3'
          ? {
              endpoint: e.S3_ENDPOINT,
              bucket: e.S3_BUCKET!,
              region: e.S3_REGION,
              accessKeyId: e.S3_ACCESS_KEY_ID,
              secretAccessKey: e.S3_SECRET_ACCESS_KEY,
              forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
              prefix: e.S3_PREFIX,
            }
          : undefined,
      downloads: e.S3_DOWNLOADS,
      scratchMaxBytes: e.SCRATCH_MAX_BYTES,
    },
    linkSecret: e.LINK_SECRET,
    uploadExpiryMs: e.UPLOAD_EXPIRY_HOURS * 3_600_000,
    imports: { timeoutMs: e.IMPORT_TIMEOUT_MS, allowPrivate: e.IMPORT_ALLOW_PRIVATE === 'true', attempts: e.IMPORT_ATTEMPTS },
    logLevel: e.LOG_LEVEL,
  });
}
