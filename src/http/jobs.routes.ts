import { Router } from 'express';
import { toJobResource } from '../domain/representation.js';
import type { JobService } from '../services/job.service.js';
import type { RunService } from '../services/run.service.js';
import { pathId } from './ids.js';
import { JobListQuery, RunBody } from './schemas.js';
import { parseBody, parseQuery } from './validate.js';

export function jobsRouter(d: { jobs: JobService; runs: RunService }): Router {
  const r = Router();

  r.post('/jobs/run', async (req, res) => {
    // An empty body (no Content-Type, or `{}`) means "every pending job".
    const body = req.body === undefined ? {} : parseBody(RunBody, req.body);
    const ids = body.jobIds?.map((id) => id.toLowerCase());
    const queued = await d.runs.run(ids ? [...new Set(ids)] : undefined);
    res.status(202).json({ queued: queued.map((j) => j.id) });
  });

  r.get('/jobs', async (req, res) => {
    const q = parseQuery(JobListQuery, req.query);
    const { items, total } = await d.jobs.list(q);
    res.json({ items: items.map(toJobResource), total, limit: q.limit, offset: q.offset });
  });

  r.get('/jobs/:id', async (req, res) => {
    res.json(toJobResource(await d.jobs.get(pathId(req.params.id, 'Job'))));
  });

  r.post('/jobs/:id/cancel', async (req, res) => {
    res.json(toJobResource(await d.jobs.cancel(pathId(req.params.id, 'Job'))));
  });

  r.post('/jobs/:id/retry', async (req, res) => {
    res.status(202).json(toJobResource(await d.jobs.retry(pathId(req.params.id, 'Job'))));
  });

  return r;
}
