import { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import { GENERIC_CODE_OF_STATUS } from './problem.js';
import type { ErrorCode } from '../domain/errors.js';
import type { Scope } from '../domain/tenant.js';
import { requireScope } from './principal.js';
import { statusOfCode } from './error-handler.js';
import { requireJsonBody } from './json-body.middleware.js';

/**
 * A route declared once: the router is built from it (routerFrom) and the OpenAPI document is
 * assembled from it (openapi.ts), so the two cannot drift apart. Schemas are the zod objects the
 * handlers validate with.
 */

export type Method = 'get' | 'post' | 'patch' | 'delete' | 'options';

/** Who may call a route, as the app applies it: `apiKey` routes sit behind apiKeyAuth in app.ts. */
export type Access = 'public' | 'apiKey';

export interface SuccessResponse {
  description: string;
  /** An `application/json` body. */
  json?: z.ZodType;
  /** Bodies of other media types: media type → JSON Schema (`{}` for opaque bytes). */
  content?: Record<string, Record<string, unknown>>;
  /** Response header name → description. */
  headers?: Record<string, string>;
}

export interface RouteDeclaration {
  method: Method;
  /** Express path relative to the group's base, e.g. `/videos/:id`. */
  path: string;
  summary: string;
  description?: string;
  /** One property per `:name` in the path. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; required: boolean; mediaType?: string };
  /** The statuses the handler answers with a body of its own (2xx, 304, a non-problem 503). */
  responses: Record<number, SuccessResponse>;
  /**
   * Statuses answered with an `application/problem+json` document → when, and the `code`s it may
   * carry (a bare string documents the generic code of its status).
   */
  errors?: Record<number, string | ErrorDoc>;
  /** The key scope the route needs (apiKey routes); default: `read` for GET, `write` for the rest. */
  scope?: Scope;
  /** Also answers HEAD (Express answers HEAD with the GET handler). */
  head?: boolean;
  /**
   * Honours an `Idempotency-Key` header (http/idempotency.middleware.ts): routerFrom puts the
   * middleware right before the route's last handler, after any body parser of its own.
   */
  idempotent?: boolean;
}

export interface ErrorDoc {
  description: string;
  codes: readonly ErrorCode[];
}


export function errorDoc(status: number, e: string | ErrorDoc): ErrorDoc {
  return typeof e === 'string' ? { description: e, codes: [GENERIC_CODE_OF_STATUS[status] ?? 'bad_request'] } : e;
}

/**
 * Errors an idempotent route adds to its own (merged into the declaration by defineRoutes).
 */
export const idempotencyErrors: Record<number, ErrorDoc> = {
  400: { description: 'The Idempotency-Key header is empty or longer than 255 characters', codes: ['invalid_idempotency_key'] },
  409: { description: 'A request with the same Idempotency-Key is still being processed (`Retry-After`)', codes: ['idempotency_key_in_flight'] },
  422: { description: 'The Idempotency-Key was used in the last 24 h with a different method, path or body', codes: ['idempotency_key_reused'] },
};

export interface GroupOptions {
  /** Where app.ts mounts the group's router ('' for the app itself). */
  base: string;
  access: Access;
  /** The OpenAPI tag, and the first half of each operationId. */
  tag: string;
}

export interface RouteGroup<K extends string = string> extends GroupOptions {
  routes: Record<K, RouteDeclaration>;
}

/** Errors many routes share. */
export const databaseDown: Record<number, ErrorDoc> = {
  503: { description: 'PostgreSQL is unreachable, or the change kept losing to concurrent ones; try again shortly (`Retry-After`)', codes: ['service_unavailable', 'contended'] },
};
export const jsonBodyErrors: Record<number, ErrorDoc> = {
  400: { description: 'Malformed body: not JSON, not an object, unknown fields, wrong types or missing fields', codes: ['invalid_json', 'invalid_body'] },
  413: { description: 'The JSON body is larger than 64 kB', codes: ['body_too_large'] },
  415: { description: 'A body sent without `Content-Type: application/json`; nothing was done', codes: ['unsupported_content_type'] },
};

export function defineRoutes<K extends string>(options: GroupOptions, routes: Record<K, RouteDeclaration>): RouteGroup<K> {
  for (const [key, route] of Object.entries<RouteDeclaration>(routes)) {
    const inPath = pathParamNames(route.path).sort();
    const declared = Object.keys(route.params?.shape ?? {}).sort();
    if (inPath.join() !== declared.join()) {
      throw new Error(`Route ${key} (${route.method.toUpperCase()} ${route.path}) declares params [${declared}] but its path has [${inPath}].`);
    }
    if (route.idempotent) route.errors = mergeErrors(route.errors ?? {}, idempotencyErrors);
    for (const [status, e] of Object.entries(route.errors ?? {})) {
      const wrong = errorDoc(Number(status), e).codes.filter((c) => statusOfCode(c) !== Number(status));
      if (wrong.length) throw new Error(`Route ${key} declares codes [${wrong}] under ${status}, but they are answered with another status.`);
    }
  }
  return { ...options, routes };
}

/** Two error tables in one: a status in both keeps both descriptions and every code. */
export function mergeErrors(a: Record<number, string | ErrorDoc>, b: Record<number, string | ErrorDoc>): Record<number, ErrorDoc> {
  const out: Record<number, ErrorDoc> = {};
  for (const [status, e] of [...Object.entries(a), ...Object.entries(b)]) {
    const doc = errorDoc(Number(status), e);
    const known = out[Number(status)];
    out[Number(status)] = known
      ? { description: `${known.description}; ${doc.description}`, codes: [...new Set([...known.codes, ...doc.codes])] }
      : doc;
  }
  return out;
}

export type Handlers<K extends string> = Record<K, RequestHandler | RequestHandler[]>;

export interface RouterOptions {
  /** The Idempotency-Key middleware, for the routes declared `idempotent`. */
  idempotency?: RequestHandler;
}

/** The router of a group: one handler (chain) per declared route, registered in declaration order. */
export function routerFrom<K extends string>(group: RouteGroup<K>, handlers: Handlers<K>, options: RouterOptions = {}): Router {
  const r = Router();
  for (const key of Object.keys(group.routes) as K[]) {
    const { method, path, idempotent } = group.routes[key];
    const given = handlers[key];
    const chain = Array.isArray(given) ? [...given] : [given];
    if (takesJson(group.routes[key])) chain.unshift(requireJsonBody);
    if (group.access === 'apiKey') chain.unshift(requireScope(scopeOf(group.routes[key])));
    if (idempotent) {
      if (!options.idempotency) throw new Error(`Route ${key} is declared idempotent but its router was given no idempotency middleware.`);
      chain.splice(chain.length - 1, 0, options.idempotency);
    }
    r[method](path, ...chain);
  }
  return r;
}

export function scopeOf(route: RouteDeclaration): Scope {
  return route.scope ?? (route.method === 'get' ? 'read' : 'write');
}

function takesJson(route: RouteDeclaration): boolean {
  return route.body !== undefined && (route.body.mediaType ?? 'application/json') === 'application/json';
}

export function pathParamNames(expressPath: string): string[] {
  return [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** `/videos/:id` → `/videos/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}
