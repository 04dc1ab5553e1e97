import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

let setprivSupportsPdeathsig: boolean | undefined;

function canTieToParent(): boolean {
  if (setprivSupportsPdeathsig === undefined) {
    const probe = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
    setprivSupportsPdeathsig = probe.status === 0 && probe.stdout.includes('--pdeathsig');
  }
  return setprivSupportsPdeathsig;
}

/**
 * Spawns `binary` in its own process group and, where util-linux's setpriv is present, with a
 * parent-death signal: a worker killed with SIGKILL runs no exit handler, and without this its
 * FFmpeg would go on encoding. setpriv execs the binary, so the pid is the binary's own.
 */
export function spawnTied(binary: string, args: string[]): ChildProcess {
  const [cmd, argv] = canTieToParent() ? ['setpriv', ['--pdeathsig', 'SIGKILL', '--', binary, ...args]] : [binary, args];
  return spawn(cmd as string, argv as string[], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** setpriv's way of saying the wrapped binary does not exist. */
export function isTiedExecFailure(code: number | null, stderr: string): boolean {
  return code === 127 && /setpriv: failed to execute/.test(stderr);
}
