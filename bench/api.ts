import { readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { sleep } from './measure.js';
import { mustRun, runCommand } from './proc.js';

/** The fields of the API's resources the bench reads (shared/API.md). */
export interface Video {
  id: string;
  status: string;
  sizeBytes: number | null;
  durationSec: number | null;
  downloadUrl: string | null;
}

export interface Job {
  id: string;
  status: string;
  outputVideoId: string;
  method: string | null;
  error: string | null;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Server-side split of a job's time: waiting in the queue, then in the worker (ms). */
export function jobPhases(job: Job): { queueMs: number | null; workerMs: number | null } {
  const t = (s: string | null) => (s === null ? null : Date.parse(s));
  const [q, s, f] = [t(job.queuedAt), t(job.startedAt), t(job.finishedAt)];
  return { queueMs: q !== null && s !== null ? s - q : null, workerMs: s !== null && f !== null ? f - s : null };
}

const REQUEST_TIMEOUT_MS = 30_000;

export interface CurlDownload {
  status: string;
  bytes: number;
  seconds: number;
}

/** Downloads with curl to `dest` (a path or /dev/null); the time is curl's whole run. */
export async function curlDownload(url: string, dest: string, timeoutMs: number): Promise<CurlDownload> {
  const r = await runCommand('curl', ['-sS', '-o', dest, '-w', '%{http_code} %{size_download}', url], { timeoutMs });
  if (r.code !== 0) throw new Error(`curl ${url} failed (${r.code}): ${r.stderr.trim()}`);
  const [status = '', bytes = '0'] = r.stdout.toString().trim().split(' ');
  return { status, bytes: Number(bytes), seconds: r.seconds };
}

export class ApiClient {
  constructor(readonly base: string) {}

  async request<T>(method: string, path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Uploads with curl, as a user would; the time is curl's whole run. */
  async upload(file: string, responseFile: string, timeoutMs: number): Promise<{ video: Video; seconds: number }> {
    const r = await mustRun(
      'curl',
      ['-sS', '-o', responseFile, '-w', '%{http_code}', '-F', `file=@${file}`, `${this.base}/api/videos`],
      { timeoutMs },
    );
    const status = r.stdout.toString().trim();
    const text = await readFile(responseFile, 'utf8').catch(() => '');
    await rm(responseFile, { force: true });
    if (status !== '201') throw new Error(`upload of ${file} answered ${status}: ${text.slice(0, 500)}`);
    return { video: JSON.parse(text) as Video, seconds: r.seconds };
  }

  download(videoId: string, dest: string, timeoutMs: number): Promise<CurlDownload> {
    return curlDownload(`${this.base}/api/videos/${videoId}/download`, dest, timeoutMs);
  }

  trim(videoId: string, start: number, end: number, mode: 'copy' | 'accurate'): Promise<Job> {
    return this.request<Job>('POST', `/api/videos/${videoId}/trim`, { start, end, mode });
  }

  concat(videoIds: string[]): Promise<Job> {
    return this.request<Job>('POST', '/api/videos/concat', { videoIds });
  }

  run(jobIds?: string[]): Promise<{ queued: string[] }> {
    return this.request('POST', '/api/jobs/run', jobIds === undefined ? undefined : { jobIds });
  }

  job(id: string): Promise<Job> {
    return this.request<Job>('GET', `/api/jobs/${id}`);
  }

  deleteVideo(id: string): Promise<void> {
    return this.request<void>('DELETE', `/api/videos/${id}`);
  }

  /**
   * Runs one pending job and polls it until it finishes; the time is from sending run to seeing
   * `completed`, so it holds everything a client waits for (queue pick-up, FFmpeg, probe, rename).
   */
  // Every measurement is late by up to one poll: 5 ms keeps that under the noise of a 0.2 s job.
  async runAndWait(jobId: string, timeoutMs: number, pollMs = 5): Promise<{ job: Job; seconds: number }> {
    const started = performance.now();
    await this.run([jobId]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(jobId);
      if (job.status === 'completed') return { job, seconds: (performance.now() - started) / 1000 };
      if (job.status === 'failed' || job.status === 'cancelled') {
        throw new Error(`job ${jobId} ${job.status}: ${job.error ?? 'no error recorded'}`);
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs / 1000} s`);
      await sleep(pollMs);
    }
  }
}
