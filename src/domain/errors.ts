/** The one family of domain errors; http/error-handler.ts maps each kind to a status in one place. */
export type DomainErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'validation'
  | 'insufficient_storage'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) => new DomainError('bad_request', detail, extra);
export const notFound = (detail: string) => new DomainError('not_found', detail);
export const conflict = (detail: string) => new DomainError('conflict', detail);
export const validation = (detail: string, extra?: Record<string, unknown>) => new DomainError('validation', detail, extra);
export const unavailable = (detail: string) => new DomainError('unavailable', detail);
