import { randomUUID } from 'node:crypto';
import type { Fence, JobListFilter, JobStore, NewEvent, NewJob, NewVideo, OutboxStore, Stores, UnitOfWork, VideoListFilter, VideoStore } from '../../src/core/ports.js';
import { isFinished, type Job, type JobFailure, type JobResult, type JobStatus } from '../../src/domain/job.js';
import type { ProbedMetadata, Video, VideoStatus } from '../../src/domain/video.js';

/** A clock the tests move by hand, so leases lapse without waiting. */
/** A ready, probed upload of `durationSec` at `fps` (an H.264 mp4 as far as the core can tell). */
export function insertReadyUpload(videos: Pick<VideoStore, 'insert'>, o: { durationSec?: number; fps?: number; tenantId?: string } = {}): Promise<Video> {
  const { durationSec = 10, fps = 25 } = o;
  return videos.insert({
    id: randomUUID(),
    kind: 'upload',
    status: 'ready',
    originalName: 'clip.mp4',
    storageKey: `${randomUUID()}.mp4`,
    sourceJobId: null,
    ...(o.tenantId ? { tenantId: o.tenantId } : {}),
    metadata: { sizeBytes: 1000, durationSec, width: 64, height: 48, fps, videoCodec: 'h264', audioCodec: null, container: 'mp4', media: {} },
  });
}

export class ManualClock {
  constructor(public nowMs = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.nowMs);
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

interface State {
  jobs: Map<string, Job>;
  videos: Map<string, Video>;
  events: (NewEvent & { id: number })[];
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The ports in memory, with the same guards as the SQL: a change that the SQL would refuse (wrong
 * status, stale fence, lapsed lease) changes nothing here either. Locks are no-ops (one thread).
 */
class MemoryJobStore implements JobStore {
  constructor(
    private readonly s: () => State,
    private readonly clock: ManualClock,
  ) {}

  private get rows() {
    return this.s().jobs;
  }

  private change(job: Job, patch: Partial<Job>): Job {
    const next = { ...job, ...patch, eventSeq: job.eventSeq + 1, updatedAt: this.clock.now() } as Job;
    this.rows.set(job.id, next);
    return next;
  }

  private changeWhere(ids: readonly string[], ok: (j: Job) => boolean, patch: (j: Job) => Partial<Job>): Job[] {
    const out: Job[] = [];
    for (const id of new Set(ids)) {
      const j = this.rows.get(id);
      if (j && ok(j)) out.push(this.change(j, patch(j)));
    }
    return out;
  }

  private owned(f: Fence): Job | undefined {
    const j = this.rows.get(f.jobId);
    return j && j.status === 'in_progress' && j.attempts === f.token ? j : undefined;
  }

  private depsCompleted(j: Job): boolean {
    return j.dependsOn.every((d) => this.rows.get(d)?.status === 'completed');
  }

  async insert(j: NewJob): Promise<Job> {
    const now = this.clock.now();
    const job = {
      ...j,
      tenantId: j.tenantId ?? 'default',
      parkedAt: null,
      clientMetadata: j.clientMetadata ?? null,
      callbackUrl: j.callbackUrl ?? null,
      status: 'pending',
      progress: 0,
      attempts: 0,
      error: null,
      errorCode: null,
      method: null,
      result: null,
      leaseUntil: null,
      attemptBase: 0,
      eventSeq: 1,
      createdAt: now,
      updatedAt: now,
      queuedAt: null,
      startedAt: null,
      finishedAt: null,
    } as Job;
    this.rows.set(job.id, job);
    return job;
  }
  async findById(id: string) {
    return this.rows.get(id);
  }
  async findByIds(ids: readonly string[]) {
    return ids.map((id) => this.rows.get(id)).filter((j): j is Job => j !== undefined);
  }
  async list(f: JobListFilter) {
    const all = [...this.rows.values()].filter((j) => (!f.status || j.status === f.status) && (!f.type || j.type === f.type) && (!f.tenant || j.tenantId === f.tenant));
    return { items: all.slice(f.offset, f.offset + f.limit), total: all.length };
  }
  async countByStatus() {
    const out: Record<string, number> = {};
    for (const j of this.rows.values()) out[j.status] = (out[j.status] ?? 0) + 1;
    return out;
  }
  async lock(ids: readonly string[]) {
    return (await this.findByIds([...new Set(ids)])).sort(byId);
  }
  async lockShared(ids: readonly string[]) {
    return this.lock(ids);
  }
  async lockPendingBatch(afterId: string | null, limit: number, tenant: string | null = null) {
    return [...this.rows.values()]
      .filter((j) => j.status === 'pending' && (afterId === null || j.id > afterId) && (!tenant || j.tenantId === tenant))
      .sort(byId)
      .slice(0, limit);
  }
  async markQueued(ids: readonly string[]) {
    return this.changeWhere(ids, (j) => j.status === 'pending', () => ({ status: 'queued', queuedAt: this.clock.now() }));
  }
  async requeueFailed(ids: readonly string[]) {
    return this.changeWhere(
      ids,
      (j) => j.status === 'failed',
      (j) => ({ status: 'queued', progress: 0, error: null, errorCode: null, result: null, queuedAt: this.clock.now(), startedAt: null, finishedAt: null, leaseUntil: null, attemptBase: j.attempts }),
    );
  }
  async claim(id: string, leaseMs: number) {
    const now = this.clock.now();
    const lapsed = (j: Job) => j.status === 'in_progress' && (!j.leaseUntil || j.leaseUntil < now);
    const [row] = this.changeWhere(
      [id],
      (j) => (j.status === 'queued' || lapsed(j)) && this.depsCompleted(j),
      (j) => ({ status: 'in_progress', attempts: j.attempts + 1, startedAt: j.startedAt ?? now, leaseUntil: new Date(now.getTime() + leaseMs), error: null, errorCode: null }),
    );
    return row;
  }
  async renewLease(f: Fence, leaseMs: number) {
    const j = this.owned(f);
    if (j) this.rows.set(j.id, { ...j, leaseUntil: new Date(this.clock.nowMs + leaseMs) });
    return j !== undefined;
  }
  async releaseLease(f: Fence) {
    const j = this.owned(f);
    if (j) this.rows.set(j.id, { ...j, leaseUntil: this.clock.now() });
  }
  async updateProgress(f: Fence, percent: number) {
    const j = this.owned(f);
    return j ? this.change(j, { progress: Math.max(j.progress, percent) }) : undefined;
  }
  async recordAttemptError(f: Fence, failure: JobFailure) {
    const j = this.owned(f);
    return j ? this.change(j, { error: failure.message, errorCode: failure.code, leaseUntil: this.clock.now() }) : undefined;
  }
  async complete(f: Fence, method: string, result: JobResult | null) {
    const j = this.owned(f);
    return j ? this.change(j, { status: 'completed', progress: 100, method, result, error: null, errorCode: null, leaseUntil: null, finishedAt: this.clock.now() }) : undefined;
  }
  async failOwned(f: Fence, failure: JobFailure) {
    const j = this.owned(f);
    return j ? this.change(j, { status: 'failed', error: failure.message, errorCode: failure.code, leaseUntil: null, finishedAt: this.clock.now() }) : undefined;
  }
  async failUnowned(ids: readonly string[], failure: JobFailure) {
    return this.changeWhere(ids, (j) => j.status === 'queued', () => ({ status: 'failed', error: failure.message, errorCode: failure.code, finishedAt: this.clock.now() }));
  }
  async cancel(ids: readonly string[]) {
    return this.changeWhere(ids, (j) => !isFinished(j.status), () => ({ status: 'cancelled' as JobStatus, leaseUntil: null, finishedAt: this.clock.now() }));
  }
  private closure(start: readonly string[], next: (id: string) => string[]): Job[] {
    const seen = new Set<string>();
    const queue = start.flatMap(next);
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      queue.push(...next(id));
    }
    return [...seen].map((id) => this.rows.get(id)).filter((j): j is Job => j !== undefined);
  }
  async dependantsTransitive(ids: readonly string[]) {
    return this.closure(ids, (id) => [...this.rows.values()].filter((j) => j.dependsOn.includes(id)).map((j) => j.id));
  }
  async dependenciesTransitive(ids: readonly string[]) {
    return this.closure(ids, (id) => this.rows.get(id)?.dependsOn ?? []);
  }
  async queuedDependants(ids: readonly string[]) {
    return [...this.rows.values()].filter((j) => j.status === 'queued' && j.dependsOn.some((d) => ids.includes(d))).sort(byId);
  }
  async findUnfinishedTouchingVideo(videoId: string) {
    return [...this.rows.values()].filter((j) => !isFinished(j.status) && (j.outputVideoId === videoId || j.inputVideoIds.includes(videoId)));
  }
  async findReconcilable(afterId: string | null, limit: number) {
    const now = this.clock.now();
    return [...this.rows.values()]
      .filter((j) => afterId === null || j.id > afterId)
      .filter((j) => (j.status === 'in_progress' && (!j.leaseUntil || j.leaseUntil < now)) || (j.status === 'queued' && !j.parkedAt && this.depsCompleted(j)))
      .sort(byId)
      .slice(0, limit);
  }
  async measuredThroughput(limit: number) {
    const recent = [...this.rows.values()]
      .filter((j) => j.status === 'completed' && j.result && j.startedAt && j.finishedAt)
      .sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime())
      .slice(0, limit)
      .map((j) => ({ re: j.result!.reencodedSec, dur: j.result!.durationSec, wall: (j.finishedAt!.getTime() - j.startedAt!.getTime()) / 1000 }));
    const ratio = (rows: typeof recent, per: (r: (typeof recent)[number]) => number) => {
      const denominator = rows.reduce((sum, r) => sum + per(r), 0);
      return rows.length === 0 || denominator === 0 ? null : rows.reduce((sum, r) => sum + r.wall, 0) / denominator;
    };
    return {
      encodeSecPerSec: ratio(recent.filter((r) => r.re > 0), (r) => r.re),
      copySecPerSec: ratio(recent.filter((r) => r.re === 0), (r) => r.dur),
    };
  }
  async findQueuedBlocked(limit: number) {
    const dead = (id: string) => {
      const d = this.rows.get(id);
      return !d || d.status === 'failed' || d.status === 'cancelled';
    };
    return [...this.rows.values()].filter((j) => j.status === 'queued' && j.dependsOn.some(dead)).sort(byId).slice(0, limit);
  }
  async lockTenantSlots(tenantId: string) {
    const all = [...this.rows.values()];
    const running = all.filter((j) => j.tenantId === tenantId && j.status === 'in_progress').length;
    const othersWaiting = all.some((j) => j.status === 'queued' && j.tenantId !== tenantId && !j.parkedAt && this.depsCompleted(j));
    return { running, maxRunning: null, othersWaiting };
  }
  async park(id: string) {
    const j = this.rows.get(id);
    if (j?.status === 'queued') this.rows.set(id, { ...j, parkedAt: this.clock.now() });
  }
  async unparkEligible(limit: number, defaultCap: number) {
    const all = [...this.rows.values()];
    const running = (t: string) => all.filter((j) => j.tenantId === t && j.status === 'in_progress').length;
    const waiting = (t: string) => all.some((j) => j.status === 'queued' && j.tenantId !== t && !j.parkedAt && this.depsCompleted(j));
    const picked = all
      .filter((j) => j.status === 'queued' && j.parkedAt && (running(j.tenantId) < defaultCap || !waiting(j.tenantId)))
      .sort((a, b) => a.parkedAt!.getTime() - b.parkedAt!.getTime() || byId(a, b))
      .slice(0, limit);
    for (const j of picked) this.rows.set(j.id, { ...j, parkedAt: null });
    return picked.map((j) => this.rows.get(j.id)!);
  }
}

class MemoryVideoStore implements VideoStore {
  constructor(
    private readonly s: () => State,
    private readonly clock: ManualClock,
  ) {}

  private get rows() {
    return this.s().videos;
  }

  async insert(v: NewVideo): Promise<Video> {
    const m = v.metadata;
    const now = this.clock.now();
    const video: Video = {
      id: v.id,
      kind: v.kind,
      status: v.status,
      originalName: v.originalName,
      storageKey: v.storageKey,
      sourceJobId: v.sourceJobId,
      sizeBytes: m?.sizeBytes ?? null,
      durationSec: m?.durationSec ?? null,
      width: m?.width ?? null,
      height: m?.height ?? null,
      fps: m?.fps ?? null,
      videoCodec: m?.videoCodec ?? null,
      audioCodec: m?.audioCodec ?? null,
      container: m?.container ?? null,
      media: m?.media ?? null,
      clientMetadata: v.clientMetadata ?? null,
      sourceUrl: v.sourceUrl ?? null,
      tenantId: v.tenantId ?? 'default',
      eventSeq: 1,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(video.id, video);
    return video;
  }
  async findById(id: string) {
    return this.rows.get(id);
  }
  async findByIds(ids: readonly string[]) {
    return ids.map((id) => this.rows.get(id)).filter((v): v is Video => v !== undefined);
  }
  async list(f: VideoListFilter) {
    const all = [...this.rows.values()].filter((v) => (!f.kind || v.kind === f.kind) && (!f.status || v.status === f.status) && (!f.tenant || v.tenantId === f.tenant));
    return { items: all.slice(f.offset, f.offset + f.limit), total: all.length };
  }
  async lockSharedByIds(ids: readonly string[]) {
    return (await this.findByIds(ids)).sort(byId);
  }
  async lockById(id: string) {
    return this.rows.get(id);
  }
  async setStatus(ids: readonly string[], from: readonly VideoStatus[], to: VideoStatus) {
    const out: Video[] = [];
    for (const id of new Set(ids)) {
      const v = this.rows.get(id);
      if (!v || !from.includes(v.status)) continue;
      const next = { ...v, status: to, eventSeq: v.eventSeq + 1, updatedAt: this.clock.now() };
      this.rows.set(id, next);
      out.push(next);
    }
    return out;
  }
  async markReady(id: string, storageKey: string, m: ProbedMetadata) {
    const v = this.rows.get(id);
    if (!v || (v.status !== 'pending' && v.status !== 'processing')) return undefined;
    const next: Video = {
      ...v,
      status: 'ready',
      storageKey,
      sizeBytes: m.sizeBytes,
      durationSec: m.durationSec,
      width: m.width,
      height: m.height,
      fps: m.fps,
      videoCodec: m.videoCodec,
      audioCodec: m.audioCodec,
      container: m.container,
      media: m.media,
      eventSeq: v.eventSeq + 1,
      updatedAt: this.clock.now(),
    };
    this.rows.set(id, next);
    return next;
  }
  async findStalledImports(before: Date, limit: number) {
    return [...this.rows.values()].filter((v) => v.status === 'processing' && v.sourceUrl && v.updatedAt < before).slice(0, limit);
  }
  async markFailed(id: string, from: readonly VideoStatus[], failure: { code: string; message: string }) {
    const v = this.rows.get(id);
    if (!v || !from.includes(v.status)) return undefined;
    const next: Video = { ...v, status: 'failed', error: failure.message, errorCode: failure.code, eventSeq: v.eventSeq + 1, updatedAt: this.clock.now() };
    this.rows.set(id, next);
    return next;
  }
  async delete(id: string) {
    const v = this.rows.get(id);
    this.rows.delete(id);
    return v;
  }
  async deleteFailedOutputsBefore(before: Date, limit: number) {
    const gone = [...this.rows.values()].filter((v) => v.status === 'failed' && v.kind !== 'upload' && v.updatedAt < before).slice(0, limit);
    for (const v of gone) this.rows.delete(v.id);
    return gone;
  }
  async tenantUsage(tenantId: string) {
    const usedBytes = [...this.rows.values()].filter((v) => v.tenantId === tenantId && v.storageKey).reduce((sum, v) => sum + (v.sizeBytes ?? 0), 0);
    return { usedBytes, quotaBytes: null };
  }
  async referencedKeys(keys: readonly string[]) {
    const held = new Set([...this.rows.values()].map((v) => v.storageKey));
    return new Set(keys.filter((k) => held.has(k)));
  }
}

class MemoryOutbox implements OutboxStore {
  constructor(private readonly s: () => State) {}
  async append(events: readonly NewEvent[]) {
    const log = this.s().events;
    for (const e of events) log.push({ ...e, id: log.length + 1 });
  }
}

/** A unit of work in memory: a failed one restores the state from before it, as a rollback would. */
export class MemoryUnitOfWork implements UnitOfWork {
  private state: State = { jobs: new Map(), videos: new Map(), events: [] };
  readonly read: Stores;

  constructor(readonly clock = new ManualClock()) {
    this.read = {
      jobs: new MemoryJobStore(() => this.state, clock),
      videos: new MemoryVideoStore(() => this.state, clock),
      outbox: new MemoryOutbox(() => this.state),
    };
  }

  async run<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    const before: State = { jobs: new Map(this.state.jobs), videos: new Map(this.state.videos), events: [...this.state.events] };
    try {
      return await work(this.read);
    } catch (err) {
      this.state = before;
      throw err;
    }
  }

  get events() {
    return this.state.events;
  }

  /** Edits a row behind the core's back, as a hand-edited database would. */
  patchJob(id: string, patch: Partial<Job>): void {
    const j = this.state.jobs.get(id);
    if (j) this.state.jobs.set(id, { ...j, ...patch } as Job);
  }
}
