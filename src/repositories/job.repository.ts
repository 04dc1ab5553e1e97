import type { Queryable } from '../db/sql-client.js';
import type { Fence, JobListFilter, JobStore, NewJob, TenantSlots, Throughput } from '../core/ports.js';
import { DEFAULT_TENANT, type TenantFilter } from '../domain/tenant.js';
import { statusesAllowedBefore, type Job, type JobFailure, type JobResult, type JobStatus } from '../domain/job.js';

const guard = (to: JobStatus) => statusesAllowedBefore(to);

/**
 * The PostgreSQL side of the job store: the only SQL for jobs. Every change bumps `event_seq`, the
 * per-job number of the event that announces it; changes by an execution are fenced by its token.
 */
export class JobRepository implements JobStore {
  constructor(private readonly sql: Queryable) {}

  async insert(j: NewJob): Promise<Job> {
    const [row] = await this.sql<Job[]>`
      INSERT INTO jobs (id, type, status, params, input_video_ids, output_video_id, depends_on, client_metadata, callback_url, event_seq, tenant_id)
      VALUES (${j.id}, ${j.type}, 'pending', ${this.sql.json(j.params as never)}, ${j.inputVideoIds}::uuid[],
        ${j.outputVideoId}, ${j.dependsOn}::uuid[], ${j.clientMetadata ? this.sql.json(j.clientMetadata as never) : null}, ${j.callbackUrl ?? null}, 1, ${j.tenantId ?? DEFAULT_TENANT})
      RETURNING *`;
    return row!;
  }

  async findById(id: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`SELECT * FROM jobs WHERE id = ${id}`;
    return row;
  }

  async findByIds(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`SELECT * FROM jobs WHERE id = ANY(${ids as string[]}::uuid[])`;
  }

  async list(f: JobListFilter): Promise<{ items: Job[]; total: number }> {
    const status = f.status ?? null;
    const type = f.type ?? null;
    const tenant = f.tenant ?? null;
    const items = await this.sql<Job[]>`
      SELECT * FROM jobs
      WHERE (${status}::text IS NULL OR status = ${status}) AND (${type}::text IS NULL OR type = ${type})
        AND (${tenant}::text IS NULL OR tenant_id = ${tenant})
      ORDER BY created_at DESC, id DESC LIMIT ${f.limit} OFFSET ${f.offset}`;
    const [count] = await this.sql<{ total: number }[]>`
      SELECT count(*)::int AS total FROM jobs
      WHERE (${status}::text IS NULL OR status = ${status}) AND (${type}::text IS NULL OR type = ${type})
        AND (${tenant}::text IS NULL OR tenant_id = ${tenant})`;
    return { items, total: count!.total };
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async lock(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`SELECT * FROM jobs WHERE id = ANY(${ids as string[]}::uuid[]) ORDER BY id FOR UPDATE`;
  }

  async lockShared(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`SELECT * FROM jobs WHERE id = ANY(${ids as string[]}::uuid[]) ORDER BY id FOR SHARE`;
  }

  async lockPendingBatch(afterId: string | null, limit: number, tenant: TenantFilter = null): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT * FROM jobs WHERE status = 'pending' AND (${afterId}::uuid IS NULL OR id > ${afterId}::uuid)
        AND (${tenant}::text IS NULL OR tenant_id = ${tenant})
      ORDER BY id LIMIT ${limit} FOR UPDATE`;
  }

  async markQueued(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'queued', queued_at = now(), parked_at = NULL, updated_at = now(), event_seq = event_seq + 1
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = 'pending'
      RETURNING *`;
  }

  async requeueFailed(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'queued', progress = 0, error = NULL, error_code = NULL, result = NULL, queued_at = now(), started_at = NULL,
        finished_at = NULL, lease_until = NULL, parked_at = NULL, attempt_base = attempts, updated_at = now(), event_seq = event_seq + 1
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = 'failed' RETURNING *`;
  }

  async claim(id: string, leaseMs: number): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs j SET status = 'in_progress', attempts = attempts + 1, started_at = COALESCE(started_at, now()),
        lease_until = now() + ${leaseMs} * interval '1 millisecond', error = NULL, error_code = NULL, parked_at = NULL, updated_at = now(), event_seq = event_seq + 1
      WHERE j.id = ${id}
        AND (j.status = 'queued' OR (j.status = 'in_progress' AND (j.lease_until IS NULL OR j.lease_until < now())))
        AND NOT EXISTS (SELECT 1 FROM jobs d WHERE d.id = ANY(j.depends_on) AND d.status <> 'completed')
      RETURNING *`;
    return row;
  }

  async renewLease(f: Fence, leaseMs: number): Promise<boolean> {
    const rows = await this.sql`
      UPDATE jobs SET lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress' RETURNING id`;
    return rows.length > 0;
  }

  async releaseLease(f: Fence): Promise<void> {
    await this.sql`UPDATE jobs SET lease_until = now() WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress'`;
  }

  async updateProgress(f: Fence, percent: number): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET progress = GREATEST(progress, ${percent}), updated_at = now(), event_seq = event_seq + 1
      WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async recordAttemptError(f: Fence, failure: JobFailure): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET error = ${failure.message}, error_code = ${failure.code}, lease_until = now(), updated_at = now(), event_seq = event_seq + 1
      WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async complete(f: Fence, method: string, result: JobResult | null): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET status = 'completed', progress = 100, method = ${method}, result = ${result ? this.sql.json(result as never) : null},
        error = NULL, error_code = NULL, lease_until = NULL,
        finished_at = now(), updated_at = now(), event_seq = event_seq + 1
      WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async failOwned(f: Fence, failure: JobFailure): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET status = 'failed', error = ${failure.message}, error_code = ${failure.code}, lease_until = NULL, finished_at = now(), updated_at = now(),
        event_seq = event_seq + 1
      WHERE id = ${f.jobId} AND attempts = ${f.token} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async failUnowned(ids: readonly string[], failure: JobFailure): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'failed', error = ${failure.message}, error_code = ${failure.code}, finished_at = now(), updated_at = now(), event_seq = event_seq + 1
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = 'queued' RETURNING *`;
  }

  async cancel(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'cancelled', lease_until = NULL, finished_at = now(), updated_at = now(), event_seq = event_seq + 1
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = ANY(${guard('cancelled')}::text[]) RETURNING *`;
  }

  async dependantsTransitive(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      WITH RECURSIVE dependants AS (
        SELECT j.* FROM jobs j WHERE j.depends_on && ${ids as string[]}::uuid[]
        UNION
        SELECT j.* FROM jobs j JOIN dependants d ON j.depends_on @> ARRAY[d.id]
      )
      SELECT * FROM dependants`;
  }

  async dependenciesTransitive(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      WITH RECURSIVE deps AS (
        SELECT d.* FROM jobs j JOIN jobs d ON d.id = ANY(j.depends_on) WHERE j.id = ANY(${ids as string[]}::uuid[])
        UNION
        SELECT d.* FROM deps x JOIN jobs d ON d.id = ANY(x.depends_on)
      )
      SELECT * FROM deps`;
  }

  async queuedDependants(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      SELECT * FROM jobs WHERE status = 'queued' AND depends_on && ${ids as string[]}::uuid[] ORDER BY id`;
  }

  async findUnfinishedTouchingVideo(videoId: string): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT * FROM jobs
      WHERE status IN ('pending', 'queued', 'in_progress')
        AND (output_video_id = ${videoId} OR input_video_ids @> ARRAY[${videoId}]::uuid[])`;
  }

  async findReconcilable(afterId: string | null, limit: number): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT j.* FROM jobs j
      WHERE (${afterId}::uuid IS NULL OR j.id > ${afterId}::uuid)
        AND ((j.status = 'in_progress' AND (j.lease_until IS NULL OR j.lease_until < now()))
          OR (j.status = 'queued' AND j.parked_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM jobs d WHERE d.id = ANY(j.depends_on) AND d.status <> 'completed')))
      ORDER BY j.id LIMIT ${limit}`;
  }

  async measuredThroughput(limit: number): Promise<Throughput> {
    const [row] = await this.sql<Throughput[]>`
      WITH recent AS (
        SELECT (result->>'reencodedSec')::float8 AS re, (result->>'durationSec')::float8 AS dur,
          extract(epoch FROM finished_at - started_at)::float8 AS wall
        FROM jobs WHERE status = 'completed' AND result IS NOT NULL AND started_at IS NOT NULL
        ORDER BY finished_at DESC LIMIT ${limit})
      SELECT (sum(wall) FILTER (WHERE re > 0) / NULLIF(sum(re) FILTER (WHERE re > 0), 0))::float8 AS encode_sec_per_sec,
        (sum(wall) FILTER (WHERE re = 0) / NULLIF(sum(dur) FILTER (WHERE re = 0), 0))::float8 AS copy_sec_per_sec
      FROM recent`;
    return row!;
  }

  async lockTenantSlots(tenantId: string): Promise<TenantSlots> {
    await this.sql`SELECT pg_advisory_xact_lock(hashtextextended(${`tenant-slots:${tenantId}`}, 0))`;
    const [row] = await this.sql<TenantSlots[]>`
      SELECT (SELECT count(*)::int FROM jobs WHERE tenant_id = ${tenantId} AND status = 'in_progress') AS running,
        (SELECT max_running FROM tenants WHERE id = ${tenantId}) AS max_running,
        EXISTS (
          SELECT 1 FROM jobs o WHERE o.status = 'queued' AND o.tenant_id <> ${tenantId} AND o.parked_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM jobs d WHERE d.id = ANY(o.depends_on) AND d.status <> 'completed')) AS others_waiting`;
    return row!;
  }

  async park(id: string): Promise<void> {
    await this.sql`UPDATE jobs SET parked_at = now() WHERE id = ${id} AND status = 'queued'`;
  }

  async unparkEligible(limit: number, defaultCap: number): Promise<Job[]> {
    return this.sql<Job[]>`
      WITH parked_tenants AS (
        SELECT p.tenant_id, COALESCE(t.max_running, ${defaultCap}) AS cap,
          (SELECT count(*) FROM jobs r WHERE r.tenant_id = p.tenant_id AND r.status = 'in_progress') AS running
        FROM (SELECT DISTINCT tenant_id FROM jobs WHERE status = 'queued' AND parked_at IS NOT NULL) p
        LEFT JOIN tenants t ON t.id = p.tenant_id),
      waiting AS (
        SELECT DISTINCT o.tenant_id FROM jobs o WHERE o.status = 'queued' AND o.parked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM jobs d WHERE d.id = ANY(o.depends_on) AND d.status <> 'completed')),
      picked AS (
        SELECT j.id FROM jobs j JOIN parked_tenants l ON l.tenant_id = j.tenant_id
        WHERE j.status = 'queued' AND j.parked_at IS NOT NULL
          AND (l.running < l.cap OR NOT EXISTS (SELECT 1 FROM waiting w WHERE w.tenant_id <> j.tenant_id))
        ORDER BY j.parked_at, j.id LIMIT ${limit}
        FOR UPDATE OF j SKIP LOCKED)
      UPDATE jobs SET parked_at = NULL WHERE id IN (SELECT id FROM picked) AND status = 'queued' RETURNING *`;
  }

  async findQueuedBlocked(limit: number): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT j.* FROM jobs j
      WHERE j.status = 'queued' AND EXISTS (
        SELECT 1 FROM unnest(j.depends_on) AS dep(id) LEFT JOIN jobs d ON d.id = dep.id
        WHERE d.id IS NULL OR d.status IN ('failed', 'cancelled'))
      ORDER BY j.id LIMIT ${limit}`;
  }
}
