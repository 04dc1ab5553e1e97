/** The one family of domain errors; http/error-handler.ts maps each kind to a status in one place. */
export type DomainErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'validation'
  | 'too_many_requests'
  | 'insufficient_storage'
  | 'unavailable'
  | 'internal';

interface CodeEntry {
  kind: DomainErrorKind;
  /** Whether the same request, unchanged, may succeed later (a client may retry it with backoff). */
  retryable: boolean;
  description: string;
}

/**
 * Every `code` a problem document can carry: stable, snake_case, for programs to branch on (the
 * `detail` sentence is for people and may change). Add codes; never rename or remove one.
 */
export const ERROR_CODES = {
  // 400
  bad_request: { kind: 'bad_request', retryable: false, description: 'The request is malformed.' },
  invalid_json: { kind: 'bad_request', retryable: false, description: 'The body is not valid JSON.' },
  invalid_body: { kind: 'bad_request', retryable: false, description: 'The body has the wrong shape: not an object, unknown fields, wrong types or missing fields.' },
  invalid_query: { kind: 'bad_request', retryable: false, description: 'A query parameter is malformed.' },
  invalid_multipart: { kind: 'bad_request', retryable: false, description: 'The multipart body is broken.' },
  file_missing: { kind: 'bad_request', retryable: false, description: 'No `file` field in the upload.' },
  invalid_tus_request: { kind: 'bad_request', retryable: false, description: 'A tus request the server cannot take: a missing or malformed tus header, or an extension it does not offer.' },
  invalid_idempotency_key: { kind: 'bad_request', retryable: false, description: 'The Idempotency-Key header is empty or longer than 255 characters.' },
  // 401
  unauthorized: { kind: 'unauthorized', retryable: false, description: 'No or a wrong bearer token, or a revoked or expired key.' },
  // 403
  forbidden: { kind: 'forbidden', retryable: false, description: 'The request is understood but refused.' },
  link_invalid: { kind: 'forbidden', retryable: false, description: 'The signed download link is malformed or its signature does not match (tampered, or signed with another LINK_SECRET).' },
  link_expired: { kind: 'forbidden', retryable: false, description: 'The signed download link has expired; ask for a new one.' },
  link_revoked: { kind: 'forbidden', retryable: false, description: 'The video of the signed download link was deleted, which revokes its links.' },
  insufficient_scope: { kind: 'forbidden', retryable: false, description: "The key's scopes do not allow this (detail names the scope needed)." },
  // 404
  not_found: { kind: 'not_found', retryable: false, description: 'The resource does not exist.' },
  route_not_found: { kind: 'not_found', retryable: false, description: 'No route has this method and path.' },
  video_not_found: { kind: 'not_found', retryable: false, description: 'The video does not exist (detail names the id).' },
  job_not_found: { kind: 'not_found', retryable: false, description: 'The job does not exist (detail names the id).' },
  webhook_not_found: { kind: 'not_found', retryable: false, description: 'The webhook endpoint does not exist.' },
  key_not_found: { kind: 'not_found', retryable: false, description: 'The API key does not exist.' },
  delivery_not_found: { kind: 'not_found', retryable: false, description: 'The webhook delivery does not exist.' },
  upload_not_found: { kind: 'not_found', retryable: false, description: 'The resumable upload does not exist (never created, terminated, finished, or expired and removed).' },
  video_file_missing: { kind: 'not_found', retryable: false, description: "The video's file is gone." },
  // 409
  conflict: { kind: 'conflict', retryable: false, description: 'The resource is not in a state that allows this.' },
  video_not_ready: { kind: 'conflict', retryable: true, description: 'The video is not ready yet; it will be once the job producing it completes (not retryable when the video failed).' },
  video_in_use: { kind: 'conflict', retryable: true, description: 'A job that is not finished uses or produces the video.' },
  input_video_failed: { kind: 'conflict', retryable: false, description: 'An input video is failed and cannot be used.' },
  job_not_pending: { kind: 'conflict', retryable: false, description: 'A named job is not pending.' },
  job_finished: { kind: 'conflict', retryable: false, description: 'The job is already finished.' },
  job_not_failed: { kind: 'conflict', retryable: false, description: 'Only a failed job can be retried.' },
  upload_offset_mismatch: { kind: 'conflict', retryable: false, description: 'Upload-Offset is not the offset the server has; ask with HEAD and resume from there.' },
  idempotency_key_in_flight: { kind: 'conflict', retryable: true, description: 'A request with this Idempotency-Key is still being processed; retry after Retry-After.' },
  // 410
  upload_expired: { kind: 'gone', retryable: false, description: 'The resumable upload expired unfinished (UPLOAD_EXPIRY_HOURS).' },
  // 412
  tus_resumable_required: { kind: 'precondition_failed', retryable: false, description: 'A tus request without `Tus-Resumable: 1.0.0`.' },
  // 413
  payload_too_large: { kind: 'payload_too_large', retryable: false, description: 'The body is too large.' },
  body_too_large: { kind: 'payload_too_large', retryable: false, description: 'The JSON body is larger than 64 kB.' },
  upload_too_large: { kind: 'payload_too_large', retryable: false, description: 'The file is larger than MAX_UPLOAD_BYTES.' },
  // 415
  unsupported_media: { kind: 'unsupported_media_type', retryable: false, description: 'Not a video FFmpeg can decode, or no real video stream.' },
  unsupported_encoding: { kind: 'unsupported_media_type', retryable: false, description: 'The body encoding or charset is not supported.' },
  unsupported_content_type: { kind: 'unsupported_media_type', retryable: false, description: 'A body was sent that is not `Content-Type: application/json` on a route that takes JSON; nothing was done.' },
  // 416
  range_not_satisfiable: { kind: 'range_not_satisfiable', retryable: false, description: 'The byte range cannot be served.' },
  // 422
  validation_failed: { kind: 'validation', retryable: false, description: 'A well-formed body holds an unacceptable value (detail and `field` name it).' },
  trim_range_empty: { kind: 'validation', retryable: false, description: 'end is not after start, or the range holds no frame of the input.' },
  trim_end_beyond_duration: { kind: 'validation', retryable: false, description: 'end is beyond the duration of the input.' },
  webhook_url_refused: { kind: 'validation', retryable: false, description: 'The webhook URL is not http(s), or points at a private or loopback address (WEBHOOK_ALLOW_PRIVATE is not set).' },
  import_url_refused: { kind: 'validation', retryable: false, description: 'The import URL is not an absolute http(s) URL, carries credentials, or its host is a private, loopback or link-local address (IMPORT_ALLOW_PRIVATE is not set).' },
  metadata_too_large: { kind: 'validation', retryable: false, description: '`metadata` is larger than 4 kB serialized.' },
  idempotency_key_reused: { kind: 'validation', retryable: false, description: 'The Idempotency-Key was used with a different request (method, path or body) in the last 24 h.' },
  // 429
  rate_limited: { kind: 'too_many_requests', retryable: true, description: 'This key made more requests in the last minute than RATE_LIMIT_PER_MINUTE allows; retry after Retry-After.' },
  // 507
  quota_exceeded: { kind: 'insufficient_storage', retryable: false, description: "The tenant's storage quota would be exceeded; nothing was kept (delete videos to make room)." },
  // 5xx
  internal_error: { kind: 'internal', retryable: false, description: 'A bug; it has been logged.' },
  service_unavailable: { kind: 'unavailable', retryable: true, description: 'A backing service (PostgreSQL, Redis) is unreachable; retry after Retry-After.' },
  not_ready: { kind: 'unavailable', retryable: true, description: 'A backing part is not ready (`checks` names it).' },
  contended: { kind: 'unavailable', retryable: true, description: 'The change kept losing to concurrent ones; retry after Retry-After.' },
  insufficient_storage: { kind: 'insufficient_storage', retryable: true, description: 'Not enough free space on the storage volume; nothing was kept.' },
} as const satisfies Record<string, CodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code a DomainError gets when the site that throws it names none. */
export const DEFAULT_CODE_OF: Record<DomainErrorKind, ErrorCode> = {
  bad_request: 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  gone: 'upload_expired',
  precondition_failed: 'tus_resumable_required',
  payload_too_large: 'payload_too_large',
  unsupported_media_type: 'unsupported_media',
  range_not_satisfiable: 'range_not_satisfiable',
  validation: 'validation_failed',
  too_many_requests: 'rate_limited',
  insufficient_storage: 'insufficient_storage',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
};

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly extra: Record<string, unknown> = {},
    code?: ErrorCode,
    retryable?: boolean,
  ) {
    super(message);
    this.name = 'DomainError';
    this.code = code ?? DEFAULT_CODE_OF[kind];
    this.retryable = retryable ?? ERROR_CODES[this.code].retryable;
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>, code?: ErrorCode) => new DomainError('bad_request', detail, extra, code);
export const notFound = (detail: string, code?: ErrorCode) => new DomainError('not_found', detail, {}, code);
export const conflict = (detail: string, code?: ErrorCode, retryable?: boolean) => new DomainError('conflict', detail, {}, code, retryable);
export const validation = (detail: string, extra?: Record<string, unknown>, code?: ErrorCode) => new DomainError('validation', detail, extra, code);
export const forbidden = (detail: string, code?: ErrorCode) => new DomainError('forbidden', detail, {}, code);
export const unavailable = (detail: string, code?: ErrorCode) => new DomainError('unavailable', detail, {}, code);
