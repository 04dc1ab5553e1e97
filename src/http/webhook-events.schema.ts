import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/webhook.js';
import { JobSchema, VideoSchema } from './schemas.js';

/** The body of every webhook and callback delivery, for the OpenAPI document's `webhooks`. */
export const WebhookEventSchema = z
  .object({
    id: z.uuid().describe('The event id, also in `webhook-id`: the same on every attempt and replay; deduplicate on it.'),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    createdAt: z.string().describe('When the change happened (ISO 8601).'),
    data: z.union([JobSchema, VideoSchema]).describe('The Job (job.*) or Video (video.*) as the API returns it at that change.'),
  })
  .meta({
    id: 'WebhookEvent',
    examples: [
      {
        id: '5f0c2a9e-8d4b-4f3a-9c1e-2b7d6a4e8f10',
        type: 'job.completed',
        createdAt: '2026-12-01T12:00:03.120Z',
        data: { id: '0b5e6c1e-1f0a-4c3e-9d2b-6a1f3e2d4c5b', type: 'trim', status: 'completed', progress: 100, outputVideoId: '9a7c1d2e-3b4f-4a5e-8c6d-7e8f9a0b1c2d' },
      },
    ],
  });

export const WEBHOOK_HEADERS = {
  'webhook-id': 'The event id',
  'webhook-timestamp': 'Seconds since the epoch when this attempt was signed; refuse old ones',
  'webhook-signature': 'v1,<base64 HMAC-SHA256 of "id.timestamp.body">, keyed by the base64-decoded secret after its whsec_ prefix (an endpoint\'s own, or WEBHOOK_SECRET for a callbackUrl)',
} as const;
