import { openSync, closeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mustRun } from './proc.js';

/** The commands the service is compared with: plain FFmpeg and coreutils on the same files. */

const quiet = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];
const FFMPEG_TIMEOUT_MS = 10 * 60_000;

async function timedThenRemoved(out: string, run: () => Promise<{ seconds: number }>): Promise<number> {
  try {
    return (await run()).seconds;
  } finally {
    await rm(out, { force: true });
  }
}

export function bareCopyTrim(source: string, start: number, end: number, scratch: string): Promise<number> {
  const out = path.join(scratch, 'bare-copy.mp4');
  return timedThenRemoved(out, () =>
    mustRun('ffmpeg', [...quiet, '-ss', String(start), '-to', String(end), '-i', source, '-c', 'copy', out], { timeoutMs: FFMPEG_TIMEOUT_MS }),
  );
}

export function bareReencodeTrim(source: string, start: number, end: number, scratch: string): Promise<number> {
  const out = path.join(scratch, 'bare-reencode.mp4');
  return timedThenRemoved(out, () =>
    mustRun(
      'ffmpeg',
      [...quiet, '-ss', String(start), '-to', String(end), '-i', source, '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-b:a', '128k', out],
      { timeoutMs: 30 * 60_000 },
    ),
  );
}

export async function bareConcat(files: string[], scratch: string): Promise<number> {
  const list = path.join(scratch, 'bare-concat.ffconcat');
  await writeFile(list, `ffconcat version 1.0\n${files.map((f) => `file '${f}'`).join('\n')}\n`);
  const out = path.join(scratch, 'bare-concat.mp4');
  try {
    return await timedThenRemoved(out, () =>
      mustRun('ffmpeg', [...quiet, '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', out], { timeoutMs: FFMPEG_TIMEOUT_MS }),
    );
  } finally {
    await rm(list, { force: true });
  }
}

/** cp to the service's filesystem, then delete the copy (the delete is not timed). */
export function bareCopyFile(file: string, scratch: string): Promise<number> {
  const out = path.join(scratch, 'bare-cp.mp4');
  return timedThenRemoved(out, () => mustRun('cp', [file, out], { timeoutMs: FFMPEG_TIMEOUT_MS }));
}

export async function bareCat(file: string): Promise<number> {
  const devNull = openSync('/dev/null', 'w');
  try {
    return (await mustRun('cat', [file], { timeoutMs: FFMPEG_TIMEOUT_MS, stdout: devNull })).seconds;
  } finally {
    closeSync(devNull);
  }
}

/**
 * Flushes dirty pages before a timed step, so that one side does not pay for writing back what the
 * other side (or the previous row) wrote.
 */
export async function settle(): Promise<void> {
  await mustRun('sync', [], { timeoutMs: 5 * 60_000 });
}

/** Reads a file once so that both sides of a row start from a warm page cache. */
export async function warmPageCache(file: string): Promise<void> {
  await bareCat(file);
}
