import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * This host's own work space under `tmp/`: uploads being received, job outputs being written, and
 * anything else that is renamed or uploaded into the blob store only when complete. Never shared
 * between hosts.
 */
export class LocalScratch {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
  }

  /** A fresh path under tmp/ that nothing else will pick. */
  tempPath(suffix = '.tmp'): string {
    return path.join(this.tmpDir, `${randomUUID()}${suffix}`);
  }

  /** A temp path named after the job and attempt, so a later attempt can remove what a crashed one left. */
  jobTempPath(jobId: string, attempt: number, suffix: string): string {
    return path.join(this.tmpDir, `job-${jobId}.${attempt}.${randomUUID().slice(0, 8)}.${suffix}`);
  }

  /** Removes every temp file of the job, of any attempt: for a job that has ended. */
  discardJobTemps(jobId: string): Promise<void> {
    return this.discardEarlierJobTemps(jobId, Number.POSITIVE_INFINITY);
  }

  /** Removes the temp files of the job's attempts before `attempt` (never a later one's). */
  async discardEarlierJobTemps(jobId: string, attempt: number): Promise<void> {
    const prefix = `job-${jobId}.`;
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    const earlier = names.filter((n) => n.startsWith(prefix) && Number(n.slice(prefix.length).split('.')[0]) < attempt);
    await Promise.all(earlier.map((n) => unlink(path.join(this.tmpDir, n)).catch(() => {})));
  }

  /** Removes a temp file if it is still there; never throws, so it is safe in `finally`. */
  async discardTemp(file: string | undefined): Promise<void> {
    if (!file) return;
    await unlink(file).catch(() => {});
  }

  /** Removes temp files not touched since `before` (left by crashes); returns how many. */
  async discardTempsOlderThan(before: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmpDir).catch(() => [] as string[])) {
      const file = path.join(this.tmpDir, name);
      const s = await stat(file).catch(() => undefined);
      if (s && s.mtimeMs < before.getTime()) {
        await unlink(file).catch(() => {});
        removed += 1;
      }
    }
    return removed;
  }
}
