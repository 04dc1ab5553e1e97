import type { z } from 'zod';
import { DomainError } from '../domain/errors.js';

/**
 * Body validation: a body of the wrong shape (unknown fields, wrong types, missing fields) is 400;
 * a well-formed body with an unacceptable value (negative time, unknown mode, too few ids) is 422.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainError('bad_request', 'The request body must be a JSON object.', {}, 'invalid_body');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'body';
  const detail = `${where}: ${issue.message}`;
  if (isShapeIssue(issue, body)) throw new DomainError('bad_request', detail, { field: where }, 'invalid_body');
  throw new DomainError('validation', detail, { field: where }, 'validation_failed');
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries((query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new DomainError('bad_request', `Query parameter ${issue.path.join('.') || '?'}: ${issue.message}`, {}, 'invalid_query');
}

function isShapeIssue(issue: z.core.$ZodIssue, body: unknown): boolean {
  if (issue.code === 'invalid_type' || issue.code === 'unrecognized_keys') return true;
  if (issue.code === 'invalid_union') {
    const value = valueAt(body, issue.path);
    return typeof value !== 'string' && typeof value !== 'number';
  }
  return false;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
