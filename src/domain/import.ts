/**
 * Why an import from a URL failed, as `errorCode` on the Video. `retryable` codes are tried again
 * by the worker (with backoff) before the video fails; the others fail it at once.
 */
export const IMPORT_ERRORS = {
  source_unreachable: { retryable: true, description: 'The connection failed or broke off (refused, reset, DNS failure).' },
  source_http_error: { retryable: false, description: 'The server answered a status other than 2xx (5xx and 429 are tried again first).' },
  source_too_large: { retryable: false, description: 'The file is larger than MAX_UPLOAD_BYTES.' },
  source_timeout: { retryable: false, description: 'The download took longer than IMPORT_TIMEOUT_MS.' },
  source_address_refused: { retryable: false, description: 'The host is or resolves to a private, loopback or link-local address (IMPORT_ALLOW_PRIVATE is not set).' },
  source_redirect_refused: { retryable: false, description: 'More than 5 redirects, or a redirect to a URL that is not http(s).' },
  unsupported_media: { retryable: false, description: 'The file is not a video FFmpeg can use.' },
  disk_full: { retryable: true, description: 'The storage volume is full.' },
  internal_error: { retryable: true, description: 'An unexpected error; it has been logged.' },
} as const;

export type ImportErrorCode = keyof typeof IMPORT_ERRORS;
export const IMPORT_ERROR_CODES = Object.keys(IMPORT_ERRORS) as [ImportErrorCode, ...ImportErrorCode[]];

/** A failure of one import attempt, with the code the video records. */
export class ImportFailure extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    readonly retryable: boolean = IMPORT_ERRORS[code].retryable,
  ) {
    super(message);
    this.name = 'ImportFailure';
  }
}
