import { spawn, type StdioOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface CommandResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  seconds: number;
}

export interface CommandOptions {
  timeoutMs: number;
  cwd?: string;
  /** Where stdout goes; captured into `stdout` when omitted. */
  stdout?: number | 'ignore';
  env?: NodeJS.ProcessEnv;
}

const live = new Set<number>();

/** Process groups of commands still running: the exit handler kills them if the bench dies. */
export function liveCommandGroups(): number[] {
  return [...live];
}

export function trackGroup(pgid: number): void {
  live.add(pgid);
}

export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}

/**
 * Runs a binary (never through a shell) and resolves when it exits. Each command is its own
 * process group, so a timeout kills it together with anything it started.
 */
export function runCommand(bin: string, args: string[], opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', opts.stdout ?? 'pipe', 'pipe'];
    const started = performance.now();
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio, detached: true });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-8000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      reject(new Error(`${bin}: ${e.message}`));
    });
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      if (timedOut) reject(new Error(`${bin} ${args.join(' ')} timed out after ${opts.timeoutMs / 1000} s`));
      else resolve({ code, stdout: Buffer.concat(out), stderr: err, seconds });
    });
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the end of stderr. */
export async function mustRun(bin: string, args: string[], opts: CommandOptions): Promise<CommandResult> {
  const r = await runCommand(bin, args, opts);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim().slice(-1500)}`);
  return r;
}

export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pgid: number): boolean {
  return killGroup(pgid, 0);
}
