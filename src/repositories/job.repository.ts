import type { Queryable } from '../db/sql-client.js';
import { statusesAllowedBefore, type Job, type JobStatus, type JobType } from '../domain/job.js';

export interface NewJob {
  id: string;
  type: JobType;
  params: Job['params'];
  inputVideoIds: string[];
  outputVideoId: string;
  dependsOn: string[];
}

export interface JobListFilter {
  status?: JobStatus;
  type?: JobType;
  limit: number;
  offset: number;
}

const guard = (to: JobStatus) => statusesAllowedBefore(to);

/**
 * The only place with SQL for jobs. Every status change is one guarded UPDATE: zero rows back means
 * another actor changed the job first, and the caller treats that as "skip", never as an error.
 */
export class JobRepository {
  constructor(private readonly sql: Queryable) {}

  with(tx: Queryable): JobRepository {
    return new JobRepository(tx);
  }

  async insert(j: NewJob): Promise<Job> {
    const [row] = await this.sql<Job[]>`
      INSERT INTO jobs (id, type, status, params, input_video_ids, output_video_id, depends_on)
      VALUES (${j.id}, ${j.type}, 'pending', ${this.sql.json(j.params as never)}, ${j.inputVideoIds}::uuid[],
        ${j.outputVideoId}, ${j.dependsOn}::uuid[])
      RETURNING *`;
    return row!;
  }

  async findById(id: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`SELECT * FROM jobs WHERE id = ${id}`;
    return row;
  }

  /**
   * Like findById, but waits for a transaction that is changing the row (a run that has queued the
   * job and is handing it to the queue) to commit, so a worker never sees the row from before.
   */
  async findByIdSettled(id: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`SELECT * FROM jobs WHERE id = ${id} FOR SHARE`;
    return row;
  }

  async findByIds(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`SELECT * FROM jobs WHERE id = ANY(${ids as string[]}::uuid[])`;
  }

  async list(f: JobListFilter): Promise<{ items: Job[]; total: number }> {
    const status = f.status ?? null;
    const type = f.type ?? null;
    const items = await this.sql<Job[]>`
      SELECT * FROM jobs
      WHERE (${status}::text IS NULL OR status = ${status}) AND (${type}::text IS NULL OR type = ${type})
      ORDER BY created_at DESC, id DESC LIMIT ${f.limit} OFFSET ${f.offset}`;
    const [count] = await this.sql<{ total: number }[]>`
      SELECT count(*)::int AS total FROM jobs
      WHERE (${status}::text IS NULL OR status = ${status}) AND (${type}::text IS NULL OR type = ${type})`;
    return { items, total: count!.total };
  }

  async findPending(): Promise<Job[]> {
    return this.sql<Job[]>`SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_at, id`;
  }

  /** pending → queued for exactly these ids; returns the ones this caller moved. */
  async markQueued(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'queued', queued_at = now(), updated_at = now()
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = 'pending'
      RETURNING *`;
  }

  /** queued (or a re-delivered in_progress) → in_progress, counting the attempt. */
  async claim(id: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET status = 'in_progress', attempts = attempts + 1, started_at = COALESCE(started_at, now()),
        error = NULL, updated_at = now()
      WHERE id = ${id} AND status = ANY(${guard('in_progress')}::text[])
      RETURNING *`;
    return row;
  }

  /** Progress only rises; undefined when the job is no longer in_progress (cancelled meanwhile). */
  async updateProgress(id: string, percent: number): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET progress = GREATEST(progress, ${percent}), updated_at = now()
      WHERE id = ${id} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async complete(id: string, method: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET status = 'completed', progress = 100, method = ${method}, error = NULL,
        finished_at = now(), updated_at = now()
      WHERE id = ${id} AND status = ANY(${guard('completed')}::text[]) RETURNING *`;
    return row;
  }

  async fail(ids: readonly string[], error: string): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'failed', error = ${error}, finished_at = now(), updated_at = now()
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = ANY(${guard('failed')}::text[]) RETURNING *`;
  }

  /** Keeps the cause of a failed attempt visible while the queue waits to try again. */
  async recordAttemptError(id: string, error: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET error = ${error}, updated_at = now() WHERE id = ${id} AND status = 'in_progress' RETURNING *`;
    return row;
  }

  async cancel(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now()
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = ANY(${guard('cancelled')}::text[]) RETURNING *`;
  }

  /** failed → queued, as a fresh run: progress, error and timestamps of the last run are cleared. */
  async requeueFailed(id: string): Promise<Job | undefined> {
    const [row] = await this.sql<Job[]>`
      UPDATE jobs SET status = 'queued', progress = 0, error = NULL, queued_at = now(), started_at = NULL,
        finished_at = NULL, updated_at = now()
      WHERE id = ${id} AND status = 'failed' RETURNING *`;
    return row;
  }

  /** Every job that depends, directly or through others, on any of `ids`. */
  async findDependantsTransitive(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      WITH RECURSIVE dependants AS (
        SELECT j.* FROM jobs j WHERE j.depends_on && ${ids as string[]}::uuid[]
        UNION
        SELECT j.* FROM jobs j JOIN dependants d ON j.depends_on @> ARRAY[d.id]
      )
      SELECT * FROM dependants`;
  }

  /** Every job that `ids` depend on, directly or through others. */
  async findDependenciesTransitive(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    return this.sql<Job[]>`
      WITH RECURSIVE deps AS (
        SELECT d.* FROM jobs j JOIN jobs d ON d.id = ANY(j.depends_on) WHERE j.id = ANY(${ids as string[]}::uuid[])
        UNION
        SELECT d.* FROM deps x JOIN jobs d ON d.id = ANY(x.depends_on)
      )
      SELECT * FROM deps`;
  }

  /** Queued jobs among `ids` (all queued when ids is undefined) whose dependencies have all completed. */
  async findRunnable(ids?: readonly string[]): Promise<Job[]> {
    const filter = ids ? (ids as string[]) : null;
    return this.sql<Job[]>`
      SELECT j.* FROM jobs j
      WHERE j.status = 'queued' AND (${filter}::uuid[] IS NULL OR j.id = ANY(${filter}::uuid[]))
        AND NOT EXISTS (
          SELECT 1 FROM jobs d WHERE d.id = ANY(j.depends_on) AND d.status <> 'completed')
      ORDER BY j.queued_at, j.created_at, j.id`;
  }

  /**
   * Jobs the queue should hold, by id after `afterId`: running ones, and queued ones whose
   * dependencies have all completed. Used to rebuild the queue after Redis lost its data.
   */
  async findReconcilable(afterId: string | null, limit: number): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT j.* FROM jobs j
      WHERE (${afterId}::uuid IS NULL OR j.id > ${afterId}::uuid)
        AND (j.status = 'in_progress' OR (j.status = 'queued' AND NOT EXISTS (
          SELECT 1 FROM jobs d WHERE d.id = ANY(j.depends_on) AND d.status <> 'completed')))
      ORDER BY j.id LIMIT ${limit}`;
  }

  /** Queued dependants of `ids` whose dependencies have all completed now. */
  async findRunnableDependants(ids: readonly string[]): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT j.* FROM jobs j
      WHERE j.status = 'queued' AND j.depends_on && ${ids as string[]}::uuid[]
        AND NOT EXISTS (SELECT 1 FROM jobs d WHERE d.id = ANY(j.depends_on) AND d.status <> 'completed')
      ORDER BY j.queued_at, j.created_at, j.id`;
  }

  async findUnfinishedTouchingVideo(videoId: string): Promise<Job[]> {
    return this.sql<Job[]>`
      SELECT * FROM jobs
      WHERE status IN ('pending', 'queued', 'in_progress')
        AND (output_video_id = ${videoId} OR input_video_ids @> ARRAY[${videoId}]::uuid[])`;
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.sql<{ status: string; n: number }[]>`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
