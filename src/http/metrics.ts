import type { RequestHandler } from 'express';
import client from 'prom-client';
import { JOB_STATUSES } from '../domain/job.js';
import type { FeedEvent } from '../outbox/event-feed.js';

export interface MetricsSources {
  jobCountsByStatus: () => Promise<Record<string, number>>;
  queueCounts: () => Promise<Record<string, number>>;
}

/** Prometheus metrics of one process, on a registry of its own (tests build many apps). */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  private readonly jobDuration: client.Histogram<'type' | 'status'>;

  constructor(sources: MetricsSources) {
    client.collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.jobDuration = new client.Histogram({
      name: 'video_job_duration_seconds',
      help: 'Time from a job starting to its end, by type and final status',
      labelNames: ['type', 'status'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [this.registry],
    });
    new client.Gauge({
      name: 'video_jobs',
      help: 'Jobs in the database per state',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.jobCountsByStatus().catch(() => undefined);
        if (!counts) return;
        for (const s of JOB_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    });
    new client.Gauge({
      name: 'video_queue_jobs',
      help: 'Jobs in the BullMQ queue per queue state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const counts = await sources.queueCounts().catch(() => undefined);
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.on('finish', () => {
        const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  /** Job durations come from job events, so the API sees the jobs every worker process ran. */
  observeJobEvent(e: FeedEvent): void {
    if (e.type !== 'job') return;
    const { status, startedAt, finishedAt, type } = e.data as Record<string, string | null>;
    if (!startedAt || !finishedAt || (status !== 'completed' && status !== 'failed')) return;
    const seconds = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.jobDuration.observe({ type: type ?? 'unknown', status }, seconds);
  }
}
