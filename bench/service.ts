import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { groupAlive, killGroup } from './proc.js';
import { sleep } from './measure.js';

export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface Isolation {
  id: string;
  schema: string;
  queue: string;
  storageDir: string;
}

export function newIsolation(cacheDir: string): Isolation {
  const id = randomBytes(4).toString('hex');
  return { id, schema: `bench_${id}`, queue: `bench-${id}`, storageDir: path.join(cacheDir, `storage-${id}`) };
}

/** One service process (API or worker), in its own process group. */
export interface ServiceProcess {
  name: string;
  pid: number;
  logFile: string;
  exited: Promise<number | null>;
  hasExited(): boolean;
}

export interface Service {
  base: string;
  api: ServiceProcess;
  worker: ServiceProcess | undefined;
}

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const all = new Set<ServiceProcess>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function serviceEnv(iso: Isolation, port: number): NodeJS.ProcessEnv {
  const { API_KEY: _key, DATA_DIR: _data, ...inherited } = process.env;
  return {
    ...inherited,
    DATABASE_URL,
    REDIS_URL,
    DB_SCHEMA: iso.schema,
    QUEUE_NAME: iso.queue,
    STORAGE_DIR: iso.storageDir,
    PORT: String(port),
    WORKER_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
    MAX_UPLOAD_BYTES: '4294967296',
    MIN_FREE_BYTES: '0',
    // Keeps a stop on the failure path short; the bench never stops a worker mid-job on purpose.
    SHUTDOWN_GRACE_MS: '5000',
  };
}

function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string): ServiceProcess {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    });
    child.on('error', () => {
      done = true;
      resolve(null);
    });
  });
  const proc: ServiceProcess = { name, pid: child.pid, logFile, exited, hasExited: () => done };
  all.add(proc);
  return proc;
}

export function logTail(p: ServiceProcess, chars = 2000): string {
  try {
    return readFileSync(p.logFile, 'utf8').slice(-chars).trim();
  } catch {
    return '';
  }
}

async function waitHealthy(base: string, api: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (api.hasExited()) throw new Error(`API exited during start-up:\n${logTail(api)}`);
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`API not healthy within ${timeoutMs / 1000} s:\n${logTail(api)}`);
}

/** Starts the API, waits for /healthz, then starts the worker. */
export async function startService(iso: Isolation, logDir: string): Promise<Service> {
  await mkdir(iso.storageDir, { recursive: true });
  const port = await freePort();
  const env = serviceEnv(iso, port);
  const base = `http://127.0.0.1:${port}`;
  const api = startProcess('api', 'src/server.ts', env, logDir);
  await waitHealthy(base, api, 60_000);
  const worker = startProcess('worker', 'workers/index.ts', env, logDir);
  return { base, api, worker };
}

/** SIGTERM, then SIGKILL to the whole group if it has not gone in time (tsx's esbuild included). */
export async function stopProcess(p: ServiceProcess, graceMs = 20_000): Promise<void> {
  if (!p.hasExited()) {
    killGroup(p.pid, 'SIGTERM');
    await Promise.race([p.exited, sleep(graceMs)]);
  }
  if (groupAlive(p.pid)) {
    killGroup(p.pid, 'SIGKILL');
    await Promise.race([p.exited, sleep(2_000)]);
  }
  all.delete(p);
}

/** Last resort for an exiting bench: no await possible, so only SIGKILL. */
export function killAllServiceProcesses(): void {
  for (const p of all) killGroup(p.pid, 'SIGKILL');
  all.clear();
}

export interface MemoryStatus {
  rssBytes: number;
  peakBytes: number;
}

export function memoryOf(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`${field} missing from /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), peakBytes: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"); false when the kernel refuses. */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
