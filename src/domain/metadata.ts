import { validation } from './errors.js';

/** A client's own JSON object, stored on a job and its output video and returned as given. */
export type ClientMetadata = Record<string, unknown>;

export const MAX_METADATA_BYTES = 4096;

/** The metadata of a command body, refused (422 metadata_too_large) when it serializes to more than 4 kB. */
export function checkedMetadata(m: ClientMetadata | undefined): ClientMetadata | null {
  if (m === undefined) return null;
  const bytes = Buffer.byteLength(JSON.stringify(m), 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    throw validation(`metadata is ${bytes} bytes serialized; at most ${MAX_METADATA_BYTES} are kept.`, { field: 'metadata' }, 'metadata_too_large');
  }
  return m;
}
