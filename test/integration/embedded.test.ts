import { mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFrames, makeClip } from '../helpers/media.js';
import { isRunning, startService, type ServiceProcess } from '../helpers/processes.js';

// `npm start` with no URLs: a real PostgreSQL and a redis-server under DATA_DIR, owned by one process.
let media: string;
let clip: string;
const procs: ServiceProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { name: 'embedded', durationSec: 2, width: 160, height: 120, fps: 25, audio: true });
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  // A test that failed half-way may leave servers behind: stop them before their directories go.
  for (const d of dirs) for (const pid of await serversIn(d)) process.kill(pid, 'SIGKILL');
  await Promise.all([...dirs, media].map((d) => rm(d, { recursive: true, force: true })));
});

const freshDataDir = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'vj-embedded-'));
  dirs.push(d);
  return d;
};
const envFor = (dataDir: string, extra: Record<string, string> = {}) => ({ DATA_DIR: dataDir, STORAGE_DIR: path.join(dataDir, 'storage'), PORT: '0', WORKER_CONCURRENCY: '1', ...extra });

const start = (entry: string, env: Record<string, string>, opts: { detached?: boolean } = {}) => {
  const p = startService(entry, env, opts);
  procs.push(p);
  return p;
};
const isReadyAt = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.includes('ready at');
const baseOf = (ready: Record<string, unknown>) => /http:\/\/localhost:\d+/.exec(ready.msg as string)![0];
const exited = (p: ServiceProcess) =>
  p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve(p.child.exitCode) : new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
/** What a person reads on the terminal: the lines that are not JSON log lines. */
const plainLines = (p: ServiceProcess) => p.output().split('\n').filter((l) => l.trim() && !l.startsWith('{'));

/** Live postgres and redis-server processes working under `dataDir`, found by their working directory. */
async function serversIn(dataDir: string): Promise<number[]> {
  const root = await realpath(dataDir).catch(() => dataDir);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm !== 'postgres' && comm !== 'redis-server') continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if ((cwd === root || cwd.startsWith(`${root}/`)) && isRunning(pid)) found.push(pid);
  }
  return found;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function uploadTo(base: string, file = clip): Promise<{ id: string }> {
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)]), path.basename(file));
  const res = await fetch(`${base}/api/videos`, { method: 'POST', body: form });
  expect(res.status).toBe(201);
  return res.json();
}

async function trimAndRun(base: string, videoId: string, range: { start: number; end: number }): Promise<{ id: string; outputVideoId: string }> {
  const res = await fetch(`${base}/api/videos/${videoId}/trim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(range) });
  expect(res.status).toBe(201);
  const job = await res.json();
  expect((await fetch(`${base}/api/jobs/run`, { method: 'POST' })).status).toBe(202);
  return job;
}

const waitForCompleted = (base: string, jobId: string) =>
  until('job completed', async () => {
    const j = await (await fetch(`${base}/api/jobs/${jobId}`)).json();
    if (j.status === 'failed') throw new Error(`job failed: ${JSON.stringify(j)}`);
    return j.status === 'completed' ? j : undefined;
  }, 90_000);

const postmasterPid = async (dataDir: string) => Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
const redisPid = async (dataDir: string) => Number((await readFile(path.join(dataDir, 'redis', 'redis.pid'), 'utf8')).trim());

describe('embedded PostgreSQL and Redis', () => {
  it('when a fresh DATA_DIR is started and its process group gets SIGINT while a job runs, then the service hands the job back, stops both servers, leaves none behind, and the next start keeps the data and finishes the job', async () => {
    const dataDir = await freshDataDir();
    const env = envFor(dataDir, { SHUTDOWN_GRACE_MS: '300' });
    const first = start('workers/main.ts', env, { detached: true });
    const ready = await first.waitForLog(isReadyAt, 60_000);
    expect(ready.database).toMatch(/^embedded PostgreSQL 18 in .*postgres on 127\.0\.0\.1:\d+$/);
    expect(ready.redis).toMatch(/embedded redis-server/);
    expect((await stat(path.join(dataDir, 'postgres.password'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, 'owner.json'))).mode & 0o777).toBe(0o600);
    const owner = JSON.parse(await readFile(path.join(dataDir, 'owner.json'), 'utf8'));
    expect(owner).toMatchObject({ pid: first.child.pid, ready: true });
    expect(owner.databaseUrl).toMatch(/^postgres:\/\/postgres:[0-9a-f]{48}@127\.0\.0\.1:\d+\/postgres$/);
    const base = baseOf(ready);
    // MPEG-4 Part 2 cannot be smart-cut: the trim re-encodes, so the job runs for seconds.
    const long = await makeClip(media, { name: 'long', durationSec: 20, width: 960, height: 540, fps: 30, audio: true, codec: 'mpeg4' });
    const video = await uploadTo(base, long);
    const job = await trimAndRun(base, video.id, { start: 0, end: 19 });
    await until('job in progress', async () => ((await (await fetch(`${base}/api/jobs/${job.id}`)).json()).status === 'in_progress' ? true : undefined), 30_000);
    expect((await serversIn(dataDir)).length).toBeGreaterThan(1);

    // What a terminal's Ctrl-C does: the signal goes to the whole foreground process group.
    process.kill(-first.child.pid!, 'SIGINT');
    expect(await exited(first)).toBe(0);
    expect(first.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(first.logs.filter((l) => l.msg === 'shutting down')).toHaveLength(1);
    await until('no server left', async () => ((await serversIn(dataDir)).length === 0 ? true : undefined));
    await expect(stat(path.join(dataDir, 'owner.json'))).rejects.toThrow();

    const second = start('workers/main.ts', env);
    const again = await second.waitForLog(isReadyAt, 60_000);
    const base2 = baseOf(again);
    const kept = await fetch(`${base2}/api/videos/${video.id}`);
    expect(kept.status).toBe(200);
    expect((await kept.json()).id).toBe(video.id);
    const done = await waitForCompleted(base2, job.id);
    expect(done.attempts).toBe(2);
    expect(await second.stop('SIGTERM')).toBe(0);
    await until('no server left', async () => ((await serversIn(dataDir)).length === 0 ? true : undefined));
  });

  it('when the service was killed with SIGKILL, leaving its postmaster and redis-server running, then the next start stops them, recovers and keeps the data', async () => {
    const dataDir = await freshDataDir();
    const first = start('workers/main.ts', envFor(dataDir));
    const ready = await first.waitForLog(isReadyAt, 60_000);
    const video = await uploadTo(baseOf(ready));
    const [pgPid, rPid] = [await postmasterPid(dataDir), await redisPid(dataDir)];
    await first.stop('SIGKILL');
    expect(isRunning(pgPid)).toBe(true);
    expect(isRunning(rPid)).toBe(true);

    const second = start('workers/main.ts', envFor(dataDir));
    const again = await second.waitForLog(isReadyAt, 60_000);
    expect(isRunning(pgPid)).toBe(false);
    expect(isRunning(rPid)).toBe(false);
    expect(await postmasterPid(dataDir)).not.toBe(pgPid);
    const kept = await fetch(`${baseOf(again)}/api/videos/${video.id}`);
    expect(kept.status).toBe(200);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('when a second `npm start` runs on a DATA_DIR that one already owns, then it refuses in one line naming that pid and leaves the first untouched', async () => {
    const dataDir = await freshDataDir();
    const first = start('workers/main.ts', envFor(dataDir));
    const ready = await first.waitForLog(isReadyAt, 60_000);
    const [pgPid, rPid] = [await postmasterPid(dataDir), await redisPid(dataDir)];

    const second = start('workers/main.ts', envFor(dataDir));
    expect(await exited(second)).toBe(1);
    const lines = plainLines(second);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`pid ${first.child.pid}`);
    expect(lines[0]).toContain(dataDir);

    expect(isRunning(pgPid)).toBe(true);
    expect(isRunning(rPid)).toBe(true);
    expect((await fetch(`${baseOf(ready)}/readyz`)).status).toBe(200);
    expect(await first.stop('SIGTERM')).toBe(0);
  });

  it('when `start:api` and `start:worker` run without URLs beside a running `npm start`, then they attach to its PostgreSQL and Redis and run jobs', async () => {
    const dataDir = await freshDataDir();
    const owner = start('workers/main.ts', envFor(dataDir));
    await owner.waitForLog(isReadyAt, 60_000);
    // A schema and queue of their own on the owner's servers: the owner's worker never sees these jobs.
    const pair = { DB_SCHEMA: 'pair', QUEUE_NAME: 'pair', STORAGE_DIR: path.join(dataDir, 'pair-storage') };
    const api = start('src/server.ts', envFor(dataDir, pair));
    const worker = start('workers/index.ts', envFor(dataDir, pair));
    const apiReady = await api.waitForLog(isReadyAt, 60_000);
    await worker.waitForLog((l) => l.msg === 'video-jobs-worker ready', 60_000);
    expect(apiReady.database).toBe(`embedded PostgreSQL of video-jobs pid ${owner.child.pid} (DATA_DIR ${dataDir})`);
    const base = baseOf(apiReady);

    const video = await uploadTo(base);
    const job = await trimAndRun(base, video.id, { start: 0.5, end: 1.5 });
    const done = await waitForCompleted(base, job.id);
    expect(done.attempts).toBe(1);
    expect(worker.logs.some((l) => l.msg === 'job handled' && l.jobId === job.id)).toBe(true);
    expect(owner.logs.some((l) => l.jobId === job.id)).toBe(false);
    const out = path.join(media, 'attached-out.mp4');
    await writeFile(out, Buffer.from(await (await fetch(`${base}/api/videos/${job.outputVideoId}/download`)).arrayBuffer()));
    expect(await countFrames(out)).toBe(25);

    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(await api.stop('SIGTERM')).toBe(0);
    // The attached processes stop nothing of the owner's.
    expect((await fetch(`${baseOf(await owner.waitForLog(isReadyAt))}/readyz`)).status).toBe(200);
    expect(await owner.stop('SIGTERM')).toBe(0);
  });

  it('when `start:worker` runs without URLs and nothing owns its DATA_DIR, then it refuses in one line', async () => {
    const dataDir = await freshDataDir();
    const worker = start('workers/index.ts', envFor(dataDir));
    expect(await exited(worker)).toBe(1);
    const lines = plainLines(worker);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npm start');
    expect(lines[0]).toContain(dataDir);
  });

  it('when DATA_DIR holds a PGlite database from an earlier version, then the start refuses in one line saying how to move it and creates no empty database beside it', async () => {
    const dataDir = await freshDataDir();
    await mkdir(path.join(dataDir, 'pglite'), { recursive: true });
    await writeFile(path.join(dataDir, 'pglite', 'PG_VERSION'), '17\n');
    const service = start('workers/main.ts', envFor(dataDir));
    expect(await exited(service)).toBe(1);
    const lines = plainLines(service);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PGlite');
    expect(lines[0]).toContain('Moving from PGlite');
    expect(await readdir(dataDir)).not.toContain('postgres');
    expect(await serversIn(dataDir)).toEqual([]);
  });
});
