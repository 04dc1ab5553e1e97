import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { BlobStore } from '../../src/core/ports.js';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { until } from '../helpers/poll.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

let s3: S3Server;
let dir: string;
const closers: (() => void)[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
  dir = await mkdtemp(path.join(os.tmpdir(), 'vj-blobs-'));
});
afterAll(async () => {
  for (const c of closers) c();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const s3StoreAt = async (env: Record<string, string>) => {
  const store = new S3BlobStore(loadConfig(env).storage.s3!);
  closers.push(() => store.close());
  await store.init();
  return store;
};

const backends: [string, () => Promise<BlobStore>][] = [
  ['fs', async () => {
    const store = new FsBlobStore(await mkdtemp(path.join(dir, 'fs-')));
    await store.init();
    return store;
  }],
  ['s3', async () => s3StoreAt(s3.env(await s3.newBucket()))],
];

let n = 0;
/** A local temp file of `size` bytes whose every byte says where it is. */
const tempFile = async (size: number) => {
  const file = path.join(dir, `temp-${n++}`);
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  await writeFile(file, data);
  return { file, data };
};
const read = async (stream: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
const gone = (file: string) => stat(file).then(() => false, () => true);

describe.each(backends)('the %s blob store', (_name, open) => {
  let store: BlobStore;
  beforeAll(async () => {
    store = await open();
  });

  it('when a local file is put, then the key has exactly its bytes and the local file is gone', async () => {
    // Past one 16 MiB part: the S3 store sends it as a multipart upload.
    const { file, data } = await tempFile(20 * 1024 * 1024 + 123);
    await store.put(file, 'big.mp4');
    expect(await gone(file)).toBe(true);
    expect((await store.stat('big.mp4'))?.sizeBytes).toBe(data.length);
    const back = await read(await store.openRead('big.mp4'));
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('when a range is read, then exactly those bytes come back', async () => {
    const { file, data } = await tempFile(300_000);
    await store.put(file, 'ranged.mp4');
    expect(await read(await store.openRead('ranged.mp4', { start: 1000, end: 1999 }))).toEqual(data.subarray(1000, 2000));
    expect(await read(await store.openRead('ranged.mp4', { start: 299_990, end: 299_999 }))).toEqual(data.subarray(299_990));
  });

  it('when a key is put again, then it holds the new bytes', async () => {
    await store.put((await tempFile(10)).file, 'again.mp4');
    const second = await tempFile(20);
    await store.put(second.file, 'again.mp4');
    expect(await read(await store.openRead('again.mp4'))).toEqual(second.data);
  });

  it('when a key is removed, then it is gone for stat and reads, and removing it again is no error', async () => {
    await store.put((await tempFile(10)).file, 'removed.mp4');
    await store.remove('removed.mp4');
    expect(await store.stat('removed.mp4')).toBeUndefined();
    await expect(store.openRead('removed.mp4')).rejects.toMatchObject({ code: 'ENOENT' });
    await store.remove('removed.mp4');
  });

  it('when keys older than a time are listed, then those written before it are, and those written after are not', async () => {
    await store.put((await tempFile(10)).file, 'old.mp4');
    const oldAt = (await store.stat('old.mp4'))!.mtimeMs;
    // S3 keeps whole seconds: write the new key until its time is past the old one's.
    await until('a later write time', 5_000, async () => {
      await store.put((await tempFile(10)).file, 'new.mp4');
      return (await store.stat('new.mp4'))!.mtimeMs > oldAt ? true : undefined;
    }, 200);
    const listed = await store.keysOlderThan(new Date(oldAt + 1));
    expect(listed).toContain('old.mp4');
    expect(listed).not.toContain('new.mp4');
    expect(await store.keysOlderThan(new Date(oldAt - 3_600_000))).toEqual([]);
  });

  it('when a key is not one the service makes, then the store refuses it', async () => {
    await expect(store.put((await tempFile(1)).file, '../escape')).rejects.toThrow(/unsafe storage key/);
    await expect(store.stat('a/b')).rejects.toThrow(/unsafe storage key/);
  });
});

/** A TCP relay to the S3 server that stops relaying (and accepting) once `limit` bytes went up. */
async function cuttingRelay(targetPort: number, limit: number) {
  let sent = 0;
  let cut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > limit && !cut) {
        cut = true;
        for (const s of sockets) s.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    isCut: () => cut,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('the s3 blob store when an upload breaks', () => {
  it('when the connection is cut after the first part went up, then put fails and nothing is under the key', async () => {
    const bucket = await s3.newBucket();
    const direct = await s3StoreAt(s3.env(bucket));
    const relay = await cuttingRelay(Number(new URL(s3.endpoint).port), 20 * 1024 * 1024);
    try {
      const through = await s3StoreAt({ ...s3.env(bucket), S3_ENDPOINT: `http://127.0.0.1:${relay.port}` });
      const { file } = await tempFile(40 * 1024 * 1024);
      await expect(through.put(file, 'broken.mp4')).rejects.toThrow();
      expect(relay.isCut()).toBe(true);
      expect(await direct.stat('broken.mp4')).toBeUndefined();
      expect(await direct.keysOlderThan(new Date(Date.now() + 3_600_000))).toEqual([]);
      // The failed put leaves its local file for the caller to discard.
      expect((await readFile(file)).length).toBe(40 * 1024 * 1024);
    } finally {
      await relay.close();
    }
  });
});
