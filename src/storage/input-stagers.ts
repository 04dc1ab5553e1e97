import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, InputStager, StagedInput } from '../core/ports.js';
import { checkedKey, objectMissing } from './storage-key.js';

/** A store on this host's disk: FFmpeg reads the stored file itself, nothing is copied. */
export class InPlaceInputs implements InputStager {
  constructor(private readonly store: BlobStore) {}

  async stage(key: string): Promise<StagedInput> {
    const file = this.store.localPathOf(key);
    if (!file) throw new Error(`the ${this.store.kind} store keeps no files on this host`);
    await access(file).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? objectMissing(key) : err;
    });
    return { path: file, release: () => {} };
  }
}

interface CachedInput {
  key: string;
  path: string;
  sizeBytes: number;
  lastUsed: number;
  users: number;
}

/**
 * Stored objects copied onto local scratch for FFmpeg, kept for the next job that needs them, at
 * most `maxBytes` of them: the least recently used that no job is reading go first. A copy is
 * downloaded under a temp name and renamed when complete, so a partial file is never taken for a
 * finished one; two jobs staging the same key at once share one download. Objects are immutable
 * under their key (a new output gets a new key), so a cached copy never goes stale.
 */
export class ScratchInputCache implements InputStager {
  private readonly entries = new Map<string, CachedInput>();
  private readonly downloads = new Map<string, Promise<CachedInput>>();
  private clock = 0;

  constructor(
    private readonly store: BlobStore,
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /**
   * Starts empty, in a directory of this process's own (an API and a worker may share STORAGE_DIR
   * on one host); what a process that is gone left behind may be partial, and is removed.
   */
  async init(): Promise<void> {
    const parent = path.dirname(this.dir);
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      if (/^\d+$/.test(name) && !isAlive(Number(name))) await rm(path.join(parent, name), { recursive: true, force: true });
    }
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  /** Bytes the cache holds now. */
  get heldBytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.sizeBytes;
    return total;
  }

  async stage(key: string): Promise<StagedInput> {
    checkedKey(key);
    for (;;) {
      const entry = this.entries.get(key) ?? (await this.downloadOnce(key));
      // An eviction may have run while this caller waited for the shared download: stage again.
      if (this.entries.get(key) !== entry) continue;
      entry.users += 1;
      entry.lastUsed = ++this.clock;
      let released = false;
      return {
        path: entry.path,
        release: () => {
          if (released) return;
          released = true;
          entry.users -= 1;
          void this.evictBeyond(this.maxBytes);
        },
      };
    }
  }

  private downloadOnce(key: string): Promise<CachedInput> {
    let pending = this.downloads.get(key);
    if (!pending) {
      pending = this.download(key).finally(() => this.downloads.delete(key));
      this.downloads.set(key, pending);
    }
    return pending;
  }

  private async download(key: string): Promise<CachedInput> {
    const found = await this.store.stat(key);
    if (!found) throw objectMissing(key);
    await this.evictBeyond(this.maxBytes - found.sizeBytes);
    // A name of its own per copy: an evicted copy's unlink never hits a newer copy of the same key.
    const file = path.join(this.dir, `${randomUUID().slice(0, 8)}-${key}`);
    const partial = path.join(this.dir, `.${randomUUID()}.partial`);
    try {
      await pipeline(await this.store.openRead(key), createWriteStream(partial));
      const { size } = await stat(partial);
      if (size !== found.sizeBytes) throw new Error(`staging ${key} got ${size} of ${found.sizeBytes} bytes`);
      await rename(partial, file);
    } finally {
      await unlink(partial).catch(() => {});
    }
    const entry: CachedInput = { key, path: file, sizeBytes: found.sizeBytes, lastUsed: ++this.clock, users: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  /** Removes idle copies, least recently used first, until the cache holds at most `limit` bytes. */
  private async evictBeyond(limit: number): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => e.users === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    let held = this.heldBytes;
    const victims: CachedInput[] = [];
    for (const e of idle) {
      if (held <= limit) break;
      this.entries.delete(e.key);
      victims.push(e);
      held -= e.sizeBytes;
    }
    await Promise.all(victims.map((e) => unlink(e.path).catch(() => {})));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
