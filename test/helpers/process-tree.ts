import { execFileSync } from 'node:child_process';

export interface PsRow {
  pid: number;
  ppid: number;
  /** ps's STAT: starts with T when stopped, Z when a zombie. */
  stat: string;
  args: string;
}

/** Every process on the machine, with its whole command line (`ps -ww`: never cut). */
export function psRows(): PsRow[] {
  const out = execFileSync('ps', ['-ww', '-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rows: PsRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3]!, args: m[4]! });
  }
  return rows;
}

/** The pids of every process below `pid` (children, grandchildren, …). */
export function descendantsOf(pid: number, rows: PsRow[] = psRows()): number[] {
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = rows.filter((r) => frontier.includes(r.ppid)).map((r) => r.pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGSTOPs a process and everything below it. FFmpeg children run in process groups of their own
 * (spawned detached so that they can be killed as a group), so stopping the worker's group would
 * miss them: the tree is walked instead. The parent goes first so that it cannot start another
 * child meanwhile. Returns the pids stopped, to be given to `continueProcesses`.
 */
export function stopTree(pid: number): number[] {
  if (!signal(pid, 'SIGSTOP')) return [];
  const stopped = [pid];
  // Twice: a child that was being spawned as the parent stopped shows up on the second walk.
  for (let pass = 0; pass < 2; pass++) {
    for (const d of descendantsOf(pid)) if (!stopped.includes(d) && signal(d, 'SIGSTOP')) stopped.push(d);
  }
  return stopped;
}

/** SIGCONTs the given processes (those that are still there), all at once. */
export function continueProcesses(pids: number[]): void {
  for (const p of pids) signal(p, 'SIGCONT');
}
