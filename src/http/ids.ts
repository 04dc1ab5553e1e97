import { notFound } from '../domain/errors.js';
import { IdParam } from './schemas.js';

/** A path id that is not a UUID names nothing that could exist: 404, like an unknown id. */
export function pathId(raw: string | string[] | undefined, what: 'Video' | 'Job' | 'Webhook' | 'Delivery'): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (IdParam.safeParse(value).success) return value!.toLowerCase();
  throw notFound(`${what} ${JSON.stringify(value ?? '')} does not exist.`, what === 'Video' ? 'video_not_found' : what === 'Job' ? 'job_not_found' : 'not_found');
}
