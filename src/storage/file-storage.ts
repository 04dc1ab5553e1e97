import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface StoredFileStat {
  sizeBytes: number;
  mtimeMs: number;
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Every file access of the service goes through here: videos live under `videos/` by a generated key,
 * work in progress under `tmp/` and is renamed into place only when complete. A shared volume (or,
 * later, an object store behind the same methods) lets many hosts use one storage.
 */
export class FileStorage {
  readonly videosDir: string;
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.videosDir = path.join(root, 'videos');
    this.tmpDir = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.videosDir, { recursive: true });
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

  /** Removes the temp files of the job's attempts before `attempt` (never a later one's). */
  async discardEarlierJobTemps(jobId: string, attempt: number): Promise<void> {
    const prefix = `job-${jobId}.`;
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    const earlier = names.filter((n) => n.startsWith(prefix) && Number(n.slice(prefix.length).split('.')[0]) < attempt);
    await Promise.all(earlier.map((n) => unlink(path.join(this.tmpDir, n)).catch(() => {})));
  }

  pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`unsafe storage key ${JSON.stringify(key)}`);
    return path.join(this.videosDir, key);
  }

  /** Atomically publishes a finished temp file under `key`, replacing an earlier attempt's output. */
  async moveIntoPlace(tempFile: string, key: string): Promise<void> {
    await rename(tempFile, this.pathOf(key));
  }

  async stat(key: string): Promise<StoredFileStat | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return { sizeBytes: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  openRead(key: string, range?: { start: number; end: number }): ReadStream {
    // 1 MiB reads instead of 64 KiB: far fewer syscalls and socket writes for multi-GB downloads.
    return createReadStream(this.pathOf(key), { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Removes a temp file if it is still there; never throws, so it is safe in `finally`. */
  async discardTemp(file: string | undefined): Promise<void> {
    if (!file) return;
    await unlink(file).catch(() => {});
  }

  /** Keys of stored files not touched since `before`. */
  async keysOlderThan(before: Date): Promise<string[]> {
    const keys: string[] = [];
    for (const name of await readdir(this.videosDir).catch(() => [] as string[])) {
      const s = await stat(path.join(this.videosDir, name)).catch(() => undefined);
      if (s?.isFile() && s.mtimeMs < before.getTime() && SAFE_KEY.test(name)) keys.push(name);
    }
    return keys;
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
