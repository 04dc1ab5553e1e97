/**
 * A job's input is such that no retry will make it work (a range with no frame, an input that is
 * gone): the worker fails the job at once. Everything else a processor throws is retried.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Input errors of the core or of the media library (its builders throw MediaInputError). */
export function isInputError(err: unknown): boolean {
  return err instanceof InputError || (err instanceof Error && err.name === 'MediaInputError');
}
