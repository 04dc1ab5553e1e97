import type { Request, Router } from 'express';
import { tenantFilterOf } from './principal.js';
import { z } from 'zod';
import type { JobService } from '../services/job.service.js';
import type { WebhookService } from '../services/webhook.service.js';
import { toDeliveryResource } from '../webhooks/webhook.js';
import { pathId } from './ids.js';
import { databaseDown, defineRoutes, routerFrom } from './route-declarations.js';
import { IdParam, JobIdParams, page } from './schemas.js';
import { parseQuery } from './validate.js';
import { DeliveryListQuery, DeliverySchema } from './webhooks.routes.js';

const CallbackDeliverySchema = DeliverySchema.extend({
  webhookId: z.null().describe('Always null: a callback belongs to its job, not to an endpoint.'),
  url: z.string().describe('The `callbackUrl` of the command.'),
}).meta({ id: 'CallbackDelivery' });
const CallbackParams = z.object({ id: IdParam.describe('Job id'), deliveryId: IdParam.describe('Delivery id') });

export const callbackRoutes = defineRoutes({ base: '/api', access: 'apiKey', tag: 'webhooks' }, {
  list: {
    method: 'get',
    path: '/jobs/:id/callbacks',
    summary: "The deliveries to a command's callbackUrl (the job's events and its output video's), newest first",
    params: JobIdParams,
    query: DeliveryListQuery,
    responses: { 200: { description: 'A page (empty for a job recorded without callbackUrl)', json: page(CallbackDeliverySchema) } },
    errors: { 400: { description: 'Bad query', codes: ['invalid_query'] }, 404: { description: 'Unknown job', codes: ['job_not_found'] }, ...databaseDown },
  },
  replay: {
    method: 'post',
    path: '/jobs/:id/callbacks/:deliveryId/replay',
    summary: 'Send a callback delivery again, whatever became of it',
    params: CallbackParams,
    responses: { 202: { description: 'The delivery, pending again', json: CallbackDeliverySchema } },
    errors: { 404: { description: 'Unknown job or delivery', codes: ['job_not_found', 'delivery_not_found'] }, ...databaseDown },
  },
});

export function callbacksRouter(jobs: JobService, webhooks: WebhookService): Router {
  const subjectsOf = async (req: Request) => {
    const job = await jobs.get(pathId(req.params.id, 'Job'), tenantFilterOf(req));
    return [job.id, job.outputVideoId];
  };
  return routerFrom(callbackRoutes, {
    list: async (req, res) => {
      const q = parseQuery(DeliveryListQuery, req.query);
      const { items, total } = await webhooks.callbackDeliveries(await subjectsOf(req), q.limit, q.offset);
      res.json({ items: items.map(toDeliveryResource), total, limit: q.limit, offset: q.offset });
    },
    replay: async (req, res) => {
      const d = await webhooks.replayCallback(await subjectsOf(req), pathId(req.params.deliveryId, 'Delivery'));
      res.status(202).json(toDeliveryResource(d));
    },
  });
}
