import type { Response } from 'express';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extra: string]: unknown;
}

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Problem {
  const title = TITLES[status] ?? 'Error';
  const slug = title.toLowerCase().replace(/[^a-z]+/g, '-');
  return { type: `/problems/${slug}`, title, status, detail, ...extra };
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
