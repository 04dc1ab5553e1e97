import type { Router } from 'express';
import type { Metrics } from './metrics.js';
import { defineRoutes, routerFrom } from './route-declarations.js';
import { Health, Readiness } from './schemas.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export const serviceRoutes = defineRoutes({ base: '', access: 'public', tag: 'service' }, {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'The process is up',
    responses: { 200: { description: 'Up', json: Health } },
  },
  ready: {
    method: 'get',
    path: '/readyz',
    summary: 'PostgreSQL, Redis and FFmpeg are reachable',
    responses: { 200: { description: 'Ready; each part named', json: Readiness } },
    errors: { 503: 'Not ready; `detail` names the failing part and `checks` has each part' },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: jobs per state, queue depth per state, job durations, HTTP latency',
    responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { type: 'string' } } } },
  },
});

export function serviceRouter(d: { checks: ReadinessCheck[]; metrics: Metrics }): Router {
  return routerFrom(serviceRoutes, {
    health: (_req, res) => {
      res.json({ status: 'ok' });
    },

    ready: async (_req, res) => {
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
            code: 'not_ready',
            retryable: true,
            checks,
          }),
        );
    },

    metrics: async (_req, res) => {
      res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
    },
  });
}
