import type { Router } from 'express';
import { z } from 'zod';
import { SCOPES, type ApiKey } from '../domain/tenant.js';
import type { KeyService } from '../services/key.service.js';
import { pathId } from './ids.js';
import { tenantFilterOf } from './principal.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { IdParam, TenantQuery } from './schemas.js';
import { parseBody, parseQuery } from './validate.js';

const NewKeyBody = z
  .strictObject({
    tenant: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).describe('The tenant the key acts for; created with its first key.'),
    name: z.string().min(1).max(200).optional().describe('For people: what the key is for.'),
    scopes: z.array(z.enum(SCOPES)).min(1).max(3).describe('`read`: every GET; `write`: also upload, record, run, cancel, retry, delete, webhooks; `admin`: also keys, and every tenant\'s records.'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('After this the key is refused (401).'),
  })
  .describe('A new API key.');

const KeySchema = z
  .object({
    id: z.uuid(),
    tenant: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart; the key itself is never shown again.'),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('Updated at most once a minute.'),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });
const KeyWithSecret = KeySchema.extend({ key: z.string().describe('The key (vj_…): send it as `Authorization: Bearer <key>`. Shown only here, once.') }).meta({ id: 'ApiKeyWithSecret' });
const KeyIdParams = z.object({ id: IdParam.describe('Key id') });
const KeyListQuery = z.object({ tenant: TenantQuery });

export const keyRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'keys' }, {
  create: {
    method: 'post',
    path: '/keys',
    scope: 'admin',
    summary: 'Create an API key for a tenant (the key is in this answer only)',
    body: { schema: NewKeyBody, required: true },
    responses: { 201: { description: 'The key, with its secret (shown once)', json: KeyWithSecret } },
    errors: { ...jsonBodyErrors, 422: { description: 'A bad tenant id, no scope, or an expiry in the past', codes: ['validation_failed'] }, ...databaseDown },
  },
  list: {
    method: 'get',
    path: '/keys',
    scope: 'admin',
    summary: 'Every API key (never their secrets), newest first',
    query: KeyListQuery,
    responses: { 200: { description: 'The keys', json: z.object({ items: z.array(KeySchema) }) } },
    errors: { 400: { description: 'Bad query', codes: ['invalid_query'] }, ...databaseDown },
  },
  revoke: {
    method: 'delete',
    path: '/keys/:id',
    scope: 'admin',
    summary: 'Revoke a key: from now on it is refused (401)',
    params: KeyIdParams,
    responses: { 200: { description: 'The revoked key', json: KeySchema } },
    errors: { 404: { description: 'Unknown key', codes: ['key_not_found'] }, ...databaseDown },
  },
});

export function toKeyResource(k: ApiKey) {
  return {
    id: k.id,
    tenant: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export function keysRouter(keys: KeyService): Router {
  return routerFrom(keyRoutes, {
    create: async (req, res) => {
      const body = parseBody(NewKeyBody, req.body);
      const { key, secret } = await keys.create({ tenantId: body.tenant, name: body.name, scopes: body.scopes, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null });
      res.status(201).json({ ...toKeyResource(key), key: secret });
    },
    list: async (req, res) => {
      parseQuery(KeyListQuery, req.query);
      res.json({ items: (await keys.list(tenantFilterOf(req))).map(toKeyResource) });
    },
    revoke: async (req, res) => {
      res.json(toKeyResource(await keys.revoke(pathId(req.params.id, 'Key'), tenantFilterOf(req))));
    },
  });
}
