import type { Queryable } from '../db/sql-client.js';

export type ResumableUploadStatus = 'receiving' | 'finishing' | 'completed' | 'failed';

export interface ResumableUpload {
  id: string;
  status: ResumableUploadStatus;
  length: number | null;
  originalName: string | null;
  videoId: string | null;
  tenantId: string;
  errorCode: string | null;
  error: string | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** The only SQL for resumable (tus) uploads. Every status change is guarded by the status it leaves. */
export class ResumableUploadRepository {
  constructor(private readonly sql: Queryable) {}

  async insert(u: { id: string; length: number | null; originalName: string | null; expiresAt: Date; tenantId: string }): Promise<void> {
    await this.sql`
      INSERT INTO resumable_uploads (id, status, length, original_name, expires_at, tenant_id)
      VALUES (${u.id}, 'receiving', ${u.length}, ${u.originalName}, ${u.expiresAt}, ${u.tenantId})`;
  }

  async findById(id: string): Promise<ResumableUpload | undefined> {
    const [row] = await this.sql<ResumableUpload[]>`SELECT * FROM resumable_uploads WHERE id = ${id}`;
    return row && { ...row, length: row.length === null ? null : Number(row.length) };
  }

  /** receiving → finishing: the row for the one request that turns the upload into a video. */
  async claimFinishing(id: string): Promise<ResumableUpload | undefined> {
    const [row] = await this.sql<ResumableUpload[]>`
      UPDATE resumable_uploads SET status = 'finishing', updated_at = now() WHERE id = ${id} AND status = 'receiving' RETURNING *`;
    return row;
  }

  async markCompleted(id: string, videoId: string): Promise<void> {
    await this.sql`
      UPDATE resumable_uploads SET status = 'completed', video_id = ${videoId}, updated_at = now() WHERE id = ${id} AND status = 'finishing'`;
  }

  async markFailed(id: string, code: string, error: string): Promise<void> {
    await this.sql`
      UPDATE resumable_uploads SET status = 'failed', error_code = ${code}, error = ${error}, updated_at = now()
      WHERE id = ${id} AND status = 'finishing'`;
  }

  /** A terminated upload: gone while still receiving (a finishing one belongs to its finisher). */
  async deleteReceiving(id: string): Promise<void> {
    await this.sql`DELETE FROM resumable_uploads WHERE id = ${id} AND status = 'receiving'`;
  }

  /**
   * Deletes up to `limit` uploads that expired unfinished before `now` (or whose finisher died),
   * and finished ones last changed before `finishedBefore`; returns the ids of the unfinished ones,
   * whose files the caller removes. Rows are locked SKIP LOCKED, so two passes split the work.
   */
  async deleteExpired(now: Date, finishedBefore: Date, limit: number): Promise<{ unfinished: string[]; deleted: number }> {
    const rows = await this.sql<{ id: string; status: ResumableUploadStatus }[]>`
      DELETE FROM resumable_uploads WHERE id IN (
        SELECT id FROM resumable_uploads
        WHERE (status IN ('receiving', 'finishing') AND expires_at < ${now})
           OR (status IN ('completed', 'failed') AND updated_at < ${finishedBefore})
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, status`;
    return { unfinished: rows.filter((r) => r.status === 'receiving' || r.status === 'finishing').map((r) => r.id), deleted: rows.length };
  }
}
