import { buildOpenApiDocument, COMMON_ERROR_CODES } from '../../src/http/openapi.js';

type Json = Record<string, any>;

const doc = buildOpenApiDocument({ apiKeyRequired: true }) as Json;
const templates = Object.entries<Json>(doc.paths).map(([template, item]) => ({
  item,
  re: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}/?$`),
}));

/**
 * The codes the OpenAPI document says `METHOD url` may answer: its operation's own (every operation
 * whose path template matches, as Express may match either) and the codes common to every route.
 */
export function declaredCodes(method: string, url: string): string[] {
  const path = url.split('?')[0]!;
  const m = method.toLowerCase();
  const own = templates.filter((t) => t.re.test(path) && t.item[m]).flatMap((t) => t.item[m]['x-error-codes'] as string[]);
  return [...new Set([...own, ...COMMON_ERROR_CODES])];
}


export const CATALOGUE = doc['x-error-code-catalogue'] as Record<string, { status: number; retryable: boolean }>;

/** What every problem document must be: a known code answered with its own status, and a retryable flag. */
export function problemShapeErrors(status: number, contentType: string | undefined, body: Json, method: string, url: string): string[] {
  if (status < 400 || method === 'HEAD') return [];
  const out: string[] = [];
  if (!contentType?.startsWith('application/problem+json')) out.push(`content-type ${contentType}`);
  if (typeof body.code !== 'string') out.push('no code');
  if (typeof body.retryable !== 'boolean') out.push('no retryable');
  if (typeof body.code === 'string') {
    const entry = CATALOGUE[body.code];
    if (!entry) out.push(`unknown code ${body.code}`);
    else if (entry.status !== status && !['bad_request', 'not_found'].includes(body.code)) out.push(`code ${body.code} is a ${entry.status}, answered ${status}`);
    if (!declaredCodes(method, url).includes(body.code)) out.push(`code ${body.code} not declared for ${method} ${url}`);
  }
  return out;
}
