import type { Router } from 'express';
import { z } from 'zod';
import { eventRoutes } from './events.routes.js';
import { jobRoutes } from './jobs.routes.js';
import { linkRoutes, signedDownloadRoutes } from './links.routes.js';
import { keyRoutes } from './keys.routes.js';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { statusOfCode } from './error-handler.js';
import { IDEMPOTENCY_KEY_MAX } from './idempotency.middleware.js';
import { defineRoutes, errorDoc, openApiPath, routerFrom, scopeOf, type ErrorDoc, type RouteDeclaration, type RouteGroup, type SuccessResponse } from './route-declarations.js';
import { previewRoutes } from './previews.routes.js';
import { ProblemSchema } from './schemas.js';
import { sessionRoutes } from './session.routes.js';
import { serviceRoutes } from './service.routes.js';
import { videoRoutes } from './videos.routes.js';
import { uploadRoutes } from './uploads.routes.js';
import { webhookRoutes } from './webhooks.routes.js';
import { callbackRoutes } from './callbacks.routes.js';
import { WEBHOOK_HEADERS, WebhookEventSchema } from './webhook-events.schema.js';

type Json = Record<string, unknown>;

export const openApiRoutes = defineRoutes(
  { base: '/api', access: 'public', tag: 'service' },
  {
    document: {
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { type: 'object' } } } },
    },
  },
);

/**
 * Codes any /api route may answer besides its own: a JSON body the parser refuses (even on a GET),
 * a path nothing serves, a missing bearer token, a backing service away, a bug.
 */
export const COMMON_ERROR_CODES: readonly ErrorCode[] = [
  'invalid_json',
  'body_too_large',
  'unsupported_encoding',
  'bad_request',
  'route_not_found',
  'unauthorized',
  'service_unavailable',
  'internal_error',
];

/** Every route the app serves; the route test fails when the app and this list disagree. */
export const routeGroups: RouteGroup[] = [videoRoutes, uploadRoutes, linkRoutes, signedDownloadRoutes, previewRoutes, jobRoutes, webhookRoutes, callbackRoutes, eventRoutes, sessionRoutes, keyRoutes, serviceRoutes, openApiRoutes];

export interface OpenApiOptions {
  /** API_KEY is set: `apiKey` routes need the bearer token. */
  apiKeyRequired: boolean;
}

/** GET /api/openapi.json, mounted before the API-key check: the document is public. */
export function openApiRouter(options: OpenApiOptions): Router {
  const document = buildOpenApiDocument(options);
  return routerFrom(openApiRoutes, {
    document: (_req, res) => {
      res.json(document);
    },
  });
}

/** The OpenAPI 3.1 document, assembled from the route declarations and the zod schemas they name. */
export function buildOpenApiDocument(options: OpenApiOptions): Json {
  const schemas = new SchemaCollector();
  const problem = schemas.convert(ProblemSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};

  for (const group of routeGroups) {
    for (const [key, route] of Object.entries<RouteDeclaration>(group.routes)) {
      const path = openApiPath(group.base + route.path);
      const item = (paths[path] ??= {});
      const secured = group.access === 'apiKey' && options.apiKeyRequired;
      const operation = operationOf(route, schemas, problem, secured, group.access === 'apiKey');
      item[route.method] = { operationId: `${group.tag}.${key}`, tags: [group.tag], ...operation };
      if (route.head) {
        item.head = {
          operationId: `${group.tag}.${key}Head`,
          tags: [group.tag],
          ...operation,
          summary: `${route.summary}; headers only`,
          responses: withoutBodies(operation.responses),
        };
      }
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Video jobs',
      version: '1.0.0',
      description:
        'Upload videos, record trim and concat commands, run them on FFmpeg workers, follow their status and download the results. ' +
        'Errors are RFC 9457 problem documents. A body of the wrong shape (not JSON, unknown fields, wrong types, missing fields) is 400; ' +
        'a well-formed body with an unacceptable value is 422. A path id that is not a UUID is 404. ' +
        'Every problem carries a stable `code` (each response lists its own; `x-error-codes` on an operation lists all it may answer, ' +
        '`x-common-error-codes` those any route may answer) and `retryable`: whether the same request, unchanged, may succeed later. ' +
        'POST routes that create something honour an `Idempotency-Key` header (1–255 characters, scoped to the API key): a retry with the ' +
        'same key and the same request within 24 h gets the first answer again (`Idempotent-Replayed: true`), nothing is created twice. ' +
        (options.apiKeyRequired
          ? 'This server has API keys: every /api route except this document needs `Authorization: Bearer <key>`. '
          : 'This server has no API key yet: every route is open, acting for the tenant `default` (until API_KEY is set or a key is created). ') +
        'Each key belongs to a tenant and has scopes: `read` (every GET), `write` (also upload, record, run, cancel, retry, delete, webhooks), ' +
        '`admin` (also /api/keys, and every tenant\'s records, filtered with `?tenant=` on lists). `x-required-scope` on an operation names the scope it needs ' +
        '(403 `insufficient_scope` without it). A key sees only its tenant\'s videos, jobs, webhooks and events: another tenant\'s id is 404, never 403.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas: schemas.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The API_KEY the server was started with.' } },
    },
    security: options.apiKeyRequired ? [{ bearer: [] }] : [],
    'x-common-error-codes': COMMON_ERROR_CODES,
    'x-error-code-catalogue': Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, e]) => [code, { status: statusOfCode(code as ErrorCode), retryable: e.retryable, description: e.description }]),
    ),
    paths,
    webhooks: webhookDescriptions(schemas),
  };
}

/** What the service POSTs to webhook endpoints and callbackUrls (OpenAPI 3.1 `webhooks`). */
function webhookDescriptions(schemas: SchemaCollector): Json {
  const schema = schemas.convert(WebhookEventSchema, 'output');
  const parameters = Object.entries(WEBHOOK_HEADERS).map(([name, description]) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } }));
  return {
    event: {
      post: {
        summary: 'A job or video event, sent to every endpoint that wants its type and to the callbackUrl of the command behind it',
        description:
          'Signed as the Standard Webhooks specification says. At least once, in order per job or video; retried with exponential backoff for WEBHOOK_MAX_AGE_HOURS. ' +
          'Answer 2xx when received; 410 disables the endpoint; anything else is retried. Redirects are not followed.',
        parameters,
        requestBody: { required: true, content: { 'application/json': { schema } } },
        responses: { '2XX': { description: 'Received' }, '410': { description: 'Gone: the endpoint is disabled' } },
      },
    },
  };
}

/** What every route behind the key check may answer besides its own errors. */
function keyedErrors(route: RouteDeclaration): Record<number, ErrorDoc> {
  return {
    403: { description: `The key lacks the \`${scopeOf(route)}\` scope`, codes: ['insufficient_scope'] },
    429: { description: 'This key made more than RATE_LIMIT_PER_MINUTE requests in the last minute (`Retry-After`)', codes: ['rate_limited'] },
  };
}

function operationOf(route: RouteDeclaration, schemas: SchemaCollector, problem: Json, secured: boolean, keyed: boolean) {
  const parameters = [...pathParameters(route, schemas), ...queryParameters(route, schemas), ...(route.idempotent ? [idempotencyKeyParameter] : [])];
  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = successResponse(route.idempotent ? withReplayHeader(response) : response, schemas);
  }
  const errors = {
    ...route.errors,
    ...(secured ? { 401: { description: 'No bearer token, or an unknown, revoked or expired key', codes: ['unauthorized' as const] } } : {}),
    ...(keyed ? keyedErrors(route) : {}),
  };
  const allCodes = new Set<ErrorCode>();
  for (const [status, e] of Object.entries(errors)) {
    const { description, codes } = errorDoc(Number(status), e);
    codes.forEach((c) => allCodes.add(c));
    responses[status] = {
      description: `${description}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      'x-error-codes': codes,
      content: { 'application/problem+json': { schema: { allOf: [problem, { properties: { code: { enum: codes } } }] } } },
    };
  }
  return {
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    'x-error-codes': [...allCodes],
    ...(keyed ? { 'x-required-scope': scopeOf(route) } : {}),
    ...(secured ? {} : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: route.body.required, content: { [route.body.mediaType ?? 'application/json']: { schema: schemas.convert(route.body.schema, 'input') } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
  };
}

const idempotencyKeyParameter: Json = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the same key with the same request within 24 h answers the first response again (same status, body and ' +
    'Location) and creates nothing; with a different request it is a 422 `idempotency_key_reused`. A second request with a key whose ' +
    'first is still being processed waits for it (up to a few seconds), then answers 409 `idempotency_key_in_flight` with Retry-After.',
  schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX },
};

function withReplayHeader(r: SuccessResponse): SuccessResponse {
  return { ...r, headers: { ...r.headers, 'Idempotent-Replayed': '`true` when this is the stored answer to an earlier request with the same Idempotency-Key' } };
}

function successResponse(r: SuccessResponse, schemas: SchemaCollector): Json {
  const content: Record<string, Json> = {};
  if (r.json) content['application/json'] = { schema: schemas.convert(r.json, 'output') };
  for (const [mediaType, schema] of Object.entries(r.content ?? {})) content[mediaType] = Object.keys(schema).length ? { schema } : {};
  return {
    description: r.description,
    ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
    ...(Object.keys(content).length ? { content } : {}),
  };
}

function withoutBodies(responses: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(responses).map(([status, { content: _content, ...rest }]) => [status, rest]));
}

function pathParameters(route: RouteDeclaration, schemas: SchemaCollector): Json[] {
  if (!route.params) return [];
  const { properties = {} } = schemas.convert(route.params, 'input') as { properties?: Record<string, Json> };
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'path',
    required: true,
    ...(description ? { description } : {}),
    schema,
  }));
}

function queryParameters(route: RouteDeclaration, schemas: SchemaCollector): Json[] {
  if (!route.query) return [];
  const { properties = {}, required = [] } = schemas.convert(route.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    ...(description ? { description } : {}),
    schema,
  }));
}

/**
 * zod → JSON Schema. A schema with `.meta({ id })` (Video, Job, Problem) comes out of zod as a
 * `$defs` entry; it becomes a component and every use of it a `$ref` to that component.
 */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json & { $defs?: Record<string, Json> };
    for (const [name, definition] of Object.entries($defs ?? {})) {
      const component = toComponentRefs(definition);
      const known = this.components[name];
      if (known && JSON.stringify(known) !== JSON.stringify(component)) {
        throw new Error(`Two different schemas are both named ${name} in the OpenAPI document (one of them as ${io}).`);
      }
      this.components[name] = component;
    }
    return toComponentRefs(rest);
  }
}

function toComponentRefs(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}
