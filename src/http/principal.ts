import type { Request, RequestHandler } from 'express';
import { DomainError, forbidden } from '../domain/errors.js';
import type { Tenancy } from '../core/lifecycle.js';
import { grants, TENANT_ID_PATTERN, type Principal, type Scope, type TenantFilter } from '../domain/tenant.js';

/**
 * How a route finds the tenant it acts for. Every /api route sits behind `authenticate`, so a
 * handler reaching these always has a principal.
 */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new DomainError('internal', 'A route behind authenticate() ran without a principal.');
  return req.principal;
}

/** The tenant new records belong to: the caller's own. */
export function ownerTenantOf(req: Request): string {
  return principalOf(req).tenantId;
}

/**
 * Whose records the caller sees: its own tenant's; an admin sees every tenant's, or the one
 * `?tenant=` names.
 */
export function tenantFilterOf(req: Request): TenantFilter {
  const p = principalOf(req);
  if (!p.isAdmin) return p.tenantId;
  const asked = req.query.tenant;
  return typeof asked === 'string' && TENANT_ID_PATTERN.test(asked) ? asked : null;
}

/** What a command recorded by the caller may use and whose it is. */
export function tenancyOf(req: Request): Tenancy {
  return { owner: ownerTenantOf(req), sees: tenantFilterOf(req) };
}

/** 403 unless the caller's key has `scope` (or one above it). Public routes carry no principal and pass. */
export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    const p = req.principal;
    if (!p || grants(p.scopes, scope)) return next();
    next(forbidden(`This needs a key with the ${scope} scope; this key has ${p.scopes.join(', ')}.`, 'insufficient_scope'));
  };
}
