import { Router } from 'express';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export function serviceRouter(d: { checks: ReadinessCheck[]; metrics: Metrics }): Router {
  const r = Router();

  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  r.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      d.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2_000);
          return { name: c.name, ok: true as const };
        } catch (err) {
          return { name: c.name, ok: false as const, error: (err as Error).message };
        }
      }),
    );
    const failing = results.filter((r) => !r.ok);
    const checks = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error]));
    if (failing.length === 0) {
      res.json({ status: 'ready', checks });
      return;
    }
    res
      .status(503)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: '/problems/service-unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: `Not ready: ${failing.map((f) => `${f.name} (${f.error})`).join(', ')}.`,
          checks,
        }),
      );
  });

  r.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });

  return r;
}
