import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/harness.js';
import { freePort } from '../helpers/private-redis.js';
import { startService, type ServiceProcess } from '../helpers/processes.js';

/**
 * A TCP proxy to Redis that can freeze: connections stay open and accept bytes, but nothing is
 * answered, so every Redis call (QUIT included) hangs instead of failing fast.
 */
class FreezingProxy {
  private frozen = false;
  private readonly pairs = new Set<[net.Socket, net.Socket | undefined]>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: URL): Promise<FreezingProxy> {
    const port = await freePort();
    let self: FreezingProxy | undefined;
    const server = net.createServer((client) => self!.accept(client, target));
    self = new FreezingProxy(server, port);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    return self;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, target: URL): void {
    client.on('error', () => {});
    if (this.frozen) {
      // Accepted and never answered.
      this.pairs.add([client, undefined]);
      return;
    }
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    this.pairs.add([client, upstream]);
  }

  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      if (!upstream) continue;
      client.unpipe(upstream);
      upstream.unpipe(client);
      // Reading on with no one to hand the bytes to keeps the client's writes from backing up.
      client.on('data', () => {});
      upstream.pause();
    }
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const procs: ServiceProcess[] = [];
const namespaces: string[] = [];
let storage: string;

beforeAll(async () => {
  storage = await mkdtemp(path.join(os.tmpdir(), 'vj-shutdown-'));
});

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
});

afterAll(async () => {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  for (const suffix of namespaces) {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "test_${suffix}" CASCADE`);
    const q = new Queue(`test-${suffix}`, { connection });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
  }
  connection.disconnect();
  await sql.end();
  await rm(storage, { recursive: true, force: true });
});

const exited = (p: ServiceProcess) =>
  p.child.exitCode !== null || p.child.signalCode !== null
    ? Promise.resolve(p.child.exitCode)
    : new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));

const ownEnv = async (extra: Record<string, string>) => {
  const suffix = randomBytes(5).toString('hex');
  namespaces.push(suffix);
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    DB_SCHEMA: `test_${suffix}`,
    QUEUE_NAME: `test-${suffix}`,
    STORAGE_DIR: path.join(storage, suffix),
    WORKER_CONCURRENCY: '1',
    MIN_FREE_BYTES: '0',
    PORT: String(await freePort()),
    ...extra,
  };
};

const start = async (entry: string, env: Record<string, string>, readyMsg: (msg: string) => boolean) => {
  const p = startService(entry, env);
  procs.push(p);
  await p.waitForLog((l) => typeof l.msg === 'string' && readyMsg(l.msg), 60_000);
  return p;
};

const apiReady = (m: string) => m.includes('ready at');

describe('shutdown always exits', () => {
  it('when Redis stops answering, then a worker process on SIGTERM still exits within its deadline', async () => {
    const proxy = await FreezingProxy.start(new URL(TEST_REDIS_URL));
    try {
      const worker = await start('workers/index.ts', await ownEnv({ REDIS_URL: proxy.url, SHUTDOWN_GRACE_MS: '200' }), (m) => m === 'video-jobs-worker ready');
      proxy.freeze();
      worker.child.kill('SIGTERM');
      expect(await exited(worker)).toBe(1);
      expect(worker.logs.filter((l) => l.msg === 'shutdown step failed').map((l) => l.step)).toContain('worker');
    } finally {
      await proxy.close();
    }
  });

  it('when a second SIGTERM comes while the shutdown hangs, then the process exits at once with 1', async () => {
    const proxy = await FreezingProxy.start(new URL(TEST_REDIS_URL));
    try {
      // A grace time longer than the test: only the second signal can end it in time.
      const worker = await start('workers/index.ts', await ownEnv({ REDIS_URL: proxy.url, SHUTDOWN_GRACE_MS: '600000' }), (m) => m === 'video-jobs-worker ready');
      proxy.freeze();
      worker.child.kill('SIGTERM');
      await worker.waitForLog((l) => l.msg === 'shutting down');
      worker.child.kill('SIGTERM');
      expect(await exited(worker)).toBe(1);
      expect(worker.logs.some((l) => l.msg === 'second signal while shutting down: exiting now')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('when nothing hangs, then SIGTERM exits 0', async () => {
    const api = await start('src/server.ts', await ownEnv({ REDIS_URL: TEST_REDIS_URL }), apiReady);
    api.child.kill('SIGTERM');
    expect(await exited(api)).toBe(0);
    expect(api.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });
});

describe('a port in use', () => {
  it('when a second instance starts on a busy PORT, then it exits 1 with a message naming the port and PORT, and stops its embedded backends', async () => {
    const first = await start('src/server.ts', await ownEnv({ REDIS_URL: TEST_REDIS_URL }), apiReady);
    const port = /localhost:(\d+)\//.exec(first.logs.find((l) => typeof l.msg === 'string' && apiReady(l.msg))!.msg as string)![1]!;

    // The second is a zero-config `npm start`: embedded PostgreSQL and Redis of its own, which it must not leave running.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vj-busy-'));
    try {
      const second = startService('workers/main.ts', { DATA_DIR: dataDir, STORAGE_DIR: path.join(dataDir, 'storage'), PORT: port, WORKER_CONCURRENCY: '1' });
      procs.push(second);
      expect(await exited(second)).toBe(1);
      expect(second.output()).toContain(`port ${port}`);
      expect(second.output()).toMatch(/\bPORT\b/);
      expect(second.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('ready'))).toBe(false);
      const leftover = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(dataDir) && l.includes('redis-server') && !l.trim().startsWith('Z'));
      expect(leftover).toEqual([]);
      // The first instance is untouched.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
