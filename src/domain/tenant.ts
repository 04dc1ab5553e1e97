/** Tenants, keys and who a request acts for. */

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const DEFAULT_TENANT = 'default';
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Who a request acts for, as the auth middleware found it. */
export interface Principal {
  tenantId: string;
  /** The key's id; `api-key` for the bootstrap API_KEY, `open` on a server without keys. */
  keyId: string;
  scopes: readonly Scope[];
  /** Sees and acts on every tenant's records. */
  isAdmin: boolean;
}

/** Which tenant's records a call may see: one tenant's, or (admin) every tenant's (null). */
export type TenantFilter = string | null;

/** A scope includes the ones below it: admin can write, write can read. */
export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  const rank = (s: Scope) => SCOPES.indexOf(s);
  return scopes.some((s) => rank(s) >= rank(needed));
}

export function visibleTo(row: { tenantId: string }, tenant: TenantFilter): boolean {
  return tenant === null || row.tenantId === tenant;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export function keyUsable(k: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, now = new Date()): boolean {
  return k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now);
}
