import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { processState, signal, waitUntilGone } from './own-process.js';

export interface EmbeddedRedis {
  url: string;
  stop(): Promise<void>;
}

export const REDIS_MISSING_MESSAGE =
  'redis-server was not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL to a Redis you run.';

/**
 * A private redis-server child on a unix socket in DATA_DIR, with nothing persisted: PostgreSQL is
 * the truth and the reconciler rebuilds the queue. A pidfile lets the next start stop one that a
 * killed run left behind.
 */
export async function startEmbeddedRedis(dataDir: string, logger: Logger, redisServer = 'redis-server'): Promise<EmbeddedRedis> {
  const dir = path.join(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const socket = path.join(dir, 'redis.sock');
  const pidfile = path.join(dir, 'redis.pid');
  await stopStale(pidfile, dir, logger);
  await rm(socket, { force: true });

  const child = spawn(
    redisServer,
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no',
      '--maxmemory-policy', 'noeviction', '--pidfile', pidfile, '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
    // A process group of its own: a terminal's Ctrl-C reaches only the service, which stops Redis after the worker.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  await waitUntilListening(child, socket);
  child.on('exit', (code, signal) => {
    process.off('exit', killOnExit);
    if (code !== 0 && signal !== 'SIGTERM') logger.warn({ code, signal }, 'embedded redis-server exited');
  });
  return {
    url: `unix://${socket}`,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
      await rm(pidfile, { force: true });
    },
  };
}

function waitUntilListening(child: ChildProcess, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new Error(REDIS_MISSING_MESSAGE) : err);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr.trim()}`)));
    const started = Date.now();
    const poll = async () => {
      if (await access(socket).then(() => true, () => false)) return resolve();
      if (Date.now() - started > 10_000) return reject(new Error(`redis-server did not open ${socket} within 10 s`));
      setTimeout(poll, 25);
    };
    void poll();
  });
}

/** A redis-server that a killed earlier run left behind would hold the socket: stop it, and nothing else. */
async function stopStale(pidfile: string, dir: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  // redis-server works in its --dir: a process with that pid elsewhere is not ours.
  if ((await processState(pid, 'redis-server', dir)) !== 'ours') return;
  logger.info({ pid }, 'stopping a stale embedded redis-server');
  signal(pid, 'SIGTERM');
  if (!(await waitUntilGone(pid, 'redis-server', dir, 3_000))) signal(pid, 'SIGKILL');
}
