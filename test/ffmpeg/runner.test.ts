/**
 * The runner's ties to its caller: every child dies with the Node process that started it, and a
 * failed command reaches the caller's logger whole. Real ffmpeg/ffprobe, no media files of size.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_ARGS } from '../../src/media/argv.js';
import type { MediaLogger } from '../../src/media/logger.js';
import { probeMedia } from '../../src/media/probe.js';
import { FfmpegError, MissingBinaryError, captureProcess, liveProcessCount, runFfmpeg } from '../../src/media/runner.js';
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

interface Logged {
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLogger(): MediaLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return { lines, warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

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

  it('when a command exits non-zero, then it resolves with the exit code and the logger gets the whole argv and the stderr tail', async () => {
    const logger = recordingLogger();
    const missing = join(dir, 'no-such-input.mp4');
    const args = ['-v', 'error', '-show_format', missing];
    const res = await captureProcess('ffprobe', args, { tool: 'ffprobe', logger });
    expect(res.exitCode).not.toBe(0);
    expect(res.stderrTail).toContain('No such file or directory');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.msg).toBe('ffprobe command failed');
    expect(logger.lines[0]!.obj).toMatchObject({
      tool: 'ffprobe',
      argv: ['ffprobe', ...args],
      exitCode: res.exitCode,
      signal: null,
      stderrTail: res.stderrTail,
      timedOut: false,
    });
    expect(liveProcessCount()).toBe(0);
  });

  it('when a command succeeds or is aborted, then nothing is logged', async () => {
    const logger = recordingLogger();
    const ok = await captureProcess('ffprobe', ['-v', 'error', '-version'], { tool: 'ffprobe', logger });
    expect(ok.exitCode).toBe(0);
    const controller = new AbortController();
    const aborted = captureProcess('ffmpeg', SLOW_ARGS, { tool: 'ffmpeg', logger, signal: controller.signal, onSpawn: () => controller.abort() });
    const err = await aborted.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect(err).toMatchObject({ aborted: true, argv: ['ffmpeg', ...SLOW_ARGS] });
    expect(logger.lines).toEqual([]);
  });

  it('when a command outlives its timeout, then it is killed, resolves timedOut and is logged', async () => {
    const logger = recordingLogger();
    const res = await captureProcess('ffmpeg', SLOW_ARGS, { tool: 'ffmpeg', logger, timeoutMs: 200 });
    expect(res.timedOut).toBe(true);
    expect(res.signal).toBe('SIGKILL');
    expect(logger.lines[0]!.obj).toMatchObject({ argv: ['ffmpeg', ...SLOW_ARGS], timedOut: true, signal: 'SIGKILL' });
  });

  it('when the binary does not exist, then it rejects with MissingBinaryError and logs the argv', async () => {
    const logger = recordingLogger();
    const binary = join(dir, 'no-ffprobe');
    const err = await captureProcess(binary, ['-version'], { tool: 'ffprobe', logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toMatch(/FFPROBE_PATH/);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.obj).toMatchObject({ argv: [binary, '-version'] });
  });
});

describe('runFfmpeg', { timeout: 30_000 }, () => {
  it('when ffmpeg fails, then the FfmpegError and the log line carry the whole argv, the exit code and the stderr tail', async () => {
    const logger = recordingLogger();
    const args = [...COMMON_ARGS, '-i', join(dir, 'no-such-input.mp4'), '-f', 'null', '-'];
    const err = await runFfmpeg({ args, expectedDurationSec: 1, logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    const e = err as FfmpegError;
    expect(e.argv).toEqual(['ffmpeg', ...args]);
    expect(e.exitCode).not.toBe(0);
    expect(logger.lines).toEqual([
      { msg: 'ffmpeg command failed', obj: { tool: 'ffmpeg', argv: ['ffmpeg', ...args], exitCode: e.exitCode, signal: null, stderrTail: e.stderrTail } },
    ]);
    expect(e.stderrTail).toContain('No such file or directory');
  });

  it('when the logger itself throws, then the failure still reaches the caller as an FfmpegError', async () => {
    const logger: MediaLogger = {
      warn: () => {
        throw new Error('log sink is down');
      },
    };
    const err = await runFfmpeg({ args: [...COMMON_ARGS, '-i', join(dir, 'gone.mp4'), '-f', 'null', '-'], expectedDurationSec: 1, logger }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegError);
  });
});

describe('probeMedia', { timeout: 30_000 }, () => {
  it('when the file is gone, then the refusal comes back as a result and the failed ffprobe is logged', async () => {
    const logger = recordingLogger();
    const file = join(dir, 'gone.mp4');
    const res = await probeMedia(file, { logger });
    expect(res.ok).toBe(false);
    expect(logger.lines.map((l) => (l.obj.argv as string[])[0])).toEqual(['ffprobe']);
    expect(logger.lines[0]!.obj.argv).toContain(file);
  });

  it('when given a pino logger, then it is accepted as the logger port', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const res = await probeMedia(join(dir, 'gone.mp4'), { logger });
    expect(res.ok).toBe(false);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: 'ffprobe command failed', tool: 'ffprobe' });
  });
});
