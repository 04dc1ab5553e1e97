import type { ChildProcess } from 'node:child_process';
import type { MediaLogger } from './logger.js';
import { isTiedExecFailure, spawnTied } from './spawn-tied.js';

const STDERR_TAIL_CHARS = 4096;

export class FfmpegError extends Error {
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  aborted: boolean;
  /** The whole command, binary first; kept out of the message, which may reach a user. */
  argv: string[];

  constructor(
    message: string,
    details: { exitCode?: number | null; signal?: string | null; stderrTail?: string; aborted?: boolean; argv?: string[] } = {},
  ) {
    super(message);
    this.name = 'FfmpegError';
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
    this.stderrTail = details.stderrTail ?? '';
    this.aborted = details.aborted ?? false;
    this.argv = details.argv ?? [];
  }
}

/** Thrown when the ffmpeg/ffprobe executable cannot be spawned at all (ENOENT). */
export class MissingBinaryError extends Error {
  readonly tool: 'ffmpeg' | 'ffprobe';
  readonly binary: string;

  constructor(tool: 'ffmpeg' | 'ffprobe', binary: string, cause: unknown) {
    super(
      `${tool} executable not found (tried "${binary}"). Install FFmpeg, e.g. \`apt-get install ffmpeg\`, ` +
        `or set ${tool.toUpperCase()}_PATH to the full path of the ${tool} binary.`,
      { cause },
    );
    this.name = 'MissingBinaryError';
    this.tool = tool;
    this.binary = binary;
  }
}

// ---------------------------------------------------------------------------
// `-progress pipe:1` parsing and progress throttling (pure, unit-tested)
// ---------------------------------------------------------------------------

export interface ProgressChunkResult {
  /** Incomplete trailing line to prepend to the next chunk. */
  pending: string;
  /** Latest out_time in microseconds found in the complete lines, or null. */
  outTimeUs: number | null;
  /** True when a `progress=end` line was seen. */
  ended: boolean;
}

/**
 * Parses a stdout chunk of `ffmpeg -progress pipe:1` (key=value lines). Lines can be
 * split across chunks, so the caller threads `pending` from one call to the next.
 */
export function parseProgressChunk(pending: string, chunk: string): ProgressChunkResult {
  const text = pending + chunk;
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  let outTimeUs: number | null = null;
  let ended = false;
  for (const raw of lines) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    // Despite its name, out_time_ms is also in microseconds (a long-standing ffmpeg quirk).
    if (key === 'out_time_us' || key === 'out_time_ms') {
      if (/^-?\d+$/.test(value)) {
        const n = Number(value);
        if (Number.isSafeInteger(n)) outTimeUs = n;
      }
    } else if (key === 'progress' && value === 'end') {
      ended = true;
    }
  }
  return { pending: rest, outTimeUs, ended };
}

/** Percentage (0..100, not rounded) of the expected duration reached at outTimeUs; null when unknowable. */
export function progressPercent(outTimeUs: number, expectedDurationSec: number): number | null {
  if (!Number.isFinite(expectedDurationSec) || expectedDurationSec <= 0) return null;
  if (!Number.isFinite(outTimeUs)) return null;
  const pct = (outTimeUs / 1e6 / expectedDurationSec) * 100;
  return Math.min(100, Math.max(0, pct));
}

export interface ProgressReporterOptions {
  expectedDurationSec: number;
  onProgress?: ((percent: number) => void) | undefined;
  /** Millisecond clock; injectable for tests. */
  now?: () => number;
  minIntervalMs?: number;
  minStep?: number;
}

export interface ProgressReporter {
  /** Feed the latest ffmpeg out_time (µs). */
  update(outTimeUs: number): void;
  /** Report the final 100 (call on success only). */
  complete(): void;
}

/**
 * Turns raw out_time values into integer percentages that never go down and are
 * throttled (≥ minIntervalMs since the last report, or ≥ minStep points). Intermediate
 * reports stop at 99 so that 100 means "finished successfully" and is sent exactly once.
 */
export function createProgressReporter(opts: ProgressReporterOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const minStep = opts.minStep ?? 5;
  let lastPercent = -1;
  let lastAt = Number.NEGATIVE_INFINITY;
  let completed = false;

  const emit = (percent: number): void => {
    lastPercent = percent;
    lastAt = now();
    if (!opts.onProgress) return;
    // A failing progress callback (e.g. a DB hiccup) must not kill the encode.
    try {
      const result: unknown = opts.onProgress(percent);
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      /* ignored on purpose */
    }
  };

  return {
    update(outTimeUs: number): void {
      if (completed) return;
      const raw = progressPercent(outTimeUs, opts.expectedDurationSec);
      if (raw === null) return;
      const percent = Math.min(99, Math.floor(raw));
      if (percent <= lastPercent) return;
      if (percent - lastPercent >= minStep || now() - lastAt >= minIntervalMs) emit(percent);
    },
    complete(): void {
      if (completed) return;
      completed = true;
      emit(100);
    },
  };
}

// ---------------------------------------------------------------------------
// Process-group bookkeeping: children must not outlive the Node process
// ---------------------------------------------------------------------------

const liveGroups = new Set<number>();

function killGroup(pid: number, child?: ChildProcess): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      child?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function killAllOnExit(): void {
  for (const pid of liveGroups) killGroup(pid);
}

function trackGroup(pid: number): void {
  if (liveGroups.size === 0) process.on('exit', killAllOnExit);
  liveGroups.add(pid);
}

function untrackGroup(pid: number): void {
  if (!liveGroups.delete(pid)) return;
  if (liveGroups.size === 0) process.removeListener('exit', killAllOnExit);
}

/** Number of ffmpeg/ffprobe process groups currently tracked (for tests). */
export function liveProcessCount(): number {
  return liveGroups.size;
}

function appendTail(tail: string, chunk: string): string {
  const next = tail + chunk;
  return next.length > STDERR_TAIL_CHARS ? next.slice(-STDERR_TAIL_CHARS) : next;
}

/** Keeps the last STDERR_TAIL_CHARS of a child's stderr; the result reads what has come so far. */
function collectStderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = appendTail(tail, chunk);
  });
  return () => tail;
}

function spawnError(tool: 'ffmpeg' | 'ffprobe', binary: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return new MissingBinaryError(tool, binary, err);
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`failed to start ${tool} ("${binary}"): ${message}`, { cause: err });
}

/**
 * Logs a failed command whole, so that it can be run again by hand. A throwing logger is
 * ignored: this runs inside child-process event handlers, where it would crash the process.
 */
function logFailure(logger: MediaLogger | undefined, tool: 'ffmpeg' | 'ffprobe', details: Record<string, unknown>): void {
  try {
    logger?.warn({ tool, ...details }, `${tool} command failed`);
  } catch {
    /* ignored on purpose */
  }
}

// ---------------------------------------------------------------------------
// runFfmpeg
// ---------------------------------------------------------------------------

export interface RunFfmpegOptions {
  ffmpegPath?: string;
  args: string[];
  expectedDurationSec: number;
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
  /** Called once with the pid (= process-group id) right after ffmpeg starts. */
  onSpawn?: (pid: number) => void;
  /** Told about a command that fails (not one that is aborted). */
  logger?: MediaLogger | undefined;
}

/**
 * Runs ffmpeg in its own process group. Resolves on exit code 0, rejects with an
 * FfmpegError otherwise (aborted=true after `signal` fired; the process is already
 * dead by the time the promise rejects, so the caller may delete its outputs).
 */
export async function runFfmpeg(opts: RunFfmpegOptions): Promise<void> {
  const binary = opts.ffmpegPath ?? 'ffmpeg';
  const { signal, logger } = opts;
  const argv = [binary, ...opts.args];
  if (signal?.aborted) throw new FfmpegError('ffmpeg aborted before it started', { aborted: true, argv });

  const reporter = createProgressReporter({
    expectedDurationSec: opts.expectedDurationSec,
    onProgress: opts.onProgress,
  });

  return new Promise<void>((resolve, reject) => {
    let child: ChildProcess;
    const failToStart = (err: unknown): void => {
      logFailure(logger, 'ffmpeg', { argv, error: err instanceof Error ? err.message : String(err) });
      reject(spawnError('ffmpeg', binary, err));
    };
    try {
      child = spawnTied(binary, opts.args);
    } catch (err) {
      failToStart(err);
      return;
    }

    const pid = child.pid;
    let pending = '';
    let aborted = false;
    let settled = false;

    const onAbort = (): void => {
      aborted = true;
      if (pid !== undefined) killGroup(pid, child);
    };

    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) untrackGroup(pid);
      fn();
    };

    if (pid !== undefined) trackGroup(pid);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (pid !== undefined && opts.onSpawn) {
      // A throwing observer must not leave ffmpeg running unsupervised.
      try {
        opts.onSpawn(pid);
      } catch {
        /* ignored on purpose */
      }
    }

    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const parsed = parseProgressChunk(pending, chunk);
      pending = parsed.pending;
      if (parsed.outTimeUs !== null) reporter.update(parsed.outTimeUs);
    });
    const stderrTailOf = collectStderrTail(child);

    child.on('error', (err) => {
      // Without a pid the process never started; otherwise 'close' still follows.
      if (pid === undefined) settle(() => failToStart(err));
    });

    child.on('close', (code, sig) => {
      settle(() => {
        const tail = stderrTailOf().trim();
        if (aborted) {
          reject(
            new FfmpegError('ffmpeg was aborted', { exitCode: code, signal: sig, stderrTail: tail, aborted: true, argv }),
          );
          return;
        }
        if (code === 0) {
          reporter.complete();
          resolve();
          return;
        }
        logFailure(logger, 'ffmpeg', { argv, exitCode: code, signal: sig, stderrTail: tail });
        if (isTiedExecFailure(code, tail)) {
          reject(new MissingBinaryError('ffmpeg', binary, new Error(tail)));
        } else {
          const what = code !== null ? `ffmpeg exited with code ${code}` : `ffmpeg was killed by signal ${sig}`;
          reject(new FfmpegError(tail ? `${what}: ${tail}` : what, { exitCode: code, signal: sig, stderrTail: tail, argv }));
        }
      });
    });
  });
}

// ---------------------------------------------------------------------------
// captureProcess: run a short-lived ffprobe/ffmpeg command and collect its output
// ---------------------------------------------------------------------------

export interface CaptureOptions {
  tool: 'ffmpeg' | 'ffprobe';
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  maxStdoutChars?: number | undefined;
  /** Called once with the pid (= process-group id) right after the process starts. */
  onSpawn?: ((pid: number) => void) | undefined;
  /** Told about a command that exits non-zero, times out or floods stdout (not one that is aborted). */
  logger?: MediaLogger | undefined;
}

export interface CaptureResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  stdoutOverflow: boolean;
}

/**
 * Spawns binary with argv, tied to this process like runFfmpeg, and collects stdout (bounded)
 * and the stderr tail. Resolves for any exit status or timeout; rejects only when the binary
 * cannot be started (MissingBinaryError when it does not exist) or when `signal` aborts
 * (FfmpegError aborted=true).
 */
export async function captureProcess(binary: string, args: string[], opts: CaptureOptions): Promise<CaptureResult> {
  const { signal, tool, logger } = opts;
  const argv = [binary, ...args];
  const maxStdout = opts.maxStdoutChars ?? 16 * 1024 * 1024;
  if (signal?.aborted) throw new FfmpegError(`${tool} aborted before it started`, { aborted: true, argv });

  return new Promise<CaptureResult>((resolve, reject) => {
    let child: ChildProcess;
    const failToStart = (err: unknown): void => {
      logFailure(logger, tool, { argv, error: err instanceof Error ? err.message : String(err) });
      reject(spawnError(tool, binary, err));
    };
    try {
      child = spawnTied(binary, args);
    } catch (err) {
      failToStart(err);
      return;
    }
    const pid = child.pid;
    let stdout = '';
    let timedOut = false;
    let overflow = false;
    let aborted = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const kill = (): void => {
      if (pid !== undefined) killGroup(pid, child);
    };
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) untrackGroup(pid);
      fn();
    };

    if (pid !== undefined) trackGroup(pid);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (pid !== undefined && opts.onSpawn) {
      try {
        opts.onSpawn(pid);
      } catch {
        /* ignored on purpose */
      }
    }
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs);
    }

    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (overflow) return;
      stdout += chunk;
      if (stdout.length > maxStdout) {
        overflow = true;
        stdout = '';
        kill();
      }
    });
    const stderrTailOf = collectStderrTail(child);

    child.on('error', (err) => {
      if (pid === undefined) settle(() => failToStart(err));
    });
    child.on('close', (code, sig) => {
      settle(() => {
        const tail = stderrTailOf().trim();
        if (aborted) {
          reject(new FfmpegError(`${tool} was aborted`, { exitCode: code, signal: sig, stderrTail: tail, aborted: true, argv }));
          return;
        }
        if (code !== 0 || timedOut || overflow) {
          logFailure(logger, tool, { argv, exitCode: code, signal: sig, stderrTail: tail, timedOut, stdoutOverflow: overflow });
        }
        if (isTiedExecFailure(code, tail)) {
          reject(new MissingBinaryError(tool, binary, new Error(tail)));
          return;
        }
        resolve({ exitCode: code, signal: sig, stdout, stderrTail: tail, timedOut, stdoutOverflow: overflow });
      });
    });
  });
}
