import type { Queryable } from '../db/sql-client.js';
import type { NewVideo, TenantUsage, VideoListFilter, VideoStore } from '../core/ports.js';
import { DEFAULT_TENANT } from '../domain/tenant.js';
import type { ProbedMetadata, Video, VideoStatus } from '../domain/video.js';

/** The PostgreSQL side of the video store: the only SQL for videos. Every change bumps `event_seq`. */
export class VideoRepository implements VideoStore {
  constructor(private readonly sql: Queryable) {}

  async insert(v: NewVideo): Promise<Video> {
    const m = v.metadata;
    const [row] = await this.sql<Video[]>`
      INSERT INTO videos (id, kind, status, original_name, storage_key, source_job_id,
        size_bytes, duration_sec, width, height, fps, video_codec, audio_codec, container, media, client_metadata, source_url, event_seq, tenant_id)
      VALUES (${v.id}, ${v.kind}, ${v.status}, ${v.originalName}, ${v.storageKey}, ${v.sourceJobId},
        ${m?.sizeBytes ?? null}, ${m?.durationSec ?? null}, ${m?.width ?? null}, ${m?.height ?? null}, ${m?.fps ?? null},
        ${m?.videoCodec ?? null}, ${m?.audioCodec ?? null}, ${m?.container ?? null}, ${m ? this.sql.json(m.media as never) : null},
        ${v.clientMetadata ? this.sql.json(v.clientMetadata as never) : null}, ${v.sourceUrl ?? null}, 1, ${v.tenantId ?? DEFAULT_TENANT})
      RETURNING *`;
    return row!;
  }

  async findById(id: string): Promise<Video | undefined> {
    const [row] = await this.sql<Video[]>`SELECT * FROM videos WHERE id = ${id}`;
    return row;
  }

  async findByIds(ids: readonly string[]): Promise<Video[]> {
    if (ids.length === 0) return [];
    return this.sql<Video[]>`SELECT * FROM videos WHERE id = ANY(${ids as string[]}::uuid[])`;
  }

  async list(f: VideoListFilter): Promise<{ items: Video[]; total: number }> {
    const kind = f.kind ?? null;
    const status = f.status ?? null;
    const tenant = f.tenant ?? null;
    const items = await this.sql<Video[]>`
      SELECT * FROM videos
      WHERE (${kind}::text IS NULL OR kind = ${kind}) AND (${status}::text IS NULL OR status = ${status})
        AND (${tenant}::text IS NULL OR tenant_id = ${tenant})
      ORDER BY created_at DESC, id DESC LIMIT ${f.limit} OFFSET ${f.offset}`;
    const [count] = await this.sql<{ total: number }[]>`
      SELECT count(*)::int AS total FROM videos
      WHERE (${kind}::text IS NULL OR kind = ${kind}) AND (${status}::text IS NULL OR status = ${status})
        AND (${tenant}::text IS NULL OR tenant_id = ${tenant})`;
    return { items, total: count!.total };
  }

  async lockSharedByIds(ids: readonly string[]): Promise<Video[]> {
    if (ids.length === 0) return [];
    return this.sql<Video[]>`SELECT * FROM videos WHERE id = ANY(${ids as string[]}::uuid[]) ORDER BY id FOR SHARE`;
  }

  /** Guarded status change of each of `ids` that is in one of `from`. */
  async setStatus(ids: readonly string[], from: readonly VideoStatus[], to: VideoStatus): Promise<Video[]> {
    if (ids.length === 0) return [];
    return this.sql<Video[]>`
      UPDATE videos SET status = ${to}, updated_at = now(), event_seq = event_seq + 1
      WHERE id = ANY(${ids as string[]}::uuid[]) AND status = ANY(${from as VideoStatus[]}::text[]) RETURNING *`;
  }

  /** Records a finished output: its file, its probed metadata, status ready. */
  async markReady(id: string, storageKey: string, m: ProbedMetadata): Promise<Video | undefined> {
    const [row] = await this.sql<Video[]>`
      UPDATE videos SET status = 'ready', storage_key = ${storageKey}, size_bytes = ${m.sizeBytes},
        duration_sec = ${m.durationSec}, width = ${m.width}, height = ${m.height}, fps = ${m.fps},
        video_codec = ${m.videoCodec}, audio_codec = ${m.audioCodec}, container = ${m.container},
        media = ${this.sql.json(m.media as never)}, updated_at = now(), event_seq = event_seq + 1
      WHERE id = ${id} AND status IN ('pending', 'processing') RETURNING *`;
    return row;
  }

  async markFailed(id: string, from: readonly VideoStatus[], failure: { code: string; message: string }): Promise<Video | undefined> {
    const [row] = await this.sql<Video[]>`
      UPDATE videos SET status = 'failed', error = ${failure.message}, error_code = ${failure.code}, updated_at = now(), event_seq = event_seq + 1
      WHERE id = ${id} AND status = ANY(${from as VideoStatus[]}::text[]) RETURNING *`;
    return row;
  }

  async delete(id: string): Promise<Video | undefined> {
    const [row] = await this.sql<Video[]>`DELETE FROM videos WHERE id = ${id} RETURNING *`;
    return row;
  }

  /**
   * Deletes up to `limit` failed outputs (of failed or cancelled jobs) and failed imports last changed before `before`,
   * that no unfinished job uses; one short statement per batch.
   */
  async deleteFailedOutputsBefore(before: Date, limit: number): Promise<Video[]> {
    return this.sql<Video[]>`
      DELETE FROM videos WHERE id IN (
        SELECT v.id FROM videos v
        WHERE v.status = 'failed' AND (v.kind <> 'upload' OR v.source_url IS NOT NULL) AND v.updated_at < ${before}
          AND NOT EXISTS (
            SELECT 1 FROM jobs j WHERE j.status IN ('pending', 'queued', 'in_progress')
              AND (j.output_video_id = v.id OR j.input_video_ids @> ARRAY[v.id]))
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING *`;
  }

  async findStalledImports(before: Date, limit: number): Promise<Video[]> {
    return this.sql<Video[]>`
      SELECT * FROM videos WHERE status = 'processing' AND source_url IS NOT NULL AND updated_at < ${before}
      ORDER BY updated_at LIMIT ${limit}`;
  }

  async tenantUsage(tenantId: string, lock: boolean): Promise<TenantUsage> {
    if (lock) await this.sql`SELECT pg_advisory_xact_lock(hashtextextended(${`tenant-usage:${tenantId}`}, 0))`;
    const [row] = await this.sql<TenantUsage[]>`
      SELECT (SELECT COALESCE(sum(size_bytes), 0)::float8 FROM videos WHERE tenant_id = ${tenantId} AND storage_key IS NOT NULL) AS used_bytes,
        (SELECT quota_bytes::float8 FROM tenants WHERE id = ${tenantId}) AS quota_bytes`;
    return row!;
  }

  async referencedKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.sql<{ storageKey: string }[]>`
      SELECT storage_key FROM videos WHERE storage_key = ANY(${keys as string[]}::text[])`;
    return new Set(rows.map((r) => r.storageKey));
  }

  /** Locks the row for the rest of the transaction so a concurrent job cannot start using it. */
  async lockById(id: string): Promise<Video | undefined> {
    const [row] = await this.sql<Video[]>`SELECT * FROM videos WHERE id = ${id} FOR UPDATE`;
    return row;
  }
}
