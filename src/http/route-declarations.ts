import { Router, type RequestHandler } from 'express';
import type { z } from 'zod';

/**
 * A route declared once: the router is built from it (routerFrom) and the OpenAPI document is
 * assembled from it (openapi.ts), so the two cannot drift apart. Schemas are the zod objects the
 * handlers validate with.
 */

export type Method = 'get' | 'post' | 'delete';

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
  /** Statuses answered with an `application/problem+json` document → when. */
  errors?: Record<number, string>;
  /** Also answers HEAD (Express answers HEAD with the GET handler). */
  head?: boolean;
}

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
export const databaseDown = { 503: 'PostgreSQL is unreachable; try again shortly' };
export const jsonBodyErrors = {
  400: 'Malformed body: not JSON, not an object, unknown fields, wrong types or missing fields',
  413: 'The JSON body is larger than 64 kB',
};

export function defineRoutes<K extends string>(options: GroupOptions, routes: Record<K, RouteDeclaration>): RouteGroup<K> {
  for (const [key, route] of Object.entries<RouteDeclaration>(routes)) {
    const inPath = pathParamNames(route.path).sort();
    const declared = Object.keys(route.params?.shape ?? {}).sort();
    if (inPath.join() !== declared.join()) {
      throw new Error(`Route ${key} (${route.method.toUpperCase()} ${route.path}) declares params [${declared}] but its path has [${inPath}].`);
    }
  }
  return { ...options, routes };
}

export type Handlers<K extends string> = Record<K, RequestHandler | RequestHandler[]>;

/** The router of a group: one handler (chain) per declared route, registered in declaration order. */
export function routerFrom<K extends string>(group: RouteGroup<K>, handlers: Handlers<K>): Router {
  const r = Router();
  for (const key of Object.keys(group.routes) as K[]) {
    const { method, path } = group.routes[key];
    const chain = handlers[key];
    r[method](path, ...(Array.isArray(chain) ? chain : [chain]));
  }
  return r;
}

export function pathParamNames(expressPath: string): string[] {
  return [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** `/videos/:id` → `/videos/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}
