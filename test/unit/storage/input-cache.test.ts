import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore, ByteRange } from '../../../src/core/ports.js';
import { ScratchInputCache } from '../../../src/storage/input-stagers.js';
import { until } from '../../helpers/poll.js';

/** Objects in memory; `hold` makes the next read of a key wait until the test lets it finish. */
class MemoryBlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly objects = new Map<string, Buffer>();
  readonly reads: string[] = [];
  private readonly held = new Map<string, PassThrough>();

  hold(key: string): PassThrough {
    const p = new PassThrough();
    this.held.set(key, p);
    return p;
  }

  async put(): Promise<void> {
    throw new Error('not used');
  }
  async stat(key: string) {
    const o = this.objects.get(key);
    return o ? { sizeBytes: o.length, mtimeMs: 0 } : undefined;
  }
  async openRead(key: string, _range?: ByteRange): Promise<NodeJS.ReadableStream> {
    this.reads.push(key);
    const held = this.held.get(key);
    if (held) {
      this.held.delete(key);
      return held;
    }
    return Readable.from([this.objects.get(key)!]);
  }
  async remove(): Promise<void> {}
  async keysOlderThan(): Promise<string[]> {
    return [];
  }
  async presignDownload(): Promise<undefined> {
    return undefined;
  }
  localPathOf(): undefined {
    return undefined;
  }
}

let root: string;
let store: MemoryBlobStore;
const cacheDir = () => path.join(root, 'inputs', String(process.pid));
const files = async () => (await readdir(cacheDir())).sort();
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'vj-cache-'));
  store = new MemoryBlobStore();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const cacheOf = async (maxBytes: number) => {
  const c = new ScratchInputCache(store, cacheDir(), maxBytes);
  await c.init();
  return c;
};

describe('the scratch input cache', () => {
  it('when an input is staged, then its local copy holds the object, and a second stage reads nothing again', async () => {
    store.objects.set('a.mp4', bytes(100, 1));
    const cache = await cacheOf(1_000);
    const first = await cache.stage('a.mp4');
    expect(await readFile(first.path)).toEqual(bytes(100, 1));
    first.release();
    const second = await cache.stage('a.mp4');
    expect(second.path).toBe(first.path);
    expect(store.reads).toEqual(['a.mp4']);
  });

  it('when two jobs stage the same input at once, then they share one download, and until it completes only a partial file exists', async () => {
    store.objects.set('a.mp4', bytes(100, 2));
    const feed = store.hold('a.mp4');
    const cache = await cacheOf(1_000);
    const both = Promise.all([cache.stage('a.mp4'), cache.stage('a.mp4')]);
    feed.write(bytes(60, 2));
    await until('the partial copy', 5_000, async () => ((await files()).some((f) => f.endsWith('.partial')) ? true : undefined));
    expect((await files()).every((f) => f.endsWith('.partial'))).toBe(true);
    feed.end(bytes(40, 2));
    const [a, b] = await both;
    expect(a.path).toBe(b.path);
    expect(store.reads).toEqual(['a.mp4']);
    expect(await files()).toEqual([path.basename(a.path)]);
    expect(await readFile(a.path)).toEqual(bytes(100, 2));
  });

  it('when a download ends short of the object, then staging fails and leaves no file behind', async () => {
    store.objects.set('a.mp4', bytes(100, 3));
    const feed = store.hold('a.mp4');
    const cache = await cacheOf(1_000);
    const staging = cache.stage('a.mp4');
    feed.end(bytes(30, 3));
    await expect(staging).rejects.toThrow(/30 of 100 bytes/);
    expect(await files()).toEqual([]);
  });

  it('when the cache would pass its bound, then the least recently used idle input goes first', async () => {
    for (const [k, fill] of [['a.mp4', 1], ['b.mp4', 2], ['c.mp4', 3]] as const) store.objects.set(k, bytes(100, fill));
    const cache = await cacheOf(250);
    (await cache.stage('a.mp4')).release();
    (await cache.stage('b.mp4')).release();
    (await cache.stage('a.mp4')).release(); // a is now used more recently than b
    const c = await cache.stage('c.mp4');
    expect(cache.heldBytes).toBe(200);
    expect(await files()).toHaveLength(2);
    c.release();
    store.reads.length = 0;
    (await cache.stage('a.mp4')).release();
    expect(store.reads).toEqual([]);
    (await cache.stage('b.mp4')).release();
    expect(store.reads).toEqual(['b.mp4']);
  });

  it('when every cached input is in use, then none is evicted: the bound gives way rather than a running job', async () => {
    store.objects.set('a.mp4', bytes(100, 1));
    store.objects.set('b.mp4', bytes(100, 2));
    const cache = await cacheOf(150);
    const a = await cache.stage('a.mp4');
    const b = await cache.stage('b.mp4');
    expect(await readFile(a.path)).toEqual(bytes(100, 1));
    expect(cache.heldBytes).toBe(200);
    a.release();
    await until('a evicted once idle', 5_000, async () => ((await files()).length === 1 ? true : undefined));
    expect(await files()).toEqual([path.basename(b.path)]);
    b.release();
  });

  it('when the object is gone, then staging rejects with ENOENT', async () => {
    const cache = await cacheOf(1_000);
    await expect(cache.stage('gone.mp4')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('when a process that is gone left a cache directory, then init removes it', async () => {
    const cache = await cacheOf(1_000);
    store.objects.set('a.mp4', bytes(10, 1));
    await cache.stage('a.mp4');
    const stale = path.join(root, 'inputs', '999999999');
    await mkdir(stale, { recursive: true });
    await cacheOf(1_000);
    expect(await readdir(path.join(root, 'inputs'))).toEqual([String(process.pid)]);
  });
});
