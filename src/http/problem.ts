import type { Response } from 'express';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable, for programs (domain/errors.ts lists them all). */
  code: ErrorCode;
  /** Whether the same request, unchanged, may succeed later. */
  retryable: boolean;
  [extra: string]: unknown;
}

/** The code a problem gets when its maker names none (and an error declared without codes): the generic one of its status. */
export const GENERIC_CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'upload_expired',
  412: 'tus_resumable_required',
  413: 'payload_too_large',
  415: 'unsupported_media',
  416: 'range_not_satisfiable',
  422: 'validation_failed',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
  507: 'insufficient_storage',
};

export function problem(status: number, detail: string, extra: Record<string, unknown> & { code?: ErrorCode; retryable?: boolean } = {}): Problem {
  const title = TITLES[status] ?? 'Error';
  const slug = title.toLowerCase().replace(/[^a-z]+/g, '-');
  const { code: given, retryable: givenRetryable, ...rest } = extra;
  const code = given ?? GENERIC_CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
  const retryable = givenRetryable ?? ERROR_CODES[code].retryable;
  return { type: `/problems/${slug}`, title, status, detail, code, retryable, ...rest };
}

export function sendProblem(res: Response, p: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refused request may still be arriving (an upload): read and drop it rather than reset the client.
  if (!res.req.complete) res.req.resume();
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}
