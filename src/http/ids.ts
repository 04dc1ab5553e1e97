import { notFound, type ErrorCode } from '../domain/errors.js';
import { IdParam } from './schemas.js';

const CODE_OF = { Video: 'video_not_found', Job: 'job_not_found', Webhook: 'webhook_not_found', Delivery: 'delivery_not_found', Key: 'key_not_found' } as const satisfies Record<string, ErrorCode>;

/** A path id that is not a UUID names nothing that could exist: 404, like an unknown id. */
export function pathId(raw: string | string[] | undefined, what: keyof typeof CODE_OF): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (IdParam.safeParse(value).success) return value!.toLowerCase();
  throw notFound(`${what} ${JSON.stringify(value ?? '')} does not exist.`, CODE_OF[what]);
}
