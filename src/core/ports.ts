import type { Job, JobFailure, JobResult, JobStatus, JobType } from '../domain/job.js';
import type { ClientMetadata } from '../domain/metadata.js';
import type { TenantFilter } from '../domain/tenant.js';
import type { ProbedMetadata, Video, VideoKind, VideoStatus } from '../domain/video.js';

/**
 * What the core and the services need from storage, as ports: PostgreSQL implements them in
 * src/repositories, the unit tests in memory. Every status change is one guarded update; an empty
 * result means another actor got there first (or the caller's execution is stale).
 */

export type NewJob = Pick<Job, 'id' | 'type' | 'params' | 'inputVideoIds' | 'outputVideoId' | 'dependsOn'> & Partial<Pick<Job, 'clientMetadata' | 'callbackUrl' | 'tenantId'>>;

export interface JobListFilter {
  /** Only this tenant's jobs; null or absent: every tenant's. */
  tenant?: TenantFilter;
  status?: JobStatus;
  type?: JobType;
  limit: number;
  offset: number;
}

/** The execution that owns a running job: its claim's attempt number is the fencing token. */
export interface Fence {
  jobId: string;
  token: number;
}

export interface TenantSlots {
  running: number;
  maxRunning: number | null;
  othersWaiting: boolean;
}

export interface Throughput {
  encodeSecPerSec: number | null;
  copySecPerSec: number | null;
}

export interface JobStore {
  insert(j: NewJob): Promise<Job>;
  findById(id: string): Promise<Job | undefined>;
  findByIds(ids: readonly string[]): Promise<Job[]>;
  list(f: JobListFilter): Promise<{ items: Job[]; total: number }>;
  countByStatus(): Promise<Record<string, number>>;
  /** Locks the rows for update, in id order (one order everywhere, so two callers never deadlock on them). */
  lock(ids: readonly string[]): Promise<Job[]>;
  /** Locks rows a decision rests on (dependencies) for share, in id order: waits for a change in flight. */
  lockShared(ids: readonly string[]): Promise<Job[]>;
  /** Up to `limit` pending jobs (of `tenant`, when given) after `afterId` in id order, locked (waiting for other lockers). */
  lockPendingBatch(afterId: string | null, limit: number, tenant?: TenantFilter): Promise<Job[]>;

  markQueued(ids: readonly string[]): Promise<Job[]>;
  /** failed → queued as a fresh run (progress, error, timestamps cleared; a new attempt budget). */
  requeueFailed(ids: readonly string[]): Promise<Job[]>;
  /**
   * queued (with every dependency completed; unparked), or in_progress whose lease has lapsed → in_progress,
   * attempts + 1, leased for `leaseMs`. The returned row's `attempts` is the new execution's token.
   */
  claim(id: string, leaseMs: number): Promise<Job | undefined>;
  /** Renews the lease; false when the fence no longer holds (cancelled, finished or taken over). */
  renewLease(f: Fence, leaseMs: number): Promise<boolean>;
  /** Ends the lease at once (a shutdown hands the job back), so the next delivery need not wait. */
  releaseLease(f: Fence): Promise<void>;
  updateProgress(f: Fence, percent: number): Promise<Job | undefined>;
  recordAttemptError(f: Fence, failure: JobFailure): Promise<Job | undefined>;
  complete(f: Fence, method: string, result: JobResult | null): Promise<Job | undefined>;
  /** Fails an owned running job (fenced). */
  failOwned(f: Fence, failure: JobFailure): Promise<Job | undefined>;
  /** Fails jobs that no execution owns (queued ones whose input can never be produced). */
  failUnowned(ids: readonly string[], failure: JobFailure): Promise<Job[]>;
  cancel(ids: readonly string[]): Promise<Job[]>;

  dependantsTransitive(ids: readonly string[]): Promise<Job[]>;
  dependenciesTransitive(ids: readonly string[]): Promise<Job[]>;
  /** Queued jobs that depend directly on any of `ids`. */
  queuedDependants(ids: readonly string[]): Promise<Job[]>;
  findUnfinishedTouchingVideo(videoId: string): Promise<Job[]>;
  /**
   * Jobs the queue should hold, by id after `afterId`: queued ones whose dependencies have all
   * completed (parked ones excepted), and running ones whose lease has lapsed (their worker is gone).
   */
  findReconcilable(afterId: string | null, limit: number): Promise<Job[]>;
  /**
   * Takes the tenant's scheduling lock for the rest of the transaction (claims of one tenant decide
   * one at a time) and says how many of its jobs are in progress, its own cap (null: the default),
   * and whether another tenant has a queued job ready to run and not parked.
   */
  lockTenantSlots(tenantId: string): Promise<TenantSlots>;
  /** Leaves a queued job queued but out of the queue, until `unparkEligible` hands it back. */
  park(id: string): Promise<void>;
  /**
   * Up to `limit` parked jobs, oldest parked first, whose tenant may run one more now (below its
   * cap, or no other tenant has work waiting); they are unparked and returned.
   */
  unparkEligible(limit: number, defaultCap: number): Promise<Job[]>;
  /** Queued jobs with a failed, cancelled or missing dependency: they can never run. */
  findQueuedBlocked(limit: number): Promise<Job[]>;
  /**
   * This installation's speed over its last `limit` completed jobs with a result: wall seconds per
   * re-encoded second (jobs that re-encoded) and per output second (jobs that only copied); null
   * without such jobs.
   */
  measuredThroughput(limit: number): Promise<Throughput>;
}

export interface NewVideo {
  id: string;
  kind: VideoKind;
  status: VideoStatus;
  originalName: string | null;
  storageKey: string | null;
  sourceJobId: string | null;
  metadata: ProbedMetadata | null;
  clientMetadata?: ClientMetadata | null;
  sourceUrl?: string | null;
  /** Absent: the default tenant. */
  tenantId?: string;
}

export interface VideoListFilter {
  /** Only this tenant's videos; null or absent: every tenant's. */
  tenant?: TenantFilter;
  kind?: VideoKind;
  status?: VideoStatus;
  limit: number;
  offset: number;
}

export interface VideoStore {
  insert(v: NewVideo): Promise<Video>;
  findById(id: string): Promise<Video | undefined>;
  findByIds(ids: readonly string[]): Promise<Video[]>;
  list(f: VideoListFilter): Promise<{ items: Video[]; total: number }>;
  /** Inputs of a command being recorded: a concurrent delete waits until the command is in. */
  lockSharedByIds(ids: readonly string[]): Promise<Video[]>;
  lockById(id: string): Promise<Video | undefined>;
  setStatus(ids: readonly string[], from: readonly VideoStatus[], to: VideoStatus): Promise<Video[]>;
  markReady(id: string, storageKey: string, m: ProbedMetadata): Promise<Video | undefined>;
  /** Guarded: a video in one of `from` becomes failed, saying why. */
  markFailed(id: string, from: readonly VideoStatus[], failure: { code: string; message: string }): Promise<Video | undefined>;
  delete(id: string): Promise<Video | undefined>;
  deleteFailedOutputsBefore(before: Date, limit: number): Promise<Video[]>;
  /** Imports still processing, last changed before `before` (their queue entry may be lost), oldest first. */
  findStalledImports(before: Date, limit: number): Promise<Video[]>;
  /**
   * Bytes the tenant's stored videos hold and its own quota (null: the default). With `lock`, takes
   * the tenant's storage lock for the rest of the transaction, so two uploads never both fit.
   */
  tenantUsage(tenantId: string, lock: boolean): Promise<TenantUsage>;
  /** Which of `keys` a video record holds. */
  referencedKeys(keys: readonly string[]): Promise<Set<string>>;
}

export interface TenantUsage {
  usedBytes: number;
  quotaBytes: number | null;
}

export const EVENT_TYPES = [
  'job.created',
  'job.queued',
  'job.started',
  'job.progress',
  'job.attempt_failed',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'video.created',
  'video.processing',
  'video.ready',
  'video.failed',
  'video.deleted',
  // Internal: a job became runnable; the relay hands it to the queue.
  'job.runnable',
  // Internal: an import from a URL was asked for; the relay hands it to the import queue.
  'video.import_requested',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  subject: 'job' | 'video';
  subjectId: string;
  /** The subject's own sequence number: its `eventSeq` after the change. */
  seq: number;
  payload: Record<string, unknown>;
  /** True when the relay must hand the event over (the queue hand-off). */
  dispatch: boolean;
  /** The subject's tenant: only its SSE clients and webhooks see the event (absent: the default tenant). */
  tenantId?: string;
}

export interface OutboxStore {
  append(events: readonly NewEvent[]): Promise<void>;
}

export interface Stores {
  jobs: JobStore;
  videos: VideoStore;
  outbox: OutboxStore;
}

/** Runs `work` atomically: every write in it commits together or not at all. */
export interface UnitOfWork {
  run<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** The same stores outside a transaction, for reads and single-statement updates. */
  readonly read: Stores;
}

export interface StoredObjectStat {
  sizeBytes: number;
  mtimeMs: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Stored objects by key: the files every host must see (uploads, outputs). A local directory
 * (src/storage/fs-blob-store.ts) or an S3 bucket (src/storage/s3-blob-store.ts). Work files are
 * not here: they stay on each host's local scratch (src/storage/scratch.ts).
 */
export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /**
   * Publishes a finished local file under `key`, replacing what was there; the object appears only
   * once complete, and the local file is gone when this resolves (moved or uploaded, then removed).
   */
  put(localFile: string, key: string): Promise<void>;
  stat(key: string): Promise<StoredObjectStat | undefined>;
  /** The object's bytes (a range of them); rejects with `code: 'ENOENT'` when the key is gone. */
  openRead(key: string, range?: ByteRange): Promise<NodeJS.ReadableStream>;
  remove(key: string): Promise<void>;
  /** Keys of stored objects not written since `before`. */
  keysOlderThan(before: Date): Promise<string[]>;
  /**
   * A URL that fetches the object without this service (a presigned GET), answered with the given
   * Content-Disposition and Content-Type; undefined when the store has none (a local directory).
   */
  presignDownload(key: string, o: { expiresInSec: number; contentDisposition: string; contentType: string }): Promise<string | undefined>;
  /** The object's path on this host when the store is a local directory, so FFmpeg reads it in place. */
  localPathOf(key: string): string | undefined;
}

/** A stored object staged on local scratch for FFmpeg; `release` lets the cache evict it again. */
export interface StagedInput {
  path: string;
  release(): void;
}

export interface InputStager {
  /** Rejects with `code: 'ENOENT'` when the object is gone. */
  stage(key: string): Promise<StagedInput>;
}
