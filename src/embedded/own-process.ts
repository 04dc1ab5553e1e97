import { existsSync } from 'node:fs';
import { readFile, readlink, realpath } from 'node:fs/promises';

export type ProcessState = 'gone' | 'ours' | 'other' | 'unknown';

const HAS_PROC = existsSync('/proc/self/stat');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is a live `name` process working in `dir`. PostgreSQL and redis-server both chdir
 * to their data directory, so the working directory tells one of ours from any other process that
 * got the same pid after a reboot. 'unknown' means the process exists but we may not look at it:
 * never kill it, never remove its files.
 */
export async function processState(pid: number, name: string, dir: string): Promise<ProcessState> {
  if (!Number.isInteger(pid) || pid <= 1) return 'gone';
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Without /proc (macOS) a live process cannot be told apart: it is never ours to stop.
  if (stat === undefined) return HAS_PROC ? 'gone' : isAlive(pid) ? 'unknown' : 'gone';
  // A zombie waits only for its parent to reap it; it holds nothing.
  if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return 'gone';
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  if (!comm.startsWith(name.slice(0, 15))) return 'other';
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === undefined) return 'unknown';
  const wanted = await realpath(dir).catch(() => dir);
  return cwd === wanted ? 'ours' : 'other';
}

/**
 * The kernel's start time of a process (clock ticks since boot): with the pid, it names one process for good.
 * Undefined when the process is gone or there is no /proc.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Polls until the process is gone; false when it still runs at the deadline. */
export async function waitUntilGone(pid: number, name: string, dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await stillThere(pid, name, dir))) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !(await stillThere(pid, name, dir));
}

const stillThere = async (pid: number, name: string, dir: string) => ['ours', 'unknown'].includes(await processState(pid, name, dir));

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
