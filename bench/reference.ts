import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './measure.js';
import { killGroup, trackGroup, untrackGroup } from './proc.js';

export interface ReferenceServer {
  url: string;
  stop(): Promise<void>;
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-server.ts');

/** Starts reference-server.ts in its own process and resolves with its URL once it listens. */
export function startReferenceServer(file: string, timeoutMs = 30_000): Promise<ReferenceServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const pid = child.pid;
  if (pid === undefined) return Promise.reject(new Error('reference server did not start'));
  trackGroup(pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    killGroup(pid, 'SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    killGroup(pid, 'SIGKILL');
    untrackGroup(pid);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('reference server did not listen in time'));
    }, timeoutMs);
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${line.trim()}/`, stop });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('reference server exited before listening'));
    });
  });
}
