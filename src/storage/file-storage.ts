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
    return createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : undefined);
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Removes a temp file if it is still there; never throws, so it is safe in `finally`. */
  async discardTemp(file: string | undefined): Promise<void> {
    if (!file) return;
    await unlink(file).catch(() => {});
  }

  async listTemp(): Promise<string[]> {
    return (await readdir(this.tmpDir).catch(() => [])).map((f) => path.join(this.tmpDir, f));
  }
}
