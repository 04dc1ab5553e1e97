import { KeyService } from '../../src/services/key.service.js';
import type { ApiKeyRepository } from '../../src/repositories/api-key.repository.js';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../src/app.js';
import { Drain } from '../../src/http/drain.js';
import { Metrics } from '../../src/http/metrics.js';
import { buildOpenApiDocument } from '../../src/http/openapi.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The app with every service replaced by one that throws: building it touches none of them, and
 * the requests below stop at the API-key check or reach only the public routes.
 */
function appWith(apiKey: string | undefined): Express {
  const known: Record<string, unknown> = {
    logger: pino({ level: 'silent' }),
    auth: new KeyService({ anyExists: async () => false, findByHash: async () => undefined, findById: async () => undefined } as unknown as ApiKeyRepository, apiKey),
    apiKeyRequired: Boolean(apiKey),
    corsOrigins: [],
    rateLimitPerMinute: 0,
    maxUploadBytes: 1024,
    minFreeBytes: 0,
    tmpDir: os.tmpdir(),
    readiness: [],
    metrics: new Metrics({ jobCountsByStatus: async () => ({}), queueCounts: async () => ({}) }),
    drain: new Drain(),
  };
  const unused = (dep: string) =>
    new Proxy({}, { get: (_t, member) => () => { throw new Error(`the route test used ${dep}.${String(member)}`); } });
  const deps = new Proxy(known, { get: (t, k: string) => (k in t ? t[k] : unused(k)) });
  return buildApp(deps as unknown as AppDeps);
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/** "METHOD /path/{param}" for every route registered on the app, walking mounted routers. */
function appRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const m of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
            found.push(`${m.toUpperCase()} ${(prefix + p).replace(/:(\w+)/g, '{$1}')}`);
          }
        }
      } else if (layer.handle?.stack) {
        if (typeof layer.rawPath !== 'string') throw new Error(`a router is mounted on a path this test cannot read: ${String(layer.rawPath)}`);
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
      }
    }
  };
  walk((app.router as unknown as { stack: LayerLike[] }).stack, '');
  return found.sort();
}

function documentedOperations(doc: Json): [method: string, path: string, operation: Json][] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]) => [m, path, op] as [string, string, Json]),
  );
}

const concrete = (path: string) => path.replace(/\{\w+\}/g, randomUUID());

describe('the OpenAPI document', () => {
  const secured = appWith('k3y');

  it('when compared with the routes the app has, then each documents the other', async () => {
    const doc = (await request(secured).get('/api/openapi.json')).body as Json;
    const ops = documentedOperations(doc);
    // Express answers HEAD with a GET route; a documented HEAD needs that GET.
    const documented = ops.filter(([m]) => m !== 'head').map(([m, p]) => `${m.toUpperCase()} ${p}`).sort();
    const served = appRoutes(secured);

    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((r) => !documented.includes(r)), 'served but not documented').toEqual([]);
    expect(documented.filter((r) => !served.includes(r)), 'documented but not served').toEqual([]);
    for (const [, p] of ops.filter(([m]) => m === 'head')) expect(served, `HEAD ${p}`).toContain(`GET ${p}`);
  });

  it('when API_KEY is set, then each route needs the bearer token exactly where the document says so', async () => {
    const doc = (await request(secured).get('/api/openapi.json')).body as Json;
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const [method, path, op] of documentedOperations(doc)) {
      const res = await (request(secured) as unknown as Record<string, (url: string) => request.Test>)[method]!(concrete(path));
      const needsKey = op.security === undefined;
      if (needsKey) {
        expect(op.responses['401'], `${method} ${path} documents 401`).toBeTruthy();
        expect(res.status, `${method} ${path}`).toBe(401);
      } else {
        expect(op.security, `${method} ${path}`).toEqual([]);
        expect(op.responses['401'], `${method} ${path} documents no 401`).toBeUndefined();
        // A signed link is its own credential: without one it is refused, never asked for the key.
        expect(res.status, `${method} ${path}`).toBe(path.startsWith('/api/signed/') ? 403 : 200);
      }
    }
    const publicPaths = documentedOperations(doc).filter(([, , op]) => op.security?.length === 0).map(([m, p]) => `${m} ${p}`);
    expect(publicPaths.sort()).toEqual([
      'get /api/openapi.json',
      'get /api/signed/videos/{id}/download',
      'get /healthz',
      'get /metrics',
      'get /readyz',
      'head /api/signed/videos/{id}/download',
    ]);
  });

  it('when API_KEY is not set, then no route declares a security requirement or a 401', async () => {
    const res = await request(appWith(undefined)).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.security).toEqual([]);
    for (const [method, path, op] of documentedOperations(res.body)) expect(op.responses['401'], `${method} ${path}`).toBeUndefined();
  });

  it('when built, then every operation has a success status, every error is problem+json and every $ref resolves', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: true }) as Json;
    expect(doc.openapi).toBe('3.1.0');
    for (const [method, path, op] of documentedOperations(doc)) {
      const statuses = Object.keys(op.responses).map(Number);
      expect(statuses.some((s) => s >= 200 && s < 300), `${method} ${path}`).toBe(true);
      if (method === 'head') continue;
      for (const s of statuses.filter((s) => s >= 400)) {
        expect(Object.keys(op.responses[s].content ?? {}), `${method} ${path} ${s}`).toEqual(['application/problem+json']);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeTruthy();
    }
  });

  it('when built, then the webhooks section describes the signed event body every receiver gets', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: false }) as Json;
    const event = doc.webhooks.event.post;
    expect(event.parameters.map((p: Json) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(event.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/WebhookEvent');
    expect(Object.keys(doc.components.schemas.WebhookEvent.properties)).toEqual(['id', 'type', 'createdAt', 'data']);
    expect(doc.components.schemas.Job.properties.callbackUrl).toBeTruthy();
  });

  it('when the trim route is documented, then its body is the schema the route validates with', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: false }) as Json;
    const trim = doc.paths['/api/videos/{id}/trim'].post;
    const body = trim.requestBody.content['application/json'].schema;
    expect(body.properties.mode.enum).toEqual(['accurate', 'copy']);
    expect(body.required).toEqual(['start', 'end']);
    expect(trim.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]);
    expect(Object.keys(trim.responses)).toEqual(['201', '400', '403', '404', '409', '413', '415', '422', '429', '503', '507']);
    expect(trim['x-required-scope']).toBe('write');
    expect(body.properties.metadata.type).toBe('object');
  });

  it('when the Job is documented, then it has errorCode, retryable and result; the run route documents its dry run', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: false }) as Json;
    const { Job, JobResult, DryRunResult } = doc.components.schemas;
    expect(JSON.stringify(Job.properties.errorCode)).toContain('dependency_failed');
    expect(JSON.stringify(Job.properties.errorCode)).toContain('disk_full');
    expect(JSON.stringify(Job.properties.retryable)).toContain('boolean');
    expect(JSON.stringify(Job.properties.result)).toContain('#/components/schemas/JobResult');
    expect(Object.keys(JobResult.properties)).toEqual(['method', 'firstFrameSec', 'frameCount', 'durationSec', 'reencodedSec', 'fallbackReason', 'reencodedInputs', 'normalizedFrameRate', 'vfrInputs']);
    // Added for smart concat and the filter concat's rate; trims have none, so they are not required.
    for (const concatOnly of ['reencodedInputs', 'normalizedFrameRate', 'vfrInputs']) expect(JobResult.required).not.toContain(concatOnly);
    expect(doc.components.schemas.JobPlan.properties.method.anyOf?.[0]?.enum ?? doc.components.schemas.JobPlan.properties.method.enum).toContain('concat-smart');
    expect(DryRunResult).toBeTruthy();
    const runOp = doc.paths['/api/jobs/run'].post;
    expect(runOp.requestBody.content['application/json'].schema.properties.dryRun.type).toBe('boolean');
    expect(JSON.stringify(runOp.responses['200'])).toContain('#/components/schemas/DryRunResult');
    expect(runOp.responses['202']).toBeTruthy();
  });

  it('when built, then every problem response lists its codes, each answered with that status, and the Problem schema names them all', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: true }) as Json;
    const catalogue = doc['x-error-code-catalogue'] as Record<string, { status: number; retryable: boolean }>;
    expect(doc.components.schemas.Problem.properties.code.enum.length).toBeGreaterThan(20);
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['code', 'retryable']));
    for (const [method, path, op] of documentedOperations(doc)) {
      for (const [status, response] of Object.entries<Json>(op.responses).filter(([s]) => Number(s) >= 400)) {
        const codes = response['x-error-codes'] as string[];
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(catalogue[code]?.status, `${method} ${path} ${status} ${code}`).toBe(Number(status));
        if (method !== 'head') expect(response.content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(codes);
        for (const code of codes) expect(op['x-error-codes']).toContain(code);
      }
    }
    const trim = doc.paths['/api/videos/{id}/trim'].post;
    expect(trim.responses['422']['x-error-codes']).toEqual(
      expect.arrayContaining(['trim_range_empty', 'trim_end_beyond_duration', 'metadata_too_large', 'idempotency_key_reused']),
    );
    expect(trim.responses['409']['x-error-codes']).toEqual(['input_video_failed', 'idempotency_key_in_flight']);
    expect(doc.paths['/api/jobs/{id}/retry'].post.responses['409']['x-error-codes']).toEqual(['job_not_failed', 'idempotency_key_in_flight']);
    expect(doc.paths['/api/videos/{id}'].get.responses['404']['x-error-codes']).toEqual(['video_not_found']);
    expect(doc.paths['/api/videos/{id}'].get.parameters.map((p: Json) => p.name)).toEqual(['id']);
  });

  it('when every idempotent route is listed, then it is exactly the POSTs that create something', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: false }) as Json;
    const idempotent = documentedOperations(doc)
      .filter(([, , op]) => (op.parameters ?? []).some((p: Json) => p.name === 'Idempotency-Key'))
      .map(([m, p]) => `${m} ${p}`)
      .sort();
    expect(idempotent).toEqual(expect.arrayContaining(['post /api/jobs/run', 'post /api/jobs/{id}/retry', 'post /api/videos', 'post /api/videos/concat', 'post /api/videos/{id}/trim']));
    expect(idempotent.filter((r) => !r.startsWith('post ') || r.endsWith('/cancel'))).toEqual([]);
  });
});

describe('scopes in the OpenAPI document', () => {
  it('when built, then every keyed operation names the scope it needs and documents 403 and 429; GETs need read, keys need admin', () => {
    const doc = buildOpenApiDocument({ apiKeyRequired: true }) as Json;
    for (const [p, item] of Object.entries<Json>(doc.paths)) {
      // The document and signed download links are public: a link's signature is its credential.
      if (!p.startsWith('/api/') || p === '/api/openapi.json' || p.startsWith('/api/signed/')) continue;
      for (const [method, op] of Object.entries<Json>(item)) {
        expect(['read', 'write', 'admin'], `${method} ${p}`).toContain(op['x-required-scope']);
        expect(Object.keys(op.responses), `${method} ${p}`).toEqual(expect.arrayContaining(['401', '403', '429']));
        if (p.startsWith('/api/keys')) expect(op['x-required-scope']).toBe('admin');
        else if (method === 'get' || method === 'head') expect(op['x-required-scope'], `${method} ${p}`).toBe('read');
      }
    }
  });
});
