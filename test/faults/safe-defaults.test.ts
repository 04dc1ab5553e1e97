import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/harness.js';
import { startService, type ServiceProcess } from '../helpers/processes.js';

// What a person gets from `npm run start:api` with no key: an API this machine alone can reach.
const procs: ServiceProcess[] = [];
const schemas: string[] = [];
let storage: string;

beforeAll(async () => {
  storage = await mkdtemp(path.join(os.tmpdir(), 'vj-safe-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  for (const s of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await sql.end();
  await rm(storage, { recursive: true, force: true });
});

/** A non-loopback IPv4 address of this machine, if it has one. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

async function startApi(extra: Record<string, string>) {
  const suffix = randomBytes(5).toString('hex');
  schemas.push(`test_${suffix}`);
  const p = startService('src/server.ts', {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    DB_SCHEMA: `test_${suffix}`,
    QUEUE_NAME: `test-${suffix}`,
    STORAGE_DIR: path.join(storage, suffix),
    PORT: '0',
    ...extra,
  });
  procs.push(p);
  const ready = await p.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'), 60_000);
  const port = Number(/localhost:(\d+)\//.exec(ready.msg as string)![1]);
  return { p, ready, port };
}

async function reachable(host: string, port: number): Promise<boolean> {
  try {
    return (await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(3_000) })).status === 200;
  } catch {
    return false;
  }
}

const openWarnings = (p: ServiceProcess) => p.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('The API is open'));

describe('where the API listens', () => {
  it('when no key is configured, then it listens on 127.0.0.1 only and says so in its ready line', async () => {
    const { p, ready, port } = await startApi({});
    expect(ready.listening).toMatch(/^127\.0\.0\.1 only .*HOST=0\.0\.0\.0/);
    expect(await reachable('127.0.0.1', port)).toBe(true);
    if (outsideAddress) expect(await reachable(outsideAddress, port)).toBe(false);
    expect(openWarnings(p)).toEqual([]);
  });

  it('when HOST=0.0.0.0 is set without a key, then it listens everywhere and warns in one line that the API is open', async () => {
    const { p, port } = await startApi({ HOST: '0.0.0.0' });
    if (outsideAddress) expect(await reachable(outsideAddress, port)).toBe(true);
    const warnings = openWarnings(p);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(warnings[0]!.msg).toContain(`port ${port}`);
  });

  it('when API_KEY is set, then it listens on every interface as before and does not warn', async () => {
    const { p, ready, port } = await startApi({ API_KEY: 'a-bootstrap-key' });
    expect(ready.listening).toBe('every interface');
    if (outsideAddress) expect(await reachable(outsideAddress, port)).toBe(true);
    expect(openWarnings(p)).toEqual([]);
  });
});
