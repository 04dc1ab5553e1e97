import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sleep } from './random.js';

export interface HttpStats {
  requests: number;
  byStatus: Record<string, number>;
  /** Requests that reached no API (it was restarting): retried. */
  connectionErrors: number;
  /** 503 answers (a backing service down), tried again. */
  unavailable: number;
  /** 5xx answers: each one is a response the contract says means a bug, unless the API was down. */
  serverErrors: { at: string; method: string; path: string; status: number; body: string }[];
}

export interface Answer {
  status: number;
  body: any;
}

const RETRY_FOR_MS = 90_000;

/**
 * The soak's HTTP client. A request that finds no API (connection refused or reset while the API
 * restarts) is sent again until RETRY_FOR_MS; any answer, 5xx included, is returned as it is.
 * A POST that was cut off may have taken effect: the verification counts jobs from the database.
 */
export class SoakApi {
  readonly stats: HttpStats = { requests: 0, byStatus: {}, connectionErrors: 0, unavailable: 0, serverErrors: [] };

  constructor(readonly base: string) {}

  async request(method: string, urlPath: string, body?: unknown, opts: { form?: FormData; timeoutMs?: number } = {}): Promise<Answer> {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (;;) {
      try {
        this.stats.requests += 1;
        const res = await fetch(this.base + urlPath, {
          method,
          headers: body !== undefined ? { 'content-type': 'application/json' } : undefined,
          body: opts.form ?? (body !== undefined ? JSON.stringify(body) : undefined),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
        });
        const text = await res.text();
        this.stats.byStatus[res.status] = (this.stats.byStatus[res.status] ?? 0) + 1;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        if (res.status >= 500) {
          this.stats.serverErrors.push({ at: new Date().toISOString(), method, path: urlPath, status: res.status, body: text.slice(0, 300) });
        }
        // "A backing service is unavailable; try again shortly": a client does just that.
        if (res.status === 503 && Date.now() < deadline) {
          this.stats.unavailable += 1;
          await sleep(500);
          continue;
        }
        return { status: res.status, body: parsed };
      } catch (err) {
        this.stats.connectionErrors += 1;
        if (Date.now() > deadline) throw new Error(`${method} ${urlPath}: no answer for ${RETRY_FOR_MS} ms: ${(err as Error).message}`);
        await sleep(250);
      }
    }
  }

  get(urlPath: string): Promise<Answer> {
    return this.request('GET', urlPath);
  }

  post(urlPath: string, body: unknown = {}): Promise<Answer> {
    return this.request('POST', urlPath, body);
  }

  async upload(file: string): Promise<Answer> {
    const form = new FormData();
    form.append('file', new Blob([await readFile(file)], { type: 'video/mp4' }), path.basename(file));
    return this.request('POST', '/api/videos', undefined, { form, timeoutMs: 120_000 });
  }

  /** The whole body of a download, or the status when it is not a 200. */
  async download(videoId: string): Promise<{ status: number; bytes: Buffer }> {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (;;) {
      try {
        this.stats.requests += 1;
        const res = await fetch(`${this.base}/api/videos/${videoId}/download`, { signal: AbortSignal.timeout(120_000) });
        const bytes = Buffer.from(await res.arrayBuffer());
        this.stats.byStatus[res.status] = (this.stats.byStatus[res.status] ?? 0) + 1;
        if (res.status >= 500) {
          this.stats.serverErrors.push({ at: new Date().toISOString(), method: 'GET', path: `/api/videos/${videoId}/download`, status: res.status, body: bytes.toString('utf8', 0, 300) });
        }
        if (res.status === 503 && Date.now() < deadline) {
          this.stats.unavailable += 1;
          await sleep(500);
          continue;
        }
        return { status: res.status, bytes };
      } catch (err) {
        this.stats.connectionErrors += 1;
        if (Date.now() > deadline) throw new Error(`download ${videoId}: no answer for ${RETRY_FOR_MS} ms: ${(err as Error).message}`);
        await sleep(250);
      }
    }
  }
}
