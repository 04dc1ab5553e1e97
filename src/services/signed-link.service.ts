import type { TenantFilter } from '../domain/tenant.js';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { VideoStore } from '../core/ports.js';
import { DomainError } from '../domain/errors.js';
import type { Downloadable, DownloadService } from './download.service.js';

export const MAX_LINK_TTL_SEC = 7 * 24 * 3600;

export interface SignedLink {
  /** Path and query, relative to the server. */
  pathAndQuery: string;
  expiresAt: Date;
}

/** Where a video's signed download is served (public: the signature is the credential). */
export const signedDownloadPath = (videoId: string) => `/api/signed/videos/${videoId}/download`;

const refused = (code: 'link_invalid' | 'link_expired' | 'link_revoked', detail: string) => new DomainError('forbidden', detail, {}, code);

/**
 * Download links that work without the API key until they expire: the expiry (Unix seconds) and
 * an HMAC-SHA256 of the path and expiry under the server's secret. Nothing is stored; deleting the
 * video revokes every link to it, since a link only ever names the video.
 */
export class SignedLinkService {
  constructor(
    private readonly secret: Buffer,
    private readonly videos: VideoStore,
    private readonly downloads: DownloadService,
    private readonly now: () => number = Date.now,
  ) {}

  async create(videoId: string, expiresInSec: number, tenant: TenantFilter = null): Promise<SignedLink> {
    // Refused as a download of it by the caller would be: unknown (or another tenant's), not ready, file gone.
    await this.downloads.resolve(videoId, tenant);
    const expires = Math.floor(this.now() / 1000) + expiresInSec;
    const path = signedDownloadPath(videoId);
    return { pathAndQuery: `${path}?expires=${expires}&signature=${this.signature(path, expires)}`, expiresAt: new Date(expires * 1000) };
  }

  /** The file a link names, once its signature, its expiry and its video check out; and its seconds left. */
  async open(videoId: string, expires: number, signature: string): Promise<{ file: Downloadable; remainingSec: number }> {
    const expected = Buffer.from(this.signature(signedDownloadPath(videoId), expires), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw refused('link_invalid', 'The link is not valid: its signature does not match.');
    }
    const remainingSec = expires - Math.floor(this.now() / 1000);
    if (remainingSec <= 0) throw refused('link_expired', `The link expired at ${new Date(expires * 1000).toISOString()}.`);
    if (!(await this.videos.findById(videoId))) throw refused('link_revoked', 'The link was revoked: its video was deleted.');
    return { file: await this.downloads.resolve(videoId), remainingSec };
  }

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`video-jobs-link:v1\n${path}\n${expires}`).digest('base64url');
  }
}
