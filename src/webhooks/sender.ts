import http from 'node:http';
import https from 'node:https';
import { guardedLookup, refusedLiteral } from './address-guard.js';

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

export type SendResult = { statusCode: number; body: string } | { error: string };

const KEPT_BODY = 1024;

/**
 * One POST to a receiver: no redirects followed, a time limit on the whole attempt, the first
 * 1 kB of the answer kept for the delivery log.
 */
export function send(url: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ error: `not a URL: ${url}` });
    }
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!client) return resolve({ error: `unsupported protocol ${target.protocol}` });
    const refused = refusedLiteral(target.hostname, opts.allowPrivate);
    if (refused) return resolve({ error: refused });
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'video-jobs-webhooks/1', ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: guardedLookup(opts.allowPrivate) as never,
        timeout: opts.timeoutMs,
      },
      (res) => {
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < KEPT_BODY) kept += chunk.slice(0, KEPT_BODY - kept.length);
        });
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: kept }));
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end(body);
  });
}
