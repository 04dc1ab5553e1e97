import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ImportLifecycle, ImportOwner } from '../core/imports.js';
import { DomainError, validation } from '../domain/errors.js';
import { ImportFailure } from '../domain/import.js';
import type { Video } from '../domain/video.js';
import { fetchToFile, refusedImportUrl } from '../imports/url-fetcher.js';
import type { LocalScratch } from '../storage/scratch.js';
import type { UploadService } from './upload.service.js';

export interface UrlImportOptions {
  maxBytes: number;
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface ImportAttempt {
  videoId: string;
  /** 1 for the first delivery; part of the stored key, so two executions never share a file. */
  attempt: number;
  /** No retry follows this attempt: a retryable failure fails the video now. */
  last: boolean;
  signal?: AbortSignal;
}

export type ImportOutcome = 'ready' | 'failed' | 'skipped';

/** Imports from a URL: the API records them, a worker fetches, probes and publishes each one. */
export class UrlImportService {
  constructor(
    private readonly imports: ImportLifecycle,
    private readonly uploads: UploadService,
    private readonly scratch: LocalScratch,
    private readonly opts: UrlImportOptions,
    private readonly logger: Logger,
  ) {}

  /** 422 `import_url_refused` for a URL no worker may fetch; else a `processing` video. */
  async request(url: string, name: string | null, owner: ImportOwner = {}): Promise<Video> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw validation(`${JSON.stringify(url)} is not an absolute URL.`, { field: 'url' }, 'import_url_refused');
    }
    const refused = refusedImportUrl(parsed, this.opts.allowPrivate);
    if (refused) throw validation(`The URL cannot be imported: ${refused}.`, { field: 'url' }, 'import_url_refused');
    return this.imports.request(parsed.href, name ?? nameFromUrl(parsed), owner);
  }

  /**
   * One attempt. Throws (for the queue to retry) only for a retryable failure that is not the last
   * attempt's; otherwise the video ends ready or failed. The fetched file never outlives the attempt
   * unless the guarded update that owns it won.
   */
  async run(a: ImportAttempt): Promise<ImportOutcome> {
    const video = await this.imports.pending(a.videoId);
    if (!video) return 'skipped';
    const temp = this.scratch.tempPath(`.import-${a.videoId}.${a.attempt}`);
    try {
      await fetchToFile(video.sourceUrl!, temp, { ...this.opts, signal: a.signal });
      const probed = await this.uploads.probeReceived(temp).catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'unsupported_media') throw new ImportFailure('unsupported_media', err.message.replace('The uploaded file', 'The fetched file'));
        throw err;
      });
      // Unique per execution: a redelivered attempt running beside a stalled one never shares (or removes) its file.
      const key = `${a.videoId}.${a.attempt}.${randomUUID().slice(0, 8)}.${probed.extension}`;
      const done = await this.uploads.publish(temp, key, () => this.imports.complete(a.videoId, key, probed.metadata));
      return done ? 'ready' : 'skipped';
    } catch (err) {
      const failure = err instanceof ImportFailure ? err : new ImportFailure('internal_error', (err as Error).message);
      if (!(err instanceof ImportFailure)) this.logger.error({ err, videoId: a.videoId }, 'import attempt crashed');
      if (a.signal?.aborted) throw err;
      if (failure.retryable && !a.last) throw failure;
      this.logger.info({ videoId: a.videoId, code: failure.code, error: failure.message }, 'import failed');
      return (await this.imports.fail(a.videoId, failure.code, failure.message)) ? 'failed' : 'skipped';
    } finally {
      await this.scratch.discardTemp(temp);
    }
  }
}

function nameFromUrl(url: URL): string | null {
  const last = url.pathname.split('/').pop() ?? '';
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // A malformed escape: keep the name as it was sent.
  }
  return decoded.slice(0, 255) || null;
}
