import type { RequestHandler, Router } from 'express';
import { toJobResource } from '../domain/representation.js';
import type { JobService } from '../services/job.service.js';
import type { PlanService } from '../services/plan.service.js';
import type { RunService } from '../services/run.service.js';
import { pathId } from './ids.js';
import { tenantFilterOf } from './principal.js';
import { databaseDown, defineRoutes, jsonBodyErrors, routerFrom } from './route-declarations.js';
import { DryRunResult, JobIdParams, JobListQuery, JobSchema, RunBody, RunResult, page } from './schemas.js';
import { parseBody, parseQuery } from './validate.js';

export const jobRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'jobs' }, {
  run: {
    method: 'post',
    path: '/jobs/run',
    summary: 'Queue every pending job, or only the named ones and the pending jobs they depend on',
    description:
      'Idempotent: two calls, or two clients at once, never queue a job twice. With `"dryRun": true` nothing changes (and Redis is not needed): ' +
      'the answer is, for each job the same call would queue, the method the worker will use and why, the expected output duration and the seconds it will re-encode.',
    body: { schema: RunBody, required: false },
    idempotent: true,
    responses: {
      200: { description: 'Dry run: the plan of each job the run would queue, in the order they would be able to run; nothing changed', json: DryRunResult },
      202: { description: 'Queued job ids, in the order they will be able to run', json: RunResult },
    },
    errors: {
      ...jsonBodyErrors,
      404: { description: 'Unknown job id', codes: ['job_not_found'] },
      409: { description: 'A named job is not pending', codes: ['job_not_pending'] },
      422: { description: 'A job id that is not a UUID, or more than 10 000 ids', codes: ['validation_failed'] },
      503: { description: 'PostgreSQL or Redis is unreachable, or the change kept losing to concurrent ones; nothing was queued', codes: ['service_unavailable', 'contended'] },
    },
  },
  list: {
    method: 'get',
    path: '/jobs',
    summary: 'List jobs, newest first',
    query: JobListQuery,
    responses: { 200: { description: 'A page', json: page(JobSchema) } },
    errors: { 400: { description: 'Bad query', codes: ['invalid_query'] }, ...databaseDown },
  },
  get: {
    method: 'get',
    path: '/jobs/:id',
    summary: 'One job',
    params: JobIdParams,
    responses: { 200: { description: 'The job', json: JobSchema } },
    errors: { 404: { description: 'Unknown job', codes: ['job_not_found'] }, ...databaseDown },
  },
  cancel: {
    method: 'post',
    path: '/jobs/:id/cancel',
    summary: 'Cancel a pending, queued or running job and the unfinished jobs that depend on it',
    description: 'A running FFmpeg is stopped and its partial output removed.',
    params: JobIdParams,
    responses: { 200: { description: 'The cancelled job', json: JobSchema } },
    errors: { 404: { description: 'Unknown job', codes: ['job_not_found'] }, 409: { description: 'Already finished', codes: ['job_finished'] }, ...databaseDown },
  },
  retry: {
    method: 'post',
    path: '/jobs/:id/retry',
    summary: 'Put a failed job back in the queue (with the failed jobs it depends on)',
    params: JobIdParams,
    idempotent: true,
    responses: { 202: { description: 'The queued job', json: JobSchema } },
    errors: {
      404: { description: 'Unknown job', codes: ['job_not_found'] },
      409: { description: 'Not failed', codes: ['job_not_failed'] },
      503: { description: 'PostgreSQL or Redis is unreachable, or the change kept losing to concurrent ones', codes: ['service_unavailable', 'contended'] },
    },
  },
});

export function jobsRouter(d: { jobs: JobService; runs: RunService; plans: PlanService; idempotency: RequestHandler }): Router {
  return routerFrom(jobRoutes, {
    run: async (req, res) => {
      // An empty body (no Content-Type, or `{}`) means "every pending job".
      const body = req.body === undefined ? {} : parseBody(RunBody, req.body);
      const ids = body.jobIds?.map((id) => id.toLowerCase());
      if (body.dryRun) {
        res.status(200).json({ dryRun: true, plans: await d.plans.plan(ids ? [...new Set(ids)] : undefined, tenantFilterOf(req)) });
        return;
      }
      const queued = await d.runs.run(ids ? [...new Set(ids)] : undefined, tenantFilterOf(req));
      res.status(202).json({ queued: queued.map((j) => j.id) });
    },

    list: async (req, res) => {
      const q = parseQuery(JobListQuery, req.query);
      const { items, total } = await d.jobs.list({ ...q, tenant: tenantFilterOf(req) });
      res.json({ items: items.map(toJobResource), total, limit: q.limit, offset: q.offset });
    },

    get: async (req, res) => {
      res.json(toJobResource(await d.jobs.get(pathId(req.params.id, 'Job'), tenantFilterOf(req))));
    },

    cancel: async (req, res) => {
      res.json(toJobResource(await d.jobs.cancel(pathId(req.params.id, 'Job'), tenantFilterOf(req))));
    },

    retry: async (req, res) => {
      res.status(202).json(toJobResource(await d.jobs.retry(pathId(req.params.id, 'Job'), tenantFilterOf(req))));
    },
  }, { idempotency: d.idempotency });
}
