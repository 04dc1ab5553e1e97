import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { notFound, validation } from '../domain/errors.js';
import { DEFAULT_TENANT, SCOPES, TENANT_ID_PATTERN, keyUsable, type ApiKey, type Principal, type Scope, type TenantFilter } from '../domain/tenant.js';
import type { ApiKeyRepository } from '../repositories/api-key.repository.js';

export const KEY_PREFIX = 'vj_';
/** The principal of the bootstrap API_KEY: an admin of tenant `default`. */
export const API_KEY_ID = 'api-key';
const SHOWN_PREFIX = 10;
// "No key exists" is cached this long, so an open server does not ask the database on every request;
// once a key exists the API needs one for good, in every process within this time.
const NO_KEYS_CACHE_MS = 1_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sameText = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export interface NewKeyInput {
  tenantId: string;
  name?: string | undefined;
  scopes: Scope[];
  expiresAt?: Date | null | undefined;
}

/** A key just made: `secret` exists only in this answer, never in the database or a log. */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
}

export const OPEN_PRINCIPAL: Principal = Object.freeze({ tenantId: DEFAULT_TENANT, keyId: 'open', scopes: SCOPES, isAdmin: true });

function principalOf(k: Pick<ApiKey, 'id' | 'tenantId' | 'scopes'>): Principal {
  return { tenantId: k.tenantId, keyId: k.id, scopes: k.scopes, isAdmin: k.scopes.includes('admin') };
}

/**
 * API keys: made with a high-entropy secret of which only the SHA-256 is kept, looked up by that
 * hash on every request (so a revoked or expired key is refused at once), and the bootstrap API_KEY.
 */
export class KeyService {
  private noKeysUntil = 0;
  private keysExist = false;

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly bootstrapKey: string | undefined,
  ) {}

  async create(input: NewKeyInput): Promise<CreatedKey> {
    if (!TENANT_ID_PATTERN.test(input.tenantId)) {
      throw validation(`A tenant id is 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit; not ${JSON.stringify(input.tenantId)}.`, { field: 'tenant' });
    }
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw validation('A key needs at least one scope: read, write or admin.', { field: 'scopes' });
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw validation('expiresAt must be in the future.', { field: 'expiresAt' });
    const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const key = await this.repo.insert({
      id: randomUUID(),
      tenantId: input.tenantId,
      name: input.name ?? `${input.tenantId} ${scopes.join('+')}`,
      keyHash: sha256(secret),
      prefix: secret.slice(0, SHOWN_PREFIX),
      scopes,
      expiresAt: input.expiresAt ?? null,
    });
    this.keysExist = true;
    return { key, secret };
  }

  list(tenant: TenantFilter): Promise<ApiKey[]> {
    return this.repo.list(tenant);
  }

  /** Revokes a key the caller may see; another tenant's key is unknown to it. */
  async revoke(id: string, tenant: TenantFilter): Promise<ApiKey> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.repo.findById(id.toLowerCase()) : undefined;
    if (!found || (tenant !== null && found.tenantId !== tenant)) throw notFound(`Key ${id} does not exist.`, 'key_not_found');
    return (await this.repo.revoke(id))!;
  }

  /** Whether a request needs a key: API_KEY is set, or a key was ever created. */
  async keyRequired(): Promise<boolean> {
    if (this.bootstrapKey || this.keysExist) return true;
    if (Date.now() < this.noKeysUntil) return false;
    this.keysExist = await this.repo.anyExists();
    if (!this.keysExist) this.noKeysUntil = Date.now() + NO_KEYS_CACHE_MS;
    return this.keysExist;
  }

  /** The principal a bearer token stands for, or undefined (unknown, revoked or expired). */
  async byBearer(token: string): Promise<Principal | undefined> {
    if (this.bootstrapKey && sameText(token, this.bootstrapKey)) return this.bootstrap();
    if (!token.startsWith(KEY_PREFIX)) return undefined;
    const key = await this.repo.findByHash(sha256(token));
    if (!key || !keyUsable(key)) return undefined;
    void this.repo.touch(key.id).catch(() => {});
    return principalOf(key);
  }

  /** Idempotency keys of different API keys never meet; two bootstrap API_KEYs are two keys. */
  idempotencyScopeOf(principal: Principal | undefined): string {
    if (!principal) return '';
    return principal.keyId === API_KEY_ID && this.bootstrapKey ? `api-key:${sha256(this.bootstrapKey)}` : `key:${principal.keyId}`;
  }

  /** A studio session token for the key behind `principal`: nothing stored, dead with its key. */
  async issueSession(principal: Principal, now = Date.now()): Promise<{ token: string; expiresAt: number } | undefined> {
    const secret = (await this.sessionHolder(principal.keyId))?.secret;
    if (!secret) return undefined;
    const expiresAt = now + SESSION_TTL_MS;
    return { token: `${principal.keyId}.${expiresAt}.${sessionSignature(secret, principal.keyId, expiresAt)}`, expiresAt };
  }

  async bySession(token: string, now = Date.now()): Promise<Principal | undefined> {
    const m = /^([0-9a-f-]{36}|api-key)\.(\d{13,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return undefined;
    const [, keyId, expiry, signature] = m as unknown as [string, string, string, string];
    const expiresAt = Number(expiry);
    if (expiresAt <= now || expiresAt > now + SESSION_TTL_MS) return undefined;
    const holder = await this.sessionHolder(keyId);
    if (!holder || !sameText(signature, sessionSignature(holder.secret, keyId, expiresAt))) return undefined;
    return holder.principal;
  }

  private bootstrap(): Principal {
    return { tenantId: DEFAULT_TENANT, keyId: API_KEY_ID, scopes: SCOPES, isAdmin: true };
  }

  /**
   * A usable key's session secret (the bootstrap key itself, or a stored key's hash: what only the
   * server holds for that key) and who it acts for; one lookup.
   */
  private async sessionHolder(keyId: string): Promise<{ secret: string; principal: Principal } | undefined> {
    if (keyId === API_KEY_ID) return this.bootstrapKey ? { secret: this.bootstrapKey, principal: this.bootstrap() } : undefined;
    if (!/^[0-9a-f-]{36}$/.test(keyId)) return undefined;
    const key = await this.repo.findById(keyId);
    return key && keyUsable(key) ? { secret: key.keyHash, principal: principalOf(key) } : undefined;
  }
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function sessionSignature(secret: string, keyId: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`studio-session:${keyId}:${expiresAt}`).digest('base64url');
}
