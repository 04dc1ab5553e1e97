import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  child: ChildProcess;
  /** Every JSON log line the process has printed so far. */
  logs: Record<string, unknown>[];
  output: () => string;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts one of the entry points (`workers/main.ts`, `src/server.ts`, `workers/index.ts`) as a real process;
 * `detached` makes it lead a process group of its own, as a shell does for a command run in a terminal.
 */
export function startService(entry: string, env: Record<string, string>, opts: { detached?: boolean } = {}): ServiceProcess {
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'REDIS_URL', 'API_KEY', 'PORT', 'NODE_OPTIONS'].includes(k)),
  ) as Record<string, string>;
  // `node --import tsx` rather than the tsx CLI: one process, so SIGKILL hits the service itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env: { ...baseEnv, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  const logs: Record<string, unknown>[] = [];
  let text = '';
  let pending = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l));
      } catch {
        // not a log line
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    output: () => text,
    waitForLog(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find(predicate);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching log line in ${timeoutMs} ms; output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited; output:\n${text.slice(-3000)}`));
          }
        });
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while the process runs; a zombie (killed, orphaned, not yet reaped by init) counts as gone. */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The environment that points a separate process at a harness's database, schema, queue and storage. */
export function envSharing(h: { config: { dbSchema: string; queueName: string }; storageDir: string; redisUrl: string }, databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: h.redisUrl,
    DB_SCHEMA: h.config.dbSchema,
    QUEUE_NAME: h.config.queueName,
    STORAGE_DIR: h.storageDir,
    WORKER_CONCURRENCY: '1',
  };
}

/** A worker process (`workers/index.ts`) on a harness's backends, once it says it is ready. */
export async function startWorkerProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const w = startService('workers/index.ts', env);
  await w.waitForLog((l) => l.msg === 'video-jobs-worker ready');
  return w;
}
