/**
 * The runner's ties to its caller: every child dies with the Node process that started it.
 * Real ffmpeg/ffprobe, no media files of size.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingBinaryError, captureProcess } from '../../src/media/runner.js';
import { isRunning } from '../helpers/processes.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runner-test-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// -re reads the lavfi source in real time: a minute unless killed.
const SLOW_ARGS = ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'nullsrc=s=16x16:r=5:d=60', '-f', 'null', '-'];

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('captureProcess', { timeout: 30_000 }, () => {
  it('when the Node process that captures a command is SIGKILLed, then the command dies with it', async () => {
    const runnerUrl = pathToFileURL(fileURLToPath(new URL('../../src/media/runner.ts', import.meta.url))).href;
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = join(dir, 'capture-parent.mjs');
    await writeFile(
      script,
      [
        `import { captureProcess } from ${JSON.stringify(runnerUrl)};`,
        `captureProcess('ffmpeg', ${JSON.stringify(SLOW_ARGS)}, { tool: 'ffmpeg', onSpawn: (pid) => console.log(pid) }).catch(() => {});`,
      ].join('\n'),
    );
    const parent = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    parent.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    parent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<NodeJS.Signals | null>((resolve) => parent.on('close', (_code, sig) => resolve(sig)));
    let grandchild = 0;
    try {
      expect(await waitUntil(() => /^\d+\n/.test(stdout), 15_000), `no pid printed; stderr: ${stderr}`).toBe(true);
      grandchild = Number.parseInt(stdout, 10);
      expect(isRunning(grandchild)).toBe(true);

      parent.kill('SIGKILL');
      expect(await closed).toBe('SIGKILL');

      expect(await waitUntil(() => !isRunning(grandchild), 5_000)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      if (grandchild > 0 && isRunning(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('when the binary does not exist, then it rejects with MissingBinaryError', async () => {
    const binary = join(dir, 'no-ffprobe');
    const err = await captureProcess(binary, ['-version'], { tool: 'ffprobe' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toMatch(/FFPROBE_PATH/);
  });
});
