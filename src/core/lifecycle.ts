import { randomUUID } from 'node:crypto';
import { conflict, DomainError, notFound, validation } from '../domain/errors.js';
import { isFinished, isRetryableJobError, type Job, type JobFailure, type JobResult, type JobType } from '../domain/job.js';
import type { ClientMetadata } from '../domain/metadata.js';
import { orderByDependencies } from '../domain/job-order.js';
import { DEFAULT_TENANT, visibleTo, type TenantFilter } from '../domain/tenant.js';
import type { ProbedMetadata, Video } from '../domain/video.js';
import { commandOf } from './commands/index.js';
import { jobEvent, videoStatusEvent } from './events.js';
import type { Fence, NewEvent, Stores, UnitOfWork } from './ports.js';

/** What a client may attach to a command besides its params. */
export interface CommandExtras {
  metadata?: ClientMetadata | null;
  /** Receives the job's events; checked by the caller (it knows the address policy). */
  callbackUrl?: string | null;
  /** The job's id, chosen by the caller (an Idempotency-Key's): when that job exists, it is the answer. */
  id?: string;
}

export interface LifecycleOptions {
  /** Attempts a run of a job gets before it fails (JOB_ATTEMPTS). */
  maxAttempts: number;
  /** How long a claim holds without a heartbeat (JOB_LEASE_MS). */
  leaseMs: number;
  /** Jobs per transaction when everything pending is run. */
  runBatchSize?: number;
  /**
   * Jobs one tenant may have in progress while another tenant has work waiting (TENANT_MAX_RUNNING;
   * a tenant's own row may say otherwise). Absent: no cap.
   */
  tenantMaxRunning?: number;
}

/** A claimed job, owned by the execution holding this fence. */
export interface Execution extends Fence {
  job: Job;
  /** The input videos in the job's order (repeats included), all ready. */
  inputs: Video[];
  /** Seconds of output the job makes; its time limit grows with it. */
  expectedDurationSec: number;
}

export type ClaimResult =
  | { kind: 'claimed'; execution: Execution }
  /** Gone, finished, not queued, or still waiting for a dependency: nothing to do. `ended`: it is over. */
  | { kind: 'skipped'; ended: boolean }
  /** Another execution holds a live lease on it: deliver again once the lease ends. */
  | { kind: 'busy'; until: Date }
  /**
   * Its tenant has its cap of jobs in progress while others wait: it stays queued, out of the
   * queue, and is handed over again when a slot frees. No attempt was spent.
   */
  | { kind: 'parked' }
  /** It can never run (bad input, or a dependency failed): it has failed now. */
  | { kind: 'failed'; reason: string; ended: true };

export interface FinishedOutput {
  method: string;
  storageKey: string;
  metadata: ProbedMetadata;
  /** What the output achieved, read from it (trims and concats). */
  result?: JobResult | null;
}

export type FailOutcome = 'failed' | 'retrying' | 'stale';

/** Whose a new record is, and whose records the caller may use as inputs. */
export interface Tenancy {
  owner: string;
  sees: TenantFilter;
}

const ANY_TENANT: Tenancy = { owner: DEFAULT_TENANT, sees: null };

/**
 * The job lifecycle: the only code that changes a job's or an output video's status. Every change
 * is a guarded update in a unit of work that also writes the event announcing it; changes made by
 * an execution are fenced by its token, so a stale execution changes nothing.
 */
export class JobLifecycle {
  private readonly batchSize: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly opts: LifecycleOptions,
  ) {
    this.batchSize = opts.runBatchSize ?? 500;
  }

  /**
   * Records a command: a pending job and its pending output video, nothing run. Both belong to
   * `tenancy.owner`; an input the caller may not see is unknown to it (404), like a missing one.
   */
  async record(type: JobType, inputIds: readonly string[], params: unknown, extras: CommandExtras = {}, tenancy: Tenancy = ANY_TENANT): Promise<Job> {
    const clientMetadata = extras.metadata ?? null;
    const command = commandOf(type);
    const parsed = command.params.safeParse(params);
    if (!parsed.success) throw validation(`Invalid ${type} params: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    if (inputIds.length < command.inputs.min || inputIds.length > command.inputs.max) {
      throw validation(`A ${type} takes ${command.inputs.min} to ${command.inputs.max} input videos, not ${inputIds.length}.`);
    }
    return this.uow.run(async ({ jobs, videos, outbox }) => {
      const earlier = extras.id ? await jobs.findById(extras.id) : undefined;
      if (earlier) return earlier;
      const found = await videos.lockSharedByIds([...new Set(inputIds)]);
      const byId = new Map(found.filter((v) => visibleTo(v, tenancy.sees)).map((v) => [v.id, v]));
      const missing = inputIds.find((id) => !byId.has(id));
      if (missing) throw notFound(`Video ${missing} does not exist.`, 'video_not_found');
      const inputs = inputIds.map((id) => byId.get(id)!);
      const failedInput = inputs.find((v) => v.status === 'failed');
      if (failedInput) throw conflict(`Video ${failedInput.id} is failed and cannot be used as an input.`, 'input_video_failed');
      (command.validate as (p: unknown, i: readonly Video[]) => void)(parsed.data, inputs);

      const jobId = extras.id ?? randomUUID();
      const output = await videos.insert({
        id: randomUUID(),
        kind: command.outputKind,
        status: 'pending',
        originalName: null,
        storageKey: null,
        sourceJobId: jobId,
        metadata: null,
        clientMetadata,
        tenantId: tenancy.owner,
      });
      const dependsOn = [...new Set(inputs.map((v) => v.sourceJobId).filter((id): id is string => id !== null))];
      const job = await jobs.insert({ id: jobId, type, params: parsed.data, inputVideoIds: [...inputIds], outputVideoId: output.id, dependsOn, clientMetadata, callbackUrl: extras.callbackUrl ?? null, tenantId: tenancy.owner });
      await outbox.append([videoStatusEvent(output), jobEvent('job.created', job)]);
      return job;
    });
  }

  /**
   * pending → queued: every pending job (in bounded batches, one transaction each), or the named
   * ones and the pending jobs they depend on. Jobs whose dependencies have all completed are handed
   * to the queue through the outbox. Only `tenant`'s jobs (null: every tenant's); a named job of
   * another tenant is unknown (404).
   */
  async run(jobIds?: readonly string[], tenant: TenantFilter = null): Promise<Job[]> {
    if (jobIds) return orderByDependencies(await this.uow.run((s) => this.queueNamed(s, jobIds, tenant)));
    const queued: Job[] = [];
    let after: string | null = null;
    for (;;) {
      const cursor: string | null = after;
      const { last, moved } = await this.uow.run(async (s) => {
        const batch = await s.jobs.lockPendingBatch(cursor, this.batchSize, tenant);
        return { last: batch.at(-1)?.id, moved: await this.queueLocked(s, batch.map((j) => j.id)) };
      });
      queued.push(...moved);
      // A batch can come back short when a concurrent run took some of its rows: stop only when empty.
      if (!last) break;
      after = last;
    }
    return orderByDependencies(queued);
  }

  /**
   * The jobs `run(jobIds)` would queue, with what it would do to each, changing nothing: checked as
   * a run checks them (an unknown or non-pending named job is refused the same way).
   */
  async wouldRun(jobIds?: readonly string[], tenant: TenantFilter = null): Promise<{ job: Job; blockedBy: string | null }[]> {
    const s = this.uow.read;
    let jobs: Job[];
    if (jobIds) {
      const named = (await s.jobs.findByIds(jobIds)).filter((j) => visibleTo(j, tenant));
      const known = new Set(named.map((j) => j.id));
      const unknown = jobIds.find((id) => !known.has(id));
      if (unknown) throw notFound(`Job ${unknown} does not exist.`, 'job_not_found');
      const notPending = named.find((j) => j.status !== 'pending');
      if (notPending) throw conflict(`Job ${notPending.id} is not pending: it is ${notPending.status}.`, 'job_not_pending');
      const pendingDeps = (await s.jobs.dependenciesTransitive(jobIds)).filter((d) => d.status === 'pending' && !known.has(d.id));
      jobs = [...named, ...pendingDeps];
    } else {
      jobs = [];
      for (let offset = 0; ; offset += this.batchSize) {
        const { items } = await s.jobs.list({ status: 'pending', tenant, limit: this.batchSize, offset });
        jobs.push(...items);
        if (items.length < this.batchSize) break;
      }
    }
    const state = new Map((await s.jobs.findByIds([...new Set(jobs.flatMap((j) => j.dependsOn))])).map((d) => [d.id, d]));
    for (const j of jobs) state.set(j.id, j);
    return orderByDependencies(jobs).map((job) => ({ job, blockedBy: deadDependency(job, state) ?? null }));
  }

  private async queueNamed(s: Stores, jobIds: readonly string[], tenant: TenantFilter): Promise<Job[]> {
    const named = (await s.jobs.findByIds(jobIds)).filter((j) => visibleTo(j, tenant));
    const known = new Set(named.map((j) => j.id));
    const unknown = jobIds.find((id) => !known.has(id));
    if (unknown) throw notFound(`Job ${unknown} does not exist.`, 'job_not_found');
    const pendingDeps = (await s.jobs.dependenciesTransitive(jobIds)).filter((d) => d.status === 'pending' && !known.has(d.id));
    const locked = await s.jobs.lock([...jobIds, ...pendingDeps.map((d) => d.id)]);
    const notPending = locked.find((j) => known.has(j.id) && j.status !== 'pending');
    if (notPending) throw conflict(`Job ${notPending.id} is not pending: it is ${notPending.status}.`, 'job_not_pending');
    return this.queueLocked(
      s,
      locked.filter((j) => j.status === 'pending').map((j) => j.id),
    );
  }

  private async queueLocked(s: Stores, ids: readonly string[]): Promise<Job[]> {
    const queued = await s.jobs.markQueued(ids);
    const events = queued.map((j) => jobEvent('job.queued', j));
    await this.schedule(s, queued, events);
    await s.outbox.append(events);
    return queued;
  }

  /**
   * Decides, for jobs that have just become queued, which can run now (a runnable event for the
   * queue hand-off) and which never can (failed at once). Their dependencies are locked for share,
   * so one that is finishing at this moment is seen finished, never missed.
   */
  private async schedule(s: Stores, queued: readonly Job[], events: NewEvent[]): Promise<void> {
    const depIds = [...new Set(queued.flatMap((j) => j.dependsOn))];
    const state = new Map((await s.jobs.lockShared(depIds)).map((d) => [d.id, d]));
    for (const j of queued) state.set(j.id, j);
    const failed: Job[] = [];
    for (const job of orderByDependencies(queued)) {
      const cause = deadDependency(job, state);
      if (cause) {
        const rows = await s.jobs.failUnowned([job.id], dependencyFailure(cause));
        for (const r of rows) state.set(r.id, r);
        failed.push(...rows);
        events.push(...rows.map((r) => jobEvent('job.failed', r)));
      } else if (job.dependsOn.every((id) => state.get(id)?.status === 'completed')) {
        events.push(jobEvent('job.runnable', job));
      }
    }
    await this.failOutputs(s, failed, events);
  }

  /**
   * Cancels the job and every unfinished job that depends on it; a running execution sees it at its
   * next heartbeat. Returns the job and every job this cancel ended.
   */
  async cancel(id: string, tenant: TenantFilter = null): Promise<{ job: Job; ended: Job[] }> {
    return this.uow.run(async (s) => {
      const [job] = await s.jobs.lock([id]);
      if (!job || !visibleTo(job, tenant)) throw notFound(`Job ${id} does not exist.`, 'job_not_found');
      if (isFinished(job.status)) throw conflict(`Job ${id} is already ${job.status}.`, 'job_finished');
      const dependants = (await s.jobs.dependantsTransitive([id])).filter((j) => !isFinished(j.status));
      const cancelled = await s.jobs.cancel([id, ...dependants.map((j) => j.id)]);
      const events = cancelled.map((j) => jobEvent('job.cancelled', j));
      await this.failOutputs(s, cancelled, events);
      await s.outbox.append(events);
      return { job: cancelled.find((j) => j.id === id)!, ended: cancelled, wasRunning: job.status === 'in_progress' };
    }).then(async ({ wasRunning, ...outcome }) => {
      if (wasRunning) await this.unparkFreed();
      return outcome;
    });
  }

  /**
   * Puts a failed job back in the queue as a fresh run, with the failed jobs it depends on: a job
   * that failed because its input failed can only succeed if that input is produced this time.
   */
  async retry(id: string, tenant: TenantFilter = null): Promise<Job> {
    return this.uow.run(async (s) => {
      const job = await s.jobs.findById(id);
      if (!job || !visibleTo(job, tenant)) throw notFound(`Job ${id} does not exist.`, 'job_not_found');
      if (job.status !== 'failed') throw conflict(`Job ${id} is ${job.status}, not failed: only a failed job can be retried.`, 'job_not_failed');
      const failedDeps = (await s.jobs.dependenciesTransitive([id])).filter((d) => d.status === 'failed');
      const locked = await s.jobs.lock([id, ...failedDeps.map((d) => d.id)]);
      const requeued = await s.jobs.requeueFailed(locked.filter((j) => j.status === 'failed').map((j) => j.id));
      const mine = requeued.find((j) => j.id === id);
      if (!mine) throw conflict(`Job ${id} was retried by another request.`, 'job_not_failed');
      const events = requeued.map((j) => jobEvent('job.queued', j));
      const videos = await s.videos.setStatus(
        requeued.map((j) => j.outputVideoId),
        ['failed'],
        'pending',
      );
      events.push(...videos.map(videoStatusEvent));
      await this.schedule(s, requeued, events);
      await s.outbox.append(events);
      return (await s.jobs.findById(id)) ?? mine;
    });
  }

  /**
   * Takes a delivered job for one execution. The claim, the output video's move to processing and
   * their events commit together; a job whose inputs cannot work fails here, at once.
   */
  async claim(jobId: string): Promise<ClaimResult> {
    const result = await this.uow.run(async (s): Promise<ClaimResult> => {
      if (await this.overTenantCap(s, jobId)) {
        await s.jobs.park(jobId);
        return { kind: 'parked' };
      }
      const job = await s.jobs.claim(jobId, this.opts.leaseMs);
      if (!job) return this.whyNotClaimed(s, jobId);
      const fence = { jobId, token: job.attempts };
      const events = [jobEvent('job.started', job)];
      const prepared = await this.prepare(s, job);
      if ('code' in prepared) {
        const failed = await s.jobs.failOwned(fence, prepared);
        await this.failWithDownstream(s, failed ? [failed] : [], events);
        await s.outbox.append(events);
        return { kind: 'failed', reason: prepared.message, ended: true };
      }
      const outputs = await s.videos.setStatus([job.outputVideoId], ['pending', 'processing'], 'processing');
      events.push(...outputs.map(videoStatusEvent));
      await s.outbox.append(events);
      return { kind: 'claimed', execution: { ...fence, job, ...prepared } };
    });
    if (result.kind === 'failed') await this.unparkFreed();
    return result;
  }

  /** Whether a queued job's tenant already has its cap of jobs in progress while another tenant waits. */
  private async overTenantCap(s: Stores, jobId: string): Promise<boolean> {
    const cap = this.opts.tenantMaxRunning;
    if (!cap) return false;
    const row = await s.jobs.findById(jobId);
    if (row?.status !== 'queued') return false;
    const slots = await s.jobs.lockTenantSlots(row.tenantId);
    return slots.othersWaiting && slots.running >= (slots.maxRunning ?? cap);
  }

  /**
   * A job in progress ended, so a slot is free: the oldest parked job that may run now is handed to
   * the queue again. Apart from the change that ended the job, and never failing it: the reconciler
   * hands parked jobs over too.
   */
  async unparkFreed(): Promise<void> {
    await this.unparkEligible(1).catch(() => {});
  }

  /** Repair for the reconciler, and the hand-over after a slot frees: parked jobs that may run now go back to the queue. */
  async unparkEligible(limit: number): Promise<number> {
    const cap = this.opts.tenantMaxRunning;
    if (!cap) return 0;
    return this.uow.run(async (s) => {
      const unparked = await s.jobs.unparkEligible(limit, cap);
      await s.outbox.append(unparked.map((j) => jobEvent('job.runnable', j)));
      return unparked.length;
    });
  }

  private async whyNotClaimed(s: Stores, jobId: string): Promise<ClaimResult> {
    const row = await s.jobs.findById(jobId);
    if (row?.status === 'in_progress' && row.leaseUntil) return { kind: 'busy', until: row.leaseUntil };
    if (row?.status !== 'queued') return { kind: 'skipped', ended: !row || isFinished(row.status) };
    const deps = new Map((await s.jobs.lockShared(row.dependsOn)).map((d) => [d.id, d]));
    const cause = deadDependency(row, deps);
    if (!cause) return { kind: 'skipped', ended: false };
    const events: NewEvent[] = [];
    await this.failWithDownstream(s, await s.jobs.failUnowned([row.id], dependencyFailure(cause)), events);
    await s.outbox.append(events);
    return { kind: 'failed', reason: cause, ended: true };
  }

  /** The job's inputs and checked params, or why no attempt can ever make it work. */
  private async prepare(s: Stores, job: Job): Promise<Pick<Execution, 'inputs' | 'expectedDurationSec'> | JobFailure> {
    const found = new Map((await s.videos.findByIds(job.inputVideoIds)).map((v) => [v.id, v]));
    const inputs: Video[] = [];
    for (const id of job.inputVideoIds) {
      const v = found.get(id);
      if (!v || v.status !== 'ready' || !v.storageKey) return { code: 'input_missing', message: `Input video ${id} is ${v ? v.status : 'deleted'}.` };
      inputs.push(v);
    }
    const command = commandOf(job.type);
    const params = command.params.safeParse(job.params);
    if (!params.success) return { code: 'input_invalid', message: `The job's params are invalid: ${params.error.issues.map((i) => i.message).join('; ')}.` };
    try {
      (command.validate as (p: unknown, i: readonly Video[]) => void)(params.data, inputs);
    } catch (err) {
      if (err instanceof DomainError) return { code: 'input_invalid', message: err.message };
      throw err;
    }
    return { inputs, expectedDurationSec: (command.expectedDurationSec as (p: unknown, i: readonly Video[]) => number)(params.data, inputs) };
  }

  /** Renews the execution's lease; false means stop: the job was cancelled or another execution owns it. */
  heartbeat(fence: Fence): Promise<boolean> {
    return this.uow.read.jobs.renewLease(fence, this.opts.leaseMs);
  }

  /** Hands the job back at a shutdown: the next delivery may claim it at once. */
  release(fence: Fence): Promise<void> {
    return this.uow.read.jobs.releaseLease(fence);
  }

  /** Progress only rises; false when the execution no longer owns the job. */
  async progress(fence: Fence, percent: number): Promise<boolean> {
    return this.uow.run(async (s) => {
      const row = await s.jobs.updateProgress(fence, percent);
      if (row) await s.outbox.append([jobEvent('job.progress', row)]);
      return row !== undefined;
    });
  }

  /**
   * Completes the job with its output, if this execution still owns it. False means it lost (the
   * job was cancelled or taken over): the caller removes its own output and nothing else.
   */
  async complete(fence: Fence, output: FinishedOutput): Promise<boolean> {
    const completed = await this.uow.run(async (s) => {
      const job = await s.jobs.complete(fence, output.method, output.result ?? null);
      if (!job) return undefined;
      const video = await s.videos.markReady(job.outputVideoId, output.storageKey, output.metadata);
      await s.outbox.append([jobEvent('job.completed', job), ...(video ? [videoStatusEvent(video)] : [])]);
      return job;
    });
    if (!completed) return false;
    // Apart, so two dependencies finishing at once never wait for each other's locks; if this fails
    // the reconciler hands the dependants over.
    await this.releaseDependants(completed.id).catch(() => {});
    await this.unparkFreed();
    return true;
  }

  /** Queued jobs that were waiting only for `jobId` become runnable. */
  async releaseDependants(jobId: string): Promise<void> {
    await this.uow.run(async (s) => {
      const dependants = await s.jobs.queuedDependants([jobId]);
      if (dependants.length === 0) return;
      const deps = new Map((await s.jobs.lockShared([...new Set(dependants.flatMap((d) => d.dependsOn))])).map((d) => [d.id, d]));
      const ready = dependants.filter((d) => d.dependsOn.every((id) => deps.get(id)?.status === 'completed'));
      await s.outbox.append(ready.map((d) => jobEvent('job.runnable', d)));
    });
  }

  /**
   * An attempt failed. A failure no retry can fix (its code says so) and the last attempt of a run
   * fail the job and every queued job downstream; otherwise the error is recorded and the queue
   * tries again.
   */
  async fail(execution: Execution, failure: JobFailure): Promise<FailOutcome> {
    const attemptsUsed = execution.token - execution.job.attemptBase;
    const final = !isRetryableJobError(failure.code) || attemptsUsed >= this.opts.maxAttempts;
    const outcome = await this.uow.run(async (s): Promise<FailOutcome> => {
      const events: NewEvent[] = [];
      if (!final) {
        const row = await s.jobs.recordAttemptError(execution, failure);
        if (row) await s.outbox.append([jobEvent('job.attempt_failed', row)]);
        return row ? 'retrying' : 'stale';
      }
      const failed = await s.jobs.failOwned(execution, failure);
      if (!failed) return 'stale';
      await this.failWithDownstream(s, [failed], events);
      await s.outbox.append(events);
      return 'failed';
    });
    if (outcome === 'failed') await this.unparkFreed();
    return outcome;
  }

  /** Repair for the reconciler: queued jobs whose dependency failed or was cancelled fail now. */
  async failBlocked(limit: number): Promise<number> {
    const blocked = await this.uow.read.jobs.findQueuedBlocked(limit);
    let failed = 0;
    for (const candidate of blocked) {
      const outcome = await this.failIfBlocked(candidate.id);
      if (outcome) failed += 1;
    }
    return failed;
  }

  private failIfBlocked(jobId: string): Promise<boolean> {
    return this.uow.run(async (s) => {
      const [row] = await s.jobs.lock([jobId]);
      if (row?.status !== 'queued') return false;
      const deps = new Map((await s.jobs.lockShared(row.dependsOn)).map((d) => [d.id, d]));
      const cause = deadDependency(row, deps);
      if (!cause) return false;
      const events: NewEvent[] = [];
      await this.failWithDownstream(s, await s.jobs.failUnowned([row.id], dependencyFailure(cause)), events);
      await s.outbox.append(events);
      return true;
    });
  }

  /** Fails queued jobs downstream of `failed` (they can never get their input), and all their outputs. */
  private async failWithDownstream(s: Stores, failed: readonly Job[], events: NewEvent[]): Promise<void> {
    const all = [...failed];
    for (const root of failed) {
      const downstream = (await s.jobs.dependantsTransitive([root.id])).filter((j) => j.status === 'queued');
      all.push(...(await s.jobs.failUnowned(downstream.map((j) => j.id), dependencyFailure(`Dependency job ${root.id} failed.`))));
    }
    events.push(...all.map((j) => jobEvent('job.failed', j)));
    await this.failOutputs(s, all, events);
  }

  /** The outputs of jobs that ended without one (failed or cancelled) fail too. */
  private async failOutputs(s: Stores, ended: readonly Job[], events: NewEvent[]): Promise<void> {
    const videos = await s.videos.setStatus(
      ended.map((j) => j.outputVideoId),
      ['pending', 'processing'],
      'failed',
    );
    events.push(...videos.map(videoStatusEvent));
  }
}

const dependencyFailure = (message: string): JobFailure => ({ code: 'dependency_failed', message });

/** Why `job` can never run: a dependency that failed, was cancelled or is gone; undefined otherwise. */
function deadDependency(job: Job, state: ReadonlyMap<string, Job>): string | undefined {
  for (const id of job.dependsOn) {
    const d = state.get(id);
    if (!d) return `Dependency job ${id} no longer exists.`;
    if (d.status === 'failed' || d.status === 'cancelled') return `Dependency job ${id} is ${d.status}.`;
  }
  return undefined;
}
