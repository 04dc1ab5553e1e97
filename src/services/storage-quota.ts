import type { VideoStore } from '../core/ports.js';
import { DomainError } from '../domain/errors.js';

/**
 * The per-tenant storage quota: the tenant's own (tenants.quota_bytes) or TENANT_QUOTA_BYTES;
 * neither: none. Counted over the files of the tenant's videos.
 */
export class StorageQuota {
  constructor(private readonly defaultBytes: number | undefined) {}

  /** Refuses (507 quota_exceeded) when `addBytes` more would put the tenant past its quota; `addBytes` 0: when it is already full. */
  async ensureRoom(videos: Pick<VideoStore, 'tenantUsage'>, tenantId: string, addBytes: number, lock = false): Promise<void> {
    const usage = await videos.tenantUsage(tenantId, lock);
    const quota = usage.quotaBytes ?? this.defaultBytes;
    if (quota === undefined) return;
    const after = usage.usedBytes + addBytes;
    const full = addBytes === 0 ? usage.usedBytes >= quota : after > quota;
    if (!full) return;
    const what = addBytes === 0 ? `it already holds ${usage.usedBytes} bytes` : `it holds ${usage.usedBytes} bytes and this would add ${addBytes}`;
    throw new DomainError(
      'insufficient_storage',
      `Tenant ${tenantId} has a storage quota of ${quota} bytes and ${what}; nothing was kept. Delete videos to make room.`,
      { quotaBytes: quota, usedBytes: usage.usedBytes },
      'quota_exceeded',
    );
  }
}
